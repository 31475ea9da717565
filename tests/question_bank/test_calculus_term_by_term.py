"""The calculus families build their derivatives term by term from cached pieces, for speed;
these pieces must be the very expressions SymPy gives for the whole f (same structure, so the
same LaTeX, the same text and the same floats in quiz.json)."""

import random

import pytest
import sympy as sp

import question_bank.calculus.directional_derivative as dd
from question_bank import DIFFICULTIES
from question_bank.calculus._functions import (
    CHAIN_RULE_MISSED,
    COEFFICIENTS,
    TERMS,
    exact_gradient,
    function,
    partials,
    slipped_gradient,
    x,
    y,
)
from quizgen.sampling import rng_for


def _random_terms(rng: random.Random) -> list[list]:
    return [[rng.choice(COEFFICIENTS), k] for k in rng.sample(list(TERMS), rng.choice([2, 3]))]


@pytest.mark.parametrize("seed", range(150))
def test_partials_and_exact_gradient_are_sympys_for_the_whole_function(seed):
    rng = random.Random(seed)
    terms, point = _random_terms(rng), [rng.randint(-2, 2), rng.randint(-2, 2)]
    f = function(terms)
    whole = [sp.diff(f, v) for v in (x, y)]
    assert [sp.srepr(p) for p in partials(terms)] == [sp.srepr(p) for p in whole]
    at = {x: sp.Rational(point[0]), y: sp.Rational(point[1])}
    assert [sp.srepr(g) for g in exact_gradient(terms, point)] == [
        sp.srepr(p.subs(at)) for p in whole]
    slipped = slipped_gradient(terms, point, CHAIN_RULE_MISSED)
    if slipped is not None:
        wrong = [sum(c * sp.S((CHAIN_RULE_MISSED.get(k) or (sp.diff(TERMS[k], x),
                                                            sp.diff(TERMS[k], y)))[i])
                     for c, k in terms) for i in (0, 1)]
        assert slipped == [float(w.subs({x: point[0], y: point[1]})) for w in wrong]


@pytest.mark.parametrize("seed", range(150))
def test_directional_expressions_and_values_are_the_expansion_of_the_whole(seed):
    params = dd.sample(rng_for(seed, "term-by-term"), DIFFICULTIES[seed % 3])
    fx, fy = (sp.diff(dd.function(params), v) for v in (x, y))
    for change in ({}, {"swap": True}, {"normalize": False}):
        a, b = dd._direction_vector(params)
        if change.get("swap"):
            a, b = b, a
        norm = sp.sqrt(a**2 + b**2) if change.get("normalize", True) else 1
        whole = sp.expand(fx * a / norm + fy * b / norm)
        assert sp.srepr(dd._expression(params, **change)) == sp.srepr(whole)
        point = {x: params["point"][0], y: params["point"][1]}
        assert dd._value(params, **change) == float(whole.subs(point))
