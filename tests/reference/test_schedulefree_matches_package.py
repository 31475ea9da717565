"""reference.optim schedule-free SGD/AdamW against the schedulefree package (train/eval
switching, warmup, polynomial weighting) and the conventions' checked trajectory."""

import random

import pytest
import schedulefree
import torch
from optimizer_oracle import (
    FLOAT64_TOLERANCE,
    assert_same_trajectory,
    float32_tolerance,
    run_side_by_side,
)

from reference.optim import (
    AdamWScheduleFree,
    SGDScheduleFree,
    adamw_schedulefree_step,
    schedulefree_weight,
    sgd_schedulefree_step,
)

GROUP_SCALARS = ("k", "weight_sum", "lr_max", "scheduled_lr", "train_mode")


def _common_config(rng: random.Random) -> dict:
    return {
        "weight_decay": rng.choice([0.0, 1e-2, 0.1]),
        "warmup_steps": rng.choice([0, 2, 5]),
        "r": rng.choice([0.0, 0.5, 1.0]),
        "weight_lr_power": rng.choice([2.0, 0.0, 1.0]),
    }


def _sgd_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([0.05, 0.5, 1.0]),
        "momentum": rng.choice([0.5, 0.9]),
        **_common_config(rng),
    }


def _adamw_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([2.5e-3, 1e-2, 0.1]),
        "betas": (rng.choice([0.5, 0.9]), rng.choice([0.99, 0.999])),
        "eps": rng.choice([1e-8, 1e-4]),
        **_common_config(rng),
    }


PAIRS = {
    "sgd": (SGDScheduleFree, schedulefree.SGDScheduleFree, _sgd_config),
    "adamw": (AdamWScheduleFree, schedulefree.AdamWScheduleFree, _adamw_config),
}


def _run(name, seed, foreach, dtype, device):
    ours_cls, theirs_cls, make_config = PAIRS[name]
    return run_side_by_side(
        ours_cls,
        theirs_cls,
        make_config(seed),
        foreach,
        dtype,
        device,
        seed,
        steps=7,
        before_step=lambda opt: opt.train(),
    )


def _assert_y_then_x_then_y(run, tolerance):
    ours, theirs, our_params, their_params = run
    assert_same_trajectory(*run, **tolerance)  # y and z
    for group_a, group_b in zip(ours.param_groups, theirs.param_groups, strict=True):
        for key in GROUP_SCALARS:
            assert group_a[key] == pytest.approx(group_b[key], rel=1e-15), key
    ours.eval()
    theirs.eval()
    assert_same_trajectory(*run, **tolerance)  # x
    ours.train()
    theirs.train()
    assert_same_trajectory(*run, **tolerance)  # back to y


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_schedulefree_matches_the_package_in_float64(name, seed, foreach, device):
    _assert_y_then_x_then_y(_run(name, seed, foreach, torch.float64, device), FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_schedulefree_matches_the_package_in_float32_within_a_few_ulp(name, seed, foreach, device):
    run = _run(name, seed, foreach, torch.float32, device)
    _assert_y_then_x_then_y(run, float32_tolerance())


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_starts_in_eval_mode_and_step_raises_like_the_package(name):
    ours_cls, theirs_cls, _ = PAIRS[name]
    for cls in (ours_cls, theirs_cls):
        p = torch.zeros(2, requires_grad=True)
        p.grad = torch.ones(2)
        opt = cls([p])
        assert opt.param_groups[0]["train_mode"] is False
        with pytest.raises(Exception, match="Optimizer was not in train mode"):
            opt.step()


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_defaults_mirror_the_package(name):
    ours_cls, theirs_cls, _ = PAIRS[name]
    p = [torch.zeros(1, requires_grad=True)]
    ours, theirs = ours_cls(p), theirs_cls(p)
    assert ours.defaults.keys() == theirs.defaults.keys()
    for key in ours.defaults.keys() - {"foreach"}:  # ours: torch's device-based default
        assert ours.defaults[key] == theirs.defaults[key], key
    assert ours.defaults["foreach"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        ({"momentum": 1.0}, "Momentum must be between 0 and 1 exclusive: 1.0"),
        ({"momentum": 0}, "Momentum must be between 0 and 1 exclusive: 0"),
    ],
)
def test_sgd_invalid_arguments_are_rejected_with_the_packages_message(kwargs, message):
    for cls in (SGDScheduleFree, schedulefree.SGDScheduleFree):
        with pytest.raises(ValueError, match=message):
            cls([torch.zeros(1, requires_grad=True)], **kwargs)


def test_checked_trajectory_and_zero_indexed_average():
    # f = |p|^2 / 2 from p = 1, lr = 0.1, beta = 0.9, 4 steps: the package's average x reaches
    # 0.76990 (the seed's 1-indexed reading gives 0.81078). The averaging weight is 1/(t+1)
    # with t from 0, so c = 1 on the first step and the initial point gets no weight.
    param, state = torch.tensor([1.0], dtype=torch.float64), {}
    ckp1 = []
    for _ in range(4):
        result = sgd_schedulefree_step(param, param.clone(), state, lr=0.1)
        ckp1.append(result.weight.ckp1)
        param, state = result.param, result.state
    assert ckp1 == pytest.approx([1.0, 1 / 2, 1 / 3, 1 / 4], rel=1e-15)
    assert result.x.item() == pytest.approx(0.7699005, rel=1e-13)
    assert param.item() == pytest.approx(0.75737565, rel=1e-13)


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_functional_steps_match_the_package_and_return_x(name, device):
    ours_cls, theirs_cls, make_config = PAIRS[name]
    step_fn = sgd_schedulefree_step if name == "sgd" else adamw_schedulefree_step
    config = make_config(3)
    gen = torch.Generator().manual_seed(8)
    y = torch.randn(3, 2, generator=gen, dtype=torch.float64).to(device)
    p_pkg = y.clone().requires_grad_()
    opt = theirs_cls([p_pkg], **config)
    opt.train()
    state: dict = {}
    for _ in range(5):
        grad = torch.randn(3, 2, generator=gen, dtype=torch.float64).to(device)
        p_pkg.grad = grad.clone()
        opt.step()
        result = step_fn(y, grad, state, **config)
        torch.testing.assert_close(result.param, p_pkg.detach(), rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(result.z, opt.state[p_pkg]["z"], rtol=1e-12, atol=1e-15)
        y, state = result.param, result.state
    opt.eval()
    torch.testing.assert_close(result.x, p_pkg.detach(), rtol=1e-12, atol=1e-15)


def test_weight_follows_warmup_and_lr_max_power():
    weight_sum, lr_max = 0.0, -1.0
    for k in range(4):
        w = schedulefree_weight(
            k,
            0.4,
            warmup_steps=2,
            r=1.0,
            weight_lr_power=2.0,
            lr_max=lr_max,
            weight_sum=weight_sum,
        )
        expected_lr = 0.4 * min(1.0, (k + 1) / 2)
        assert w.scheduled_lr == pytest.approx(expected_lr, rel=1e-15)
        assert w.weight == pytest.approx((k + 1) * expected_lr**2, rel=1e-15)
        weight_sum, lr_max = w.weight_sum, w.lr_max
        assert w.ckp1 == pytest.approx(w.weight / weight_sum, rel=1e-15)


def test_step_leaves_the_gradient_alone_unlike_the_package():
    p = torch.ones(3, requires_grad=True)
    opt = AdamWScheduleFree([p], weight_decay=0.1)
    opt.train()
    p.grad = torch.full((3,), 0.5)
    opt.step()
    assert torch.equal(p.grad, torch.full((3,), 0.5))


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_functional_steps_do_not_mutate_their_inputs(name):
    step_fn = sgd_schedulefree_step if name == "sgd" else adamw_schedulefree_step
    y, grad = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -0.5])
    state = {"k": 2, "z": torch.tensor([0.5, 1.5]), "lr_max": 0.1, "weight_sum": 0.02}
    if name == "adamw":
        state["exp_avg_sq"] = torch.tensor([0.1, 0.2])
    snapshot = {k: v.clone() if torch.is_tensor(v) else v for k, v in state.items()}
    step_fn(y, grad, state, lr=0.1, weight_decay=0.1)
    assert torch.equal(y, torch.tensor([1.0, 2.0])) and torch.equal(grad, torch.tensor([0.5, -0.5]))
    for key, value in snapshot.items():
        assert torch.equal(torch.as_tensor(state[key]), torch.as_tensor(value)), key
