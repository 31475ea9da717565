"""Comparing two expressions at sample points (numbers: see kinds/number.py and sigfigs.py).

Expressions are exact: they are compared at the points of :mod:`points`, and a point counts
only where both sides are finite and real. A point where the float64 values agree to round-off
(``AGREE``) agrees; one where they differ is re-evaluated in high precision (:mod:`precise`),
which tells round-off from a true difference, however small (``x`` vs ``x + 10^-9``).

* SAME       every counted point agrees (at least ``MIN_POINTS`` count);
* DIFFERENT  some counted point truly differs;
* UNDECIDED  too few points count: SymPy decides.
"""

from __future__ import annotations

MIN_POINTS = 4
AGREE = 2.0**-40  # relative difference of float64 values taken for round-off (~9e-13)
CLEAR = 1e-6  # relative difference no round-off at these points explains

SAME, DIFFERENT, UNDECIDED = "same", "different", "undecided"


def compare_points(want, got, refine=None):
    """(SAME | DIFFERENT | UNDECIDED, index of a disagreeing point or None).

    ``want`` and ``got`` are complex arrays (or numbers) of the values at the sample points;
    ``refine(i)`` re-evaluates point i in high precision: True (equal), False (different) or
    None (does not count). Call inside ``numpy.errstate(all="ignore")``.
    """
    import numpy as np

    want, got = np.broadcast_arrays(np.asarray(want, dtype=complex), np.asarray(got, dtype=complex))
    size_w, size_g = np.abs(want), np.abs(got)
    real_w = np.isfinite(size_w) & (np.abs(want.imag) <= 1e-9 * size_w)
    real_g = np.isfinite(size_g) & (np.abs(got.imag) <= 1e-9 * size_g)
    usable = real_w & real_g
    if not usable.any() and int(real_w.sum()) >= MIN_POINTS:
        # The key is a finite real number wherever it is defined and the answer is nowhere
        # (1/0, sqrt(-1)): no algebra can make them equal, so do not wake SymPy for it.
        return DIFFERENT, int(np.argmax(real_w))
    error = np.abs(got.real - want.real)
    scale = np.maximum(np.abs(want.real), np.abs(got.real))
    doubtful = usable & (error > AGREE * scale)
    clear = usable & (error > CLEAR * scale)
    if 2 * int(clear.sum()) > int(usable.sum()) >= MIN_POINTS:
        return DIFFERENT, int(np.argmax(clear))  # most points differ beyond any round-off
    if doubtful.any() and refine is None:
        return DIFFERENT, int(np.argmax(doubtful))
    counted = int(usable.sum())
    for index in np.flatnonzero(doubtful):
        verdict = refine(int(index))
        if verdict is False:
            return DIFFERENT, int(index)
        if verdict is None:
            counted -= 1
    return (SAME, None) if counted >= MIN_POINTS else (UNDECIDED, None)
