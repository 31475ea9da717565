"""optimizers.schedulefree_sgd against the schedulefree package's SGDScheduleFree."""

import pytest
import schedulefree
import torch

from question_bank.optimizers import schedulefree_sgd as family
from quizgen.sampling import rng_for


def package_iterates(params):
    p = torch.nn.Parameter(torch.tensor([params["w0"]], dtype=torch.float64))
    opt = schedulefree.SGDScheduleFree([p], lr=params["lr"], momentum=params["beta"],
                                       foreach=False)
    opt.train()
    for t in range(params["steps"]):
        g = params["grads"][t] if params["grads"] else params["a"] * p.item()
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    y, z = p.item(), opt.state[p]["z"].item()
    opt.eval()
    return {"y": y, "z": z, "x": p.item()}


def test_answer_matches_the_schedulefree_package_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "schedulefree-oracle"), 1 + seed % 3)
        expected = package_iterates(params)[params["ask"]]
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_conventions_checked_trajectory_and_the_one_indexed_mistake():
    # Conventions 5.7: f = w^2 / 2, lr = 0.1, beta = 0.9, 4 steps from 1: the package gives x =
    # 0.76990; counting t from 1 (c = 1/2 on the first step) gives 0.81078.
    params = {"w0": 1.0, "lr": 0.1, "beta": 0.9, "a": 1, "grads": None, "steps": 4, "ask": "x"}
    assert family.answer(params) == pytest.approx(0.76990, abs=1e-5)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["one_indexed"] == pytest.approx(0.81078, abs=1e-5)


def test_first_step_puts_x_y_and_z_at_the_plain_sgd_point():
    params = {"w0": 1.0, "lr": 0.5, "beta": 0.9, "a": None, "grads": [2.0], "steps": 1}
    for ask in ("x", "y", "z"):
        assert family.answer({**params, "ask": ask}) == pytest.approx(0.0, abs=1e-15)
