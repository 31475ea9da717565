"""Lexer: normalised text -> tokens, with every name resolved against a whitelist.

A token is a tuple ``(kind, value, pos)``; ``pos`` is the 0-based position in the text the student
typed. Kinds:

``num``            a decimal literal (value: its text, e.g. ``"1e-3"``)
``var``/``const``/``func``  a declared variable, a constant (pi, e) or a whitelisted function
``op``             one of ``+ - * / ^ ! %``
``( ) [ ] { } , ; |``  brackets and separators (kind and value are the character)
``sqrt``           ``√`` (value ``"u"``) or ``\\sqrt`` (value ``"tex"``)
``frac``           ``\\frac``, ``\\dfrac``, ``\\tfrac``
``=``              an equals sign (the parser rejects it with a helpful message)
``end``            end of input

Letters run together are split into known names (``xsin`` -> x, sin; ``2pir`` -> 2, pi, r) and
the split is shown back to the student through the verdict's ``interpreted`` text.

Cost: every regular expression below is applied with ``match`` at one position, has no nested
or overlapping quantifiers, and fails after at most one run of the characters it names, which
the lexer then consumes; so lexing is linear in the length of the text. Run-together words
longer than ``MAX_WORD_CHARS`` are not split (the split is a small dynamic programme).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .functions import SPELLINGS
from .messages import AnswerError
from .normalize import normalize

Token = tuple[str, str, int]

FUNCTIONS = SPELLINGS  # spelling -> canonical function name (functions.py)
CONSTANTS = {"pi": "pi", "e": "e", "E": "e"}  # SymPy prints Euler's number as E

MAX_NUMBER_CHARS = 60
MAX_WORD_CHARS = 60

_MATRIX_ENVS = {"matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "smallmatrix"}
_SKIP_COMMANDS = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "quad", "qquad", "displaystyle", "textstyle", ",", ";", ":", "!", " ", "(", ")",
    "[", "]",
}
_FLOOR_COMMANDS = {
    "lfloor": (("func", "floor"), ("(", "(")), "rfloor": ((")", ")"),),
    "lceil": (("func", "ceil"), ("(", "(")), "rceil": ((")", ")"),),
}
_OP_COMMANDS = {"cdot": "*", "times": "*", "ast": "*", "div": "/", "%": "%"}
_WRAPPER_COMMANDS = {"mathrm", "mathit", "operatorname", "text", "textrm", "rm", "mathbf"}
_GREEK_COMMANDS = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega",
}
_GREEK_VARIANTS = {"varepsilon": "epsilon", "varphi": "phi", "vartheta": "theta", "varrho": "rho"}
_FUNCTION_COMMANDS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "exp", "ln", "log", "lg", "max", "min", "erf",
}

_SPACE = re.compile(r"[\s$]+")
_SPACE_CHARS = frozenset(" \t\r\n\x0b\x0c$")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUBSCRIPT = re.compile(r"_(?:\{\s*([A-Za-z0-9]+)\s*\}|([A-Za-z0-9]+))")
_UNDERSCORED = re.compile(r"_[A-Za-z0-9_]*")
_COMMAND = re.compile(r"\\(?:([A-Za-z]+)|(.))", re.S)
_BRACED_WORD = re.compile(r"\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}")
_ENV = re.compile(r"\s*\{\s*([A-Za-z]+\*?)\s*\}")
_SINGLE = {
    "+": ("op", "+"), "-": ("op", "-"), "*": ("op", "*"), "/": ("op", "/"), "^": ("op", "^"),
    "!": ("op", "!"), "%": ("op", "%"), "(": ("(", "("), ")": (")", ")"), "[": ("[", "["),
    "]": ("]", "]"), "{": ("{", "{"), "}": ("}", "}"), ",": (",", ","), ";": (";", ";"),
    "|": ("|", "|"), "√": ("sqrt", "u"), "=": ("=", "="), "&": (",", ","),
}


@lru_cache(maxsize=1024)
def name_table(variables: tuple[str, ...]) -> dict[str, str]:
    """Known names -> token kind. Declared variables shadow constants and functions (``e``)."""
    table = {name: "func" for name in FUNCTIONS}
    table.update({name: "const" for name in CONSTANTS})
    table.update({name: "var" for name in variables})
    return table


def tokenize(text: str, variables: tuple[str, ...] = ()) -> list[Token]:
    """Tokens of ``text``; ``variables`` are canonical names (see normalize.canonical_name)."""
    norm, where = normalize(text)
    equals = norm.find("=")
    if equals >= 0:  # "x = 3": say so before complaining about the name on the left
        raise AnswerError("equation", where[equals] if where is not None else equals)
    names = name_table(variables)
    tokens: list[Token] = []
    append = tokens.append
    i, n = 0, len(norm)

    def at(k: int) -> int:
        return where[k] if where is not None and k < len(where) else min(k, len(text))

    while i < n:
        ch = norm[i]
        if ch in _SPACE_CHARS:
            i = _SPACE.match(norm, i).end()
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and norm[i + 1].isdigit()):
            m = _NUMBER.match(norm, i)
            literal = m.group()
            if len(literal) > MAX_NUMBER_CHARS:
                raise AnswerError("bad_number", at(i))
            append(("num", literal, at(i)))
            i = m.end()
            continue
        if ch.isalpha() and ch.isascii():
            m = _WORD.match(norm, i)
            word, end = m.group(), m.end()
            sub = _SUBSCRIPT.match(norm, end)
            if sub:
                word += "_" + (sub.group(1) or sub.group(2))
                end = sub.end()
            _resolve(word, at(i), names, variables, tokens)
            i = end
            continue
        if ch == "_":  # __import__, _x: report the whole name, not a lone underscore
            m = _UNDERSCORED.match(norm, i)
            raise AnswerError("unknown_name", at(i), name=m.group(), allowed=_allowed(variables))
        if ch == "\\":
            i = _command(norm, i, at, names, variables, tokens)
            continue
        if ch == "*" and norm.startswith("**", i):
            append(("op", "^", at(i)))
            i += 2
            continue
        single = _SINGLE.get(ch)
        if single is None:
            raise AnswerError("unexpected", at(i), tok=text[at(i)] if at(i) < len(text) else ch)
        append((single[0], single[1], at(i)))
        i += 1
    append(("end", "", len(text)))
    return tokens


def _command(norm, i, at, names, variables, tokens) -> int:
    """Lex one LaTeX command starting at norm[i] == '\\'; return the index after it."""
    m = _COMMAND.match(norm, i)
    if m is None:
        raise AnswerError("unexpected", at(i), tok="\\")
    name = m.group(1) or m.group(2)
    end = m.end()
    pos = at(i)
    append = tokens.append
    if name in _SKIP_COMMANDS:
        if name in ("left", "right") and norm.startswith(".", end):
            return end + 1  # \left. is an invisible delimiter
        return end
    if name == "\\":  # matrix row break
        append(("]", "]", pos))
        append((",", ",", pos))
        append(("[", "[", pos))
        return end
    if name in _FLOOR_COMMANDS:  # \lfloor x \rfloor is floor(x)
        for token in _FLOOR_COMMANDS[name]:
            append((*token, pos))
        return end
    if name in _OP_COMMANDS:
        append(("op", _OP_COMMANDS[name], pos))
        return end
    if name in ("frac", "dfrac", "tfrac", "cfrac"):
        append(("frac", name, pos))
        return end
    if name == "sqrt":
        append(("sqrt", "tex", pos))
        return end
    if name in ("begin", "end"):
        env = _ENV.match(norm, end)
        if env is None or env.group(1) not in _MATRIX_ENVS:
            raise AnswerError("unknown_command", pos, name="\\" + name)
        pair = (("[", "["), ("[", "[")) if name == "begin" else (("]", "]"), ("]", "]"))
        for kind, value in pair:
            append((kind, value, pos))
        return env.end()
    if name in _WRAPPER_COMMANDS:
        word = _BRACED_WORD.match(norm, end)
        if word is None:
            return end  # \mathrm{(}... : the braces that follow group as usual
        _resolve(word.group(1), at(word.start(1)), names, variables, tokens)
        return word.end()
    word = None
    if name in _GREEK_COMMANDS:
        word = name
    elif name in _GREEK_VARIANTS:
        word = _GREEK_VARIANTS[name]
    elif name in _FUNCTION_COMMANDS:
        word = name
    if word is None:
        raise AnswerError("unknown_command", pos, name="\\" + name)
    sub = _SUBSCRIPT.match(norm, end)
    if sub:
        word += "_" + (sub.group(1) or sub.group(2))
        end = sub.end()
    _resolve(word, pos, names, variables, tokens)
    return end


def _resolve(word, pos, names, variables, tokens) -> None:
    """Append the tokens a word stands for, splitting run-together names (``xy`` -> x, y)."""
    kind = names.get(word)
    if kind is not None:
        tokens.append(_named(kind, word, pos))
        return
    pieces = _split(word, tuple(sorted(names.items()))) if len(word) <= MAX_WORD_CHARS else None
    if pieces is None:
        raise AnswerError("unknown_name", pos, name=word, allowed=_allowed(variables))
    offset = 0
    for piece in pieces:
        if piece.isdigit():
            tokens.append(("num", piece, pos + offset))
        else:
            tokens.append(_named(names[piece], piece, pos + offset))
        offset += len(piece)


def _named(kind: str, word: str, pos: int) -> Token:
    if kind == "func":
        return ("func", FUNCTIONS[word], pos)
    if kind == "const":
        return ("const", CONSTANTS[word], pos)
    return (kind, word, pos)


def _allowed(variables) -> AnswerError:
    if variables:
        return AnswerError("allowed_vars", names=", ".join(variables))
    return AnswerError("allowed_none")


@lru_cache(maxsize=4096)
def _split(word: str, names: tuple[tuple[str, str], ...]) -> tuple[str, ...] | None:
    """Split ``word`` into the fewest known names and digit runs (None if impossible)."""
    known = {name for name, _ in names}
    longest = max(map(len, known), default=1)
    best: dict[int, tuple[str, ...] | None] = {len(word): ()}
    for start in range(len(word) - 1, -1, -1):
        options = []
        if word[start].isdigit():
            stop = start
            while stop < len(word) and word[stop].isdigit():
                stop += 1
            rest = best.get(stop)
            if rest is not None:
                options.append((word[start:stop], *rest))
        for stop in range(min(len(word), start + longest), start, -1):
            if word[start:stop] in known and best.get(stop) is not None:
                options.append((word[start:stop], *best[stop]))
        best[start] = min(options, key=len) if options else None
    return best[0]
