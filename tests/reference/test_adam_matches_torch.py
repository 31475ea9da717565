"""reference.optim Adam/AdamW/adam_step against torch.optim and a SymPy closed form."""

import random

import pytest
import sympy
import torch
from optimizer_oracle import (
    FLOAT64_TOLERANCE,
    assert_continues_from_a_library_state_dict,
    assert_same_trajectory,
    float32_tolerance,
    run_side_by_side,
)

from reference.optim import Adam, AdamW, adam_step


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([1e-3, 1e-2, 0.1, 0.5]),
        "betas": (rng.uniform(0.5, 0.95), rng.uniform(0.9, 0.9999)),
        "eps": rng.choice([1e-8, 1e-6, 1e-3]),
        "weight_decay": rng.choice([0.0, 1e-2, 0.1]),
        "amsgrad": rng.random() < 0.5,
    }


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("ours_cls", "torch_cls"), [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)]
)
def test_optimizer_matches_torch_in_float64(ours_cls, torch_cls, seed, foreach, device):
    config = _random_config(seed)
    run = run_side_by_side(ours_cls, torch_cls, config, foreach, torch.float64, device, seed)
    assert_same_trajectory(*run, **FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("ours_cls", "torch_cls"), [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)]
)
def test_optimizer_matches_torch_in_float32_within_a_few_ulp(
    ours_cls, torch_cls, seed, foreach, device
):
    config = _random_config(seed)
    run = run_side_by_side(ours_cls, torch_cls, config, foreach, torch.float32, device, seed)
    assert_same_trajectory(*run, **float32_tolerance())


def test_optimizer_continues_from_a_torch_state_dict():
    assert_continues_from_a_library_state_dict(
        Adam, torch.optim.Adam, {"lr": 0.05, "amsgrad": True}
    )


def test_functional_steps_chained_through_state_match_torch(device):
    gen = torch.Generator().manual_seed(3)
    param = torch.randn(5, generator=gen, dtype=torch.float64).to(device)
    p_torch = param.clone().requires_grad_()
    opt = torch.optim.AdamW([p_torch], lr=0.1, weight_decay=0.3, amsgrad=True)
    state: dict = {}
    for _ in range(4):
        grad = torch.randn(5, generator=gen, dtype=torch.float64).to(device)
        p_torch.grad = grad.clone()
        opt.step()
        result = adam_step(
            param,
            grad,
            state,
            lr=0.1,
            weight_decay=0.3,
            amsgrad=True,
            decoupled_weight_decay=True,
        )
        torch.testing.assert_close(result.param, p_torch.detach(), rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(result.update, result.param - param, rtol=0, atol=0)
        param, state = result.param, result.state
    assert state["step"] == 4


def test_adam_step_does_not_mutate_its_inputs():
    param = torch.tensor([1.0, -2.0], dtype=torch.float64)
    grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    state = {
        "step": 2,
        "exp_avg": torch.tensor([0.1, 0.2], dtype=torch.float64),
        "exp_avg_sq": torch.tensor([0.01, 0.02], dtype=torch.float64),
        "max_exp_avg_sq": torch.tensor([0.03, 0.0], dtype=torch.float64),
    }
    snapshot = {k: v.clone() if torch.is_tensor(v) else v for k, v in state.items()}
    param_before, grad_before = param.clone(), grad.clone()
    adam_step(param, grad, state, lr=0.1, weight_decay=0.1, amsgrad=True)
    adam_step(param, grad, state, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)
    assert torch.equal(param, param_before) and torch.equal(grad, grad_before)
    assert state.keys() == snapshot.keys() and state["step"] == 2
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert torch.equal(state[key], snapshot[key])


def test_first_step_moves_each_entry_by_about_lr_against_the_gradient_sign():
    result = adam_step(torch.zeros(3), torch.tensor([3.0, -1e-3, 2e4]), {}, lr=0.01)
    assert result.step == 1
    assert result.max_exp_avg_sq is None and "max_exp_avg_sq" not in result.state
    torch.testing.assert_close(result.update, torch.tensor([-0.01, 0.01, -0.01]))


G, THETA, M, V, VMAX = sympy.symbols("g theta m v vmax", real=True)


def _closed_form_step(lr, b1, b2, eps, wd, t, amsgrad, decoupled):
    """Kingma & Ba's Algorithm 1 (torch's eps placement) as one SymPy expression per output."""
    theta = THETA * (1 - lr * wd) if decoupled else THETA
    g = G if decoupled else G + wd * THETA
    m = b1 * M + (1 - b1) * g
    v = b2 * V + (1 - b2) * g**2
    v_used = sympy.Max(VMAX, v) if amsgrad else v
    m_hat = m / (1 - b1**t)
    v_hat = v_used / (1 - b2**t)
    return {"param": theta - lr * m_hat / (sympy.sqrt(v_hat) + eps), "exp_avg": m, "exp_avg_sq": v}


@pytest.mark.parametrize(
    ("weight_decay", "amsgrad", "decoupled"),
    [(0, False, False), ("1/10", False, False), ("1/10", True, False), ("1/5", True, True)],
)
def test_one_step_equals_the_sympy_closed_form(weight_decay, amsgrad, decoupled):
    r = sympy.Rational
    lr, b1, b2, eps, wd = r(1, 20), r(4, 5), r(99, 100), r(1, 10**6), r(weight_decay)
    t_prev = 3
    values = {G: r(-7, 10), THETA: r(3, 2), M: r(1, 5), V: r(3, 100), VMAX: r(1, 10)}
    exact = _closed_form_step(lr, b1, b2, eps, wd, t_prev + 1, amsgrad, decoupled)

    def f64(q):
        return torch.tensor([float(q)], dtype=torch.float64)

    result = adam_step(
        f64(values[THETA]),
        f64(values[G]),
        {
            "step": t_prev,
            "exp_avg": f64(values[M]),
            "exp_avg_sq": f64(values[V]),
            "max_exp_avg_sq": f64(values[VMAX]),
        },
        lr=float(lr),
        betas=(float(b1), float(b2)),
        eps=float(eps),
        weight_decay=float(wd),
        amsgrad=amsgrad,
        decoupled_weight_decay=decoupled,
    )
    for name, expr in exact.items():
        expected = float(expr.subs(values).evalf(30))
        assert getattr(result, name).item() == pytest.approx(expected, rel=1e-13)
    assert result.bias_correction1 == pytest.approx(float(1 - b1**4), rel=1e-15)
    assert result.bias_correction2 == pytest.approx(float(1 - b2**4), rel=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ],
)
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_invalid_arguments_are_rejected_with_torchs_message(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, cls.__name__)([torch.zeros(1, requires_grad=True)], **kwargs)


def test_defaults_mirror_torch():
    p = [torch.zeros(1, requires_grad=True)]
    keys = ("lr", "betas", "eps", "weight_decay", "amsgrad", "foreach", "decoupled_weight_decay")
    for ours, theirs in ((Adam(p), torch.optim.Adam(p)), (AdamW(p), torch.optim.AdamW(p))):
        for key in keys:
            assert ours.defaults[key] == theirs.defaults[key], key


def test_step_evaluates_the_closure_and_returns_its_loss():
    p = torch.tensor([2.0], requires_grad=True)
    opt = Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    assert p.item() == pytest.approx(1.9, rel=1e-6)
