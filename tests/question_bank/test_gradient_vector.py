"""calculus.gradient_vector against torch.autograd on f written with torch operations."""

import math

import pytest

from question_bank.calculus import gradient_vector as family
from quizgen.sampling import rng_for


def test_answer_matches_autograd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "grad-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_gradient_of_x2_plus_y2_at_1_2_and_its_slips():
    params = {"terms": [[1, "x^2"], [1, "y^2"]], "point": [1, 2]}
    assert family.answer(params) == pytest.approx([2.0, 4.0])
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["swapped"] == pytest.approx([4.0, 2.0])
    assert wrong["power_rule_missed"] == pytest.approx([1.0, 2.0])  # d/dx x^2 taken as x


def test_chain_rule_slip_drops_the_inner_derivative():
    # f = sin(xy) at (1, 2): grad = (y cos xy, x cos xy) = (2 cos 2, cos 2)
    params = {"terms": [[1, "sin(xy)"], [1, "x"]], "point": [1, 2]}
    assert family.answer(params) == pytest.approx([2 * math.cos(2) + 1, math.cos(2)])
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["chain_rule_missed"] == pytest.approx([math.cos(2) + 1, math.cos(2)])


def test_sampled_gradients_are_never_zero():
    for seed in range(200):
        params = family.sample(rng_for(seed, "grad-zero"), 1 + seed % 3)
        assert any(abs(g) > 0 for g in family.answer(params))
