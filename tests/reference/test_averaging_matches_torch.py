"""reference.averaging against torch.optim.swa_utils, F.kl_div, and hand/SymPy closed forms."""

import math

import pytest
import sympy
import torch
import torch.nn.functional as F
from torch.optim import swa_utils

from reference import averaging

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
F64 = torch.float64


def _values(count, shape, device, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=gen, dtype=F64).to(device) for _ in range(count)]


# ------------------------------------------------------------------------------ EMA


@pytest.mark.parametrize("decay", [0.0, 0.5, 0.9, 0.999, 1.0])
def test_ema_update_matches_torch_multi_avg_fn_lerp(decay, device):
    average, value = _values(2, (4, 3), device)
    expected = average.clone()
    swa_utils.get_ema_multi_avg_fn(decay)([expected], [value], 0)
    torch.testing.assert_close(averaging.ema_update(average, value, decay), expected, **TIGHT)
    torch.testing.assert_close(
        averaging.ema_update_alpha(average, value, 1 - decay), expected, **TIGHT
    )


def test_ema_sequence_starting_from_a_copy_matches_averaged_model(device):
    values = _values(6, (5,), device, seed=1)
    model = torch.nn.Linear(5, 1, bias=False).to(device=device, dtype=F64)
    averaged = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.8))
    ours = averaging.exponential_moving_average(values, decay=0.8, start="first")
    for value, expected in zip(values, ours.averages):
        with torch.no_grad():
            model.weight.copy_(value.reshape(1, 5))
        averaged.update_parameters(model)
        torch.testing.assert_close(averaged.module.weight.reshape(5), expected, **TIGHT)


def test_the_checked_example_from_the_conventions():
    """Updates with [1, 2] at decay 0.9 give [1.0, 1.1] (first update is a copy)."""
    result = averaging.exponential_moving_average([1.0, 2.0], decay=0.9)
    assert [a.item() for a in result.averages] == pytest.approx([1.0, 1.1], rel=1e-15)


def test_zero_start_and_bias_correction_match_sympy_closed_form():
    beta, t = sympy.Rational(9, 10), sympy.Symbol("t", integer=True, positive=True)
    xs = [sympy.Rational(v) for v in ("1", "3", "-2", "5/2")]
    result = averaging.exponential_moving_average(
        [float(x) for x in xs], 0.9, start="zero", bias_correction=True
    )
    for step in range(1, len(xs) + 1):
        # EMA_t = (1-b) sum_{k<=t} b^{t-k} x_k ; corrected = EMA_t / (1 - b^t)
        ema = (1 - beta) * sum(beta ** (step - k) * xs[k - 1] for k in range(1, step + 1))
        corrected = ema / (1 - beta**t).subs(t, step)
        assert result.averages[step - 1].item() == pytest.approx(float(ema), rel=1e-12)
        assert result.corrected[step - 1].item() == pytest.approx(float(corrected), rel=1e-12)
    # A constant sequence is recovered exactly by the correction at every step.
    constant = averaging.exponential_moving_average(
        [2.5] * 5, 0.99, start="zero", bias_correction=True
    )
    assert all(c.item() == pytest.approx(2.5, rel=1e-12) for c in constant.corrected)


def test_bias_correcting_a_copy_started_ema_is_refused():
    with pytest.raises(ValueError, match="zero-started"):
        averaging.exponential_moving_average([1.0, 2.0], 0.9, bias_correction=True)


def test_effective_window_and_half_life_closed_forms():
    b = sympy.Symbol("b", positive=True)
    weights_sum = sympy.summation(
        (1 - b) * b ** sympy.Symbol("k"), (sympy.Symbol("k"), 0, sympy.oo)
    )
    assert sympy.simplify(weights_sum.subs(b, sympy.Rational(9, 10))) == 1
    for decay in (0.9, 0.99, 0.999):
        assert averaging.effective_window(decay) == pytest.approx(1 / (1 - decay), rel=1e-12)
        assert decay ** averaging.half_life(decay) == pytest.approx(0.5, rel=1e-12)
    assert averaging.effective_window(0.999) == pytest.approx(1000)


def test_invalid_decay_is_rejected_with_torchs_message():
    for fn in (averaging.get_ema_avg_fn, swa_utils.get_ema_avg_fn):
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
            fn(1.5)


# ------------------------------------------------------------------------------ AveragedModel


def _net(device):
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)
    ).to(device=device, dtype=F64)


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", ["swa", "ema"])
def test_averaged_model_matches_torch_over_several_updates(kind, use_buffers, device):
    torch.manual_seed(0)
    model = _net(device)
    if kind == "swa":
        ours = averaging.AveragedModel(model, use_buffers=use_buffers)
        theirs = swa_utils.AveragedModel(
            model, use_buffers=use_buffers, avg_fn=swa_utils.get_swa_avg_fn()
        )
    else:
        ours = averaging.AveragedModel(
            model, avg_fn=averaging.get_ema_avg_fn(0.7), use_buffers=use_buffers
        )
        theirs = swa_utils.AveragedModel(
            model, use_buffers=use_buffers, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.7)
        )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        x = torch.randn(8, 3, generator=gen, dtype=F64).to(device)
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()
        ours.update_parameters(model)
        theirs.update_parameters(model)
        ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(theirs_state)
        for key, value in theirs_state.items():
            torch.testing.assert_close(ours_state[key], value, **TIGHT, msg=key)


# ------------------------------------------------------------------------------ soups, FedAvg


def _state_dicts(count, device):
    states = []
    for seed in range(count):
        torch.manual_seed(seed)
        model = _net(device)
        model(torch.randn(6, 3, dtype=F64, device=device))  # non-trivial BN buffers
        model(torch.randn(6, 3, dtype=F64, device=device))
        if seed == 1:
            model(torch.randn(6, 3, dtype=F64, device=device))  # a different counter
        states.append(model.state_dict())
    return states


def test_uniform_average_matches_stacked_mean_and_keeps_int_buffers(device):
    states = _state_dicts(3, device)
    soup = averaging.average_state_dicts(states)
    for key, value in soup.items():
        stacked = torch.stack([s[key] for s in states])
        if stacked.is_floating_point():
            torch.testing.assert_close(value, stacked.mean(dim=0), **TIGHT)
        else:
            assert value.dtype == torch.long and torch.equal(value, states[0][key])


def test_weighted_average_and_fedavg_use_normalized_sample_counts(device):
    states = _state_dicts(3, device)
    counts = [10, 30, 60]
    result = averaging.fedavg(states, counts)
    assert result.total_samples == 100 and result.weights == pytest.approx([0.1, 0.3, 0.6])
    key = "0.weight"
    expected = 0.1 * states[0][key] + 0.3 * states[1][key] + 0.6 * states[2][key]
    torch.testing.assert_close(result.state_dict[key], expected, **TIGHT)
    # Only the participating clients count: dropping client 3 renormalizes over n = 40.
    partial = averaging.fedavg(states[:2], counts[:2])
    torch.testing.assert_close(
        partial.state_dict[key], 0.25 * states[0][key] + 0.75 * states[1][key], **TIGHT
    )
    weighted = averaging.average_state_dicts(states, [1, 3, 6])
    torch.testing.assert_close(weighted[key], expected, **TIGHT)


def test_interpolation_weights_the_first_model(device):
    first, second = _state_dicts(2, device)
    for alpha in (0.0, 0.25, 1.0, 1.5):
        mixed = averaging.interpolate_state_dicts(first, second, alpha)
        torch.testing.assert_close(
            mixed["2.bias"], torch.lerp(second["2.bias"], first["2.bias"], alpha), **TIGHT
        )
    assert torch.equal(
        averaging.interpolate_state_dicts(first, second, 1.0)["0.weight"], first["0.weight"]
    )


def test_bad_inputs_are_rejected():
    states = _state_dicts(2, "cpu")
    with pytest.raises(ValueError, match="weights must be non-negative"):
        averaging.average_state_dicts(states, [1, -1])
    with pytest.raises(ValueError, match="2 weights for 3"):
        averaging.average_state_dicts(states + states[:1], [1, 1])
    with pytest.raises(ValueError, match="has keys"):
        averaging.average_state_dicts([states[0], {"x": torch.zeros(1)}])
    with pytest.raises(ValueError, match="sample counts must be positive"):
        averaging.fedavg(states, [3, 0])


# ------------------------------------------------------------------------------ EWC


def test_empirical_fisher_of_a_softmax_classifier_matches_the_closed_form(device):
    """For logits Wx + b: d log p_y / dW = (e_y - p) x^T and d/db = e_y - p."""
    torch.manual_seed(3)
    model = torch.nn.Linear(4, 3).to(device=device, dtype=F64)
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(7, 4, generator=gen, dtype=F64).to(device)
    y = torch.randint(0, 3, (7,), generator=gen).to(device)
    fisher = averaging.empirical_fisher_diagonal(model, x, y)
    with torch.no_grad():
        residual = F.one_hot(y, 3).to(F64) - F.softmax(model(x), dim=-1)  # (N, C)
    per_sample_w = residual[:, :, None] * x[:, None, :]
    torch.testing.assert_close(fisher["weight"], per_sample_w.square().mean(0), **TIGHT)
    torch.testing.assert_close(fisher["bias"], residual.square().mean(0), **TIGHT)
    # The mistake: squaring the batch-mean gradient gives a different (smaller) number.
    assert not torch.allclose(fisher["bias"], residual.mean(0).square())


def test_ewc_penalty_value_and_gradient_match_autograd_and_closed_form(device):
    torch.manual_seed(5)
    model = torch.nn.Linear(3, 2).to(device=device, dtype=F64)
    anchor = {n: p.detach().clone() + 0.1 for n, p in model.named_parameters()}
    gen = torch.Generator().manual_seed(6)
    fisher = {
        n: torch.rand(p.shape, generator=gen, dtype=F64).to(device)
        for n, p in model.named_parameters()
    }
    penalty = averaging.ewc_penalty(model.named_parameters(), anchor, fisher, lam=40.0)
    expected = sum(
        20.0 * (fisher[n] * (p - anchor[n]) ** 2).sum() for n, p in model.named_parameters()
    )
    torch.testing.assert_close(penalty, expected, **TIGHT)
    penalty.backward()
    for name, param in model.named_parameters():  # d/dθ = λ F (θ - θ*)
        torch.testing.assert_close(
            param.grad, 40.0 * fisher[name] * (param - anchor[name]), **TIGHT
        )


# ------------------------------------------------------------------------------ distillation


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9])
def test_distillation_loss_matches_torch_kl_div_batchmean(temperature, alpha, device):
    gen = torch.Generator().manual_seed(7)
    student = (3 * torch.randn(6, 5, generator=gen, dtype=F64)).to(device).requires_grad_()
    teacher = (3 * torch.randn(6, 5, generator=gen, dtype=F64)).to(device)
    targets = torch.randint(0, 5, (6,), generator=gen).to(device)
    result = averaging.distillation_loss(student, teacher, targets, temperature, alpha)
    kl = F.kl_div(
        F.log_softmax(student / temperature, -1),
        F.softmax(teacher / temperature, -1),
        reduction="batchmean",
    )
    expected = alpha * temperature**2 * kl + (1 - alpha) * F.cross_entropy(student, targets)
    torch.testing.assert_close(result.kl, kl, **TIGHT)
    torch.testing.assert_close(result.loss, expected, **TIGHT)
    (grad_ours,) = torch.autograd.grad(result.loss, student)
    (grad_torch,) = torch.autograd.grad(expected, student)
    torch.testing.assert_close(grad_ours, grad_torch, **TIGHT)
    # 'mean' divides by B*C, not B: the documented wrong reduction.
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean_kl = F.kl_div(
            F.log_softmax(student / temperature, -1),
            F.softmax(teacher / temperature, -1),
            reduction="mean",
        )
    torch.testing.assert_close(mean_kl * 5, kl, **TIGHT)


def test_soft_target_cross_entropy_exceeds_kl_by_teacher_entropy():
    gen = torch.Generator().manual_seed(8)
    student, teacher = torch.randn(2, 4, 6, generator=gen, dtype=F64)
    result = averaging.distillation_loss(
        student, teacher, torch.zeros(4, dtype=torch.long), temperature=2.0, alpha=1.0
    )
    p = result.teacher_probs
    soft_ce = -(p * result.student_log_probs).sum() / 4
    entropy = -(p * p.log()).sum() / 4
    assert soft_ce.item() == pytest.approx((result.kl + entropy).item(), rel=1e-12)
    assert math.isclose(result.soft_loss.item(), 4 * result.kl.item(), rel_tol=1e-15)
