"""Expressions: exactly equivalent over each variable's real domain.

Both sides are evaluated at sample points drawn inside the domains from the verdict's secret
seed (points.py); a point counts where both are finite and real; float64 agreement to round-off
decides, high precision settles doubtful points (precise.py), and SymPy, with the domains as
assumptions, decides only when too few points count, within the verdict's deadline. Tolerances
do not apply: a decimal the student types is its exact value.
"""

from __future__ import annotations

from .. import compare, precise, symbolic
from ..context import Context
from ..functions import PIECEWISE
from ..messages import AnswerError, message
from ..mistakes import incorrect, matched
from ..nodes import Node, render
from ..numeric import evaluate_points
from ..points import N_DISCRETE, N_MORE, N_POINTS, sample_points, seed_for
from ..reading import expected_expression, freeze, read_expression
from ..verdict import Verdict


def piecewise(*trees: Node) -> bool:
    """Whether any tree uses a function that may make two expressions differ on a small part
    of the domain only (floor, max, ...): such comparisons get N_DISCRETE points."""
    stack = list(trees)
    while stack:
        node = stack.pop()
        if node.op == "call" and node.value in PIECEWISE:
            return True
        stack.extend(node.args)
    return False


def points_for(answer: str, ctx: Context, n: int = N_POINTS) -> dict:
    return sample_points(ctx.variables, seed_for(ctx.secret, ctx.variables, answer), n)


def more_points_for(answer: str, ctx: Context):
    """A callable giving the larger second sample, drawn on first use only."""
    cache: dict = {}

    def more() -> dict:
        if not cache:
            cache.update(points_for(answer, ctx, N_MORE))
        return cache

    return more


def values_at(tree: Node, points: dict):
    """Values at the points (call inside numpy.errstate(all="ignore"), as grade does)."""
    return evaluate_points(tree, points)


def _point(points: dict, index: int | None) -> dict[str, float] | None:
    if index is None:
        return None
    return {name: float(values[index].real) for name, values in points.items()}


def _at_points(want: Node, got: Node, points: dict, got_values=None):
    """(state, the disagreeing point or None)."""
    import numpy as np

    n = len(next(iter(points.values()), ()))
    want_values = np.broadcast_to(values_at(want, points), (n,))  # a constant at every point
    got_values = np.broadcast_to(values_at(got, points) if got_values is None else got_values,
                                 (n,))

    def refine(index: int):
        return precise.same_at(want, got, _point(points, index))

    confirm = 2 if want.fine or got.fine else 0
    state, where = compare.compare_points(want_values, got_values, refine, confirm)
    return state, _point(points, where)


def equivalent(want: Node, got: Node, points: dict, ctx: Context, got_values=None,
               allow_sympy: bool = True, more_points=None):
    """(status or None if undecided, method, a point where they differ or None).

    ``more_points()`` gives a larger sample to try when too few of ``points`` count (both
    sides real only on a small part of the domain) before SymPy is asked."""
    state, where = _at_points(want, got, points, got_values)
    if state == compare.UNDECIDED and more_points is not None:
        points = more_points()
        state, where = _at_points(want, got, points)
    if state == compare.SAME:
        return "correct", "random-points", None
    if state == compare.DIFFERENT:
        return "incorrect", "random-points", where
    if not allow_sympy:
        return None, "random-points", None
    ctx.deadline.check()
    outcome = symbolic.equivalent(want, got, ctx.variables, ctx.deadline.remaining())
    if outcome == symbolic.EQUIVALENT:
        return "correct", "sympy", None
    if outcome == symbolic.DIFFERENT:
        return "incorrect", "sympy", None
    if outcome == symbolic.TIMEOUT:
        raise AnswerError("timeout", method="timeout")
    raise AnswerError("undecided", method="sympy")


def describe_point(point: dict[str, float]) -> str:
    parts = [f"{name} = {value:.3g}" for name, value in point.items()]
    return ", ".join(parts) if parts else "every point"


def grade(expected, answer: str, ctx: Context) -> Verdict:
    import numpy as np

    with np.errstate(all="ignore"):  # inf and nan mark points that do not count
        return _grade(expected, answer, ctx)


def _grade(expected, answer: str, ctx: Context) -> Verdict:
    want = expected_expression(freeze(expected), ctx.names)
    tree = read_expression(answer, ctx.names)
    interpreted = render(tree)
    points = points_for(answer, ctx, N_DISCRETE if piecewise(want, tree) else N_POINTS)
    values = values_at(tree, points)
    status, method, where = equivalent(want, tree, points, ctx, values,
                                       more_points=more_points_for(answer, ctx))
    if status == "correct":
        return Verdict("correct", 1.0, message("correct", ctx.lang), interpreted, method)

    def matches(value) -> bool:
        other = expected_expression(freeze(value), ctx.names)
        return equivalent(other, tree, points, ctx, values, allow_sympy=False)[0] == "correct"

    mistake = matched(ctx.mistakes, matches, ctx.deadline)
    if where:
        feedback = message("incorrect_expression", ctx.lang, point=describe_point(where))
    else:
        feedback = message("incorrect_expression_symbolic", ctx.lang)
    return incorrect(0.0, feedback, interpreted, method, mistake, ctx.lang)
