"""schedules.gd_quadratic against torch.optim.SGD on f(x) = a x^2 / 2 with autograd."""

import pytest

from question_bank.schedules import gd_quadratic as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_sgd_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "gd-oracle"), difficulty)
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9, abs=1e-12), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_each_difficulty_stays_in_its_regime():
    for seed in range(60):
        easy = family.sample(rng_for(seed, "regime"), 1)
        assert easy["lr"] * easy["a"] < 1
        middle = family.sample(rng_for(seed, "regime"), 2)
        assert 1 < middle["lr"] * middle["a"] < 2


def test_hand_example_oscillates_and_dropping_the_half_doubles_the_step():
    # a = 4, lr = 0.4: x -> -0.6 x, so x_3 = -0.216 x_0.
    params = {"a": 4, "form": "a", "lr": 0.4, "x0": 1.0, "steps": 3}
    assert family.answer(params) == pytest.approx(-0.216)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["half_dropped"] == pytest.approx((1 - 3.2) ** 3)
    assert wrong["gradient_ascent"] == pytest.approx(2.6**3)
