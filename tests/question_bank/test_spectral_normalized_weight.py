"""spectral.normalized_weight against torch.linalg.matrix_norm and torch.nn.utils.spectral_norm."""

import math

import pytest
import torch

from question_bank.spectral import normalized_weight as family
from quizgen.sampling import rng_for


def _flat(value):
    """A matrix answer's entries row by row (pytest.approx compares flat lists)."""
    return [x for row in value for x in row] if isinstance(value, list) else value


def test_answer_matches_torch_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "wsn-oracle"), 1 + seed % 3)
        assert _flat(family.answer(params)) == pytest.approx(_flat(family.oracle(params)),
                                                             rel=1e-9, abs=1e-12), params


def test_exactly_normalized_layers_are_1_lipschitz_and_one_step_ones_are_not_below():
    for seed in range(200):
        params = family.sample(rng_for(seed, "wsn-lip"), 2 + seed % 2)
        if params["ask"] != "lipschitz":
            continue
        if params["sigma"] == "exact":
            assert family.answer(params) == pytest.approx(1.0, rel=1e-12)
        else:
            assert family.answer(params) >= 1.0 - 1e-12


def test_difficulty_one_matrices_have_an_exact_half_integer_sigma():
    for w in family.NICE_SYMMETRIC:
        sigma = torch.linalg.matrix_norm(torch.tensor(w, dtype=torch.float64), ord=2).item()
        assert 2 * sigma == pytest.approx(round(2 * sigma), abs=1e-9), w


def test_hand_worked_example():
    # [[1, 2], [2, 1]] has eigenvalues 3 and -1: sigma = 3, W_SN[0, 1] = 2/3.
    params = {"W": [[1, 2], [2, 1]], "sigma": "exact", "ask": "entry", "entry": [1, 2]}
    assert family.answer(params) == pytest.approx(2 / 3, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["frobenius"] == pytest.approx(2 / math.sqrt(10))
    assert wrong["no_sqrt"] == pytest.approx(2 / 9)
    matrix = family.answer({**params, "ask": "matrix"})
    assert matrix == [pytest.approx([1 / 3, 2 / 3], rel=1e-12),
                      pytest.approx([2 / 3, 1 / 3], rel=1e-12)]
