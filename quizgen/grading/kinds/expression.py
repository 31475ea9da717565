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
from ..messages import AnswerError, message
from ..mistakes import incorrect, matched
from ..nodes import Node, render
from ..numeric import evaluate_points
from ..points import sample_points, seed_for
from ..reading import expected_expression, freeze, read_expression
from ..verdict import Verdict


def points_for(answer: str, ctx: Context) -> dict:
    return sample_points(ctx.variables, seed_for(ctx.secret, ctx.variables, answer))


def values_at(tree: Node, points: dict):
    import numpy as np

    with np.errstate(all="ignore"):
        return evaluate_points(tree, points)


def equivalent(want: Node, got: Node, points: dict, ctx: Context, got_values=None,
               allow_sympy: bool = True):
    """(status or None if undecided, method, index of a disagreeing point or None)."""
    import numpy as np

    want_values = values_at(want, points)
    got_values = values_at(got, points) if got_values is None else got_values

    def refine(index: int):
        point = {name: float(values[index].real) for name, values in points.items()}
        return precise.same_at(want, got, point)

    with np.errstate(all="ignore"):
        state, where = compare.compare_points(want_values, got_values, refine)
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


def describe_point(points: dict, index: int) -> str:
    parts = [f"{name} = {values[index].real:.3g}" for name, values in points.items()]
    return ", ".join(parts) if parts else "every point"


def grade(expected, answer: str, ctx: Context) -> Verdict:
    want = expected_expression(freeze(expected), ctx.names)
    tree = read_expression(answer, ctx.names)
    interpreted = render(tree)
    points = points_for(answer, ctx)
    values = values_at(tree, points)
    status, method, where = equivalent(want, tree, points, ctx, values)
    if status == "correct":
        return Verdict("correct", 1.0, message("correct", ctx.lang), interpreted, method)

    def matches(value) -> bool:
        other = expected_expression(freeze(value), ctx.names)
        return equivalent(other, tree, points, ctx, values, allow_sympy=False)[0] == "correct"

    mistake = matched(ctx.mistakes, matches, ctx.deadline)
    if where is not None and points:
        feedback = message("incorrect_expression", ctx.lang, point=describe_point(points, where))
    else:
        feedback = message("incorrect_expression_symbolic", ctx.lang)
    return incorrect(0.0, feedback, interpreted, method, mistake, ctx.lang)
