"""normalization.layernorm_output against torch.nn.LayerNorm."""

import pytest

from question_bank.normalization import layernorm_output as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_layernorm_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "ln-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_1_2_3_6_with_identity_affine():
    params = {"x": [1, 2, 3, 6], "gamma": [1.0] * 4, "beta": [0.0] * 4, "ask": "vector",
              "index": 0}
    assert family.answer(params) == pytest.approx([-1.0690, -0.5345, 0.0, 1.6036], abs=1e-4)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["no_centering"][0] == pytest.approx(1 / (12.5 + 1e-5) ** 0.5)


def test_affine_is_applied_per_element():
    params = {"x": [1, 2, 3, 6], "gamma": [2.0, 1.0, 1.0, 1.0], "beta": [0.5, 0, 0, 0],
              "ask": "entry", "index": 0}
    assert family.answer(params) == pytest.approx(2 * -1.0690 + 0.5, abs=2e-4)
