"""Comparison rules: numbers by tolerance or significant figures, expressions at random points.

Numbers: ``|a - e| <= atol + rtol * |e|`` (defaults ``RTOL``, ``ATOL``), or, when a question sets
``sigfigs = n``, both rounded to n significant figures must be equal.

Expressions are compared at the points of :func:`numeric.sample_points`. A point is usable when
both sides are finite and both are real or both are complex there (``log(x^2)`` and ``2 log(x)``
are compared only where both are real). The comparison is:

* SAME       every usable point agrees (at least ``MIN_POINTS`` usable points);
* DIFFERENT  at least half the usable points disagree by more than ``NOISE``;
* LEANS_DIFFERENT  fewer points disagree (a branch cut, |x| vs x at negative points) or only
             slightly: SymPy decides, and if it cannot, the disagreement stands;
* UNDECIDED  too few usable points: SymPy decides.
"""

from __future__ import annotations

import math

RTOL = 1e-4
ATOL = 1e-9
EXPRESSION_RTOL = 1e-6  # random-point values are exact up to rounding: a tighter default
EXPRESSION_ATOL = 1e-9
MIN_POINTS = 4
NOISE = 1e-3  # relative disagreement below this may be rounding, never decides "different"

SAME, DIFFERENT, UNDECIDED, LEANS_DIFFERENT = "same", "different", "undecided", "leans-different"


def round_sig(x: float, n: int) -> float:
    """x rounded to n significant figures (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{n - 1}e}")


def numbers_match(got: float, want: float, rtol: float | None = None, atol: float | None = None,
                  sigfigs: int | None = None) -> bool:
    if sigfigs is not None:
        return round_sig(got, sigfigs) == round_sig(want, sigfigs)
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    return abs(got - want) <= atol + rtol * abs(want)


def compare_points(want, got, rtol: float | None = None, atol: float | None = None):
    """(SAME | DIFFERENT | LEANS_DIFFERENT | UNDECIDED, index of a disagreeing point or None).

    ``want`` and ``got`` are complex arrays (or numbers) of the values at the sample points;
    call inside ``numpy.errstate(all="ignore")``.
    """
    import numpy as np

    rtol = EXPRESSION_RTOL if rtol is None else rtol
    atol = EXPRESSION_ATOL if atol is None else atol
    want, got = np.broadcast_arrays(np.asarray(want, dtype=complex), np.asarray(got, dtype=complex))
    size_w, size_g = np.abs(want), np.abs(got)
    real_w = np.abs(want.imag) <= 1e-9 * size_w
    real_g = np.abs(got.imag) <= 1e-9 * size_g
    usable = np.isfinite(size_w) & np.isfinite(size_g) & (real_w == real_g)
    n_usable = int(usable.sum())
    wanted = np.isfinite(size_w) & real_w
    if n_usable == 0 and int(wanted.sum()) >= MIN_POINTS:
        # The key is a finite real number wherever it is defined and the answer is nowhere
        # (1/0, sqrt(-1)): no algebra can make them equal, so do not wake SymPy for it.
        return DIFFERENT, int(np.argmax(wanted))
    if n_usable < MIN_POINTS:
        return UNDECIDED, None
    error = np.abs(got - want)
    scale = np.maximum(size_w, size_g)
    bad = usable & (error > atol + rtol * scale)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return SAME, None
    clear = bad & (error > NOISE * scale + atol)
    if 2 * int(clear.sum()) >= n_usable:
        return DIFFERENT, int(np.argmax(clear))
    return LEANS_DIFFERENT, int(np.argmax(bad))
