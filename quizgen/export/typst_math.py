"""LaTeX → Typst math, one formula at a time, for the bank's subset of LaTeX.

A small recursive-descent translator rather than a general TeX engine: it knows the commands the
bank writes (fractions, roots, accents, fonts, ``\\left...\\right``, matrices, Greek letters,
relations, big operators, spacing) and raises :class:`MathConversionError` for anything else, so
a new command in the bank fails the export loudly instead of printing garbage.

Typst math treats much of ASCII as syntax (``/`` makes a fraction, ``(...)`` groups and scales,
``,`` and ``;`` separate arguments, ``a.b`` is field access, ``->`` is an arrow), while LaTeX
treats it as plain symbols. The translator therefore backslash-escapes every literal ASCII
punctuation mark, keeps ``+ - = < > !`` bare, and separates atoms with spaces so no two of them
fuse into a Typst shorthand or a multi-letter identifier. Delimiters only grow inside
``\\left...\\right`` (``lr``), as in TeX.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .math import MathConversionError

# -- vocabulary ----------------------------------------------------------------------------------

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ",
    "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip

# Symbols as Unicode: stable across Typst versions, unlike its symbol names.
SYMBOLS = {
    **GREEK,
    "cdot": "⋅", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "∙", "odot": "⊙", "otimes": "⊗", "oplus": "⊕",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "equiv": "≡", "sim": "∼", "simeq": "≃", "propto": "∝", "ll": "≪", "gg": "≫",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒",
    "Leftarrow": "⇐", "iff": "⟺", "implies": "⟹", "mapsto": "↦", "leftrightarrow": "↔",
    "nabla": "∇", "partial": "∂", "infty": "∞", "forall": "∀", "exists": "∃", "emptyset": "∅",
    "top": "⊤", "perp": "⊥", "prime": "′", "ell": "ℓ", "hbar": "ℏ", "mid": "∣",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱",
    # bars: TeX spaces them by their role; Typst's default class for ‖ is a relation
    "lVert": 'class("opening", ‖)', "rVert": 'class("closing", ‖)',
    "Vert": 'class("normal", ‖)', "|": 'class("normal", ‖)',
    "lvert": 'class("opening", |)', "rvert": 'class("closing", |)',
    "vert": 'class("normal", |)',
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
}  # fmt: skip

# Escaped characters: \{ → \{ in Typst (a literal brace), \% → \%, ...
ESCAPED = {"{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "_": r"\_", "#": r"\#", "&": r"\&"}

# Typst's own operator names (upright, limits where TeX puts them).
OPERATORS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth", "arcsin",
    "arccos", "arctan", "log", "ln", "lg", "exp", "det", "dim", "ker", "arg", "deg", "gcd",
    "max", "min", "sup", "inf", "lim", "liminf", "limsup", "Pr", "mod",
}  # fmt: skip
BIG_OPERATORS = {"sum": "sum", "prod": "product", "int": "integral", "oint": "integral.cont"}

SPACES = {
    ",": "thin", ":": "med", ">": "med", ";": "thick", " ": "space", "quad": "quad",
    "qquad": "wide", "!": "#h(-0.1667em)",
}  # fmt: skip

ACCENTS = {
    "hat": "hat", "widehat": "hat", "bar": "macron", "overline": "overline", "tilde": "tilde",
    "widetilde": "tilde", "vec": "arrow", "dot": "dot", "ddot": "dot.double",
    "underline": "underline", "check": "caron", "breve": "breve",
}  # fmt: skip

FONTS = {
    "mathbf": "upright(bold({}))", "boldsymbol": "bold({})", "bm": "bold({})",
    "mathrm": "upright({})", "mathit": "italic({})", "mathbb": "bb({})", "mathcal": "cal({})",
    "mathsf": "sans({})", "mathtt": "mono({})", "mathfrak": "frak({})",
}  # fmt: skip

FRACTIONS = {"frac": "frac({}, {})", "dfrac": "display(frac({}, {}))",
             "tfrac": "inline(frac({}, {}))", "binom": "binom({}, {})"}  # fmt: skip

MATRICES = {"matrix": "#none", "pmatrix": '"("', "bmatrix": '"["', "Bmatrix": '"{"',
            "vmatrix": '"|"', "Vmatrix": '"‖"', "smallmatrix": "#none"}  # fmt: skip

IGNORED = {"displaystyle", "textstyle", "limits", "nolimits", "big", "Big", "bigg", "Bigg",
           "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"}  # fmt: skip

# Glyphs after \left, \middle and \right, which lr() scales.
DELIMITERS = {"lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "lvert": "|", "rvert": "|",
              "vert": "|", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋",
              "lceil": "⌈", "rceil": "⌉"}  # fmt: skip

BARE = set("+-=<>!")
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|\s+|.", re.S)


# -- public API ----------------------------------------------------------------------------------


def latex_to_typst(latex: str, *, display: bool = False) -> str:
    """One LaTeX formula as a Typst equation: ``$x$`` inline, ``$ x $`` on its own line.

    >>> latex_to_typst(r"\\frac{a}{b}")
    '$frac(a, b)$'
    """
    body = _convert(latex)
    return f"$ {body} $" if display else f"${body}$"


@lru_cache(maxsize=8192)
def _convert(latex: str) -> str:
    tokens = [t for t in _TOKEN.findall(latex)]
    return _Translator(latex, tokens).formula()


# -- the translator ------------------------------------------------------------------------------


class _Translator:
    def __init__(self, latex: str, tokens: list[str]):
        self.latex = latex
        self.tokens = tokens
        self.i = 0
        self.in_table = 0  # depth of matrix environments: where & and \\ mean something

    def fail(self, reason: str) -> MathConversionError:
        return MathConversionError(self.latex, reason)

    # token stream, whitespace skipped (TeX ignores spaces in math)
    def peek(self) -> str | None:
        while self.i < len(self.tokens) and self.tokens[self.i].isspace():
            self.i += 1
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("formula ends too early")
        self.i += 1
        return token

    def formula(self) -> str:
        atoms = self.sequence(stop=())
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return " ".join(atoms)

    def sequence(self, stop: tuple[str, ...]) -> list[str]:
        """Atoms up to (not including) a token in ``stop`` or the end of the formula."""
        atoms: list[str] = []
        while (token := self.peek()) is not None and token not in stop:
            if token == "}":
                raise self.fail("unbalanced '}'")
            if token in ("_", "^"):
                base = atoms.pop() if atoms else '""'
                atoms.append(self.scripts(base))
            elif token == "'":
                self.take()
                if not atoms:
                    raise self.fail("a prime with nothing before it")
                atoms[-1] += "'"
            else:
                atom = self.atom()
                if atom:
                    atoms.append(atom)
        return atoms

    def scripts(self, base: str) -> str:
        parts = {}
        while (token := self.peek()) in ("_", "^"):
            self.take()
            slot = "b" if token == "_" else "t"
            if slot in parts:
                raise self.fail(f"double {'subscript' if slot == 'b' else 'superscript'}")
            parts[slot] = self.argument()
        # one atom takes scripts directly; a group of several needs attach() to be the base
        if " " in base and not _is_call(base):
            args = ", ".join(f"{slot}: {value or chr(34) * 2}" for slot, value in parts.items())
            return f"attach({base}, {args})"
        return base + "".join(
            f"{'_' if slot == 'b' else '^'}({value})" for slot, value in parts.items()
        )

    def group(self) -> str:
        """``{...}`` with the opening brace already taken."""
        atoms = self.sequence(stop=("}",))
        if self.peek() != "}":
            raise self.fail("unclosed '{'")
        self.take()
        return " ".join(atoms)

    def argument(self) -> str:
        """A command's argument: a braced group, or the single next token (``\\frac12``)."""
        token = self.peek()
        if token is None:
            raise self.fail("missing argument")
        if token == "{":
            self.take()
            return self.group()
        if token[0].isdigit() and len(token) > 1:
            # \frac12 is \frac{1}{2}: TeX takes one character
            self.tokens[self.i] = token[1:]
            return token[0]
        if token in ("}", "_", "^", "&") or token == "\\\\":
            raise self.fail(f"missing argument before {token!r}")
        return self.atom()

    def atom(self) -> str:
        token = self.take()
        if token == "{":
            return self.group()
        if token.startswith("\\"):
            return self.command(token[1:])
        if token[0].isdigit():
            return token
        if token.isascii() and token.isalpha():
            return token
        if token in BARE:
            return token
        if token == "&":
            raise self.fail("'&' outside a matrix environment")
        if token == "~":
            return "space"
        if token == "|":
            return SYMBOLS["vert"]
        if token.isascii():
            return "\\" + token  # punctuation Typst would read as syntax
        return token  # Unicode symbols and letters stand for themselves

    def command(self, name: str) -> str:
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in ESCAPED:
            return ESCAPED[name]
        if name in SPACES:
            return SPACES[name]
        if name in IGNORED:
            return ""
        if name == "\\":
            if not self.in_table:
                raise self.fail("line break '\\\\' outside a matrix environment")
            raise self.fail("unexpected '\\\\'")
        if name in OPERATORS:
            return name
        if name in BIG_OPERATORS:
            return BIG_OPERATORS[name]
        if name in FRACTIONS:
            return FRACTIONS[name].format(self.argument() or '""', self.argument() or '""')
        if name == "sqrt":
            index = self.optional()
            body = self.argument() or '""'
            return f"root({index}, {body})" if index else f"sqrt({body})"
        if name in ACCENTS:
            return f"{ACCENTS[name]}({self.argument() or chr(34) * 2})"
        if name in FONTS:
            return FONTS[name].format(self.argument() or '""')
        if name in ("text", "textrm", "textbf", "textit", "mbox"):
            return self.text(bold=name == "textbf", italic=name == "textit")
        if name == "operatorname":
            star = self.peek() == "*"
            if star:
                self.take()
            word = self.raw_group()
            return f'op("{_string(word)}"' + (", limits: #true)" if star else ")")
        if name == "left":
            return self.left_right()
        if name in ("right", "middle"):
            raise self.fail(f"\\{name} without \\left")
        if name == "begin":
            return self.environment()
        if name == "end":
            raise self.fail("\\end without \\begin")
        raise self.fail(f"unknown command \\{name}")

    def optional(self) -> str:
        """``[...]`` after \\sqrt, or ''."""
        if self.peek() != "[":
            return ""
        self.take()
        atoms = self.sequence(stop=("]",))
        if self.peek() != "]":
            raise self.fail("unclosed '['")
        self.take()
        return " ".join(atoms)

    def raw_group(self) -> str:
        """The source text of a braced group, unconverted (for \\text and \\operatorname)."""
        if self.peek() != "{":
            raise self.fail("expected '{'")
        self.take()
        depth, parts = 1, []
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return "".join(parts)
            literal = token.startswith("\\") and token[1:] in ESCAPED
            parts.append(token[1:] if literal else token)
        raise self.fail("unclosed '{'")

    def text(self, *, bold: bool, italic: bool) -> str:
        words = f'"{_string(self.raw_group())}"'
        if bold:
            words = f"bold({words})"
        if italic:
            words = f"italic({words})"
        return words

    def delimiter(self, after: str) -> str:
        token = self.take()
        if token == ".":
            return ""
        if token.startswith("\\") and token[1:] in DELIMITERS:
            return DELIMITERS[token[1:]]
        if token.startswith("\\") and token[1:] in ESCAPED:
            return ESCAPED[token[1:]]
        if token in ("(", ")", "[", "]", "|"):
            return "\\" + token
        if token in ("<", ">"):
            return {"<": "⟨", ">": "⟩"}[token]
        raise self.fail(f"{token!r} is not a delimiter after \\{after}")

    def left_right(self) -> str:
        opening = self.delimiter("left")
        inner: list[str] = []
        while True:
            inner += self.sequence(stop=("\\right", "\\middle"))
            token = self.peek()
            if token is None:
                raise self.fail("\\left without \\right")
            self.take()
            if token == "\\middle":
                inner.append(f"mid({self.delimiter('middle') or chr(34) * 2})")
                continue
            closing = self.delimiter("right")
            break
        body = " ".join(a for a in (opening, *inner, closing) if a)
        return f"lr({body})" if body else '""'

    def environment(self) -> str:
        name = self.raw_group()
        if name not in MATRICES and name not in ("cases", "array", "aligned"):
            raise self.fail(f"unknown environment {name!r}")
        if name == "array":
            self.raw_group()  # the column spec: Typst centres every column
        rows = self.table(name)
        if name == "cases":
            return "cases(" + ", ".join(" & ".join(cells) for cells in rows) + ")"
        if name == "aligned":
            return " \\ ".join(" & ".join(cells) for cells in rows)
        delim = MATRICES.get(name, "#none")
        body = "; ".join(", ".join(cell or '""' for cell in cells) for cells in rows)
        # display(): inline matrices otherwise shrink their entries to script size
        return f"display(mat(delim: {delim}, {body}))"

    def table(self, name: str) -> list[list[str]]:
        self.in_table += 1
        rows: list[list[str]] = [[]]
        while True:
            atoms = self.sequence(stop=("&", "\\\\", "\\end"))
            rows[-1].append(" ".join(atoms))
            token = self.peek()
            if token is None:
                raise self.fail(f"\\begin{{{name}}} without \\end{{{name}}}")
            self.take()
            if token == "&":
                continue
            if token == "\\\\":
                rows.append([])
                continue
            if self.raw_group() != name:
                raise self.fail(f"\\begin{{{name}}} ended by a different \\end")
            break
        self.in_table -= 1
        if rows[-1] == [""] and len(rows) > 1:
            rows.pop()  # a trailing \\ before \end
        width = max(len(cells) for cells in rows)
        return [cells + [""] * (width - len(cells)) for cells in rows]


def _is_call(snippet: str) -> bool:
    """``frac(a, b)``, ``lr(...)``: one Typst atom even though it contains spaces."""
    match = re.match(r"[A-Za-z.]+\(", snippet)
    if not match:
        return False
    depth = 0
    for k, ch in enumerate(snippet):
        if ch == "(" and (k == 0 or snippet[k - 1] != "\\"):
            depth += 1
        elif ch == ")" and snippet[k - 1] != "\\":
            depth -= 1
            if depth == 0:
                return k == len(snippet) - 1
    return False


def _string(text: str) -> str:
    """Text for a Typst string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
