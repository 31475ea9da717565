"""gan.soft_label_bce against F.binary_cross_entropy and nn.BCEWithLogitsLoss."""

import math

import pytest

from question_bank.gan import soft_label_bce as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_bce_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "bce-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_one_sided_smoothing_by_hand():
    params = {"scheme": "salimans", "input": "prob", "outputs": [0.8], "real": [True]}
    expected = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2))
    assert family.answer(params) == pytest.approx(expected, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["hard_label"] == pytest.approx(-math.log(0.8))
    assert wrong["log10"] == pytest.approx(expected / math.log(10))
    batch = {"scheme": "salimans", "input": "prob", "outputs": [0.8, 0.3], "real": [True, False]}
    assert family.targets(batch) == [0.9, 0.0]  # fakes are never smoothed


def test_ganhacks_target_above_one_is_accepted_with_logits():
    params = {"scheme": "ganhacks", "input": "logit", "outputs": [2.0], "real": [True],
              "targets": [1.1]}
    p = 1 / (1 + math.exp(-2.0))
    expected = -(1.1 * math.log(p) + (1 - 1.1) * math.log(1 - p))
    assert family.answer(params) == pytest.approx(expected, rel=1e-12)
