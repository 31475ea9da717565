"""reference.nn InstanceNorm/LayerNorm/GroupNorm/RMSNorm/T5LayerNorm against torch.nn."""

import pytest
import torch

from reference.nn import (
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    RMSNorm,
    T5LayerNorm,
    group_norm,
    instance_norm,
    layer_norm,
    rms_norm,
    t5_layer_norm,
)
from reference.nn.normalization import default_rms_norm_eps

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
GRAD = {"rtol": 1e-9, "atol": 1e-11}


def _randomize_parameters(ours, theirs, seed=7):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters()):
            value = torch.randn(p_ours.shape, generator=gen, dtype=p_ours.dtype)
            p_ours.copy_(value.to(p_ours.device))
            p_theirs.copy_(value.to(p_theirs.device))


def _assert_same_forward_and_backward(ours, theirs, x, seed=3):
    x_ours = x.clone().requires_grad_()
    x_theirs = x.clone().requires_grad_()
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    torch.testing.assert_close(y_ours, y_theirs, **TIGHT)
    upstream = torch.randn(
        y_theirs.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype
    ).to(x.device)
    (y_ours * upstream).sum().backward()
    (y_theirs * upstream).sum().backward()
    torch.testing.assert_close(x_ours.grad, x_theirs.grad, **GRAD)
    for (name, p_ours), (_, p_theirs) in zip(ours.named_parameters(), theirs.named_parameters()):
        torch.testing.assert_close(p_ours.grad, p_theirs.grad, **GRAD, msg=name)


def _same_structure(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


# ------------------------------------------------------------------------------ instance norm

INSTANCE = {
    "1d": (InstanceNorm1d, torch.nn.InstanceNorm1d, (4, 3, 6)),
    "1d-unbatched": (InstanceNorm1d, torch.nn.InstanceNorm1d, (3, 6)),
    "2d": (InstanceNorm2d, torch.nn.InstanceNorm2d, (2, 3, 4, 5)),
    "2d-unbatched": (InstanceNorm2d, torch.nn.InstanceNorm2d, (3, 4, 5)),
}
INSTANCE_CONFIGS = {
    "defaults": {},
    "affine": {"affine": True},
    "running-stats": {"track_running_stats": True, "momentum": 0.3},
    "affine-running-stats": {"affine": True, "track_running_stats": True},
    "momentum-none": {"track_running_stats": True, "momentum": None},
    "eps": {"eps": 1e-2},
}


@pytest.mark.parametrize("config", INSTANCE_CONFIGS.values(), ids=INSTANCE_CONFIGS.keys())
@pytest.mark.parametrize("layout", INSTANCE.keys())
def test_instance_norm_matches_torch_in_train_and_eval(layout, config, device):
    ours_cls, torch_cls, shape = INSTANCE[layout]
    ours = ours_cls(3, device=device, dtype=torch.float64, **config)
    theirs = torch_cls(3, device=device, dtype=torch.float64, **config)
    _randomize_parameters(ours, theirs)
    _same_structure(ours, theirs)
    gen = torch.Generator().manual_seed(11)
    for training in (True, True, False, True, False):
        ours.train(training)
        theirs.train(training)
        x = (2 * torch.randn(shape, generator=gen, dtype=torch.float64) - 0.7).to(device)
        _assert_same_forward_and_backward(ours, theirs, x)
        for key, value in theirs.state_dict().items():
            torch.testing.assert_close(ours.state_dict()[key], value, **TIGHT, msg=key)
        ours.zero_grad()
        theirs.zero_grad()


def test_default_instance_norm_has_no_parameters_and_no_buffers():
    for cls in (InstanceNorm1d, InstanceNorm2d):
        layer = cls(8)
        assert sum(p.numel() for p in layer.parameters()) == 0
        assert list(layer.state_dict()) == []
    assert sum(p.numel() for p in InstanceNorm2d(8, affine=True).parameters()) == 16


def test_instance_norm_errors_and_warnings_are_torchs():
    one_spatial = torch.randn(2, 3, 1)
    for layer in (InstanceNorm1d(3), torch.nn.InstanceNorm1d(3)):
        with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
            layer(one_spatial)
    for layer in (InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)):
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            layer(torch.randn(3, 4))
    for layer in (InstanceNorm1d(4, affine=True), torch.nn.InstanceNorm1d(4, affine=True)):
        with pytest.raises(ValueError, match="to match num_features"):
            layer(torch.randn(2, 3, 5))
    for layer in (InstanceNorm1d(4), torch.nn.InstanceNorm1d(4)):
        with pytest.warns(UserWarning, match="does not match num_features"):
            layer(torch.randn(2, 3, 5))


def test_functional_instance_norm_intermediates_are_per_sample_and_channel():
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(3, 2, 4, 5, generator=gen, dtype=torch.float64)
    running_mean = torch.randn(2, generator=gen, dtype=torch.float64)
    running_var = torch.rand(2, generator=gen, dtype=torch.float64) + 0.5
    result = instance_norm(x, running_mean, running_var, momentum=0.2)
    var, mean = torch.var_mean(x, dim=(2, 3), correction=0)
    unbiased = torch.var(x, dim=(2, 3), correction=1)
    assert result.count == 20
    torch.testing.assert_close(result.mean, mean, **TIGHT)
    torch.testing.assert_close(result.var, var, **TIGHT)
    torch.testing.assert_close(
        result.running_mean, 0.8 * running_mean + 0.2 * mean.mean(0), **TIGHT
    )
    torch.testing.assert_close(
        result.running_var, 0.8 * running_var + 0.2 * unbiased.mean(0), **TIGHT
    )
    torch.testing.assert_close(result.output, torch.nn.functional.instance_norm(x), **TIGHT)


# ------------------------------------------------------------------------------ layer norm

LAYER_CASES = {
    "last-dim": ((4, 7), 7, {}),
    "chw": ((2, 3, 5, 5), (3, 5, 5), {}),
    "no-bias": ((3, 4, 6), [4, 6], {"bias": False}),
    "no-affine": ((5, 8), (8,), {"elementwise_affine": False}),
    "eps": ((2, 2, 9), 9, {"eps": 0.1}),
}


@pytest.mark.parametrize(
    ("shape", "normalized_shape", "config"), LAYER_CASES.values(), ids=LAYER_CASES.keys()
)
def test_layer_norm_matches_torch(shape, normalized_shape, config, device):
    ours = LayerNorm(normalized_shape, device=device, dtype=torch.float64, **config)
    theirs = torch.nn.LayerNorm(normalized_shape, device=device, dtype=torch.float64, **config)
    _same_structure(ours, theirs)
    _randomize_parameters(ours, theirs)
    x = (
        3 * torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64) + 2
    ).to(device)
    _assert_same_forward_and_backward(ours, theirs, x)
    ours.eval()
    theirs.eval()
    torch.testing.assert_close(ours(x), theirs(x), **TIGHT)


def test_layer_norm_over_chw_has_per_element_parameters():
    assert sum(p.numel() for p in LayerNorm([3, 5, 5]).parameters()) == 150


def test_layer_norm_intermediates_and_shape_error():
    x = torch.randn(4, 3, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    result = layer_norm(x, (3, 6))
    var, mean = torch.var_mean(x, dim=(1, 2), correction=0)
    torch.testing.assert_close(result.mean, mean, **TIGHT)
    torch.testing.assert_close(result.var, var, **TIGHT)
    assert result.count == 18
    message = r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], but got input"
    for fn in (
        lambda: layer_norm(torch.randn(3, 4), 5),
        lambda: torch.nn.functional.layer_norm(torch.randn(3, 4), (5,)),
    ):
        with pytest.raises(RuntimeError, match=message):
            fn()


def test_layer_norm_float32_is_within_a_few_ulp_of_torch():
    x = torch.randn(16, 64, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(LayerNorm(64)(x), torch.nn.LayerNorm(64)(x), rtol=2e-6, atol=2e-6)


# ------------------------------------------------------------------------------ group norm

GROUP_CASES = {
    "G=2": (2, 6, (3, 6, 4), {}),
    "G=1 (layer-norm-like)": (1, 4, (2, 4, 3, 3), {}),
    "G=C (instance-norm-like)": (5, 5, (2, 5, 7), {}),
    "no-affine": (3, 6, (2, 6, 2, 2), {"affine": False}),
    "no-bias": (2, 4, (2, 4), {"bias": False}),
    "eps": (4, 8, (2, 8, 3), {"eps": 0.05}),
}


@pytest.mark.parametrize(
    ("groups", "channels", "shape", "config"), GROUP_CASES.values(), ids=GROUP_CASES.keys()
)
def test_group_norm_matches_torch(groups, channels, shape, config, device):
    ours = GroupNorm(groups, channels, device=device, dtype=torch.float64, **config)
    theirs = torch.nn.GroupNorm(groups, channels, device=device, dtype=torch.float64, **config)
    _same_structure(ours, theirs)
    _randomize_parameters(ours, theirs)
    x = (
        torch.randn(shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 2.5
        - 1
    ).to(device)
    _assert_same_forward_and_backward(ours, theirs, x)


def test_group_norm_special_cases_equal_layer_and_instance_norm():
    x = torch.randn(3, 4, 5, 2, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    torch.testing.assert_close(
        group_norm(x, 1).output, torch.nn.functional.layer_norm(x, (4, 5, 2)), **TIGHT
    )
    torch.testing.assert_close(
        group_norm(x, 4).output, torch.nn.functional.instance_norm(x), **TIGHT
    )
    result = group_norm(x, 2)
    grouped = x.reshape(3, 2, -1)
    var, mean = torch.var_mean(grouped, dim=-1, correction=0)
    torch.testing.assert_close(result.mean, mean, **TIGHT)
    torch.testing.assert_close(result.var, var, **TIGHT)
    assert result.count == 2 * 5 * 2


def test_group_norm_errors_are_torchs():
    message = r"num_channels \(4\) must be divisible by num_groups \(3\)"
    with pytest.raises(ValueError, match=message):
        GroupNorm(3, 4)
    for fn in (group_norm, torch.nn.functional.group_norm):
        with pytest.raises(RuntimeError, match="divisible by num_groups, but got input of shape"):
            fn(torch.randn(3, 4), 3)
        with pytest.raises(ValueError, match=r"more than 1 value per channel.*\[1, 4\]"):
            fn(torch.randn(1, 4), 4)


# ------------------------------------------------------------------------------ RMS family


@pytest.mark.parametrize("eps", [None, 1e-6, 0.3])
@pytest.mark.parametrize(("shape", "normalized_shape"), [((4, 8), 8), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_matches_torch(shape, normalized_shape, eps, affine, device):
    ours = RMSNorm(
        normalized_shape, eps=eps, elementwise_affine=affine, device=device, dtype=torch.float64
    )
    theirs = torch.nn.RMSNorm(
        normalized_shape, eps=eps, elementwise_affine=affine, device=device, dtype=torch.float64
    )
    _same_structure(ours, theirs)
    _randomize_parameters(ours, theirs)
    x = (
        torch.randn(shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64) + 0.5
    ).to(device)
    _assert_same_forward_and_backward(ours, theirs, x)


def test_rms_norm_default_eps_is_float32_machine_epsilon_for_low_precision():
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        assert default_rms_norm_eps(dtype) == torch.finfo(torch.float32).eps == 2.0**-23
    # torch uses the compute dtype's own epsilon for float64: visible on a tiny input.
    assert default_rms_norm_eps(torch.float64) == 2.0**-52
    tiny = torch.tensor([[1e-9, 2e-9, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(
        rms_norm(tiny, 3).output, torch.nn.functional.rms_norm(tiny, (3,)), **TIGHT
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_rms_norm_low_precision_is_close_to_torch(dtype):
    x = torch.randn(8, 32, generator=torch.Generator().manual_seed(3)).to(dtype)
    weight = torch.rand(32, generator=torch.Generator().manual_seed(4)).to(dtype)
    ours = rms_norm(x, 32, weight).output
    theirs = torch.nn.functional.rms_norm(x, (32,), weight)
    assert ours.dtype == theirs.dtype == dtype
    tol = {torch.float32: 2e-6, torch.bfloat16: 1e-2, torch.float16: 2e-3}[dtype]
    torch.testing.assert_close(ours.float(), theirs.float(), rtol=tol, atol=tol)


def test_rms_norm_does_not_subtract_the_mean():
    x = torch.tensor([[1.0, 2.0, 3.0, 6.0]], dtype=torch.float64)
    result = rms_norm(x, 4, eps=0.0)
    assert result.mean_square.item() == pytest.approx(12.5, rel=1e-15)
    torch.testing.assert_close(result.output, x / 12.5**0.5, **TIGHT)


def test_t5_layer_norm_equals_torch_rms_norm_with_eps_1e_6_in_float32(device):
    x = torch.randn(4, 5, 16, generator=torch.Generator().manual_seed(2)).to(device)
    ours = T5LayerNorm(16).to(device)
    theirs = torch.nn.RMSNorm(16, eps=1e-6).to(device)
    _randomize_parameters(ours, theirs)
    torch.testing.assert_close(ours(x), theirs(x), rtol=2e-7, atol=1e-7)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]
    assert ours.variance_epsilon == 1e-6


def test_t5_layer_norm_takes_float32_statistics_even_for_float64_input():
    x = torch.randn(3, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    weight = torch.ones(10, dtype=torch.float64)
    result = t5_layer_norm(x, weight)
    assert result.mean_square.dtype == torch.float32 and result.output.dtype == torch.float64
    exact = torch.nn.functional.rms_norm(x, (10,), eps=1e-6)
    torch.testing.assert_close(result.output, exact, rtol=1e-6, atol=1e-7)
    # The float32 statistic is visible: not float64-exact.
    assert (result.output - exact).abs().max() > 1e-12


def test_t5_layer_norm_casts_to_half_weight_dtype_before_scaling():
    x = torch.randn(2, 8, generator=torch.Generator().manual_seed(5)).to(torch.bfloat16)
    weight = torch.full((8,), 1.5, dtype=torch.bfloat16)
    result = t5_layer_norm(x, weight)
    assert result.normalized.dtype == torch.bfloat16 and result.output.dtype == torch.bfloat16
    expected = torch.nn.functional.rms_norm(x.float(), (8,), eps=1e-6).to(torch.bfloat16) * 1.5
    torch.testing.assert_close(result.output, expected, rtol=1e-2, atol=1e-2)


def test_float32_outputs_are_within_a_few_ulp_of_torch(device):
    """Same formula, different reduction order (torch uses Welford): <= ~8 ulp at unit scale."""
    x = torch.randn(8, 6, 5, 7, generator=torch.Generator().manual_seed(0)).to(device)
    few_ulp = {"rtol": 8 * 2.0**-23, "atol": 8 * 2.0**-23}
    fn = torch.nn.functional
    torch.testing.assert_close(instance_norm(x).output, fn.instance_norm(x), **few_ulp)
    torch.testing.assert_close(group_norm(x, 3).output, fn.group_norm(x, 3), **few_ulp)
    torch.testing.assert_close(layer_norm(x, (5, 7)).output, fn.layer_norm(x, (5, 7)), **few_ulp)
    torch.testing.assert_close(rms_norm(x, (5, 7)).output, fn.rms_norm(x, (5, 7)), **few_ulp)


def test_reset_parameters_restores_torchs_initial_values():
    for ours, theirs in (
        (LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))),
        (GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (RMSNorm(5), torch.nn.RMSNorm(5)),
    ):
        _randomize_parameters(ours, theirs)
        ours.reset_parameters()
        theirs.reset_parameters()
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters()):
            assert torch.equal(p_ours, p_theirs)
