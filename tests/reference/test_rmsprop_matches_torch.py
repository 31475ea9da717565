"""reference.optim RMSprop/rmsprop_step against torch.optim.RMSprop and checked numbers."""

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

from reference.optim import RMSprop, rmsprop_step


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([1e-3, 1e-2, 0.1]),
        "alpha": rng.choice([0.9, 0.99, 0.5]),
        "eps": rng.choice([1e-8, 1e-6, 1e-3]),
        "weight_decay": rng.choice([0.0, 1e-2, 0.1]),
        "momentum": rng.choice([0.0, 0.5, 0.9]),
        "centered": rng.random() < 0.5,
        "maximize": rng.random() < 0.3,
    }


def _run(seed, foreach, dtype, device):
    config = _random_config(seed)
    return run_side_by_side(RMSprop, torch.optim.RMSprop, config, foreach, dtype, device, seed)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_rmsprop_matches_torch_in_float64(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float64, device), **FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_rmsprop_matches_torch_in_float32_within_a_few_ulp(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float32, device), **float32_tolerance())


def test_checked_first_step_from_the_conventions():
    # g = 2, lr = 0.01, alpha = 0.99: v = 0.04, so p = 1 - 0.01 * 2 / (0.2 + 1e-8).
    result = rmsprop_step(
        torch.tensor([1.0], dtype=torch.float64), torch.tensor([2.0], dtype=torch.float64)
    )
    assert result.param.item() == pytest.approx(1 - 0.01 * 2 / (0.2 + 1e-8), rel=1e-15)
    assert result.avg.item() == pytest.approx(0.2 + 1e-8, rel=1e-15)


def test_functional_steps_chained_through_state_match_torch(device):
    gen = torch.Generator().manual_seed(4)
    param = torch.randn(2, 3, generator=gen, dtype=torch.float64).to(device)
    p_torch = param.clone().requires_grad_()
    config = {"lr": 0.05, "alpha": 0.9, "momentum": 0.7, "centered": True, "weight_decay": 0.1}
    opt = torch.optim.RMSprop([p_torch], **config)
    state: dict = {}
    for _ in range(4):
        grad = torch.randn(2, 3, generator=gen, dtype=torch.float64).to(device)
        p_torch.grad = grad.clone()
        opt.step()
        result = rmsprop_step(param, grad, state, **config)
        torch.testing.assert_close(result.param, p_torch.detach(), rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(
            result.update, -0.05 * result.momentum_buffer, rtol=1e-13, atol=1e-16
        )
        param, state = result.param, result.state
    assert state.keys() == {"step", "square_avg", "grad_avg", "momentum_buffer"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        ({"alpha": -0.9}, "Invalid alpha value: -0.9"),
    ],
)
def test_invalid_arguments_are_rejected_with_torchs_message(kwargs, message):
    for cls in (RMSprop, torch.optim.RMSprop):
        with pytest.raises(ValueError, match=message):
            cls([torch.zeros(1, requires_grad=True)], **kwargs)


def test_defaults_mirror_torch_with_alpha_099():
    p = [torch.zeros(1, requires_grad=True)]
    ours, theirs = RMSprop(p), torch.optim.RMSprop(p)
    keys = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "foreach", "maximize")
    for key in keys:
        assert ours.defaults[key] == theirs.defaults[key], key
    assert ours.defaults["alpha"] == 0.99


def test_rmsprop_continues_from_a_torch_state_dict():
    config = {"lr": 0.01, "momentum": 0.9, "centered": True}
    assert_continues_from_a_library_state_dict(RMSprop, torch.optim.RMSprop, config)


def test_rmsprop_step_does_not_mutate_its_inputs():
    param, grad = torch.tensor([1.0, -1.0]), torch.tensor([0.5, 2.0])
    state = {
        "step": 3,
        "square_avg": torch.tensor([0.2, 0.3]),
        "grad_avg": torch.tensor([0.1, -0.1]),
        "momentum_buffer": torch.tensor([0.05, 0.0]),
    }
    snapshot = {k: v.clone() if torch.is_tensor(v) else v for k, v in state.items()}
    rmsprop_step(param, grad, state, momentum=0.9, centered=True, weight_decay=0.1)
    assert torch.equal(param, torch.tensor([1.0, -1.0]))
    assert torch.equal(grad, torch.tensor([0.5, 2.0]))
    for key, value in snapshot.items():
        assert torch.equal(torch.as_tensor(state[key]), torch.as_tensor(value)), key
