"""Numbers to n significant figures: both decimals, as written, rounded half up, are equal
(0.04985 -> 0.0499; 61250 -> 61300). The student's decimal is rounded as typed, not as the
nearest binary float, which would round 0.04985 down."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..context import Context
from ..verdict import Verdict
from . import number


def round_sig(x: float, n: int, text: str | None = None) -> Decimal:
    """x (as written in ``text`` when given) rounded half up to n significant figures."""
    value = number.decimal(x, text)
    if value == 0 or not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - n + 1), rounding=ROUND_HALF_UP)


def same(got: float, want: float, n: int, got_text: str | None = None) -> bool:
    with localcontext() as ctx:
        ctx.prec = 80
        return round_sig(got, n, got_text) == round_sig(want, n)


def grade(expected, answer: str, ctx: Context) -> Verdict:
    return number.grade(expected, answer, ctx, "sigfigs", "incorrect_sigfigs")
