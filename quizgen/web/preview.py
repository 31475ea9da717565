"""The "read as" line under an answer box: how the grader's parser reads what was typed.

It runs the grader's own safe parser (quizgen.grading: a hand-written lexer and Pratt parser,
never ``eval``) on the text alone, with the question's declared variables, and reports the
reading (``\\frac{1}{2}`` -> ``1/2 = 0.5``) or where and why it cannot be read. It never sees
the key, so nothing it returns can reveal whether the answer is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quizgen.grading.messages import AnswerError, message
from quizgen.grading.nodes import render
from quizgen.grading.numeric import evaluate_scalar
from quizgen.grading.parser import parse
from quizgen.model import Question


@dataclass(frozen=True)
class Preview:
    ok: bool
    read_as: str = ""  # the parser's reading, in plain math
    value: str = ""  # its numeric value when it is a plain number and differs from read_as
    error: str = ""  # where and why it cannot be read

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "read_as": self.read_as, "value": self.value,
                "error": self.error}


def _value(tree) -> str:
    if tree.op == "num":
        return ""
    try:
        value = evaluate_scalar(tree)
    except (AnswerError, ArithmeticError, ValueError, TypeError):
        return ""
    if isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            return ""
        value = value.real
    return f"{value:.10g}" if math.isfinite(value) else ""


def preview(question: Question, text: str, lang: str = "en") -> Preview:
    """How ``text`` reads as an answer to ``question`` (choice questions have no text box)."""
    text = text if isinstance(text, str) else ""
    if not text.strip() or question.kind == "choice":
        return Preview(ok=False)
    variables = tuple(question.vars)
    try:
        tree = parse(text, variables)
    except AnswerError as err:
        return Preview(ok=False, error=err.render(lang))
    except Exception:  # noqa: BLE001  a preview must never fail the page
        return Preview(ok=False, error=message("internal", lang))
    read_as = render(tree)
    value = "" if variables or tree.op == "vec" else _value(tree)
    return Preview(ok=True, read_as=read_as, value="" if value == read_as else value)
