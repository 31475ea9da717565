"""schedules.exponential_lr against torch's ExponentialLR and LambdaLR(exp(-k e))."""

import math

import pytest

from question_bank.schedules import exponential_lr as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_scheduler_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "exp-oracle"), difficulty)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_seed_form_is_exponential_lr_with_gamma_exp_minus_k():
    seed_form = {"lr0": 0.1, "form": "k", "k": 0.1, "epoch": 10, "ask": "lr"}
    torch_form = {"lr0": 0.1, "form": "gamma", "gamma": math.exp(-0.1), "epoch": 10, "ask": "lr"}
    assert family.answer(seed_form) == pytest.approx(0.1 * math.exp(-1.0), rel=1e-12)
    assert family.answer(torch_form) == pytest.approx(family.answer(seed_form), rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(seed_form)}
    assert wrong["k_gamma_confusion"] == pytest.approx(0.1 * 0.1**10)
    assert wrong["epoch_counted_from_one"] == pytest.approx(0.1 * math.exp(-0.9))


def test_first_epoch_below_a_threshold():
    # 0.5^e < 0.1 first at e = 4 (0.5^3 = 0.125, 0.5^4 = 0.0625).
    params = {"lr0": 1.0, "form": "gamma", "gamma": 0.5, "ask": "first_below",
              "threshold": 0.1, "ratio": 0.1}
    assert family.answer(params) == 4
    assert {m.name: m.value for m in family.mistakes(params)}["floor_instead_of_next_integer"] == 3
