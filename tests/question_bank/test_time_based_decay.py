"""schedules.time_based_decay against torch's LambdaLR(1 / (1 + k t))."""

import pytest

from question_bank.schedules import time_based_decay as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_lambda_lr_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "time-oracle"), difficulty)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_per_iteration_decay_counts_the_partial_batch():
    # 1000 samples in batches of 64: 15 full batches and one of 40, so 16 iterations an epoch.
    params = {"lr0": 0.1, "unit": "iteration", "k": 0.01, "dataset": 1000, "batch": 64,
              "epoch": 2, "extra": 3}
    assert family.steps(params) == 35
    assert family.answer(params) == pytest.approx(0.1 / 1.35)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["partial_batch_dropped"] == pytest.approx(0.1 / 1.33)
    assert wrong["epochs_as_steps"] == pytest.approx(0.1 / 1.02)


def test_hard_questions_have_the_partial_batch_trap():
    seen = {m.name for seed in range(60)
            for m in family.mistakes(family.sample(rng_for(seed, "trap"), 3))}
    assert "partial_batch_dropped" in seen
