"""normalization.rmsnorm_output against torch.nn.RMSNorm and Hugging Face's T5 arithmetic."""

import math

import pytest
import torch

from question_bank.normalization import rmsnorm_output as family
from quizgen.sampling import rng_for
from reference.nn import T5LayerNorm


def test_answer_matches_torch_rmsnorm_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "rms-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_t5_answers_match_t5layernorm_float32_statistics():
    for seed in range(100):
        params = family.sample(rng_for(seed, "rms-t5"), 1 + seed % 3)
        if params["layer"] != "t5":
            continue
        layer = T5LayerNorm(len(params["x"]))
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(params["gamma"]))
            got = layer(torch.tensor(params["x"], dtype=torch.float32))
        expected = family.answer({**params, "ask": "vector"})
        assert got.tolist() == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_3_4_is_divided_by_root_mean_square_not_by_std():
    params = {"layer": "t5", "x": [3, 4], "gamma": [1.0, 1.0], "ask": "entry", "index": 0}
    assert family.answer(params) == pytest.approx(3 / math.sqrt(12.5 + 1e-6))
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["variance_denominator"] == pytest.approx(3 / math.sqrt(0.25 + 1e-6))
    assert wrong["l2_normalize"] == pytest.approx(0.6)
