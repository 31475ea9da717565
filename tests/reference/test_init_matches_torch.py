"""reference.nn.init against torch.nn.init and the papers' closed forms."""

import math

import pytest
import torch

from reference.nn import init

SHAPES = [(5, 3), (1, 7), (16, 8, 3), (32, 4, 3, 3), (8, 2, 1, 5, 2), (64, 3, 7, 7)]
NONLINEARITIES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch_for_tensors_and_shapes(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(torch.empty(shape)) == expected
    assert init.fan_in_and_fan_out(shape) == expected
    assert init.fan_in_and_fan_out(torch.Size(shape)) == expected


def test_conv_fans_count_the_receptive_field_and_groups_only_divide_fan_in():
    conv = torch.nn.Conv2d(8, 6, kernel_size=(3, 5), groups=2)
    assert init.fan_in_and_fan_out(conv.weight) == (8 // 2 * 15, 6 * 15)


@pytest.mark.parametrize("shape", [(), (4,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.fan_in_and_fan_out(shape)


@pytest.mark.parametrize(("nonlinearity", "param"), NONLINEARITIES)
def test_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


def test_gain_rejects_what_torch_rejects():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3, math.sqrt(2)])
def test_xavier_numbers_equal_glorot_closed_forms(shape, gain):
    rf = math.prod(shape[2:])
    n_in, n_out = shape[1] * rf, shape[0] * rf
    assert init.xavier_std(shape, gain) == pytest.approx(gain * math.sqrt(2 / (n_in + n_out)))
    assert init.xavier_uniform_bound(shape, gain) == pytest.approx(
        gain * math.sqrt(6 / (n_in + n_out))
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize("a", [0, 0.2, math.sqrt(5)])
def test_kaiming_numbers_equal_he_closed_forms(shape, mode, a):
    rf = math.prod(shape[2:])
    fan = (shape[1] if mode == "fan_in" else shape[0]) * rf
    assert init.kaiming_std(shape, a, mode) == pytest.approx(math.sqrt(2 / ((1 + a**2) * fan)))
    assert init.kaiming_uniform_bound(shape, a, mode) == pytest.approx(
        math.sqrt(6 / ((1 + a**2) * fan))
    )
    assert init.kaiming_std(shape, mode=mode, nonlinearity="relu") == pytest.approx(
        math.sqrt(2 / fan)
    )


def test_torch_default_linear_init_bound_is_one_over_sqrt_fan_in():
    assert init.kaiming_uniform_bound((10, 25), a=math.sqrt(5)) == pytest.approx(1 / 5)


def test_unknown_mode_is_rejected_like_torch():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_std((3, 4), mode="fan_avg")


def _same_draw(ours_fn, torch_fn, shape, dtype, device, **kwargs):
    ours = torch.empty(shape, dtype=dtype, device=device)
    theirs = torch.empty(shape, dtype=dtype, device=device)
    ours_fn(ours, generator=torch.Generator(device).manual_seed(1234), **kwargs)
    torch_fn(theirs, generator=torch.Generator(device).manual_seed(1234), **kwargs)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_in_place_initializers_draw_exactly_torchs_tensor(shape, dtype, device):
    _same_draw(init.xavier_uniform_, torch.nn.init.xavier_uniform_, shape, dtype, device, gain=1.3)
    _same_draw(init.xavier_normal_, torch.nn.init.xavier_normal_, shape, dtype, device, gain=0.7)
    for kwargs in (
        {},
        {"a": 0.1, "mode": "fan_out"},
        {"a": math.sqrt(5)},
        {"nonlinearity": "relu"},
        {"nonlinearity": "linear"},
    ):
        _same_draw(
            init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, shape, dtype, device, **kwargs
        )
        _same_draw(
            init.kaiming_normal_, torch.nn.init.kaiming_normal_, shape, dtype, device, **kwargs
        )


def test_initializers_work_in_place_without_recording_autograd():
    weight = torch.nn.Parameter(torch.empty(6, 4))
    returned = init.kaiming_normal_(weight)
    assert returned is weight and weight.grad_fn is None
    assert init.zeros_(weight) is weight and torch.count_nonzero(weight) == 0


def test_kaiming_on_zero_element_tensor_warns_like_torch():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(torch.empty(0, 3))
