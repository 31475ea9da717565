"""LaTeX formatting of numbers and vectors, shared by every family's prompt and solution."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def num(x: float, sig: int = 6) -> str:
    """`x` to `sig` significant figures, as LaTeX: 0.000123 -> 1.23 \\times 10^{-4}."""
    if x == 0:
        return "0"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e9):
        return str(int(x))
    text = f"{x:.{sig}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        prefix = "" if mantissa in ("1", "-1") else f"{mantissa} \\times "
        sign = "-" if mantissa == "-1" else ""
        return f"{sign}{prefix}10^{{{int(exponent)}}}"
    return text


def par(x: float, sig: int = 6) -> str:
    """`num(x)`, in parentheses when negative or in scientific notation, for use after an
    operator or before a power (``(3 \\times 10^{-10})^2``, not a double superscript)."""
    text = num(x, sig)
    return f"({text})" if text.startswith("-") or "^" in text else text


def plain(x: float, sig: int = 12) -> str:
    """`x` as a student would type it (no LaTeX), e.g. in a mistake's value."""
    return f"{x:.{sig}g}"


def vec(xs: Sequence[float], sig: int = 6) -> str:
    """A column vector in LaTeX."""
    return "\\begin{pmatrix}" + " \\\\ ".join(num(x, sig) for x in xs) + "\\end{pmatrix}"


def row(xs: Sequence[float], sig: int = 6) -> str:
    """A row vector (a, b, c) in LaTeX."""
    return "(" + ",\\ ".join(num(x, sig) for x in xs) + ")"


def nonzero(rng: random.Random, low: float, high: float, digits: int = 2) -> float:
    """A uniform draw rounded to `digits` decimals that is not (close to) zero."""
    while True:
        x = round(rng.uniform(low, high), digits)
        if abs(x) >= 10 ** (-digits) * 5:
            return x


def is_close(a: float, b: float, rel: float = 1e-3) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)
