"""Numbers within a tolerance: ``|answer - expected| <= atol + rtol |expected|``.

Decided in decimal arithmetic on the numbers as written when the binary floats land near the
boundary, so a value exactly on it is inside (1.05 for 1 with rtol 0.05), whatever its binary
representation.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

from ..context import Context
from ..messages import message
from ..mistakes import incorrect, matched
from ..reading import expected_number, freeze, read_number
from ..verdict import Verdict

RTOL = 1e-4
ATOL = 1e-9


def decimal(x: float, text: str | None = None) -> Decimal:
    """The exact decimal a number was written as (its shortest repr for a computed float)."""
    if text:
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    return Decimal(repr(float(x)))


def within(got: float, want: float, rtol: float | None, atol: float | None,
           got_text: str | None = None) -> bool:
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    error, bound = abs(got - want), atol + rtol * abs(want)
    if abs(error - bound) > 1e-9 * max(bound, abs(want), 1e-300):
        return error <= bound  # the floats are clear of the boundary
    with localcontext() as ctx:
        ctx.prec = 80
        g, w = decimal(got, got_text), decimal(want)
        return abs(g - w) <= decimal(atol) + decimal(rtol) * abs(w)


def grade(expected, answer: str, ctx: Context, method: str = "numeric",
          feedback_id: str = "incorrect_number") -> Verdict:
    want = expected_number(freeze(expected))
    got, interpreted, literal = read_number(answer)
    if ctx.tol.numbers(got, want, literal):
        return Verdict("correct", 1.0, message("correct", ctx.lang), interpreted, method)
    mistake = matched(ctx.mistakes,
                      lambda v: ctx.tol.numbers(got, expected_number(freeze(v)), literal),
                      ctx.deadline)
    feedback = message(feedback_id, ctx.lang, got=interpreted, n=ctx.tol.sigfigs)
    return incorrect(0.0, feedback, interpreted, method, mistake, ctx.lang)
