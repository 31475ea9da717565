"""optimizers.adamw_vs_adam against torch.optim.AdamW and torch.optim.Adam(weight_decay)."""

import pytest
import torch

from question_bank.optimizers import adamw_vs_adam as family
from quizgen.sampling import rng_for


def torch_final(params, optimizer_class):
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = optimizer_class([p], lr=params["lr"], betas=(params["beta1"], params["beta2"]),
                          eps=params["eps"], weight_decay=params["weight_decay"], foreach=False)
    if params["t"]:
        opt.state[p] = {"step": torch.tensor(float(params["t"])),
                        "exp_avg": torch.tensor([params["m"]], dtype=torch.float64),
                        "exp_avg_sq": torch.tensor([params["v"]], dtype=torch.float64)}
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item()


def test_answer_matches_torch_adamw_and_adam_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "adamw-oracle"), 1 + seed % 3)
        adamw = torch_final(params, torch.optim.AdamW)
        expected = adamw if params["ask"] == "adamw" else (
            adamw - torch_final(params, torch.optim.Adam))
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_conventions_checked_value_and_named_mistakes():
    # Conventions 5.5: p = 1, g = 0.5, lr = 0.1 (lambda = 0.01): 0.999 - 0.1 * 0.5 / 0.5 = 0.899.
    params = {"theta": 1.0, "lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
              "weight_decay": 0.01, "t": 0, "m": 0.0, "v": 0.0, "grads": [0.5], "ask": "adamw"}
    assert family.answer(params) == pytest.approx(0.899, abs=1e-8)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["decay_without_lr"] == pytest.approx(0.99 - 0.1, abs=1e-8)
    assert wrong["decay_after_update"] == pytest.approx(0.9 * 0.999, abs=1e-8)
    # Adam's L2 first step is lr * sign(g + lambda theta): the decay is normalized away.
    assert wrong["l2_instead_of_decoupled"] == pytest.approx(0.9, abs=1e-8)
    difference = family.answer({**params, "ask": "difference"})
    assert difference == pytest.approx(-0.001, abs=1e-8)
