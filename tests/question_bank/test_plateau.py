"""schedules.plateau against torch.optim.lr_scheduler.ReduceLROnPlateau."""

import pytest

from question_bank.schedules import plateau as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_scheduler_and_exact_simulation(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "plateau-oracle"), difficulty)
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-12), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-12), params


def test_conventions_example_reduces_on_the_patience_plus_first_bad_epoch():
    # Conventions 6: patience 2, losses [1, .9, .9, .9, .9] reduces on the 5th call.
    params = {"lr0": 0.1, "factor": 0.1, "patience": 2, "cooldown": 0,
              "losses": [1.0, 0.9, 0.9, 0.9]}
    assert family.answer(params) == pytest.approx(0.1)
    assert family.answer({**params, "losses": [1.0, 0.9, 0.9, 0.9, 0.9]}) == pytest.approx(0.01)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["reduces_on_patience_th_bad_epoch"] == pytest.approx(0.01)


def test_a_decrease_below_the_relative_threshold_is_not_an_improvement():
    params = {"lr0": 0.1, "factor": 0.5, "patience": 1, "cooldown": 0,
              "losses": [0.5, 0.49998, 0.49996]}
    assert family.answer(params) == pytest.approx(0.05)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["threshold_ignored"] == pytest.approx(0.1)
