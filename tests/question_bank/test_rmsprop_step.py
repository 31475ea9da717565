"""optimizers.rmsprop_step against torch.optim.RMSprop, the independent oracle."""

import pytest
import torch

from question_bank.optimizers import rmsprop_step as family
from quizgen.sampling import rng_for


def torch_rmsprop(params):
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.RMSprop([p], lr=params["lr"], alpha=params["alpha"], eps=params["eps"],
                              momentum=params["momentum"], centered=params["centered"],
                              foreach=False)
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["square_avg"].item()


def test_answer_matches_torch_optim_rmsprop_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "rmsprop-oracle"), 1 + seed % 3)
        expected = torch_rmsprop(params)
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_difficulty_three_is_centered_or_momentum():
    kinds = set()
    for seed in range(100):
        p = family.sample(rng_for(seed, "rmsprop-kinds"), 3)
        assert p["centered"] != bool(p["momentum"])
        kinds.add(p["centered"])
    assert kinds == {True, False}


def test_conventions_checked_first_step_and_the_keras_mistake():
    # Conventions 5.3: g = 2, lr = 0.01, alpha = 0.99: p = 1 - 0.01 * 2 / (0.2 + 1e-8) = 0.9.
    params = {"theta": 1.0, "lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0,
              "centered": False, "grads": [2.0], "ask": "theta"}
    assert family.answer(params) == pytest.approx(0.9, abs=1e-8)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    # With Keras's 0.9 the first step is lr / sqrt(0.1) ~ 3.16 lr; bias-corrected it is lr.
    assert wrong["keras_rho_0_9"] == pytest.approx(1 - 0.01 / 0.1**0.5, abs=1e-8)
    assert wrong["bias_corrected"] == pytest.approx(0.99, abs=1e-8)
