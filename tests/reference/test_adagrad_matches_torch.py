"""reference.optim Adagrad/adagrad_step against torch.optim.Adagrad and checked numbers."""

import math
import random

import pytest
import torch
from optimizer_oracle import (
    FLOAT64_TOLERANCE,
    assert_continues_from_a_library_state_dict,
    assert_same_trajectory,
    float32_tolerance,
    run_side_by_side,
)

from reference.optim import Adagrad, adagrad_step


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([1e-2, 0.1, 0.5]),
        "lr_decay": rng.choice([0.0, 0.1, 1.0]),
        "weight_decay": rng.choice([0.0, 1e-2, 0.1]),
        "initial_accumulator_value": rng.choice([0.0, 0.1, 1.0]),
        "eps": rng.choice([1e-10, 1e-6, 1e-3]),
        "maximize": rng.random() < 0.3,
    }


def _run(seed, foreach, dtype, device):
    config = _random_config(seed)
    return run_side_by_side(Adagrad, torch.optim.Adagrad, config, foreach, dtype, device, seed)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_adagrad_matches_torch_in_float64(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float64, device), **FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_adagrad_matches_torch_in_float32_within_a_few_ulp(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float32, device), **float32_tolerance())


def test_checked_numbers_from_the_conventions():
    # g = 2 then 1, lr = 0.1: the current gradient is in the sum before dividing, so
    # p = 1 - 0.1 * 2/2 = 0.9, then 0.9 - 0.1 * 1/sqrt(5) (0.85527861 as float32 prints it),
    # each denominator plus eps = 1e-10.
    first = 1 - 0.1 * 2 / (2 + 1e-10)
    param, state = torch.tensor([1.0], dtype=torch.float64), {}
    for grad, want in ((2.0, first), (1.0, first - 0.1 / (math.sqrt(5) + 1e-10))):
        result = adagrad_step(param, torch.tensor([grad], dtype=torch.float64), state, lr=0.1)
        assert result.param.item() == pytest.approx(want, rel=1e-14)
        param, state = result.param, result.state
    assert state["sum"].item() == 5.0 and state["step"] == 2


def test_functional_steps_chained_through_state_match_torch(device):
    gen = torch.Generator().manual_seed(2)
    param = torch.randn(4, generator=gen, dtype=torch.float64).to(device)
    p_torch = param.clone().requires_grad_()
    config = {"lr": 0.3, "lr_decay": 0.5, "weight_decay": 0.1, "initial_accumulator_value": 0.2}
    opt = torch.optim.Adagrad([p_torch], **config)
    state: dict = {}
    for step in range(1, 5):
        grad = torch.randn(4, generator=gen, dtype=torch.float64).to(device)
        p_torch.grad = grad.clone()
        opt.step()
        result = adagrad_step(param, grad, state, **config)
        torch.testing.assert_close(result.param, p_torch.detach(), rtol=1e-13, atol=1e-15)
        assert result.clr == pytest.approx(0.3 / (1 + (step - 1) * 0.5), rel=1e-15)
        param, state = result.param, result.state


def test_adagrad_step_does_not_mutate_its_inputs():
    param, grad, acc = torch.tensor([1.0]), torch.tensor([2.0]), torch.tensor([0.5])
    adagrad_step(param, grad, {"step": 1, "sum": acc}, lr=0.1, weight_decay=0.1)
    assert (param.item(), grad.item(), acc.item()) == (1.0, 2.0, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
        ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        ({"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        ({"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    ],
)
def test_invalid_arguments_are_rejected_with_torchs_message(kwargs, message):
    for cls in (Adagrad, torch.optim.Adagrad):
        with pytest.raises(ValueError, match=message):
            cls([torch.zeros(1, requires_grad=True)], **kwargs)


def test_defaults_and_eager_state_mirror_torch():
    p = torch.zeros(2, requires_grad=True)
    ours, theirs = Adagrad([p], initial_accumulator_value=0.3), torch.optim.Adagrad([p], 1e-2)
    for key in ("lr", "lr_decay", "weight_decay", "eps", "foreach", "maximize"):
        assert ours.defaults[key] == theirs.defaults[key], key
    # torch creates the state in the constructor, before any step.
    assert float(ours.state[p]["step"]) == 0.0
    torch.testing.assert_close(ours.state[p]["sum"], torch.full((2,), 0.3))


def test_adagrad_continues_from_a_torch_state_dict():
    config = {"lr": 0.1, "lr_decay": 0.2, "initial_accumulator_value": 0.1}
    assert_continues_from_a_library_state_dict(Adagrad, torch.optim.Adagrad, config)
