"""normalization.instance_norm_stats against torch.nn.InstanceNorm2d and torch.var_mean."""

import pytest
import torch

from question_bank.normalization import instance_norm_stats as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_instance_norm_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "in-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_hand_example_and_batch_norm_slip():
    x = [[[[1.0, 2.0, 3.0]], [[0.0, 0.0, 3.0]]], [[[6.0, 6.0, 0.0]], [[1.0, 1.0, 1.0]]]]
    base = {"shape": [2, 2, 1, 3], "x": x, "sample": 0, "channel": 0, "index": 0}
    assert family.answer({**base, "ask": "mean"}) == pytest.approx(2.0)
    assert family.answer({**base, "ask": "var"}) == pytest.approx(2 / 3)
    wrong = {m.name: m.value for m in family.mistakes({**base, "ask": "mean"})}
    assert wrong["over_batch"] == pytest.approx(3.0)   # (1+2+3+6+6+0)/6, BatchNorm's mean
    assert wrong["over_channels"] == pytest.approx(1.5)  # (1+2+3+0+0+3)/6, LayerNorm's mean


def test_default_instance_norm_has_no_parameters_so_no_affine_is_applied():
    assert sum(p.numel() for p in torch.nn.InstanceNorm2d(2).parameters()) == 0
