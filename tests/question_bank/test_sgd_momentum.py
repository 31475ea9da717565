"""optimizers.sgd_momentum against torch.optim.SGD, the independent oracle."""

import pytest
import torch

from question_bank.optimizers import sgd_momentum as family
from quizgen.sampling import rng_for


def torch_sgd(params):
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=params["lr"], momentum=params["momentum"],
                          nesterov=params["nesterov"], weight_decay=params["weight_decay"],
                          foreach=False)
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["momentum_buffer"].item()


def test_answer_matches_torch_optim_sgd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "sgd-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        expected = torch_sgd(params)
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_every_difficulty_asks_something_different():
    seen = {d: set() for d in (1, 2, 3)}
    for seed in range(200):
        for d in (1, 2, 3):
            p = family.sample(rng_for(seed, "sgd-kinds"), d)
            if p.get("formula"):
                seen[d].add(("formula", p["ask"]))
                continue
            if p.get("parts"):  # two heavy-ball steps in parts: test_multipart_families.py
                seen[d].add(("parts", len(p["grads"]), bool(p["momentum"]), p["nesterov"]))
                continue
            seen[d].add((bool(p["momentum"]), p["nesterov"], bool(p["weight_decay"]), p["ask"]))
    assert seen[1] == {(False, False, False, "theta")}
    assert seen[2] == {(True, False, False, "theta"), (True, False, False, "buf")}
    assert {s[1:3] for s in seen[3] if s[0] not in ("formula", "parts")} == {
        (True, False), (False, True), (True, True)}
    assert {s for s in seen[3] if s[0] == "formula"} == {("formula", "buf"), ("formula", "theta")}
    assert {s for s in seen[3] if s[0] == "parts"} == {("parts", 2, True, False)}


def test_conventions_checked_values_and_named_mistakes():
    # Conventions 5.1 with dampening 0: p0 = 1, g = 1, 1, lr = 0.1, mu = 0.9: buffer 1 then 1.9,
    # p 0.9 then 0.71; Nesterov steps along 1 + 0.9, then 1 + 0.9 * 1.9: p 0.81 then 0.539.
    params = {"theta": 1.0, "lr": 0.1, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0,
              "grads": [1.0, 1.0], "ask": "theta"}
    assert family.answer(params) == pytest.approx(0.71, abs=1e-12)
    assert family.answer({**params, "ask": "buf"}) == pytest.approx(1.9, abs=1e-12)
    nesterov = {**params, "nesterov": True}
    assert family.answer(nesterov) == pytest.approx(0.539, abs=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(nesterov)}
    assert wrong["nesterov_as_buffer"] == pytest.approx(0.71)
    assert wrong["no_momentum"] == pytest.approx(0.8)
    # EMA buffer: 0.1, then 0.19: p = 1 - 0.01 - 0.019.
    assert wrong["ema_momentum"] == pytest.approx(0.971)
    velocity = {m.name: m.value for m in family.mistakes({**params, "ask": "buf"})}
    assert velocity["classical_velocity"] == pytest.approx(-0.19)
