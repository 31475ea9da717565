"""Text with inline LaTeX: split it into text and formulas, and convert formulas to MathML.

The bank writes math the way TeX does: ``$...$`` inline, ``$$...$$`` displayed, ``\\$`` for a
literal dollar sign. :func:`split_math` is format-neutral (every writer needs it);
:func:`latex_to_mathml` is the HTML writer's formula converter.

latex2mathml is lenient: an unknown command becomes an identifier named ``\\foo`` and a
``\\frac`` with one argument becomes a one-child ``<mfrac>``, both of which browsers draw as
garbage rather than fail. :func:`latex_to_mathml` therefore checks the converted tree and
raises :class:`MathConversionError` for what latex2mathml lets through.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.converter import convert_to_element

TEX_ANNOTATION = "application/x-tex"

# Presentation elements with a fixed number of children (MathML Core, section 3).
_ARITY = {
    "mfrac": 2,
    "msub": 2,
    "msup": 2,
    "mover": 2,
    "munder": 2,
    "mroot": 2,
    "msubsup": 3,
    "munderover": 3,
}
_TOKENS = {"mi", "mo", "mn", "mtext", "ms"}
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
_DELIMITERS = set("()[]{}|\u2016\u27e8\u27e9")  # ‖ ⟨ ⟩
_SIGNS = set("+-\u2212\u00b1")  # + - − ±
# Attributes MathML Core allows on <mo> only.
_OPERATOR_ONLY = ("form", "fence", "separator", "lspace", "rspace", "stretchy", "symmetric",
                  "maxsize", "minsize", "largeop", "movablelimits")
_BEFORE_UNARY = set("([{,;=<>\u2264\u2265\u2248\u2260\u2208\u2190\u2192")


class MathConversionError(ValueError):
    """A formula could not be converted; names the question it came from when known."""

    def __init__(self, formula: str, reason: str, question_id: str | None = None):
        self.formula = formula
        self.reason = reason
        self.question_id = question_id
        where = f"question {question_id}: " if question_id is not None else ""
        super().__init__(f"{where}cannot convert formula {formula!r}: {reason}")

    def in_question(self, question_id: str) -> MathConversionError:
        """The same error, now naming the question whose text held the formula."""
        return MathConversionError(self.formula, self.reason, question_id)


@dataclass(frozen=True)
class Segment:
    """A run of plain text, or one formula (``math``) shown inline or as a display."""

    text: str
    math: bool = False
    display: bool = False


def split_math(text: str) -> list[Segment]:
    """Split ``text`` into plain-text runs and formulas.

    ``$$x$$`` is a display formula, ``$x$`` an inline one, ``\\$`` outside math a literal dollar
    sign. Inside a formula a backslash escapes the next character, so ``$\\$5$`` is one formula.
    An unclosed ``$`` or ``$$`` raises :class:`MathConversionError`.
    """
    segments: list[Segment] = []
    plain: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("\\$", i):
            plain.append("$")
            i += 2
            continue
        if text[i] != "$":
            plain.append(text[i])
            i += 1
            continue
        display = text.startswith("$$", i)
        delimiter = "$$" if display else "$"
        start = i + len(delimiter)
        end = _closing_delimiter(text, start, delimiter)
        if end < 0:
            raise MathConversionError(text[i:], f"unclosed {delimiter}")
        formula = text[start:end].strip()
        if not formula:
            raise MathConversionError(text[i : end + len(delimiter)], "empty formula")
        if plain:
            segments.append(Segment("".join(plain)))
            plain = []
        segments.append(Segment(formula, math=True, display=display))
        i = end + len(delimiter)
    if plain:
        segments.append(Segment("".join(plain)))
    return segments


def _closing_delimiter(text: str, start: int, delimiter: str) -> int:
    """Index of the delimiter that closes a formula opened just before ``start``, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2  # \$ \{ \\ ... belong to the formula
        elif text.startswith(delimiter, i):
            return i
        else:
            i += 1
    return -1


def latex_to_mathml(latex: str, *, display: bool = False) -> str:
    """One formula as a MathML ``<math>`` element, its LaTeX kept as a TeX annotation.

    The result is ``<math display=...><semantics>PRESENTATION<annotation
    encoding="application/x-tex">LATEX</annotation></semantics></math>``: browsers draw the
    first child of ``<semantics>`` and hide the annotation, screen readers and copy-paste get
    the source. Conversions are cached because a sheet repeats the same symbols many times.
    """
    return _latex_to_mathml(latex, display)


@lru_cache(maxsize=4096)
def _latex_to_mathml(latex: str, display: bool) -> str:
    _check_braces(latex)
    try:
        root = convert_to_element(latex, display="block" if display else "inline")
    except Exception as e:  # latex2mathml raises bare Exception subclasses for bad input
        reason = str(e) or type(e).__name__
        raise MathConversionError(latex, reason) from None
    _decode_entities(root)
    _check_tree(latex, root)
    _typeset_like_tex(root)

    (body,) = list(root)  # convert_to_element wraps everything in one <mrow>
    root.remove(body)
    semantics = ET.SubElement(root, "semantics")
    semantics.append(body)
    annotation = ET.SubElement(semantics, "annotation", encoding=TEX_ANNOTATION)
    annotation.text = latex
    root.set("alttext", latex)
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def _decode_entities(root: ET.Element) -> None:
    # latex2mathml stores characters as entity text ("&#x0005E;") and unescapes the whole
    # serialized string, which would also unescape a "<" typed inside \text{}. Decode the
    # entities in the tree instead and let ElementTree escape on the way out.
    for element in root.iter():
        if element.text:
            element.text = html.unescape(element.text)


def _typeset_like_tex(root: ET.Element) -> None:
    """Three spacing rules TeX applies and MathML Core's operator dictionary does not."""
    for parent in root.iter():
        children = list(parent)
        for i, child in enumerate(children):
            if child.tag != "mo":
                continue
            text = child.text or ""
            previous = children[i - 1] if i > 0 else None
            following = children[i + 1] if i + 1 < len(children) else None
            # \lVert g \rVert, (x): only \left...\right and matrix delimiters grow in TeX
            beside_matrix = any(c is not None and c.tag == "mtable" for c in (previous, following))
            if text in _DELIMITERS and "stretchy" not in child.attrib and not beside_matrix:
                child.set("stretchy", "false")
            # = -0.2, (-1), a, -b: a sign after a relation, an opening or a comma is unary
            if (
                text in _SIGNS
                and previous is not None
                and previous.tag == "mo"
                and (previous.text or "") in _BEFORE_UNARY
            ):
                child.set("form", "prefix")
            # \operatorname{Var}, \max: latex2mathml emits <mo>Var</mo>, spaced like an unknown
            # binary operator; a multi-letter <mi> is upright and unspaced.
            if len(text) > 1 and text.isalpha():
                child.tag = "mi"
                for name in _OPERATOR_ONLY:  # e.g. \det's movablelimits: not valid on <mi>
                    child.attrib.pop(name, None)


def _check_braces(latex: str) -> None:
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2  # \{ and \} are literal braces
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise MathConversionError(latex, "unbalanced '}'")
        i += 1
    if depth:
        raise MathConversionError(latex, "unclosed '{'")


def _check_tree(latex: str, root: ET.Element) -> None:
    """Reject what latex2mathml converts without complaint but no browser can draw."""
    for parent in root.iter():
        tag = parent.tag
        if tag in _ARITY and len(parent) != _ARITY[tag]:
            raise MathConversionError(
                latex, f"<{tag}> needs {_ARITY[tag]} arguments, got {len(parent)}"
            )
        if tag in _TOKENS and parent.text:
            if tag != "mtext" and (m := _UNKNOWN_COMMAND.match(parent.text)):
                raise MathConversionError(latex, f"unknown command {m.group(0)}")
            if tag == "mi" and parent.text == "&":
                raise MathConversionError(latex, "'&' outside a matrix environment")
