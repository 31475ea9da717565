"""Vectors and matrices: the shape must match (a row or a column written for a vector counts),
then each entry is a number within tolerance, or an expression, and the score is the fraction
of correct entries."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from ..context import Context, ExpectedError
from ..messages import AnswerError, message
from ..mistakes import incorrect, matched
from ..nodes import Node, render
from ..parser import parse
from ..points import N_DISCRETE, N_POINTS
from ..reading import freeze, real_value, text_of
from ..scan import plain_list
from ..verdict import Verdict
from . import expression


def shape_and_leaves(tree: Node) -> tuple[tuple[int, ...], list[Node]]:
    """Row-major shape and entries of a (nested) list; a lone value has shape ()."""
    if tree.op != "vec":
        return (), [tree]
    shapes, leaves = set(), []
    for item in tree.args:
        shape, item_leaves = shape_and_leaves(item)
        shapes.add(shape)
        leaves.extend(item_leaves)
    if len(shapes) > 1:
        raise AnswerError("ragged")
    return (len(tree.args), *shapes.pop()), leaves


def _tree_of_value(value: Any, names) -> Node:
    """Parse a trusted nested list/number/string the same safe way as an answer."""
    if isinstance(value, tuple):
        return Node("vec", tuple(_tree_of_value(v, names) for v in value))
    return parse(text_of(value), names)


class Expected:
    __slots__ = ("shape", "entries")  # entries: floats, or expression trees with variables

    def __init__(self, shape, entries) -> None:
        self.shape, self.entries = shape, entries


@lru_cache(maxsize=4096)
def expected_vector(expected: Any, names: tuple[str, ...]) -> Expected:
    try:
        shape, leaves = shape_and_leaves(_tree_of_value(expected, names))
        entries = tuple(leaves) if names else tuple(real_value(leaf) for leaf in leaves)
    except AnswerError as err:
        raise ExpectedError(f"expected value {expected!r}: {err.render('en')}") from None
    return Expected(shape, entries)


def same_layout(want: tuple[int, ...], got: tuple[int, ...]) -> bool:
    """Equal shapes, or the same entries written as a row or a column ((n,) ~ (n,1) ~ (1,n))."""
    if want == got:
        return True

    def squeeze(shape):
        return tuple(d for d in shape if d != 1) or (1,)

    return squeeze(want) == squeeze(got) and max(len(want), len(got)) <= 2


def _describe_shape(shape: tuple[int, ...], lang: str) -> str:
    if not shape:
        return "a single value" if lang == "en" else "单个值"
    if len(shape) == 1:
        return f"{shape[0]} entries" if lang == "en" else f"{shape[0]} 个分量"
    dims = "×".join(map(str, shape))
    return f"a {dims} matrix" if lang == "en" else f"{dims} 矩阵"


def _entry_label(index: int, shape: tuple[int, ...]) -> str:
    if len(shape) <= 1:
        return str(index + 1)
    position = []
    for dim in reversed(shape):
        position.append(index % dim + 1)
        index //= dim
    return "(" + ", ".join(map(str, reversed(position))) + ")"


def _wrong_shape(want, shape, interpreted, lang) -> Verdict:
    feedback = message("shape", lang, want=_describe_shape(want.shape, lang),
                       got=_describe_shape(shape, lang))
    return Verdict("incorrect", 0.0, feedback, interpreted, "entrywise")


def grade(expected, answer: str, ctx: Context) -> Verdict:
    if not ctx.names:
        return _grade(expected, answer, ctx)  # numbers only: no NumPy
    import numpy as np

    with np.errstate(all="ignore"):  # inf and nan mark points that do not count
        return _grade(expected, answer, ctx)


def _grade(expected, answer: str, ctx: Context) -> Verdict:
    want = expected_vector(freeze(expected), ctx.names)
    literals = None if ctx.names else plain_list(answer)
    if literals is not None:
        numbers = [float(t) for t in literals]
        if all(math.isfinite(v) for v in numbers):
            return _score_numbers(want, numbers, literals, (len(numbers),),
                                  "[" + ", ".join(literals) + "]", ctx)
    tree = parse(answer, ctx.names)
    interpreted = render(tree)
    shape, leaves = shape_and_leaves(tree)
    if not same_layout(want.shape, shape):
        return _wrong_shape(want, shape, interpreted, ctx.lang)
    if not ctx.names:
        numbers = [real_value(leaf) for leaf in leaves]
        texts = [leaf.text if leaf.op == "num" else None for leaf in leaves]
        return _score_numbers(want, numbers, texts, shape, interpreted, ctx)
    discrete = expression.piecewise(*want.entries, *leaves)
    points = expression.points_for(answer, ctx, N_DISCRETE if discrete else N_POINTS)
    values = [expression.values_at(leaf, points) for leaf in leaves]
    more = expression.more_points_for(answer, ctx)
    methods, right = set(), []
    for entry, leaf, value in zip(want.entries, leaves, values):
        ctx.deadline.check()
        status, method, _ = expression.equivalent(entry, leaf, points, ctx, value,
                                                  more_points=more)
        methods.add(method)
        right.append(status == "correct")

    def matches(candidate) -> bool:
        other = expected_vector(freeze(candidate), ctx.names)
        return same_layout(other.shape, shape) and all(
            expression.equivalent(e, leaf, points, ctx, v, allow_sympy=False)[0] == "correct"
            for e, leaf, v in zip(other.entries, leaves, values))

    method = "sympy" if "sympy" in methods else "entrywise"
    return _score(want, right, interpreted, method, matches, ctx)


def _score_numbers(want, numbers, texts, shape, interpreted, ctx: Context) -> Verdict:
    if not same_layout(want.shape, shape):
        return _wrong_shape(want, shape, interpreted, ctx.lang)
    right = [ctx.tol.numbers(g, w, t) for g, w, t in zip(numbers, want.entries, texts)]

    def matches(candidate) -> bool:
        other = expected_vector(freeze(candidate), ())
        return same_layout(other.shape, shape) and all(
            ctx.tol.numbers(g, w, t) for g, w, t in zip(numbers, other.entries, texts))

    return _score(want, right, interpreted, "entrywise", matches, ctx)


def _score(want, right, interpreted, method, matches, ctx: Context) -> Verdict:
    n_right = sum(right)
    if n_right == len(right):
        return Verdict("correct", 1.0, message("correct", ctx.lang), interpreted, method)
    score = n_right / len(right) if right else 1.0
    wrong = ", ".join(_entry_label(i, want.shape) for i, ok in enumerate(right) if not ok)
    feedback = message("entries", ctx.lang, right=n_right, total=len(right), wrong=wrong)
    mistake = matched(ctx.mistakes, matches, ctx.deadline)
    return incorrect(score, feedback, interpreted, method, mistake, ctx.lang)
