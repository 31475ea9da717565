"""SymPy equivalence for the few answers random points cannot decide, in a worker process.

The tree is converted to SymPy with SymPy's constructors (never by parsing a string), with
symbols that carry each variable's domain as assumptions (``positive=True``, ``integer=True``,
...), and the check runs in a worker process of :mod:`workers` under a memory limit and a
wall-clock limit: a CAS that hangs costs at most the time left of the verdict's budget (and at
most ``TIME_LIMIT``) and becomes "could not be checked in time". The grading process itself
never imports SymPy.
"""

from __future__ import annotations

from .nodes import Node
from .variables import Variable

TIME_LIMIT = 2.0  # seconds per check at most

EQUIVALENT, DIFFERENT, UNKNOWN, TIMEOUT = "equivalent", "different", "unknown", "timeout"

_ASSUMPTIONS = {
    "real": {"real": True},
    "positive": {"positive": True},
    "nonnegative": {"nonnegative": True},
    "integer": {"integer": True},
    "positive_integer": {"integer": True, "positive": True},
    "unit_interval": {"positive": True},  # (0, 1): SymPy has no upper bound assumption
}


def symbol(variable: Variable):
    import sympy

    return sympy.Symbol(variable.name, **_ASSUMPTIONS[variable.domain])


def to_sympy(node: Node, symbols: dict):
    """Build the SymPy expression of a tree from constructors (decimal literals become exact)."""
    import sympy

    if not _SYMPY_FUNCTIONS:
        _load_functions()
    op = node.op
    if op == "num":
        return sympy.Rational(node.text) if node.text else sympy.Rational(repr(node.value))
    if op == "var":
        return symbols[node.value]
    if op == "const":
        return sympy.pi if node.value == "pi" else sympy.E
    args = [to_sympy(a, symbols) for a in node.args]
    if op == "neg":
        return -args[0]
    if op == "add":
        return sympy.Add(args[0], args[1])
    if op == "sub":
        return sympy.Add(args[0], -args[1])
    if op == "mul":
        return sympy.Mul(args[0], args[1])
    if op == "div":
        return sympy.Mul(args[0], sympy.Pow(args[1], -1))
    if op == "pow":
        return sympy.Pow(args[0], args[1])
    if op == "root":
        return sympy.real_root(args[0], node.value) if node.value % 2 else sympy.root(
            args[0], node.value)
    if op == "fact":
        return sympy.factorial(args[0])
    if op == "call":
        return _SYMPY_FUNCTIONS[node.value](*args)
    raise ValueError(f"cannot convert {op!r} to SymPy")


_SYMPY_FUNCTIONS: dict = {}


def _load_functions() -> None:
    import sympy

    _SYMPY_FUNCTIONS.update({
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot,
        "sec": sympy.sec, "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos,
        "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
        "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
        "log10": lambda x: sympy.log(x, 10), "log2": lambda x: sympy.log(x, 2),
        "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)),
        "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
        "relu": lambda x: sympy.Max(0, x), "max": sympy.Max, "min": sympy.Min,
        "sign": sympy.sign, "floor": sympy.floor, "ceil": sympy.ceiling,
        "log1p": lambda x: sympy.log(1 + x), "expm1": lambda x: sympy.exp(x) - 1,
        "erf": sympy.erf,
    })


def decide(expected: Node, answer: Node, variables: tuple[Variable, ...]) -> str:
    """EQUIVALENT, DIFFERENT or UNKNOWN, computed in this process (the worker's job)."""
    import sympy
    from sympy.core import random as sympy_random

    symbols = {v.name: symbol(v) for v in variables}
    e = to_sympy(expected, symbols)
    a = to_sympy(answer, symbols)
    difference = a - e
    if difference == 0 or sympy.simplify(difference) == 0:
        return EQUIVALENT
    sympy_random.seed(0)  # equals() tests random points: seed it so verdicts are reproducible
    same = a.equals(e)
    if same is True:
        return EQUIVALENT
    if same is False:
        return DIFFERENT
    return UNKNOWN


def equivalent(expected: Node, answer: Node, variables: tuple[Variable, ...],
               time_limit: float | None = None) -> str:
    """EQUIVALENT, DIFFERENT, UNKNOWN or TIMEOUT, from a time- and memory-limited worker."""
    from .workers import POOL

    limit = TIME_LIMIT if time_limit is None else min(time_limit, TIME_LIMIT)
    if limit <= 0:
        return TIMEOUT
    job = {"job": "sympy", "expected": expected.to_json(), "answer": answer.to_json(),
           "variables": [str(v) for v in variables]}
    result = POOL.run(job, limit)
    return result if result in (EQUIVALENT, DIFFERENT, UNKNOWN, TIMEOUT) else TIMEOUT
