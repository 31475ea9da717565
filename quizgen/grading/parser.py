"""Pratt parser: tokens -> Node tree, plus the static bounds checked before any evaluation.

Binding powers (higher binds tighter)::

    + -                10   left
    * / and juxtaposition 20   left     2/3x is (2/3)*x; (a+b)(a-b) is a product
    unary - +          30   prefix   -x^2 is -(x^2)
    ^ **               40   right    2^3^2 is 2^9; the exponent may carry a sign: 2^-3
    ! %                50   postfix

A function name without parentheses takes the juxtaposed factors that follow it up to the next
function or explicit operator: ``sin 2x cos x`` is ``sin(2x)*cos(x)``; ``sin^2 x`` is ``sin(x)^2``.
A top-level comma list, ``[a, b]`` or ``(a, b)`` is a vector; nested brackets make a matrix.
``max`` and ``min`` take a parenthesised argument list: ``max(0, x)``, ``min(a, b, c)``.

Every bound (constant exponent, factorial, function power, root index, nesting, tree height,
list size) is checked as the node is built, from the constant values its children cached (see
nodes.py): nothing is computed before its bound holds, and nothing is walked twice, so parsing
is linear in the length of the text.
"""

from __future__ import annotations

import math

from .compare import fine_constant
from .functions import VARIADIC
from .lexer import Token, tokenize
from .messages import AnswerError
from .nodes import UNSET, Node
from .numeric import fold

MAX_NESTING = 50  # parser recursion levels (parentheses, unary signs, exponents)
MAX_TREE_DEPTH = 200  # tree height, bounds the recursion of every later tree walk
MAX_EXPONENT = 1000.0  # |constant exponent|; 9^9^9 stops here before anything is computed
MAX_FACTORIAL = 170  # 171! overflows a float
MAX_FUNCTION_POWER = 1000  # sin^n(x)
MAX_ENTRIES = 1000

_CLOSE = {"(": ")", "[": "]", "{": "}"}
_ATOM_START = {"num", "var", "const", "func", "(", "{", "sqrt", "frac"}
_INFIX = {"+": (10, "add"), "-": (10, "sub"), "*": (20, "mul"), "/": (20, "div")}


def parse(text: str, variables: tuple[str, ...] = ()) -> Node:
    """Parse student text into a checked tree (a ``vec`` node for lists and matrices)."""
    return _Parser(tokenize(text, variables)).top()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nesting = 0
        self.bars = 0  # inside |...|, a bar closes instead of starting a factor

    # -- helpers -------------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, opener: Token) -> None:
        tok = self.peek()
        if tok[0] != kind:
            if tok[0] == "end":
                raise AnswerError("unclosed", opener[2], open=opener[1])
            raise _unexpected(tok)
        self.i += 1

    def node(self, op, args=(), value=None, text="", pos=0) -> Node:
        made = Node(op, args, value, text, pos)
        if made.depth > MAX_TREE_DEPTH:
            raise AnswerError("too_deep", pos, limit=MAX_TREE_DEPTH)
        if op == "vec":
            return made
        fine = False
        for arg in args:
            if arg.op == "vec":
                raise AnswerError("vector_in_arithmetic", arg.pos)
            fine = fine or arg.fine
        if op == "pow":
            exponent = _constant_of(args[1])
            if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
                raise AnswerError("too_big_exponent", args[1].pos, limit=int(MAX_EXPONENT))
        elif op == "fact":
            operand = _constant_of(args[0])
            if operand is None or not _whole(operand, 0, MAX_FACTORIAL):
                raise AnswerError("factorial", pos, limit=MAX_FACTORIAL)
        if not made.has_var:
            fold(made)  # O(1): the children's values are cached already
            fine = fine or fine_constant(made)
        made.fine = fine
        return made

    # -- grammar -------------------------------------------------------------------------------
    def top(self) -> Node:
        if self.peek()[0] == "end":
            raise AnswerError("empty")
        first = self.item()
        if self.peek()[0] == ",":
            items = [first]
            while self.peek()[0] == ",":
                self.take()
                items.append(self.item())
                if len(items) > MAX_ENTRIES:
                    raise AnswerError("too_long", n=len(items), limit=MAX_ENTRIES)
            first = self.node("vec", tuple(items), pos=first.pos)
        tok = self.peek()
        if tok[0] != "end":
            raise _unexpected(tok)
        return first

    def item(self) -> Node:
        """One vector entry: a bracketed list or an expression."""
        if self.peek()[0] == "[":
            return self.bracket_list()
        return self.expr(0)

    def bracket_list(self) -> Node:
        opener = self.take()
        self.enter(opener)
        rows: list[list[Node]] = [[]]
        if self.peek()[0] != "]":
            rows[-1].append(self.item())
            while self.peek()[0] in (",", ";"):
                if self.take()[0] == ";":  # MATLAB-style row separator
                    rows.append([])
                rows[-1].append(self.item())
        self.expect("]", opener)
        self.nesting -= 1
        if len(rows) == 1:
            items = rows[0]
        else:
            items = [self.node("vec", tuple(r), pos=opener[2]) for r in rows]
        if len(items) > MAX_ENTRIES:
            raise AnswerError("too_long", n=len(items), limit=MAX_ENTRIES)
        return self.node("vec", tuple(items), pos=opener[2])

    def enter(self, tok: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise AnswerError("too_deep", tok[2], limit=MAX_NESTING)

    def expr(self, rbp: int) -> Node:
        tok = self.take()
        self.enter(tok)
        left = self.prefix(tok)
        while True:
            nxt = self.peek()
            kind = nxt[0]
            if kind == "op":
                value = nxt[1]
                if value in ("!", "%"):
                    if rbp >= 50:
                        break
                    self.take()
                    if value == "!":
                        left = self.node("fact", (left,), pos=nxt[2])
                    else:
                        hundred = self.node("num", value=100.0, text="100", pos=nxt[2])
                        left = self.node("div", (left, hundred), pos=nxt[2])
                    continue
                if value == "^":
                    if rbp >= 40:
                        break
                    self.take()
                    exponent = self.expr(39)
                    left = self.node("pow", (left, exponent), pos=nxt[2])
                    continue
                lbp, op = _INFIX[value]
                if lbp <= rbp:
                    break
                self.take()
                right = self.expr(lbp)
                left = self.node(op, (left, right), pos=nxt[2])
                continue
            if kind in _ATOM_START or (kind == "|" and self.bars == 0):
                # juxtaposition: an implicit product
                if rbp >= 20:
                    break
                if kind == "num" and self.tokens[self.i - 1][0] == "num":
                    raise AnswerError("two_numbers", nxt[2])
                right = self.expr(20)
                left = self.node("mul", (left, right), pos=nxt[2])
                continue
            if kind == "=":
                raise AnswerError("equation", nxt[2])
            break
        self.nesting -= 1
        return left

    def prefix(self, tok: Token) -> Node:
        kind, value, pos = tok
        if kind == "num":
            try:
                number = float(value)
            except ValueError:
                raise AnswerError("bad_number", pos) from None
            if not math.isfinite(number):
                raise AnswerError("bad_number", pos)
            return self.node("num", value=number, text=value, pos=pos)
        if kind in ("var", "const"):
            return self.node(kind, value=value, pos=pos)
        if kind == "op" and value in ("-", "+"):
            operand = self.expr(30)
            if value == "+":
                return operand
            return self.node("neg", (operand,), pos=pos)
        if kind in ("(", "{"):
            return self.group(tok)
        if kind == "|":
            self.bars += 1
            inner = self.expr(0)
            self.bars -= 1
            self.expect("|", tok)
            return self.node("call", (inner,), value="abs", pos=pos)
        if kind == "func":
            return self.function(tok)
        if kind == "sqrt":
            return self.sqrt(tok)
        if kind == "frac":
            numerator = self.tex_argument()
            denominator = self.tex_argument()
            return self.node("div", (numerator, denominator), pos=pos)
        if kind == "end":
            raise AnswerError("unexpected_end", what=AnswerError("missing_operand"))
        if kind == "=":
            raise AnswerError("equation", pos)
        raise _unexpected(tok)

    def group(self, opener: Token) -> Node:
        """( expr ) or { expr }; ( a, b ) is a vector, which only the top level accepts."""
        inner = self.expr(0)
        if opener[0] == "(" and self.peek()[0] == ",":
            items = [inner]
            while self.peek()[0] == ",":
                self.take()
                items.append(self.item())
            self.expect(")", opener)
            return self.node("vec", tuple(items), pos=opener[2])
        self.expect(_CLOSE[opener[0]], opener)
        return inner

    def tex_argument(self) -> Node:
        """A LaTeX argument: {group} or a single token (\\frac12 is 1/2)."""
        tok = self.peek()
        if tok[0] == "{":
            self.take()
            return self.group(tok)
        if tok[0] == "num" and len(tok[1]) > 1 and tok[1].isdigit():
            self.tokens[self.i] = ("num", tok[1][1:], tok[2] + 1)
            return self.node("num", value=float(tok[1][0]), text=tok[1][0], pos=tok[2])
        if tok[0] in ("num", "var", "const"):
            self.take()
            return self.prefix(tok)
        if tok[0] == "end":
            raise AnswerError("unexpected_end", what=AnswerError("missing_operand"))
        raise _unexpected(tok)

    def function(self, tok: Token) -> Node:
        power = None
        if self.peek()[:2] == ("op", "^"):
            self.take()
            power = self.expr(45)
            if not _whole(_constant_of(power), 1, MAX_FUNCTION_POWER):
                raise AnswerError("bad_function_power", tok[2])
        nxt = self.peek()
        if tok[1] in VARIADIC:
            if nxt[0] != "(":
                raise AnswerError("arguments", tok[2], fn=tok[1])
            self.take()
            args = [self.expr(0)]
            while self.peek()[0] == ",":
                self.take()
                args.append(self.expr(0))
                if len(args) > MAX_ENTRIES:
                    raise AnswerError("too_long", n=len(args), limit=MAX_ENTRIES)
            self.expect(")", nxt)
            call = self.node("call", tuple(args), value=tok[1], pos=tok[2])
        else:
            if nxt[0] in ("(", "{"):
                self.take()
                arg = self.group(nxt)
                if arg.op == "vec":
                    raise AnswerError("one_argument", tok[2], fn=tok[1])
            else:
                arg = self.expr(25)
                while True:
                    kind = self.peek()[0]
                    if kind not in _ATOM_START or kind == "func":
                        break
                    if kind == "num" and self.tokens[self.i - 1][0] == "num":
                        raise AnswerError("two_numbers", self.peek()[2])
                    arg = self.node("mul", (arg, self.expr(25)), pos=self.peek()[2])
            call = self.node("call", (arg,), value=tok[1], pos=tok[2])
        if power is not None:
            call = self.node("pow", (call, power), pos=tok[2])
        return call

    def sqrt(self, tok: Token) -> Node:
        index = None
        if tok[1] == "tex" and self.peek()[0] == "[":
            opener = self.take()
            index = self.expr(0)
            self.expect("]", opener)
            if not _whole(_constant_of(index), 2, 100):
                raise AnswerError("bad_root_index", opener[2])
        radicand = self.tex_argument() if tok[1] == "tex" else self.expr(45)
        n = 2 if index is None else int(_constant_of(index))
        if n == 2:
            return self.node("call", (radicand,), value="sqrt", pos=tok[2])
        return self.node("root", (radicand,), value=n, pos=tok[2])


def _unexpected(tok: Token) -> AnswerError:
    if tok[0] == "end":
        return AnswerError("unexpected_end", what=AnswerError("missing_operand"))
    shown = {"sqrt": "√", "frac": "\\frac"}.get(tok[0], tok[1] or tok[0])
    return AnswerError("unexpected", tok[2], tok=shown)


def _constant_of(node: Node) -> float | complex | None:
    """The cached value of a variable-free node (None if it has variables or is undefined)."""
    if node.has_var or node.const is UNSET or isinstance(node.const, AnswerError):
        return None
    return node.const


def _whole(value, low: int, high: int) -> bool:
    """A real whole number in [low, high]."""
    if value is None or isinstance(value, complex):
        return False
    return math.isfinite(value) and low <= value <= high and value == int(value)
