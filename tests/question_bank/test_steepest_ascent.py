"""calculus.steepest_ascent against torch.autograd's gradient, normalized by hand."""

import math

import pytest

from question_bank.calculus import steepest_ascent as family
from quizgen.sampling import rng_for


def test_answer_matches_autograd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "steep-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_conventions_example_x2_plus_y2_at_1_1():
    # conventions.md section 7: the maximum rate of x^2 + y^2 at (1, 1) is 2 sqrt(2).
    base = {"terms": [[1, "x^2"], [1, "y^2"]], "point": [1, 1]}
    assert family.answer({**base, "ask": "rate"}) == pytest.approx(2 * math.sqrt(2))
    r = 1 / math.sqrt(2)
    assert family.answer({**base, "ask": "ascent"}) == pytest.approx([r, r])
    assert family.answer({**base, "ask": "descent"}) == pytest.approx([-r, -r])


def test_direction_answers_are_unit_vectors_and_slips_are_not():
    for seed in range(100):
        params = family.sample(rng_for(seed, "steep-unit"), 2)
        assert math.hypot(*family.answer(params)) == pytest.approx(1.0)
        wrong = {m.name: m.value for m in family.mistakes(params)}
        assert wrong["opposite"] == pytest.approx([-c for c in family.answer(params)])
