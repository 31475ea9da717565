"""Comparing two expressions at sample points (numbers: see kinds/number.py and sigfigs.py).

Expressions are exact: they are compared at the points of :mod:`points`, and a point counts
only where both sides are finite and real. A point where the float64 values agree to round-off
(``AGREE``) agrees; one where they differ is re-evaluated in high precision (:mod:`precise`),
which tells round-off from a true difference, however small (``x`` vs ``x + 10^-9``). Where an
expression has structure finer than float64 can see (``fine_structure``: a literal of 13 or
more significant digits, a constant below 1e-8 or above 1e8 in size), agreeing points are
confirmed in high precision too (``0.333333333333333 x`` is not ``x/3``).

* SAME       every counted point agrees (at least ``MIN_POINTS`` count);
* DIFFERENT  some counted point truly differs;
* UNDECIDED  too few points count: SymPy decides.
"""

from __future__ import annotations

MIN_POINTS = 4
AGREE = 2.0**-44  # relative difference of float64 values taken for round-off (~6e-14)
CLEAR = 1e-6  # relative difference no round-off at these points explains

MAX_REFINED = 8  # doubtful points re-evaluated in high precision, the largest errors first

SAME, DIFFERENT, UNDECIDED = "same", "different", "undecided"


def compare_points(want, got, refine=None, confirm: int = 0):
    """(SAME | DIFFERENT | UNDECIDED, index of a disagreeing point or None).

    ``want`` and ``got`` are float arrays (or numbers) of the values at the sample points, nan
    where an expression is not defined over the reals;
    ``refine(i)`` re-evaluates point i in high precision: True (equal), False (different) or
    None (does not count). ``confirm`` agreeing points are re-evaluated that way too (for
    differences float64 cannot see at all). Call inside ``numpy.errstate(all="ignore")``.
    """
    import numpy as np

    want, got = np.broadcast_arrays(np.asarray(want, dtype=float), np.asarray(got, dtype=float))
    real_w, real_g = np.isfinite(want), np.isfinite(got)
    usable = real_w & real_g
    if not usable.any() and int(real_w.sum()) >= MIN_POINTS:
        # The key is a finite real number wherever it is defined and the answer is nowhere
        # (1/0, sqrt(-1)): no algebra can make them equal, so do not wake SymPy for it.
        return DIFFERENT, int(np.argmax(real_w))
    error = np.abs(got - want)
    scale = np.maximum(np.abs(want), np.abs(got))
    doubtful = usable & (error > AGREE * scale)
    clear = usable & (error > CLEAR * scale)
    if 2 * int(clear.sum()) > int(usable.sum()) >= MIN_POINTS:
        return DIFFERENT, int(np.argmax(clear))  # most points differ beyond any round-off
    if doubtful.any() and refine is None:
        return DIFFERENT, int(np.argmax(doubtful))
    counted = int(usable.sum())
    # A true difference shows first where the float error is largest; if the worst
    # MAX_REFINED doubtful points are round-off, the smaller errors are too.
    worst = np.flatnonzero(doubtful)
    worst = worst[np.argsort(-(error[worst] / scale[worst]))][:MAX_REFINED]
    confirmed = np.flatnonzero(usable & ~doubtful)[:confirm] if refine else ()
    for index in [*worst, *confirmed]:
        verdict = refine(int(index))
        if verdict is False:
            return DIFFERENT, int(index)
        if verdict is None:
            counted -= 1
    return (SAME, None) if counted >= MIN_POINTS else (UNDECIDED, None)


FINE_DIGITS = 13
FINE_SMALL, FINE_LARGE = 1e-8, 1e8


def fine_constant(node) -> bool:
    """Whether a variable-free node is a constant float64 comparisons could misjudge (see
    above); the parser sets ``node.fine`` from this and from the children, once."""
    value = node.const
    if isinstance(value, (int, float, complex)) and value != 0 and not (
            FINE_SMALL <= abs(value) <= FINE_LARGE):
        return True
    return node.op == "num" and _significant_digits(node.text) >= FINE_DIGITS


def _significant_digits(literal: str) -> int:
    mantissa = literal.lower().split("e")[0].replace(".", "").lstrip("+-0")
    return len(mantissa)
