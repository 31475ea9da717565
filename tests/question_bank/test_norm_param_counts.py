"""normalization.norm_param_counts against the parameter counts of torch.nn's own layers."""

import pytest

from question_bank.normalization import norm_param_counts as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_nn_counts_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "npc-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == family.oracle(params), params


@pytest.mark.parametrize(("layer", "expected"), [
    ("layernorm_chw", 150),  # conventions.md: LayerNorm([3, 5, 5]) has 150 parameters
    ("groupnorm", 6), ("instancenorm", 0), ("instancenorm_affine", 6), ("batchnorm2d", 6),
    ("layernorm_d", 16), ("layernorm_d_nobias", 8), ("rmsnorm_d", 8),
])
def test_table_of_counts(layer, expected):
    params = {"C": 3, "H": 5, "d": 8, "G": 1, "layers": [layer]}
    assert family.answer(params) == expected


def test_difference_questions_are_positive():
    for seed in range(200):
        params = family.sample(rng_for(seed, "npc-diff"), 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) > 0
