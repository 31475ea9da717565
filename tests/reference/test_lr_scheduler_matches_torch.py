"""reference.lr_scheduler against torch.optim.lr_scheduler (LambdaLR and SequentialLR for the
seed's forms) over many epochs, for the stepped lrs and for the closed forms."""

import math
import random
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as torch_sched

from reference import lr_scheduler as ours_sched

EPOCHS = 60
REL = 1e-10


def _optimizer(base_lrs=(0.1, 0.037)):
    """An SGD optimizer with one param group per base lr (the schedules are per group)."""
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in base_lrs]
    return torch.optim.SGD(groups)


def _trajectory(make_scheduler, epochs=EPOCHS):
    """The lrs in effect at epochs 0..epochs-1 (after 0, 1, ... scheduler steps)."""
    optimizer = _optimizer()
    scheduler = make_scheduler(optimizer)
    lrs = [scheduler.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()"
        for _ in range(epochs - 1):
            scheduler.step()
            lrs.append(scheduler.get_last_lr())
    return scheduler, lrs


def _assert_lrs_close(ours, theirs, scale=0.1):
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=REL, abs=1e-15 * scale), f"epoch {epoch}"


def _random_cases(seed):
    rng = random.Random(seed)
    step_size = rng.randint(1, 7)
    gamma = rng.uniform(0.1, 0.95)
    milestones = sorted(rng.sample(range(1, 40), rng.randint(1, 4)))
    if rng.random() < 0.5:
        milestones.append(milestones[-1])  # a repeated milestone decays twice
    t_max = rng.randint(2, 25)
    eta_min = rng.choice([0.0, 1e-3])
    start, end, total = rng.uniform(0.05, 1.0), rng.uniform(0.0, 1.0), rng.randint(1, 12)
    t_0, t_mult = rng.randint(1, 6), rng.randint(1, 3)
    return {
        "StepLR": ({"step_size": step_size, "gamma": gamma}, ours_sched.step_lr_at),
        "MultiStepLR": ({"milestones": milestones, "gamma": gamma}, ours_sched.multistep_lr_at),
        "ExponentialLR": ({"gamma": gamma}, ours_sched.exponential_lr_at),
        "CosineAnnealingLR": (
            {"T_max": t_max, "eta_min": eta_min},
            ours_sched.cosine_annealing_lr_at,
        ),
        "LinearLR": (
            {"start_factor": start, "end_factor": end, "total_iters": total},
            ours_sched.linear_lr_at,
        ),
        "CosineAnnealingWarmRestarts": (
            {"T_0": t_0, "T_mult": t_mult, "eta_min": eta_min},
            ours_sched.cosine_annealing_warm_restarts_lr_at,
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "CosineAnnealingLR",
        "LinearLR",
        "CosineAnnealingWarmRestarts",
    ],
)
@pytest.mark.parametrize("seed", range(8))
def test_scheduler_and_closed_form_match_torch(name, seed):
    kwargs, closed_form = _random_cases(seed)[name]
    ours, our_lrs = _trajectory(lambda opt: getattr(ours_sched, name)(opt, **kwargs))
    _, their_lrs = _trajectory(lambda opt: getattr(torch_sched, name)(opt, **kwargs))
    _assert_lrs_close(our_lrs, their_lrs)
    closed = [ours.lr_at(epoch) for epoch in range(EPOCHS)]
    _assert_lrs_close(closed, their_lrs)
    by_function = [
        [closed_form(e, base, **kwargs) for base in ours.base_lrs] for e in range(EPOCHS)
    ]
    _assert_lrs_close(by_function, their_lrs)


@pytest.mark.parametrize("seed", range(4))
def test_seed_exponential_decay_matches_lambda_lr_and_exponential_lr(seed):
    k = random.Random(seed).uniform(0.01, 0.5)
    _, ours = _trajectory(lambda opt: ours_sched.ExponentialDecayLR(opt, k=k))
    _, by_lambda = _trajectory(lambda opt: torch_sched.LambdaLR(opt, lambda e: math.exp(-k * e)))
    _, by_gamma = _trajectory(lambda opt: torch_sched.ExponentialLR(opt, gamma=math.exp(-k)))
    _assert_lrs_close(ours, by_lambda)
    _assert_lrs_close(ours, by_gamma)


@pytest.mark.parametrize("seed", range(4))
def test_seed_time_based_decay_matches_lambda_lr(seed):
    k = random.Random(seed).uniform(0.01, 2.0)
    _, ours = _trajectory(lambda opt: ours_sched.TimeBasedDecayLR(opt, k=k))
    _, theirs = _trajectory(lambda opt: torch_sched.LambdaLR(opt, lambda e: 1 / (1 + k * e)))
    _assert_lrs_close(ours, theirs)
    assert ours_sched.time_based_decay_lr_at(4, 0.1, 0.5) == pytest.approx(0.1 / 3, rel=1e-15)


def _hf_cosine_with_warmup(warmup, total):
    """transformers' get_cosine_schedule_with_warmup lambda (num_cycles=0.5), written out."""

    def factor(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))

    return factor


@pytest.mark.parametrize(("warmup", "total"), [(0, 30), (5, 40), (10, 59)])
def test_warmup_cosine_matches_hfs_schedule_until_total_steps(warmup, total):
    _, ours = _trajectory(lambda opt: ours_sched.WarmupCosineLR(opt, warmup, total))
    _, theirs = _trajectory(
        lambda opt: torch_sched.LambdaLR(opt, _hf_cosine_with_warmup(warmup, total))
    )
    _assert_lrs_close(ours[: total + 1], theirs[: total + 1])
    assert all(lr == [0.0, 0.0] for lr in ours[total:])  # stays at eta_min
    assert ours[0] == ([0.0, 0.0] if warmup else [0.1, 0.037])  # HF's warmup starts at 0


@pytest.mark.parametrize(
    ("warmup", "total", "start", "eta_min"), [(5, 40, 0.1, 1e-3), (3, 20, 0.5, 0)]
)
def test_warmup_cosine_matches_torch_sequential_linear_then_cosine(warmup, total, start, eta_min):
    _, ours = _trajectory(
        lambda opt: ours_sched.WarmupCosineLR(
            opt, warmup, total, eta_min=eta_min, start_factor=start
        )
    )

    def sequential(opt):
        return torch_sched.SequentialLR(
            opt,
            [
                torch_sched.LinearLR(opt, start_factor=start, total_iters=warmup),
                torch_sched.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=eta_min),
            ],
            milestones=[warmup],
        )

    _, theirs = _trajectory(sequential)
    _assert_lrs_close(ours[: total + 1], theirs[: total + 1])


def _plateau_run(scheduler_cls, metrics, **kwargs):
    optimizer = _optimizer()
    scheduler = scheduler_cls(optimizer, **kwargs)
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr())
    return scheduler, lrs


@pytest.mark.parametrize("seed", range(10))
def test_reduce_lr_on_plateau_matches_torch(seed):
    rng = random.Random(seed)
    kwargs = {
        "mode": rng.choice(["min", "max"]),
        "factor": rng.choice([0.1, 0.5]),
        "patience": rng.randint(0, 4),
        "threshold": rng.choice([1e-4, 0.05]),
        "threshold_mode": rng.choice(["rel", "abs"]),
        "cooldown": rng.randint(0, 3),
        "min_lr": rng.choice([0.0, 1e-3, [1e-3, 1e-4]]),
        "eps": rng.choice([1e-8, 1e-3]),
    }
    # A noisy metric that improves, then plateaus, so that reductions happen.
    metrics = [1.0 / (1 + min(e, 12)) + rng.uniform(-0.02, 0.02) for e in range(EPOCHS)]
    ours, our_lrs = _plateau_run(ours_sched.ReduceLROnPlateau, metrics, **kwargs)
    theirs, their_lrs = _plateau_run(torch_sched.ReduceLROnPlateau, metrics, **kwargs)
    assert our_lrs == their_lrs
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
        assert getattr(ours, key) == getattr(theirs, key), key


def test_reduce_lr_on_plateau_checked_patience_example():
    # patience=2, losses [1, .9, .9, .9, .9]: reduced on the 5th call (3 bad epochs > 2).
    _, lrs = _plateau_run(ours_sched.ReduceLROnPlateau, [1, 0.9, 0.9, 0.9, 0.9], patience=2)
    assert [lr[0] for lr in lrs] == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01], rel=1e-15)


def test_step_with_an_epoch_uses_the_closed_form_like_torch():
    for name, kwargs in (("StepLR", {"step_size": 3}), ("CosineAnnealingLR", {"T_max": 7})):
        lrs = []
        for module in (ours_sched, torch_sched):
            opt = _optimizer()
            scheduler = getattr(module, name)(opt, **kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scheduler.step(11)
            lrs.append(scheduler.get_last_lr())
        _assert_lrs_close([lrs[0]], [lrs[1]])


def test_warm_restarts_with_fractional_epochs_match_torch():
    for epoch in (0.5, 2.25, 7.75, 20.1):
        lrs = []
        for module in (ours_sched, torch_sched):
            scheduler = module.CosineAnnealingWarmRestarts(_optimizer(), T_0=3, T_mult=2)
            scheduler.step(epoch)
            lrs.append(scheduler.get_last_lr())
        _assert_lrs_close([lrs[0]], [lrs[1]])


def test_warm_restarts_land_on_the_restart_where_torchs_logarithm_does_not():
    # torch's step(epoch) counts cycles with math.log(243, 3) = 4.999..., so at the restart
    # epoch 1 + 3 + 9 + 27 + 81 = 121 it gives eta_min; stepping one epoch at a time (torch
    # and ours) restarts at lr0.
    _, stepped = _trajectory(
        lambda opt: torch_sched.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3), epochs=122
    )
    assert stepped[121] == [0.1, 0.037]
    ours = ours_sched.CosineAnnealingWarmRestarts(_optimizer(), T_0=1, T_mult=3)
    ours.step(121)
    assert ours.get_last_lr() == [0.1, 0.037]
    theirs = torch_sched.CosineAnnealingWarmRestarts(_optimizer(), T_0=1, T_mult=3)
    theirs.step(121)
    assert theirs.get_last_lr() == [0.0, 0.0]


def test_checked_values_from_the_conventions():
    assert [ours_sched.step_lr_at(e, 0.1, 3, 0.5) for e in range(4)] == [0.1, 0.1, 0.1, 0.05]
    restarts = [
        ours_sched.cosine_annealing_warm_restarts_lr_at(e, 0.1, T_0=3, T_mult=2) for e in range(10)
    ]
    expected = [0.1, 0.075, 0.025, 0.1, 0.0933, 0.075, 0.05, 0.025, 0.0067, 0.1]
    assert restarts == pytest.approx(expected, abs=5e-5)
    # CosineAnnealingLR does not clamp: it rises again after T_max.
    cosine = [
        ours_sched.cosine_annealing_lr_at(e, 0.1, T_max=10, eta_min=0.001) for e in (10, 15, 20)
    ]
    assert cosine == pytest.approx([0.001, 0.0505, 0.1], rel=1e-12)
    linear = [ours_sched.linear_lr_at(e, 0.1) for e in (0, 1, 5, 9)]
    assert linear == pytest.approx([0.1 / 3, 0.1 * (1 / 3 + 2 / 15), 0.1, 0.1], rel=1e-14)


def test_schedulers_drive_a_reference_optimizer():
    from reference.optim import SGD

    param = torch.ones(1, requires_grad=True)
    optimizer = SGD([param], lr=0.1)
    scheduler = ours_sched.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(4):
        param.grad = torch.ones(1)
        optimizer.step()
        scheduler.step()
    # lrs 0.1, 0.1, 0.05, 0.05 applied to a unit gradient.
    assert param.item() == pytest.approx(1 - 0.3, rel=1e-6)


def test_invalid_arguments_are_rejected_like_torch():
    opt = _optimizer()
    for name, kwargs in (
        ("LinearLR", {"start_factor": 0}),
        ("LinearLR", {"end_factor": 1.5}),
        ("CosineAnnealingWarmRestarts", {"T_0": 0}),
        ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}),
        ("ReduceLROnPlateau", {"factor": 1.0}),
        ("ReduceLROnPlateau", {"mode": "median"}),
    ):
        for module in (ours_sched, torch_sched):
            with pytest.raises(ValueError):
                getattr(module, name)(opt, **kwargs)
