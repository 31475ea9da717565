"""Character-level normalisation of what students type, before lexing.

Chinese input methods produce full-width forms (``（１＋２）``), phones produce Unicode operators
(``−``, ``×``, ``·``, ``√``, ``π``) and superscripts (``10⁻³``). Each input character is mapped to
zero or more ASCII-ish characters, and every output character remembers the position of the input
character it came from, so an error message can point at what the student actually typed.
"""

from __future__ import annotations

import unicodedata

from .messages import AnswerError

MAX_LENGTH = 2000

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPERSCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_SUBSCRIPTS = set("₀₁₂₃₄₅₆₇₈₉")

# Checked before NFKC: NFKC would turn ½ into "1⁄2" and '×' has no compatibility mapping.
_DIRECT = {
    "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "﹣": "-", "－": "-",
    "×": "*", "✕": "*", "⨯": "*", "⋅": "*", "·": "*", "∙": "*", "•": "*", "∗": "*",
    "÷": "/", "∕": "/", "⁄": "/",
    "√": "√", "∛": "√",  # ∛ is rewritten below
    "。": ".", "、": ",", "，": ",", "；": ";",
    "“": "", "”": "",
    "½": "(1/2)", "⅓": "(1/3)", "⅔": "(2/3)", "¼": "(1/4)", "¾": "(3/4)", "⅕": "(1/5)",
    "⅙": "(1/6)", "⅛": "(1/8)", "⅜": "(3/8)", "⅝": "(5/8)", "⅞": "(7/8)",
    "∞": "∞",
    "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")",
}

_GREEK_NAMES = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
}


def _greek_name(ch: str) -> str | None:
    """'α' -> 'alpha', 'Δ' -> 'Delta', 'ϵ' -> 'epsilon' (None if ch is not a Greek letter)."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    for prefix, case in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.title)):
        if name.startswith(prefix):
            base = name[len(prefix):].split(" ")[0].lower()
            if base == "lamda":
                base = "lambda"
            if base in _GREEK_NAMES:
                return case(base)
    if name in ("GREEK LUNATE EPSILON SYMBOL", "MICRO SIGN"):
        return "epsilon" if "EPSILON" in name else "mu"
    if name in ("GREEK PHI SYMBOL", "GREEK THETA SYMBOL"):
        return name.split()[1].lower()
    return None


def normalize(text: str) -> tuple[str, list[int] | None]:
    """Return (normalised text, position in ``text`` of each normalised character).

    The position list is None when the text was plain ASCII and nothing moved.

    Raises AnswerError for text that is too long or holds control or unassigned characters.
    """
    if len(text) > MAX_LENGTH:
        raise AnswerError("too_long", n=len(text), limit=MAX_LENGTH)
    if text.isascii():
        if not text.isprintable():
            for i, ch in enumerate(text):
                if (ch < " " and ch not in "\t\n\r") or ch == "\x7f":
                    raise AnswerError("bad_char", i, char=f"U+{ord(ch):04X}")
        return text, None  # positions are the identity
    out: list[str] = []
    where: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SUPERSCRIPTS or ch in _SUBSCRIPTS:
            # a run of superscripts is one exponent: x⁻¹² -> x^(-12); subscripts name: β₁ -> beta_1
            sup = ch in _SUPERSCRIPTS
            run = _SUPERSCRIPTS if sup else _SUBSCRIPTS
            j = i
            while j < n and text[j] in run:
                j += 1
            body = text[i:j].translate(_SUPERSCRIPT if sup else _SUBSCRIPT)
            piece = f"^({body})" if sup else f"_{body}"
            out.append(piece)
            where.extend([i] * len(piece))
            i = j
            continue
        piece = _DIRECT.get(ch)
        if piece is None:
            piece = _map_char(ch, i)
        if ch == "∛":
            piece = "\\sqrt[3]"
        out.append(piece)
        where.extend([i] * len(piece))
        i += 1
    return "".join(out), where


def _map_char(ch: str, pos: int) -> str:
    if ch.isascii():
        if (ch < " " and ch not in "\t\n\r") or ch == "\x7f":
            raise AnswerError("bad_char", pos, char=f"U+{ord(ch):04X}")
        return ch
    category = unicodedata.category(ch)
    if category.startswith("Z"):  # any Unicode space, including the ideographic space
        return " "
    if category in ("Cc", "Cs", "Co", "Cn", "Cf"):
        raise AnswerError("bad_char", pos, char=f"U+{ord(ch):04X}")
    greek = _greek_name(ch)
    if greek is not None:
        return f" {greek} " if greek.lower() == "pi" else greek
    folded = unicodedata.normalize("NFKC", ch)
    if folded.isascii():
        return folded
    greek = _greek_name(folded) if len(folded) == 1 else None
    if greek is not None:
        return greek
    raise AnswerError("bad_char", pos, char=repr(ch))


def canonical_name(name: str) -> str:
    """The spelling a declared variable is matched under: 'x_{in}' -> 'x_in', 'β₁' -> 'beta_1',
    '\\beta_1' -> 'beta_1'."""
    text, _ = normalize(str(name))
    return "".join(ch for ch in text if ch not in "\\{} $")
