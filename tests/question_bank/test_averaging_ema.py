"""averaging.ema against torch.optim.swa_utils.AveragedModel + get_ema_multi_avg_fn."""

import pytest

from question_bank.averaging import ema as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_averaged_model_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "ema-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_conventions_checked_example_the_first_update_copies():
    # conventions.md section 4: updates with [1, 2] at decay 0.9 give [1.0, 1.1].
    params = {"values": [[1.0, -1.0], [2.0, 0.0]], "decay": 0.9, "start": "first",
              "corrected": False, "torch": True}
    assert family.answer(params) == pytest.approx([1.1, -0.9], rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["zero_start"] == pytest.approx([0.29, -0.09])
    assert wrong["swapped_decay"] == pytest.approx([1.9, -0.1])


def test_bias_correction_by_hand():
    # zero start: 0.1, then 0.9 * 0.1 + 0.1 * 2 = 0.29; corrected 0.29 / (1 - 0.81).
    params = {"values": [1.0, 2.0], "decay": 0.9, "start": "zero", "corrected": True,
              "torch": False}
    assert family.answer(params) == pytest.approx(0.29 / 0.19, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["no_bias_correction"] == pytest.approx(0.29)
    assert wrong["off_by_one"] == pytest.approx(0.29 / 0.1)
