"""calculus.gradient_descent_step against torch.optim.SGD on f written with torch operations."""

import pytest

from question_bank.calculus import gradient_descent_step as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_optim_sgd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "gd-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_two_steps_on_x2_plus_y2_shrink_the_point_by_0_8_each():
    params = {"terms": [[1, "x^2"], [1, "y^2"]], "point": [1, 2], "lr": 0.1, "steps": 2}
    assert family.answer(params) == pytest.approx([0.64, 1.28])
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["one_step_only"] == pytest.approx([0.8, 1.6])
    assert wrong["stale_gradient"] == pytest.approx([0.6, 1.2])  # 2 steps of grad f(p0)
    assert wrong["ascent"] == pytest.approx([1.44, 2.88])


def test_difficulty_3_takes_two_steps():
    for seed in range(50):
        assert family.sample(rng_for(seed, "gd-steps"), 3)["steps"] == 2
