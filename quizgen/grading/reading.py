"""Reading values: a student's number or expression, and the expected side of a question.

The expected side (trusted quiz data) goes through the same safe parser and is cached per
distinct value, so a batch of answers to one question parses its key once.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from .context import ExpectedError
from .messages import AnswerError
from .nodes import Node, render
from .numeric import evaluate_scalar
from .parser import parse
from .scan import plain_decimal


def freeze(value: Any) -> Any:
    """A hashable copy of an expected value (lists become tuples), for the caches."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def text_of(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def real_value(tree: Node, env=None) -> float:
    if tree.op == "vec":
        raise AnswerError("not_scalar", n=len(tree.args))
    value = evaluate_scalar(tree, env)
    if isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            if not (math.isfinite(value.real) and math.isfinite(value.imag)):
                raise AnswerError("not_finite")
            raise AnswerError("not_real")
        value = value.real
    if not math.isfinite(value):
        raise AnswerError("not_finite")
    return value


def read_number(text: str) -> tuple[float, str, str | None]:
    """(value, how it was read, the decimal literal when it was one). Plain decimals skip the
    parser entirely; the literal lets tolerance and significant figures use the exact decimal."""
    literal = plain_decimal(text)
    if literal is not None:
        value = float(literal)
        if math.isfinite(value):
            return value, literal, literal
    tree = parse(text)
    return real_value(tree), render(tree), None


@lru_cache(maxsize=4096)
def expected_number(expected: Any) -> float:
    if isinstance(expected, float):
        value = expected
    else:
        try:
            value = read_number(str(expected))[0]
        except AnswerError as err:
            raise ExpectedError(f"expected value {expected!r}: {err.render('en')}") from None
    if not math.isfinite(value):
        raise ExpectedError(f"expected value {expected!r} is not finite")
    return value


def read_expression(text: str, names: tuple[str, ...]) -> Node:
    tree = parse(text, names)
    if tree.op == "vec":
        raise AnswerError("not_scalar", n=len(tree.args))
    return tree


@lru_cache(maxsize=4096)
def expected_expression(expected: Any, names: tuple[str, ...]) -> Node:
    try:
        tree = parse(text_of(expected), names)
    except AnswerError as err:
        raise ExpectedError(f"expected expression {expected!r}: {err.render('en')}") from None
    if tree.op == "vec":
        raise ExpectedError(f"expected expression {expected!r} is a list")
    return tree
