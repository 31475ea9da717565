"""clipping.clip_grad_norm against torch.nn.utils.clip_grad_norm_."""

import pytest
import torch

from question_bank.clipping import clip_grad_norm as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("seed", range(500))
def test_answer_matches_torch_clip_grad_norm_(seed):
    params = family.sample(rng_for(seed, "clip-oracle"), 1 + seed % 3)
    if params.get("formula"):
        return  # the formula variant: tests/question_bank/test_families.py
    tensors = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64))
               for g in params["grads"]]
    for t, g in zip(tensors, params["grads"]):
        t.grad = torch.tensor(g, dtype=torch.float64)
    total = torch.nn.utils.clip_grad_norm_(tensors, params["max_norm"], foreach=False).item()
    expected = {
        "clipped": tensors[-1].grad.tolist(),
        "total_norm": total,
        "coef": min(1.0, params["max_norm"] / (total + 1e-6)),
    }[params["ask"]]
    assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_clipping_by_value_is_a_named_mistake_for_a_long_vector():
    params = {"grads": [[3, 4]], "max_norm": 1.0, "ask": "clipped"}
    assert family.answer(params) == pytest.approx([0.6, 0.8], rel=1e-5)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["by_value"] == [1, 1]
    assert wrong["not_clipped"] == [3.0, 4.0]
