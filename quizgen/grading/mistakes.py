"""Named mistakes: an incorrect answer that matches one gets that mistake's feedback."""

from __future__ import annotations

from typing import Any

from .messages import AnswerError
from .verdict import Verdict


def field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def feedback_of(item: Any, lang: str) -> str:
    feedback = field(item, "feedback")
    if isinstance(feedback, dict):
        return str(feedback.get(lang) or feedback.get("en") or next(iter(feedback.values()), ""))
    return str(feedback)


def matched(mistakes, matches, deadline=None) -> Any:
    """The first mistake whose value ``matches`` accepts; unreadable mistake values are skipped,
    and the search stops (no mistake named) when the verdict's time is up."""
    from .context import ExpectedError

    for item in mistakes:
        if deadline is not None and deadline.remaining() <= 0:
            return None
        try:
            if matches(field(item, "value")):
                return item
        except (AnswerError, ExpectedError, KeyError, AttributeError, TypeError, ValueError):
            continue
    return None


def incorrect(score, feedback, interpreted, method, mistake, lang) -> Verdict:
    if mistake is not None:
        return Verdict("incorrect", score, feedback_of(mistake, lang), interpreted, method,
                       str(field(mistake, "name")))
    return Verdict("incorrect", score, feedback, interpreted, method)
