"""Numeric evaluation of a parsed tree: one point with math/cmath, many points with NumPy.

Both evaluators are total on the whitelisted tree: real arithmetic that leaves the reals
(``sqrt(-1)``, ``log(-2)``, ``(-8)^(1/3)``) continues in the complex plane on the principal branch,
and overflow gives ``inf`` instead of an exception. Only the single-point evaluator reports
division by zero and domain errors, because there they are the student's mistake; at sample
points they only make that point unusable (``nan``).

An n-th root with odd n of a negative real is the real root (``\\sqrt[3]{-8} = -2``), as students
expect. Functions of real arguments only (max, min, sign, floor, ceil, relu, erf) are undefined
at a complex argument.
"""

from __future__ import annotations

import cmath
import math

from .functions import REAL_ONLY
from .messages import AnswerError
from .nodes import UNSET, Node

_INF = float("inf")
CONSTANT_VALUES = {"pi": math.pi, "e": math.e}


def _cot(z):
    return 1 / cmath.tan(z) if isinstance(z, complex) else 1 / math.tan(z)


def _sec(z):
    return 1 / cmath.cos(z) if isinstance(z, complex) else 1 / math.cos(z)


def _csc(z):
    return 1 / cmath.sin(z) if isinstance(z, complex) else 1 / math.sin(z)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sign(x: float) -> float:
    return (x > 0) - (x < 0) + 0.0


def _undefined(z):
    raise ValueError("real arguments only")


# name -> (real function, complex function)
_SCALAR_FUNCTIONS = {
    "sin": (math.sin, cmath.sin), "cos": (math.cos, cmath.cos), "tan": (math.tan, cmath.tan),
    "cot": (_cot, _cot), "sec": (_sec, _sec), "csc": (_csc, _csc),
    "asin": (math.asin, cmath.asin), "acos": (math.acos, cmath.acos),
    "atan": (math.atan, cmath.atan),
    "sinh": (math.sinh, cmath.sinh), "cosh": (math.cosh, cmath.cosh),
    "tanh": (math.tanh, cmath.tanh),
    "exp": (math.exp, cmath.exp), "log": (math.log, cmath.log),
    "log10": (math.log10, cmath.log10),
    "log2": (math.log2, lambda z: cmath.log(z) / math.log(2)),
    "sqrt": (math.sqrt, cmath.sqrt), "abs": (abs, abs),
    "sigmoid": (_sigmoid, lambda z: 1 / (1 + cmath.exp(-z))),
    "softplus": (_softplus, lambda z: cmath.log(1 + cmath.exp(z))),
    "log1p": (math.log1p, lambda z: cmath.log(1 + z)),
    "expm1": (math.expm1, lambda z: cmath.exp(z) - 1),
    "relu": (lambda x: max(x, 0.0), _undefined), "sign": (_sign, _undefined),
    "floor": (lambda x: float(math.floor(x)), _undefined),
    "ceil": (lambda x: float(math.ceil(x)), _undefined),
    "erf": (math.erf, _undefined),
}


def evaluate_scalar(node: Node, env: dict[str, complex] | None = None) -> float | complex:
    """Value of the tree at one point (raises AnswerError on division by zero or a domain error).

    Constant subtrees are evaluated once: their value is cached on the node."""
    return _ev(node, env)


def fold(node: Node) -> None:
    """Cache the constant value of a variable-free node whose children are folded already."""
    try:
        node.const = _SCALAR[node.op](node, None)
    except AnswerError as err:
        node.const = err


def _ev(node: Node, env):
    if not node.has_var:
        cached = node.const
        if cached is not UNSET:
            if isinstance(cached, AnswerError):
                raise cached
            return cached
    return _SCALAR[node.op](node, env)


def _num(node, env):
    return node.value


def _var(node, env):
    if env is None or node.value not in env:
        raise AnswerError("unknown_name", node.pos, name=node.value,
                          allowed=AnswerError("allowed_none"))
    return env[node.value]


def _const(node, env):
    return CONSTANT_VALUES[node.value]


def _neg(node, env):
    return -_ev(node.args[0], env)


def _add(node, env):
    return _ev(node.args[0], env) + _ev(node.args[1], env)


def _sub(node, env):
    return _ev(node.args[0], env) - _ev(node.args[1], env)


def _mul(node, env):
    return _ev(node.args[0], env) * _ev(node.args[1], env)


def _div(node, env):
    numerator = _ev(node.args[0], env)
    denominator = _ev(node.args[1], env)
    try:
        return numerator / denominator
    except ZeroDivisionError:
        raise AnswerError("div_zero", node.pos) from None


def _pow(node, env):
    base = _ev(node.args[0], env)
    exponent = _ev(node.args[1], env)
    try:
        return base**exponent
    except ZeroDivisionError:
        raise AnswerError("div_zero", node.pos) from None
    except OverflowError:
        return _INF


def _real_argument(x, node):
    if isinstance(x, complex):
        if abs(x.imag) > 1e-12 * max(1.0, abs(x.real)):
            raise AnswerError("domain", node.pos, fn=node.value)
        return x.real
    return x


def _call(node, env):
    name = node.value
    if name in ("max", "min"):
        values = [_real_argument(_ev(a, env), node) for a in node.args]
        return float(max(values) if name == "max" else min(values))
    x = _ev(node.args[0], env)
    if name in REAL_ONLY:
        x = _real_argument(x, node)
    real_fn, complex_fn = _SCALAR_FUNCTIONS[name]
    if not isinstance(x, complex):
        try:
            return real_fn(x)
        except OverflowError:
            return _INF
        except ZeroDivisionError:
            raise AnswerError("div_zero", node.pos) from None
        except ValueError:
            pass  # leaves the reals: continue on the principal complex branch
    try:
        return complex_fn(complex(x))
    except OverflowError:
        return complex(_INF, 0)
    except (ValueError, ZeroDivisionError):
        raise AnswerError("domain", node.pos, fn=name) from None


def _root(node, env):
    x = _ev(node.args[0], env)
    n = node.value
    try:
        if n % 2 == 1 and not isinstance(x, complex) and x < 0:
            return -((-x) ** (1.0 / n))
        return x ** (1.0 / n)
    except OverflowError:
        return _INF


def _fact(node, env):
    # the parser admits only whole constants 0..170 here, so this is at most 170!
    return float(math.factorial(int(_ev(node.args[0], env).real)))


def _vec(node, env):
    raise AnswerError("vector_in_arithmetic", node.pos)


_SCALAR = {
    "num": _num, "var": _var, "const": _const, "neg": _neg, "add": _add, "sub": _sub,
    "mul": _mul, "div": _div, "pow": _pow, "call": _call, "root": _root, "fact": _fact,
    "vec": _vec,
}


# -- many points at once, over the reals -----------------------------------------------------

def evaluate_points(node: Node, env: dict):
    """Values at every sample point: a float64 array (or a float for a constant), nan where the
    expression is not defined over the reals (any step leaves the reals, e.g. sqrt(x) at x < 0,
    even when a later step would come back: sqrt(k/m)*sqrt(m/k) at k/m < 0).

    ``log(1 + u)`` and ``exp(u) - 1`` are evaluated as log1p and expm1, which keep the digits
    that 1 + u and the subtraction would lose (fewer points for the high-precision check).

    Call inside ``numpy.errstate(all="ignore")``: inf and nan mark unusable points.
    """
    return _p_ev(node, env)


def _p_ev(node, env):
    if not node.has_var:
        try:
            value = _ev(node, None)
        except AnswerError:
            return math.nan
        if isinstance(value, complex):
            return value.real if abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)) \
                else math.nan
        return float(value)
    return _POINTS[node.op](node, env)


def _p_var(node, env):
    return env[node.value]


def _p_neg(node, env):
    return -_p_ev(node.args[0], env)


def _p_add(node, env):
    return _p_ev(node.args[0], env) + _p_ev(node.args[1], env)


def _p_sub(node, env):
    left, right = node.args
    if left.op == "call" and left.value == "exp" and _is_one(right):
        import numpy as np

        return np.expm1(_p_ev(left.args[0], env))  # exp(u) - 1 without cancellation
    return _p_ev(left, env) - _p_ev(right, env)


def _is_one(node: Node) -> bool:
    return not node.has_var and node.const == 1.0


def _one_plus(node: Node) -> Node | None:
    """u when ``node`` is 1 + u or u + 1 (for log1p), else None."""
    if node.op == "add":
        left, right = node.args
        if _is_one(left):
            return right
        if _is_one(right):
            return left
    return None


def _p_mul(node, env):
    return _p_ev(node.args[0], env) * _p_ev(node.args[1], env)


def _p_div(node, env):
    import numpy as np

    return np.true_divide(_p_ev(node.args[0], env), _p_ev(node.args[1], env))


def _p_pow(node, env):
    import numpy as np

    # A negative base and a non-integer exponent give nan, as over the reals.
    return np.power(np.asarray(_p_ev(node.args[0], env), dtype=float), _p_ev(node.args[1], env))


def _p_call(node, env):
    import numpy as np

    name = node.value
    if name in ("max", "min"):
        pick = np.maximum if name == "max" else np.minimum  # nan (undefined) propagates
        out = _p_ev(node.args[0], env)
        for arg in node.args[1:]:
            out = pick(out, _p_ev(arg, env))
        return out
    if name == "log":
        rest = _one_plus(node.args[0])
        if rest is not None:  # log(1 + u) without the rounding of 1 + u: log1p(u)
            return np.log1p(np.asarray(_p_ev(rest, env), dtype=float))
    return _POINT_FUNCTIONS[name](np.asarray(_p_ev(node.args[0], env), dtype=float))


def _p_root(node, env):
    import numpy as np

    x = np.asarray(_p_ev(node.args[0], env), dtype=float)
    n = node.value
    if n % 2 == 0:
        return np.power(x, 1.0 / n)  # nan below 0
    return np.sign(x) * np.power(np.abs(x), 1.0 / n)  # the real odd root


def _point_functions():
    import numpy as np

    def sigmoid(x):
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z))

    erf = np.frompyfunc(lambda x: math.erf(x) if x == x else math.nan, 1, 1)
    return {
        "sin": np.sin, "cos": np.cos, "tan": np.tan,
        "cot": lambda x: 1 / np.tan(x), "sec": lambda x: 1 / np.cos(x),
        "csc": lambda x: 1 / np.sin(x),
        "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
        "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
        "exp": np.exp, "log": np.log, "log10": np.log10, "log2": np.log2,
        "sqrt": np.sqrt, "abs": np.abs,
        "sigmoid": sigmoid,
        "softplus": lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
        "log1p": np.log1p, "expm1": np.expm1, "relu": lambda x: np.maximum(x, 0.0),
        "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
        "erf": lambda x: erf(x).astype(float),
    }


class _LazyFunctions(dict):
    def __missing__(self, key):
        self.update(_point_functions())
        return dict.__getitem__(self, key)


_POINT_FUNCTIONS = _LazyFunctions()

_POINTS = {
    "var": _p_var, "neg": _p_neg, "add": _p_add, "sub": _p_sub, "mul": _p_mul, "div": _p_div,
    "pow": _p_pow, "call": _p_call, "root": _p_root, "vec": _vec,
}
