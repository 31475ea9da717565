"""reference.optim SGD/sgd_step against torch.optim.SGD and the conventions' worked numbers."""

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

from reference.optim import SGD, sgd_step


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    nesterov = rng.random() < 0.4
    momentum = rng.choice([0.5, 0.9]) if nesterov else rng.choice([0.0, 0.5, 0.9])
    return {
        "lr": rng.choice([1e-3, 1e-2, 0.1, 0.5]),
        "momentum": momentum,
        "dampening": 0.0 if nesterov else rng.choice([0.0, 0.3]),
        "weight_decay": rng.choice([0.0, 1e-2, 0.1]),
        "nesterov": nesterov,
        "maximize": rng.random() < 0.3,
    }


def _run(seed, foreach, dtype, device):
    config = _random_config(seed)
    return run_side_by_side(SGD, torch.optim.SGD, config, foreach, dtype, device, seed)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_sgd_matches_torch_in_float64(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float64, device), **FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_sgd_matches_torch_in_float32_within_a_few_ulp(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float32, device), **float32_tolerance())


@pytest.mark.parametrize(("nesterov", "expected"), [(False, [0.9, 0.76]), (True, [0.81, 0.539])])
def test_checked_numbers_from_the_conventions(nesterov, expected):
    # p0=1, g=1, lr=0.1, momentum 0.9; dampening 0.5 (not allowed with Nesterov) is skipped
    # on the first step, so the buffer is 1.0 then 1.4.
    dampening = 0.0 if nesterov else 0.5
    param, state = torch.tensor([1.0], dtype=torch.float64), {}
    for want in expected:
        result = sgd_step(
            param,
            torch.ones(1, dtype=torch.float64),
            state,
            lr=0.1,
            momentum=0.9,
            dampening=dampening,
            nesterov=nesterov,
        )
        assert result.param.item() == pytest.approx(want, rel=1e-14)
        param, state = result.param, result.state
    if not nesterov:
        assert state["momentum_buffer"].item() == pytest.approx(1.4, rel=1e-14)


def test_functional_steps_chained_through_state_match_torch(device):
    gen = torch.Generator().manual_seed(5)
    param = torch.randn(3, 2, generator=gen, dtype=torch.float64).to(device)
    p_torch = param.clone().requires_grad_()
    config = {"lr": 0.2, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}
    opt = torch.optim.SGD([p_torch], **config)
    state: dict = {}
    for _ in range(4):
        grad = torch.randn(3, 2, generator=gen, dtype=torch.float64).to(device)
        p_torch.grad = grad.clone()
        opt.step()
        result = sgd_step(param, grad, state, **config)
        torch.testing.assert_close(result.param, p_torch.detach(), rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(result.update, -0.2 * result.direction, rtol=1e-13, atol=0)
        param, state = result.param, result.state


def test_sgd_step_does_not_mutate_its_inputs_and_keeps_no_buffer_without_momentum():
    param, grad = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -0.5])
    buffer = torch.tensor([0.1, 0.1])
    state = {"momentum_buffer": buffer}
    sgd_step(param, grad, state, lr=0.1, momentum=0.9, weight_decay=0.1)
    assert torch.equal(param, torch.tensor([1.0, 2.0]))
    assert torch.equal(grad, torch.tensor([0.5, -0.5]))
    assert torch.equal(buffer, torch.tensor([0.1, 0.1]))
    plain = sgd_step(param, grad, lr=0.1)
    assert plain.momentum_buffer is None and plain.state == {}
    torch.testing.assert_close(plain.param, torch.tensor([0.95, 2.05]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        ({"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            "Nesterov momentum requires a momentum and zero dampening",
        ),
    ],
)
def test_invalid_arguments_are_rejected_with_torchs_message(kwargs, message):
    for cls in (SGD, torch.optim.SGD):
        with pytest.raises(ValueError, match=message):
            cls([torch.zeros(1, requires_grad=True)], **kwargs)


def test_defaults_mirror_torch():
    p = [torch.zeros(2, requires_grad=True)]
    ours, theirs = SGD(p), torch.optim.SGD(p)
    for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov", "foreach", "maximize"):
        assert ours.defaults[key] == theirs.defaults[key], key


def test_sgd_continues_from_a_torch_state_dict():
    config = {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}
    assert_continues_from_a_library_state_dict(SGD, torch.optim.SGD, config)
