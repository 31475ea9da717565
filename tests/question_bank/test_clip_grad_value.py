"""clipping.clip_grad_value against torch.nn.utils.clip_grad_value_."""

import pytest
import torch

from question_bank.clipping import clip_grad_value as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_clip_grad_value_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "clipv-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_clamping_changes_the_direction_while_norm_clipping_keeps_it():
    params = {"grads": [[3.0, -0.5, -4.0]], "clip_value": 1.0, "ask": "clipped"}
    assert family.answer(params) == [1.0, -0.5, -1.0]
    wrong = {m.name: m.value for m in family.mistakes(params)}
    g = torch.tensor([3.0, -0.5, -4.0], dtype=torch.float64, requires_grad=True)
    g.grad = g.detach().clone()
    torch.nn.utils.clip_grad_norm_([g], 1.0)
    assert wrong["by_norm"] == pytest.approx(g.grad.tolist())
    assert wrong["upper_only"] == [1.0, -0.5, -4.0]
    assert wrong["sign_lost"] == [1.0, -0.5, 1.0]


def test_every_sample_clamps_something_and_keeps_something():
    for seed in range(200):
        params = family.sample(rng_for(seed, "clipv-sample"), 1 + seed % 3)
        flat = [x for g in params["grads"] for x in g]
        v = params["clip_value"]
        assert any(abs(x) > v for x in params["grads"][-1])
        assert any(abs(x) < v for x in flat)
