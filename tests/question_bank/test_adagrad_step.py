"""optimizers.adagrad_step against torch.optim.Adagrad, the independent oracle."""

import pytest
import torch

from question_bank.optimizers import adagrad_step as family
from quizgen.sampling import rng_for


def torch_adagrad(params):
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.Adagrad([p], lr=params["lr"], lr_decay=params["lr_decay"],
                              eps=params["eps"], foreach=False)
    if params["t"]:
        opt.state[p]["step"] = torch.tensor(float(params["t"]))
        opt.state[p]["sum"] = torch.tensor([params["sum"]], dtype=torch.float64)
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["sum"].item()


def test_answer_matches_torch_optim_adagrad_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "adagrad-oracle"), 1 + seed % 3)
        expected = torch_adagrad(params)
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_conventions_checked_values_and_named_mistakes():
    # Conventions 5.2: g = 2 then 1, lr = 0.1, from p = 1: p = 0.9, then 0.9 - 0.1 / sqrt(5)
    # = 0.85527864 (conventions prints torch's float32 value, 0.85527861).
    params = {"theta": 1.0, "lr": 0.1, "lr_decay": 0.0, "eps": 1e-10, "t": 0, "sum": 0.0,
              "grads": [2.0, 1.0], "ask": "theta"}
    assert family.answer({**params, "grads": [2.0]}) == pytest.approx(0.9, abs=1e-9)
    assert family.answer(params) == pytest.approx(0.9 - 0.1 / 5**0.5, abs=1e-10)
    assert family.answer({**params, "ask": "sum"}) == pytest.approx(5.0, abs=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    # Keras's accumulator 0.1: 1 - 0.1 * 2 / sqrt(4.1) - 0.1 * 1 / sqrt(5.1).
    assert wrong["keras_initial_accumulator"] == pytest.approx(
        1 - 0.2 / 4.1**0.5 - 0.1 / 5.1**0.5)
    assert wrong["no_sqrt"] == pytest.approx(1 - 0.1 * 2 / 4 - 0.1 / 5)


def test_lr_decay_leaves_the_first_step_of_a_run_undecayed():
    # From step t = 3 with lr_decay 0.5, the next step (t = 4) uses lr / (1 + 3 * 0.5).
    params = {"theta": 1.0, "lr": 0.5, "lr_decay": 0.5, "eps": 1e-10, "t": 3, "sum": 5.0,
              "grads": [2.0], "ask": "theta"}
    assert family.answer(params) == pytest.approx(1 - 0.5 / 2.5 * 2 / 3, abs=1e-9)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["decay_uses_new_step"] == pytest.approx(1 - 0.5 / 3 * 2 / 3, abs=1e-9)
