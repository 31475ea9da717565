"""Formulas of a declarative family: read by the grader's own parser, evaluated exactly by SymPy.

A formula in a bank file is data, never code. ``parse`` accepts only the grader's whitelist
(numbers, declared names, ``+ - * / ^``, whitelisted functions) with its bounds on length,
nesting and constant exponents. Sampled parameters can still make a formula expensive in exact
arithmetic, so each evaluation passes three guards, cheapest first:

1. every step, computed in floating point, stays within a float's range (``tan(cosh(K^pi))``
   would have SymPy reduce an argument of a billion digits);
2. the digits any exact intermediate can reach, counted from the tree and the parameter
   values, stay under ``MAX_DIGITS`` (``(a^K)^K`` with a = 1.000001, K = 1000 would be an
   integer of millions of digits whose value is only about e);
3. SymPy's own work (its constructors simplify, and may query assumptions at length) runs
   under ``TIME_LIMIT`` per formula and variant.

Each failure is a FormulaError with a sentence, never a hang or a traceback.
"""

from __future__ import annotations

import cmath
import math
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quizgen.grading.parser import parse

Node = Any  # the grader's tree: .op, .args, .value (a name), .text (a literal)

MAX_DIGITS = 20_000  # decimal digits of any exact intermediate; far above any real question
LOG10_2 = math.log10(2)
TIME_LIMIT = 2.0  # seconds for SymPy to build or evaluate one formula of one variant
FACTORIAL_DIGITS = 310  # 170!, the largest factorial the parser lets through, has 307 digits


class FormulaError(ValueError):
    """A formula that does not parse, or has no finite real value for a variant."""


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Node
    names: frozenset[str]  # the declared names it uses
    shape: tuple[int, ...]  # () a scalar, (n,) a vector, (rows, cols) a matrix


def read(text: str, names: tuple[str, ...]) -> Formula:
    """Parse ``text`` over ``names``; FormulaError with the grader's message if it cannot."""
    if not isinstance(text, str):
        raise FormulaError("must be a text, e.g. \"1 - eps\"")
    try:
        tree = parse(text, names)
    except Exception as e:  # the grader's AnswerError: its message names the spot and why
        raise FormulaError(_message(e)) from None
    return Formula(text, tree, frozenset(_names(tree)), _shape(tree))


def is_single_name(name: str) -> bool:
    """Would the grader read ``name`` as one declared variable (``beta_1`` yes, ``a_b_c`` no)?"""
    try:
        tree = parse(name, (name,))
    except Exception:
        return False
    return tree.op == "var" and tree.value == name


def _message(error: Exception) -> str:
    render = getattr(error, "render", None)
    return render("en") if callable(render) else str(error)


def _names(tree: Node) -> set[str]:
    found, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if node.op == "var":
            found.add(node.value)
        stack.extend(node.args)
    return found


def _shape(tree: Node) -> tuple[int, ...]:
    if tree.op != "vec":
        return ()
    inner = {_shape(a) for a in tree.args}
    if inner == {()}:
        return (len(tree.args),)
    if len(inner) == 1 and len(next(iter(inner))) == 1:
        return (len(tree.args), *next(iter(inner)))
    raise FormulaError("a list must hold numbers, or rows of equal length")


def exact_number(value: int | float):
    """A parameter as SymPy holds it: 0.1 is exactly 1/10, as the instructor wrote it."""
    import sympy

    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Rational(repr(float(value)))


def evaluate(formula: Formula, values: dict[str, Any]):
    """The exact SymPy value (nested lists for a vector or matrix), cost bounded first.

    ``values`` maps each name to a SymPy number (a parameter) or Symbol (a variable of an
    expression answer)."""
    from quizgen.grading.symbolic import to_sympy

    _map(formula.tree, lambda node: _approx(node, values))
    try:
        with time_limit():
            _bound(formula.tree, values)
            return _map(formula.tree, lambda node: to_sympy(node, values))
    except FormulaError:
        raise
    except Exception as e:  # SymPy giving up on a contrived formula, in any way
        raise FormulaError(f"cannot be computed exactly ({type(e).__name__})") from None


def _map(tree: Node, convert):
    if tree.op == "vec":
        return [_map(a, convert) for a in tree.args]
    return convert(tree)


def _bound(tree: Node, values: dict[str, Any]) -> int:
    digits = _digits(tree, values)
    if digits > MAX_DIGITS:
        raise FormulaError(f"its exact value would need about {digits} digits (at most "
                           f"{MAX_DIGITS}): an exponent is too large")
    return digits


def _rational_digits(p: int, q: int) -> int:
    return sum(int(abs(n).bit_length() * LOG10_2) + 1 for n in (p, q))


def _digits(node: Node, values: dict[str, Any]) -> int:
    """An upper estimate of the decimal digits of the exact value of ``node``."""
    from quizgen.grading.symbolic import to_sympy

    op = node.op
    if op == "num":
        f = Fraction(node.text or repr(node.value))
        return _rational_digits(f.numerator, f.denominator)
    if op == "var":
        value = values[node.value]
        return _rational_digits(value.p, value.q) if getattr(value, "is_Rational", False) else 1
    if op == "const":
        return 1
    if op == "fact":
        return FACTORIAL_DIGITS
    if op == "pow":
        base, exponent = node.args
        exponent_digits = _bound(exponent, values)
        e = to_sympy(exponent, values)
        if getattr(e, "is_Rational", False):
            p = abs(int(e.p))
            if p > MAX_DIGITS:  # decided before the product, which could itself be huge
                raise FormulaError(f"an exponent is too large (at most {MAX_DIGITS})")
            return _bound(base, values) * max(1, p)
        return _bound(base, values) + exponent_digits
    return sum(_digits(a, values) for a in node.args) or 1


# -- the float range guard ----------------------------------------------------------------------
# SymPy evaluates sin, exp, ... of exact numbers to any precision, and the precision an
# argument needs grows with its size: tan(cosh(1000^pi)) would run for hours. Every step of a
# formula must therefore stay within a float's range, checked first in plain floating point,
# where no step can take long. Steps over a declared variable (an expression answer) or a
# function this table does not know are not checked; a known function's argument is.
_FUNCTIONS: dict[str, Callable[[complex], complex]] = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "cot": lambda z: 1 / cmath.tan(z),
    "sec": lambda z: 1 / cmath.cos(z), "csc": lambda z: 1 / cmath.sin(z), "asin": cmath.asin,
    "acos": cmath.acos, "atan": cmath.atan, "sinh": cmath.sinh, "cosh": cmath.cosh,
    "tanh": cmath.tanh, "exp": cmath.exp, "log": cmath.log, "log10": cmath.log10,
    "log2": lambda z: cmath.log(z) / math.log(2), "sqrt": cmath.sqrt, "abs": abs,
    "sigmoid": lambda z: 1 / (1 + cmath.exp(-z)), "softplus": lambda z: cmath.log(1 + cmath.exp(z)),
    "relu": lambda z: max(z.real, 0), "sign": lambda z: (z.real > 0) - (z.real < 0),
    "max": lambda *zs: max(z.real for z in zs), "min": lambda *zs: min(z.real for z in zs),
    "floor": lambda z: math.floor(z.real), "ceil": lambda z: math.ceil(z.real),
    "log1p": lambda z: cmath.log(1 + z), "expm1": lambda z: cmath.exp(z) - 1,
    "erf": lambda z: math.erf(z.real),
}
_OPERATORS: dict[str, Callable[..., complex]] = {
    "neg": lambda a: -a, "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a**b,
}


def _approx(node: Node, values: dict[str, Any]) -> complex | None:
    """The value of ``node`` in complex floating point (None where unknown), FormulaError as
    soon as a step leaves the float range."""
    op = node.op
    if op == "num":
        return complex(float(Fraction(node.text or repr(node.value))))
    if op == "var":
        value = values[node.value]
        return complex(float(value)) if getattr(value, "is_number", False) else None
    if op == "const":
        return complex(math.pi if node.value == "pi" else math.e)
    args = [_approx(a, values) for a in node.args]
    if any(a is None for a in args):
        return None
    try:
        if op in _OPERATORS:
            result = _OPERATORS[op](*args)
        elif op == "call" and node.value in _FUNCTIONS:
            result = complex(_FUNCTIONS[node.value](*args))
        elif op == "root":
            result = abs(args[0]) ** (1 / node.value)
        elif op == "fact":
            result = complex(math.gamma(args[0].real + 1))
        else:  # a function this table does not know: assume it stays near its arguments
            result = complex(1 + max(abs(a) for a in args))
    except OverflowError:
        result = complex(math.inf)
    except (ZeroDivisionError, ValueError):
        return None  # undefined here: SymPy says so exactly, at no cost
    if not (math.isfinite(result.real) and math.isfinite(result.imag)):
        raise FormulaError("a step of it leaves the range of a float (about 1e308)")
    return result


class _Expired(BaseException):
    """Raised by the timer; a BaseException so that no ``except Exception`` in SymPy eats it."""


@contextmanager
def time_limit(seconds: float | None = None):
    """FormulaError if the block runs longer than ``seconds`` (default TIME_LIMIT). It is an
    interval timer, so only in the main thread on POSIX; elsewhere the bounds above hold."""
    seconds = seconds or TIME_LIMIT
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer") or signal.getitimer(signal.ITIMER_REAL)[0]:
        yield  # not ours to set, or a timer is already running (an outer time_limit)
        return

    def expire(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise FormulaError(f"takes more than {seconds:g} s to compute exactly; simplify it or "
                           "narrow the parameters") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def to_float(value) -> float:
    """A finite real float of an exact SymPy number, else FormulaError saying why."""
    try:
        with time_limit():
            return _finite_real(value)
    except FormulaError:
        raise
    except Exception as e:  # as in evaluate
        raise FormulaError(f"cannot be evaluated ({type(e).__name__})") from None


def _finite_real(value) -> float:
    import sympy

    approx = sympy.N(value, 30)
    if approx.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("is undefined (a division by zero, or the logarithm of zero?)")
    real, imag = approx.as_real_imag()
    if not (real.is_Number and imag.is_Number):
        raise FormulaError("cannot be evaluated to a number")
    if imag != 0 and abs(imag) > 1e-20 * max(1, abs(real)):
        raise FormulaError("is not a real number (the square root or logarithm of a "
                           "negative number?)")
    result = float(real)
    if not math.isfinite(result):
        raise FormulaError("is too large for a float")
    return result


def to_floats(value):
    """`to_float` entry by entry, keeping the nesting of a vector or matrix."""
    return [to_floats(v) for v in value] if isinstance(value, list) else to_float(value)
