"""Numeric evaluation of a parsed tree: one point with math/cmath, many points with NumPy.

Both evaluators are total on the whitelisted tree: real arithmetic that leaves the reals
(``sqrt(-1)``, ``log(-2)``, ``(-8)^(1/3)``) continues in the complex plane on the principal branch,
and overflow gives ``inf`` instead of an exception. Only the single-point evaluator reports
division by zero and domain errors, because there they are the student's mistake; at random
points they only make that point unusable.

An n-th root with odd n of a negative real is the real root (``\\sqrt[3]{-8} = -2``), as students
expect.
"""

from __future__ import annotations

import cmath
import math
import random
from functools import lru_cache

from .messages import AnswerError
from .nodes import Node

_INF = float("inf")
CONSTANT_VALUES = {"pi": math.pi, "e": math.e}


def _cot(z):
    return 1 / cmath.tan(z) if isinstance(z, complex) else 1 / math.tan(z)


def _sec(z):
    return 1 / cmath.cos(z) if isinstance(z, complex) else 1 / math.cos(z)


def _csc(z):
    return 1 / cmath.sin(z) if isinstance(z, complex) else 1 / math.sin(z)


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
}


def evaluate_scalar(node: Node, env: dict[str, complex] | None = None) -> float | complex:
    """Value of the tree at one point (raises AnswerError on division by zero or a domain error)."""
    return _SCALAR[node.op](node, env)


def _ev(node: Node, env):
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


def _call(node, env):
    x = _ev(node.args[0], env)
    real_fn, complex_fn = _SCALAR_FUNCTIONS[node.value]
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
        raise AnswerError("domain", node.pos, fn=node.value) from None


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
    return float(math.factorial(int(_ev(node.args[0], env).real)))


def _vec(node, env):
    raise AnswerError("vector_in_arithmetic", node.pos)


_SCALAR = {
    "num": _num, "var": _var, "const": _const, "neg": _neg, "add": _add, "sub": _sub,
    "mul": _mul, "div": _div, "pow": _pow, "call": _call, "root": _root, "fact": _fact,
    "vec": _vec,
}


# -- many points at once ---------------------------------------------------------------------

N_POINTS = 12


@lru_cache(maxsize=256)
def sample_points(variables: tuple[str, ...]):
    """Deterministic random points, one complex128 array per variable.

    Magnitudes are log-uniform on [0.1, 20] so that terms of different degree are told apart;
    every fourth point is negative so that |x| and x, or sqrt(x^2) and x, differ somewhere.
    """
    import numpy as np

    rng = random.Random("quizgen-points:" + ",".join(variables))
    points = {}
    for name in variables:
        values = []
        for k in range(N_POINTS):
            magnitude = 10 ** rng.uniform(-1.0, math.log10(20.0))
            values.append(-magnitude if k % 4 == 3 else magnitude)
        array = np.array(values, dtype=np.complex128)
        array.flags.writeable = False
        points[name] = array
    return points


def evaluate_points(node: Node, env: dict):
    """Values at every sample point (complex128 array, or a Python number for a constant).

    Call inside ``numpy.errstate(all="ignore")``: inf and nan mark unusable points.
    """
    return _POINTS[node.op](node, env)


def _p_ev(node, env):
    return _POINTS[node.op](node, env)


def _p_var(node, env):
    return env[node.value]


def _p_neg(node, env):
    return -_p_ev(node.args[0], env)


def _p_add(node, env):
    return _p_ev(node.args[0], env) + _p_ev(node.args[1], env)


def _p_sub(node, env):
    return _p_ev(node.args[0], env) - _p_ev(node.args[1], env)


def _p_mul(node, env):
    return _p_ev(node.args[0], env) * _p_ev(node.args[1], env)


def _p_div(node, env):
    import numpy as np

    return np.true_divide(_p_ev(node.args[0], env), _p_ev(node.args[1], env) + 0j)


def _p_pow(node, env):
    import numpy as np

    base = _p_ev(node.args[0], env)
    exponent = _p_ev(node.args[1], env)
    exp_node = node.args[1]
    if exp_node.op == "num" and exp_node.value == int(exp_node.value):
        # integer powers by repeated multiplication stay exact on the real axis
        return np.power(base + 0j, int(exp_node.value))
    return np.power(base + 0j, exponent)


def _p_call(node, env):
    return _POINT_FUNCTIONS[node.value](_p_ev(node.args[0], env) + 0j)


def _p_root(node, env):
    import numpy as np

    x = _p_ev(node.args[0], env) + 0j
    n = node.value
    principal = np.power(x, 1.0 / n)
    if n % 2 == 0:
        return principal
    real_negative = (x.imag == 0) & (x.real < 0)
    return np.where(real_negative, -np.power(-x, 1.0 / n), principal)


def _p_const_subtree(node, env):
    return evaluate_scalar(node)


def _point_functions():
    import numpy as np

    return {
        "sin": np.sin, "cos": np.cos, "tan": np.tan,
        "cot": lambda z: 1 / np.tan(z), "sec": lambda z: 1 / np.cos(z),
        "csc": lambda z: 1 / np.sin(z),
        "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
        "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
        "exp": np.exp, "log": np.log, "log10": np.log10, "log2": np.log2,
        "sqrt": np.sqrt, "abs": lambda z: np.abs(z) + 0j,
    }


class _LazyFunctions(dict):
    def __missing__(self, key):
        self.update(_point_functions())
        return dict.__getitem__(self, key)


_POINT_FUNCTIONS = _LazyFunctions()

_POINTS = {
    "num": _num, "var": _p_var, "const": _const, "neg": _p_neg, "add": _p_add, "sub": _p_sub,
    "mul": _p_mul, "div": _p_div, "pow": _p_pow, "call": _p_call, "root": _p_root,
    "fact": _p_const_subtree, "vec": _vec,
}
