"""initialization.he_variance against torch.nn.init's fans and calculate_gain, and its draws."""

import math

import pytest
import torch

from question_bank import Family
from question_bank.initialization import he_variance as family
from quizgen.sampling import build_question, rng_for


def test_answer_matches_torch_nn_init_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "he-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9), params


def test_resnet_style_fan_out_on_a_3x3_conv():
    # torchvision's ResNet: kaiming_normal_(w, mode='fan_out', nonlinearity='relu').
    params = {"layer": "conv2d", "n_in": 64, "n_out": 128, "k": 3, "groups": 1,
              "mode": "fan_out", "nonlinearity": "relu", "a": None, "ask": "var"}
    assert family.answer(params) == pytest.approx(2 / (128 * 9))
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["fan_swapped"] == pytest.approx(2 / (64 * 9))


def test_default_slope_0_01_is_graded_wrong():
    # kaiming_normal_'s a defaults to 0; calculate_gain('leaky_relu') alone uses 0.01.
    params = {"layer": "linear", "n_in": 512, "n_out": 256, "mode": "fan_in",
              "nonlinearity": "leaky_relu", "a": None, "ask": "var"}
    assert family.answer(params) == pytest.approx(2 / 512, rel=1e-12)
    question = build_question(Family(family), rng_for(0, "x"), 3, "q1")
    assert question.tolerance["rtol"] <= 1e-5
    from quizgen.grading import check
    wrong = {m.name: m.value for m in family.mistakes(params)}
    verdict = check(family.answer(params), repr(wrong["default_slope_0_01"]), kind="number",
                    **family.tolerance(params))
    assert verdict.status == "incorrect"


def test_kaiming_uniform_bound_contains_torch_draws():
    params = {"layer": "linear", "n_in": 300, "n_out": 100, "mode": "fan_in",
              "nonlinearity": "leaky_relu", "a": 0.2, "ask": "bound"}
    w = torch.empty(100, 300, dtype=torch.float64)
    torch.nn.init.kaiming_uniform_(w, a=0.2, generator=torch.Generator().manual_seed(0))
    bound = family.answer(params)
    assert bound == pytest.approx(math.sqrt(3 * 2 / 1.04 / 300))
    assert 0.99 * bound < w.abs().max().item() <= bound
