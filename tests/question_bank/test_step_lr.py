"""schedules.step_lr against torch.optim.lr_scheduler.StepLR / MultiStepLR."""

import pytest

from question_bank.schedules import step_lr as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_scheduler_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "step-oracle"), difficulty)
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9, abs=1e-15), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_conventions_example_drops_at_epoch_step_size_and_keras_drops_one_early():
    # Conventions 6: StepLR(3, 0.5) from 0.1 gives 0.1, 0.1, 0.1, 0.05, ...
    params = {"lr0": 0.1, "gamma": 0.5, "scheduler": "StepLR", "step_size": 3, "epoch": 2}
    assert family.history(params) == pytest.approx([0.1, 0.1, 0.1])
    assert family.answer({**params, "epoch": 3}) == pytest.approx(0.05)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["keras_one_epoch_early"] == pytest.approx(0.05)


def test_multistep_counts_every_milestone_passed():
    params = {"lr0": 0.1, "gamma": 0.1, "scheduler": "MultiStepLR", "milestones": [30, 80],
              "epoch": 80}
    assert family.answer(params) == pytest.approx(0.001)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["counts_epochs_from_one"] == pytest.approx(0.01)
    assert wrong["gamma_once"] == pytest.approx(0.01)
