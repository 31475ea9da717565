"""High-precision re-evaluation at the points where float64 round-off leaves the comparison in
doubt (mpmath, which SymPy depends on; no SymPy import).

A decimal the student typed is read as its exact value at the working precision, and the sample
point (a float64) is exact in binary, so two equal expressions agree there to about
10^-digits times the condition of their evaluation, while a true difference keeps its size.
``same_at`` evaluates at ``DIGITS``; a difference below ``RELATIVE`` is round-off. Otherwise it
evaluates again at twice the digits: round-off shrinks by many orders of magnitude (18 digits
cancel in tanh(x)/2 + 1/2 at x = -20), a true difference does not.

As in float64, a point counts only where every step is real.
"""

from __future__ import annotations

from .nodes import Node

DIGITS = 40
RELATIVE = 1e-28  # leaves twelve digits for cancellation in the evaluation itself
_SHRINK = 1e-20  # at twice the digits round-off shrinks by ~1e-40; a true difference stays


class _NotReal(Exception):
    pass


_FUNCTIONS: dict = {}


def _functions(mp):
    if not _FUNCTIONS:
        _FUNCTIONS.update(_function_table(mp))
    return _FUNCTIONS


def _function_table(mp):
    def real_only(fn):
        def call(x):
            if isinstance(x, mp.mpc):
                if x.imag != 0:
                    return mp.nan
                x = x.real
            return fn(x)
        return call

    return {
        "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "cot": mp.cot, "sec": mp.sec,
        "csc": mp.csc, "asin": mp.asin, "acos": mp.acos, "atan": mp.atan,
        "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh, "exp": mp.exp, "log": mp.log,
        "log10": lambda x: mp.log(x, 10), "log2": lambda x: mp.log(x, 2), "sqrt": mp.sqrt,
        "abs": mp.fabs, "sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
        "softplus": lambda x: mp.log(1 + mp.exp(x)), "log1p": mp.log1p, "expm1": mp.expm1,
        "relu": real_only(lambda x: max(x, mp.zero)), "sign": real_only(mp.sign),
        "floor": real_only(mp.floor), "ceil": real_only(mp.ceil), "erf": real_only(mp.erf),
    }


def _evaluate(node: Node, env: dict, mp, functions):
    value = _step(node, env, mp, functions)
    if isinstance(value, mp.mpc):
        if value.imag != 0:
            raise _NotReal  # undefined over the reals here, whatever comes after
        value = value.real
    return value


def _step(node: Node, env: dict, mp, functions):
    op = node.op
    if op == "num":
        return mp.mpf(node.text) if node.text else mp.mpf(node.value)
    if op == "var":
        return env[node.value]
    if op == "const":
        return +mp.pi if node.value == "pi" else +mp.e
    args = [_evaluate(a, env, mp, functions) for a in node.args]
    if op == "neg":
        return -args[0]
    if op == "add":
        return args[0] + args[1]
    if op == "sub":
        return args[0] - args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "div":
        return args[0] / args[1] if args[1] != 0 else mp.nan
    if op == "pow":
        base, exponent = args
        if base == 0 and mp.re(exponent) < 0:
            return mp.nan
        return mp.power(base, exponent)
    if op == "root":
        x, n = args[0], node.value
        if n % 2 == 1 and not isinstance(x, mp.mpc) and x < 0:
            return -mp.root(-x, n)
        return mp.root(x, n)
    if op == "fact":
        return mp.factorial(args[0])
    if op == "call":
        if node.value in ("max", "min"):
            reals = []
            for a in args:
                if isinstance(a, mp.mpc) and a.imag != 0:
                    return mp.nan
                reals.append(mp.re(a))
            return max(reals) if node.value == "max" else min(reals)
        return functions[node.value](args[0])
    raise ValueError(f"cannot evaluate {op!r}")


def _difference(want: Node, got: Node, point: dict, digits: int):
    import mpmath

    mp = mpmath.mp
    with mpmath.workdps(digits):
        functions = _functions(mp)
        env = {name: mp.mpf(value) for name, value in point.items()}
        try:
            a = _evaluate(want, env, mp, functions)
            b = _evaluate(got, env, mp, functions)
        except (_NotReal, ValueError, ZeroDivisionError, OverflowError):
            return None
        if not (mp.isfinite(a) and mp.isfinite(b)):
            return None
        return abs(b - a), max(abs(a), abs(b))


def same_at(want: Node, got: Node, point: dict[str, float]) -> bool | None:
    """True if the two expressions are equal at ``point`` (their difference is round-off),
    False if they truly differ, None if the point does not count (undefined or not real)."""
    found = _difference(want, got, point, DIGITS)
    if found is None:
        return None
    difference, scale = found
    if difference <= RELATIVE * scale:
        return True
    again = _difference(want, got, point, 2 * DIGITS)
    if again is None:
        return None
    if again[0] <= _SHRINK * difference:
        return True
    return False if again[0] >= difference / 2 else None
