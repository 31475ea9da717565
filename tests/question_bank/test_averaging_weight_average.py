"""averaging.weight_average against torch.stack().mean, torch.lerp and torch's AveragedModel."""

import pytest

from question_bank.averaging import weight_average as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "soup-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_hand_worked_soup_interpolation_and_swa():
    soup = {"models": [[1, 2], [3, 4], [5, 6]], "method": "soup"}
    assert family.answer(soup) == pytest.approx([3, 4])
    wrong = {m.name: m.value for m in family.mistakes(soup)}
    assert wrong["running_pairwise"] == pytest.approx([3.5, 4.5])
    assert wrong["divided_by_k_minus_1"] == pytest.approx([4.5, 6])
    mix = {"models": [[1, 0], [0, 1]], "method": "interpolate", "alpha": 0.7}
    assert family.answer(mix) == pytest.approx([0.7, 0.3])  # alpha weights model A
    swa = {"models": [[1.0], [2.0], [6.0]], "method": "swa"}
    assert family.answer(swa) == pytest.approx([3.0])
