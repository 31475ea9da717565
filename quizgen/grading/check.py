"""``check(expected, answer)``: read a student's answer safely, compare it, explain the verdict.

This is the hub only: it validates the options, builds the verdict's context (tolerance,
variables with their domains, deadline, the secret the sample points are drawn from) and hands
the answer to the answer test of its kind (kinds/). Whatever the answer, the result is a
verdict: an unreadable answer, or one that cannot be checked within the verdict's time budget,
is ``invalid`` with a message saying why. Nothing here imports SymPy (see symbolic.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .context import VERDICT_TIME_LIMIT, Context, Deadline, ExpectedError, Tolerance
from .kinds import choice, expression, number, sigfigs, vector
from .messages import LANGS, AnswerError, message
from .points import PROCESS_SECRET
from .variables import VariableError, names_of, parse_variables
from .verdict import Verdict

KINDS = ("number", "vector", "expression", "choice")


def infer_kind(expected: Any, variables: Iterable[Any] = ()) -> str:
    """"expression" when variables are declared, "vector" for a list (or "[...]" text),
    "choice" for True/False, otherwise "number"."""
    if isinstance(expected, bool):
        return "choice"
    if tuple(variables):
        return "expression"
    if _is_list(expected):
        return "vector"
    return "number"


def _is_list(expected: Any) -> bool:
    return isinstance(expected, (list, tuple)) or (
        isinstance(expected, str) and expected.lstrip().startswith("["))


def _as_text(answer: Any) -> str:
    if answer is None:
        return ""
    if isinstance(answer, (bytes, bytearray)):
        return bytes(answer).decode("utf-8", errors="replace")
    return str(answer)


def check(expected: Any, answer: str, *, kind: str | None = None, variables: Iterable[Any] = (),
          rtol: float | None = None, atol: float | None = None, sigfigs: int | None = None,
          mistakes: Iterable[Any] = (), lang: str = "en", choices: Iterable[str] = (),
          time_limit: float = VERDICT_TIME_LIMIT, secret: bytes | None = None) -> Verdict:
    """Grade one answer. Never raises for any ``answer``; raises ExpectedError for a malformed
    ``expected``, ``kind``, variable or tolerance (the quiz's fault, not the student's).

    ``variables`` are names or ``"name:domain"`` specs (variables.py); ``choices``, the option
    ids of a choice question, makes an answer naming no such option ``invalid``; ``time_limit``
    bounds the whole verdict; ``secret`` seeds the sample points (a quiz keeps its own, so that
    a regrade reproduces every verdict; by default one per process).
    """
    lang = lang if lang in LANGS else "en"
    try:
        declared = parse_variables(variables)
    except VariableError as err:
        raise ExpectedError(str(err)) from None
    kind = kind or infer_kind(expected, names_of(declared))
    if kind not in KINDS:
        raise ExpectedError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    ctx = Context(declared, Tolerance(rtol, atol, sigfigs), lang, Deadline(time_limit),
                  secret or PROCESS_SECRET, tuple(mistakes), tuple(choices))
    if not isinstance(answer, str):
        answer = _as_text(answer)
    try:
        return _answer_test(kind, expected, ctx).grade(expected, answer, ctx)
    except ExpectedError:
        raise
    except AnswerError as err:
        return Verdict("invalid", 0.0, err.render(lang), "", err.method)
    except Exception:  # noqa: BLE001  one unreadable answer must never stop a batch
        return Verdict("invalid", 0.0, message("internal", lang), "", "parse")


def _answer_test(kind: str, expected: Any, ctx: Context):
    if kind == "number":
        return number if ctx.tol.sigfigs is None else sigfigs
    if kind == "choice":
        return choice
    if kind == "vector" or _is_list(expected):
        return vector
    return expression
