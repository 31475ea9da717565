"""High-precision re-evaluation at the points where float64 round-off leaves the comparison in
doubt (mpmath, which SymPy depends on; no SymPy import).

A decimal the student typed is read as its exact value at the working precision, and the sample
point (a float64) is exact in binary, so a true difference between two expressions does not
depend on the precision while round-off shrinks with it. ``same_at`` evaluates both trees at
``LOW`` and ``HIGH`` significant digits and compares the two differences.
"""

from __future__ import annotations

from .nodes import Node

LOW, HIGH = 30, 60  # decimal digits
_SHRINK = 1e-20  # round-off shrinks by about 10^-(HIGH-LOW); a true difference stays put


def _functions(mp):
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
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if not (mp.isfinite(a) and mp.isfinite(b)):
            return None
        if mp.im(a) != 0 or mp.im(b) != 0:
            return None  # not real here: the point does not count
        return abs(float(mp.re(b) - mp.re(a))), max(abs(float(mp.re(a))), abs(float(mp.re(b))))


def same_at(want: Node, got: Node, point: dict[str, float]) -> bool | None:
    """True if the two expressions are equal at ``point`` (differences are round-off), False if
    they truly differ, None if the point does not count (undefined or not real there)."""
    low = _difference(want, got, point, LOW)
    high = _difference(want, got, point, HIGH)
    if low is None or high is None:
        return None
    (d_low, _), (d_high, _) = low, high
    if d_high == 0.0 or d_high <= _SHRINK * d_low:
        return True
    if d_high >= 0.5 * d_low:
        return False  # what survives 60 digits unchanged is a difference of the functions
    return None  # neither: the point does not count
