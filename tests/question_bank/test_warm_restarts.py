"""schedules.warm_restarts against torch.optim.lr_scheduler.CosineAnnealingWarmRestarts."""

import pytest

from question_bank.schedules import warm_restarts as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_scheduler_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "sgdr-oracle"), difficulty)
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9, abs=1e-15), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_conventions_example_t0_3_tmult_2():
    # Conventions 6: 0.1, 0.075, 0.025, 0.1, 0.0933, 0.075, 0.05, 0.025, 0.0067, 0.1.
    params = {"lr0": 0.1, "eta_min": 0.0, "T_0": 3, "T_mult": 2, "ask": "lr", "epoch": 4}
    assert family.answer(params) == pytest.approx(0.0933, abs=1e-4)
    restart = {**params, "ask": "restart"}
    assert family.answer({**restart, "n": 1}) == 3
    assert family.answer({**restart, "n": 2}) == 9
    wrong = {m.name: m.value for m in family.mistakes({**restart, "n": 2})}
    assert wrong["cycle_length_not_cumulative"] == 6
    assert wrong["one_cycle_too_many"] == 21
