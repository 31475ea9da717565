"""The small expression tree the parser builds, and its plain-math rendering.

Operations (``Node.op``): ``num`` (value: float, text: the literal), ``var``/``const`` (value: the
name), ``neg``, ``add``, ``sub``, ``mul``, ``div``, ``pow``, ``call`` (value: function name),
``root`` (value: the index n of an n-th root), ``fact`` (n!), ``vec`` (a list; args: entries).
A ``call`` has one argument, except ``max`` and ``min``, which take one or more.

A node without variables caches its constant value in ``const`` (set by the parser as the tree is
built, from the children's cached values): the bounds are checked and every constant computed
once, so reading an answer costs time linear in its length whatever its shape.
"""

from __future__ import annotations

UNSET = object()  # Node.const before (or without) constant folding


class Node:
    __slots__ = ("op", "args", "value", "text", "pos", "depth", "has_var", "const", "fine")

    def __init__(self, op: str, args: tuple[Node, ...] = (), value=None, text: str = "",
                 pos: int = 0) -> None:
        self.op = op
        self.args = args
        self.value = value
        self.text = text
        self.pos = pos
        if len(args) == 2:  # the common case, without generator overhead
            a, b = args
            self.depth = 1 + (a.depth if a.depth > b.depth else b.depth)
            self.has_var = a.has_var or b.has_var
        else:
            self.depth = 1 + max((a.depth for a in args), default=0)
            self.has_var = op == "var" or any(a.has_var for a in args)
        self.const = UNSET  # a number, or the AnswerError evaluating it raises
        self.fine = False  # holds a constant float64 cannot judge (compare.fine_constant)

    def __repr__(self) -> str:
        return f"Node({render(self)!r})"

    def to_json(self) -> list:
        """A plain nested list, for the grading worker processes (no pickle between them)."""
        return [self.op, self.value, self.text, [a.to_json() for a in self.args]]

    @classmethod
    def from_json(cls, data: list) -> Node:
        op, value, text, args = data
        return cls(op, tuple(cls.from_json(a) for a in args), value, text)


# Precedence for rendering: higher binds tighter.
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}


def render(node: Node) -> str:
    """Plain math with explicit operators and the parentheses needed to read it one way only.

    A quotient on the left of a product is parenthesised even where precedence makes it
    redundant, so a student sees that ``2/3x`` was read as ``(2/3)*x``.
    """
    op = node.op
    if op == "num":
        return node.text
    if op in ("var", "const"):
        return node.value
    if op == "vec":
        return "[" + ", ".join(render(a) for a in node.args) + "]"
    if op == "call":
        return f"{node.value}({', '.join(render(a) for a in node.args)})"
    if op == "root":
        return f"{_wrap(node.args[0], 5)}^(1/{node.value})"
    if op == "fact":
        return f"{_wrap(node.args[0], 5)}!"
    if op == "neg":
        return "-" + _wrap(node.args[0], 3)
    if op == "pow":
        base, expo = node.args
        return f"{_wrap(base, 5)}^{_wrap(expo, 5)}"
    left, right = node.args
    prec = _PREC[op]
    if op == "mul" and left.op == "div":
        left_text = f"({render(left)})"
    else:
        left_text = _wrap(left, prec)
    right_text = _wrap(right, prec + 1)
    return left_text + _SYMBOL[op] + right_text


def _wrap(node: Node, min_prec: int) -> str:
    text = render(node)
    prec = _PREC.get(node.op, 5)
    if node.op == "num" and text.startswith("-"):
        prec = 3
    if prec < min_prec or (node.op == "neg" and min_prec > 1):
        return f"({text})"
    return text
