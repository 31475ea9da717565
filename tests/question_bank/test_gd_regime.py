"""schedules.gd_regime: the regime read from reference.optim.sgd_step equals the exact
comparison of lr * a_max with 1 and 2, and what torch.optim.SGD actually does."""

import pytest
import torch

from question_bank.schedules import gd_regime as family
from quizgen.sampling import rng_for

BEHAVIOUR = {"A": "monotone", "B": "oscillating", "C": "constant", "D": "divergent"}


def torch_behaviour(params, steps=30):
    """Run torch.optim.SGD on the quadratic (gradient a * x) and describe the iterates."""
    a = torch.tensor(params["curvatures"], dtype=torch.float64)
    x = torch.ones_like(a, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=params["lr"])
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = a * x.detach()
        optimizer.step()
        path.append(x.detach().clone())
    size = path[-1].abs().max().item()  # it started at 1 in every coordinate
    if size > 1 + 1e-9:
        return "divergent"
    if size > 1 - 1e-9:
        return "constant"
    flips = any((p * q < 0).any() for p, q in zip(path, path[1:]))
    return "oscillating" if flips else "monotone"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_exact_rule_and_torch_sgd(difficulty):
    for seed in range(120):
        params = family.sample(rng_for(seed, "regime-oracle"), difficulty)
        got = family.answer(params)
        assert got == family.closed_form(params), params
        assert BEHAVIOUR[got] == torch_behaviour(params), params


def test_thresholds_one_over_a_and_two_over_a():
    answer = lambda lr: family.answer({"curvatures": [4], "lr": lr, "form": "a"})  # noqa: E731
    assert [answer(lr) for lr in (0.2, 0.4, 0.5, 0.6)] == ["A", "B", "C", "D"]


def test_the_larger_curvature_decides_in_two_dimensions():
    params = {"curvatures": [1, 10], "lr": 0.15, "form": "diag"}
    assert family.answer(params) == "B"  # 1 - 1.5 = -0.5 along y although x is monotone
    assert {m.value for m in family.mistakes(params)} == {"A", "C", "D"}
