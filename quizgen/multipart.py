"""Multi-part questions, graded part by part, with follow-through marking.

Each part gets its own verdict from the grader, with its own kind, tolerance and named
mistakes. A dependent part (``uses`` earlier parts, with a ``formula`` in their ids) that is not
right by the key is tried once more against its formula evaluated at the student's *own* earlier
answers: if it matches there, within the part's tolerance, the student computed it correctly
from their earlier slip, and the part is correct by follow-through (method ``follow-through``),
with the credit the quiz gives (``Quiz.follow_through``: full, half, or off for none). A named
mistake keeps its feedback; an empty or unreadable part never spoils another (it just offers no
value to follow through from). The question's score is the points-weighted mean of its parts.

Nothing here needs torch or the family: only quiz.json's parts and the grader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .grading import ExpectedError, Verdict, check
from .grading.messages import AnswerError
from .grading.numeric import evaluate_scalar
from .grading.parser import parse
from .grading.reading import read_number, real_value
from .model import Part, Question

CREDIT = {"full": 1.0, "half": 0.5, "off": 0.0}
METHOD = "follow-through"

_FEEDBACK = {
    "credit": {
        "en": "Correct by follow-through: right for your answer to ({uses}).",
        "zh": "按延续评分正确：依据你在（{uses}）中的答案计算正确。",
    },
    "half": {
        "en": "Half credit by follow-through: right for your answer to ({uses}), which was wrong.",
        "zh": "按延续评分得一半分：依据你在（{uses}）中的（错误）答案计算正确。",
    },
    "none": {
        "en": "Consistent with your answer to ({uses}), but this quiz gives no credit for "
              "follow-through.",
        "zh": "与你在（{uses}）中的答案一致，但本测验不给延续分。",
    },
}


def grade_part(part: Part, text: str, lang: str = "en", secret: bytes | None = None) -> Verdict:
    """The part's verdict against its own key (what a single question gets)."""
    try:
        return check(part.answer, text, kind=part.kind, variables=part.vars,
                     mistakes=part.mistakes, lang=lang, choices=[c["id"] for c in part.choices],
                     secret=secret, **part.tolerance)
    except (ExpectedError, TypeError) as e:
        return Verdict("invalid", 0.0, f"quiz.json, part {part.id}: {e}", "", "key")


def student_value(part: Part, text: str) -> Any:
    """What a student's answer to a part is worth as a value for later formulas: a number, a
    (nested) list of numbers, or None (empty, unreadable, an expression or a choice)."""
    return read_value(part.kind, text)


def read_value(kind: str, text: str) -> Any:
    """:func:`student_value` of an answer of this ``kind`` (a gradebook knows only the kinds of
    the parts a dependent part uses, from its stored spec)."""
    if kind not in ("number", "vector") or not text.strip():
        return None
    try:
        if kind == "number":
            return read_number(text)[0]
        return _values(parse(text))
    except (AnswerError, ArithmeticError, ValueError, TypeError):
        return None


def _values(tree) -> Any:
    if tree.op == "vec":
        return [_values(item) for item in tree.args]
    return real_value(tree)


def follow_through_value(part: Part, earlier: Mapping[str, Any]) -> Any:
    """The part's answer computed from ``earlier`` values by its formula (None if a value it
    uses is missing or the formula is undefined there)."""
    if not part.formula or any(not isinstance(earlier.get(u), (int, float)) for u in part.uses):
        return None
    try:
        tree = parse(part.formula, tuple(part.uses))
        env = {u: float(earlier[u]) for u in part.uses}
        value = _evaluate(tree, env)
    except (AnswerError, ArithmeticError, ValueError, TypeError):
        return None
    return value


def _evaluate(tree, env) -> Any:
    if tree.op == "vec":
        return [_evaluate(item, env) for item in tree.args]
    value = evaluate_scalar(tree, env)
    if isinstance(value, complex) or not math.isfinite(value):
        raise ValueError("not a finite real number")
    return value


def grade_parts(question: Question, answers: Mapping[str, str], lang: str = "en",
                follow_through: str = "full", secret: bytes | None = None) -> dict[str, Verdict]:
    """{part id: verdict} for ``answers`` {part id: text}, in part order (see the module)."""
    verdicts: dict[str, Verdict] = {}
    values: dict[str, Any] = {}
    for part in question.parts:
        text = answers.get(part.id, "")
        verdict = grade_part(part, text, lang, secret)
        verdicts[part.id] = apply_follow_through(part, text, values, verdict, follow_through,
                                                 lang, secret)
        values[part.id] = student_value(part, text)
    return verdicts


def apply_follow_through(part: Part, text: str, values: Mapping[str, Any], verdict: Verdict,
                         follow_through: str = "full", lang: str = "en",
                         secret: bytes | None = None) -> Verdict:
    """The part's verdict given ``verdict``, the one against its own key, and ``values`` {part
    id: student value} of the earlier parts: the follow-through verdict where one applies (an
    incorrect dependent part right for those values), else ``verdict`` as it is. A gradebook
    grading one part at a time calls this with the values of the student's own earlier answers.
    """
    if verdict.status != "incorrect" or not part.formula:
        return verdict
    return _followed(part, text, values, verdict, CREDIT[follow_through], lang,
                     secret) or verdict


def _followed(part: Part, text: str, values: Mapping[str, Any], verdict: Verdict, credit: float,
              lang: str, secret: bytes | None) -> Verdict | None:
    """The follow-through verdict, when the answer matches the formula at the student's own
    earlier values and those differ from the key's (else None: the verdict stands)."""
    value = follow_through_value(part, values)
    if value is None:
        return None
    try:
        again = check(value, text, kind=part.kind, lang=lang, secret=secret, **part.tolerance)
    except (ExpectedError, TypeError):
        return None
    if again.status != "correct":
        return None
    uses = ", ".join(part.uses)
    if credit >= 1:
        status, message = "correct", "credit"
    elif credit > 0:
        status, message = "correct", "half"
    else:
        status, message = "incorrect", "none"
    feedback = _FEEDBACK[message].get(lang, _FEEDBACK[message]["en"]).format(uses=uses)
    return Verdict(status, credit, feedback, again.interpreted or verdict.interpreted, METHOD)


def question_score(question: Question, verdicts: Mapping[str, Verdict]) -> float:
    """The question's score in [0, 1]: its parts' scores weighted by their points."""
    total = sum(p.points for p in question.parts)
    if not total:
        return 0.0
    return sum(verdicts[p.id].score * p.points for p in question.parts if p.id in verdicts) / total
