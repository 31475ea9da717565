"""schedules.warmup_cosine against torch's SequentialLR(LinearLR, CosineAnnealingLR)."""

import pytest

from question_bank.schedules import warmup_cosine as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_torch_sequential_lr_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "warm-oracle"), difficulty)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-9, abs=1e-15), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-9), params


def test_linear_lr_default_ramp_and_the_hugging_face_zero_start():
    # Conventions 6: LinearLR(start_factor=1/3, total_iters=5) from 0.1: 0.0333, 0.0467, ...
    params = {"lr0": 0.1, "warmup": 5, "total": 50, "start_factor": 1 / 3, "eta_min": 0.0,
              "step": 1}
    assert family.answer(params) == pytest.approx(0.04667, rel=1e-3)
    assert family.answer({**params, "step": 0}) == pytest.approx(0.03333, rel=1e-3)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["hf_zero_start"] == pytest.approx(0.02)


def test_cosine_phase_starts_at_the_base_lr_after_warmup():
    params = {"lr0": 0.1, "warmup": 10, "total": 110, "start_factor": 0.1, "eta_min": 0.0,
              "step": 60}
    assert family.answer({**params, "step": 10}) == pytest.approx(0.1)
    assert family.answer(params) == pytest.approx(0.05)  # halfway through the cosine
