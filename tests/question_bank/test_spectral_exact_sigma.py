"""spectral.exact_sigma against torch.linalg.matrix_norm(ord=2) and a hand-worked example."""

import math

import pytest
import torch

from question_bank.spectral import exact_sigma as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_matrix_norm_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "sigma-oracle"), 1 + seed % 3)
        w = torch.tensor(params["W"], dtype=torch.float64)
        expected = torch.linalg.matrix_norm(w, ord=2).item()
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert float(family.closed_form(params)) == pytest.approx(expected, rel=1e-12)


def test_difficulties_grow_from_nonnegative_2x2_to_2x3():
    for seed in range(100):
        p1, p2, p3 = (family.sample(rng_for(seed, "sigma-kinds"), d) for d in (1, 2, 3))
        assert len(p1["W"][0]) == 2 and min(min(r) for r in p1["W"]) >= 0
        assert len(p2["W"][0]) == 2 and min(min(r) for r in p2["W"]) < 0
        assert len(p3["W"][0]) == 3


def test_hand_worked_example_and_its_named_mistakes():
    # W^T W = [[25, 20], [20, 25]] has eigenvalues 45 and 5, so sigma = sqrt(45) = 3 sqrt(5).
    params = {"W": [[3, 0], [4, 5]], "ask": "sigma"}
    assert family.answer(params) == pytest.approx(3 * math.sqrt(5), rel=1e-12)
    assert family.answer_tex(params).startswith("3 \\sqrt{5}")
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["frobenius"] == pytest.approx(math.sqrt(50))
    assert wrong["max_abs_entry"] == 5
    assert wrong["no_sqrt"] == pytest.approx(45)
    assert wrong["eigenvalue_of_w"] == pytest.approx(5)  # W is triangular: eigenvalues 3, 5
    assert wrong["smaller_root"] == pytest.approx(math.sqrt(5))


def test_the_bias_does_not_change_the_lipschitz_constant():
    params = {"W": [[1, -2, 0], [2, 1, 3]], "ask": "lipschitz", "b": [3, -1]}
    w = torch.tensor(params["W"], dtype=torch.float64)
    x, y = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    ratio = ((w @ x - w @ y).norm() / (x - y).norm()).item()
    assert ratio <= family.answer(params) + 1e-12
    top = torch.linalg.svd(w).Vh[0]  # equality along the top right singular vector
    assert (w @ top).norm().item() == pytest.approx(family.answer(params), rel=1e-12)
