"""schedules.cosine_annealing against torch.optim.lr_scheduler.CosineAnnealingLR."""

import pytest

from question_bank.schedules import cosine_annealing as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_scheduler_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "cos-oracle"), difficulty)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9, abs=1e-15), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_conventions_example_rises_again_past_t_max():
    # Conventions 6: T_max = 10, eta_min = 0.001 from 0.1 gives 0.0505 at e = 15.
    params = {"lr0": 0.1, "T_max": 10, "eta_min": 0.001, "epoch": 15}
    assert family.answer(params) == pytest.approx(0.0505, rel=1e-9)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["clamped_at_eta_min"] == 0.001


def test_hard_questions_go_past_t_max():
    for seed in range(50):
        params = family.sample(rng_for(seed, "past"), 3)
        if params.get("formula") or params.get("parts"):
            continue  # the formula variant: test_families.py; in parts: test_multipart_families.py
        assert params["T_max"] < params["epoch"] < 2 * params["T_max"]
