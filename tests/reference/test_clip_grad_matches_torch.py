"""reference.nn.utils clipping against torch.nn.utils.clip_grad_norm_/clip_grad_value_."""

import math

import pytest
import torch

from reference.nn.utils import clip_grad_norm, clip_grad_norm_, clip_grad_value_

NORM_TYPES = [1.0, 2.0, 3.0, math.inf]
SHAPES = [(3, 4), (5,), (2, 3, 2), ()]


def _params_with_grads(seed, dtype, device, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    params = []
    for shape in SHAPES:
        p = torch.zeros(shape, dtype=dtype, device=device, requires_grad=True)
        p.grad = (scale * torch.randn(shape, generator=gen, dtype=dtype)).to(device)
        params.append(p)
    return params


def _clone_params(params):
    clones = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        q.grad = p.grad.clone()
        clones.append(q)
    return clones


def _global_norm(params, norm_type):
    flat = torch.cat([p.grad.flatten() for p in params])
    return torch.linalg.vector_norm(flat, norm_type).item()


@pytest.mark.parametrize("foreach", [None, False, True])
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("max_norm_factor", [0.3, 0.9, 1.5, 10.0], ids=lambda f: f"max={f}xnorm")
def test_clip_grad_norm_in_place_matches_torch(max_norm_factor, norm_type, foreach, device):
    ours = _params_with_grads(0, torch.float64, device)
    theirs = _clone_params(ours)
    max_norm = max_norm_factor * _global_norm(ours, norm_type)
    total_ours = clip_grad_norm_(ours, max_norm, norm_type, foreach=foreach)
    total_torch = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type, foreach=foreach)
    torch.testing.assert_close(total_ours, total_torch, rtol=1e-12, atol=0)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("norm_type", NORM_TYPES)
def test_clip_grad_norm_returns_the_pre_clip_global_norm(norm_type):
    params = _params_with_grads(1, torch.float64, "cpu")
    global_norm = _global_norm(params, norm_type)
    total = clip_grad_norm_(params, max_norm=0.1 * global_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(global_norm, rel=1e-12)
    # After clipping, the global norm is max_norm shrunk by torch's 1e-6 guard.
    expected_after = 0.1 * global_norm * global_norm / (global_norm + 1e-6)
    assert _global_norm(params, norm_type) == pytest.approx(expected_after, rel=1e-12)


@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("max_norm_factor", [0.25, 4.0])
def test_pure_clip_grad_norm_matches_torch_and_leaves_inputs(max_norm_factor, norm_type, device):
    params = _params_with_grads(2, torch.float64, device)
    grads = [p.grad.clone() for p in params]
    max_norm = max_norm_factor * _global_norm(params, norm_type)
    result = clip_grad_norm([p.grad for p in params], max_norm, norm_type)
    total_torch = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)

    assert result.total_norm == pytest.approx(total_torch.item(), rel=1e-12)
    for new, clipped_by_torch in zip(result.grads, params, strict=True):
        torch.testing.assert_close(new, clipped_by_torch.grad, rtol=1e-12, atol=1e-15)
        assert new is not clipped_by_torch.grad
    expected_coef = max_norm / (total_torch.item() + 1e-6)
    assert result.clip_coef == pytest.approx(expected_coef, rel=1e-12)
    assert result.clip_coef_clamped == pytest.approx(min(expected_coef, 1.0), rel=1e-12)
    for norm, original in zip(result.per_tensor_norms, grads, strict=True):
        flat = original.flatten().abs().tolist()
        by_hand = (
            max(flat)
            if norm_type == math.inf
            else sum(v**norm_type for v in flat) ** (1 / norm_type)
        )
        assert norm == pytest.approx(by_hand, rel=1e-12)


def test_pure_clip_grad_norm_does_not_mutate_its_inputs():
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([4.0])]
    result = clip_grad_norm(grads, max_norm=1.0)
    assert grads[0].tolist() == [3.0, 0.0] and grads[1].tolist() == [4.0]
    assert result.total_norm == 5.0
    assert result.grads[0][0].item() == pytest.approx(0.6, rel=1e-6)


def test_no_clipping_still_multiplies_by_a_coefficient_of_one():
    params = _params_with_grads(3, torch.float64, "cpu", scale=1e-3)
    before = [p.grad.clone() for p in params]
    clip_grad_norm_(params, max_norm=100.0)
    for p, g in zip(params, before, strict=True):
        assert torch.equal(p.grad, g)


def test_float32_matches_torch(device):
    ours = _params_with_grads(4, torch.float32, device, scale=10.0)
    theirs = _clone_params(ours)
    total_ours = clip_grad_norm_(ours, 1.0)
    total_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    torch.testing.assert_close(total_ours, total_torch)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a.grad, b.grad)


def test_nonfinite_norm_raises_torchs_error_when_asked():
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([1.0, math.inf])
    q = _clone_params([p])[0]
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients") as ours:
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.clip_grad_norm_([q], 1.0, error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)


def test_parameters_without_grads_are_skipped_and_a_single_tensor_is_accepted():
    no_grad = torch.zeros(3, requires_grad=True)
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([6.0, 8.0])
    assert clip_grad_norm_([no_grad, p], 5.0).item() == 10.0
    assert no_grad.grad is None
    assert clip_grad_norm_(p, 5.0).item() == pytest.approx(5.0, rel=1e-6)
    assert clip_grad_norm_([no_grad], 1.0).item() == 0.0


@pytest.mark.parametrize("clip_value", [0.0, 0.5, 1.7, 100.0])
def test_clip_grad_value_matches_torch(clip_value, device):
    ours = _params_with_grads(5, torch.float64, device, scale=2.0)
    theirs = _clone_params(ours)
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a.grad, b.grad)
