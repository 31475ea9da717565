"""reference.nn.init extras (conv weight shapes, transposed fans, LeCun) against torch.nn."""

import math

import pytest
import torch

from reference.nn import init

CONVS = [
    # (torch class, in, out, kernel, groups)
    (torch.nn.Conv1d, 4, 6, (3,), 1),
    (torch.nn.Conv2d, 6, 4, (3, 2), 2),
    (torch.nn.Conv2d, 8, 8, (3, 3), 8),
    (torch.nn.Conv3d, 3, 6, (1, 2, 3), 3),
    (torch.nn.ConvTranspose1d, 4, 6, (5,), 2),
    (torch.nn.ConvTranspose2d, 6, 4, (3, 2), 2),
    (torch.nn.ConvTranspose2d, 3, 5, (4, 4), 1),
    (torch.nn.ConvTranspose3d, 2, 4, (2, 1, 2), 2),
]


@pytest.mark.parametrize(("cls", "c_in", "c_out", "kernel", "groups"), CONVS)
def test_conv_weight_shape_and_fans_are_torchs(cls, c_in, c_out, kernel, groups):
    layer = cls(c_in, c_out, kernel, groups=groups)
    transposed = "Transpose" in cls.__name__
    shape = init.conv_weight_shape(c_in, c_out, kernel, groups, transposed=transposed)
    assert shape == tuple(layer.weight.shape)
    assert init.fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(
        layer.weight
    )
    rf = math.prod(kernel)
    if transposed:  # torch's quirk: dim 1 of (in, out/groups, *k) is the *output* side
        assert init.fan_in_and_fan_out(shape) == (c_out // groups * rf, c_in * rf)
        assert init.fan_in_and_fan_out(shape, transposed=True) == (c_in * rf, c_out // groups * rf)
    else:  # groups divide fan_in only
        assert init.fan_in_and_fan_out(shape) == (c_in // groups * rf, c_out * rf)


@pytest.mark.parametrize("kernel", [(3,), (3, 2), (2, 2, 2)])
def test_transposed_fans_equal_the_matching_conv_for_one_group(kernel):
    conv_nd = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[len(kernel)]
    transposed = init.conv_weight_shape(5, 7, kernel, transposed=True)
    assert init.fan_in_and_fan_out(transposed, transposed=True) == (
        torch.nn.init._calculate_fan_in_and_fan_out(conv_nd(5, 7, kernel).weight)
    )


def test_transposed_linear_storage_swaps_too():
    stored_in_out = torch.nn.Linear(3, 8).weight.T  # (in, out), as used in x @ W
    assert init.fan_in_and_fan_out(stored_in_out, transposed=True) == (3, 8)


def test_conv_weight_shape_rejects_what_torch_rejects():
    for kwargs, message in (
        ({"groups": 4}, "in_channels must be divisible by groups"),
        ({"groups": 3}, "out_channels must be divisible by groups"),
        ({"groups": 0}, "groups must be a positive integer"),
    ):
        with pytest.raises(ValueError, match=message):
            init.conv_weight_shape(6, 4, 3, **kwargs)
        with pytest.raises(ValueError, match=message):
            torch.nn.Conv1d(6, 4, 3, **kwargs)


@pytest.mark.parametrize("shape", [(5, 3), (16, 8, 3), (32, 4, 3, 3)])
def test_lecun_std_is_one_over_sqrt_fan_in_and_equals_torch_linear_kaiming(shape):
    fan_in = shape[1] * math.prod(shape[2:])
    assert init.lecun_std(shape) == pytest.approx(1 / math.sqrt(fan_in), rel=1e-15)
    assert init.lecun_std(shape) == pytest.approx(
        init.kaiming_std(shape, nonlinearity="linear"), rel=1e-15
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lecun_normal_draws_torchs_kaiming_normal_linear_tensor(dtype, device):
    ours = torch.empty(64, 32, 3, dtype=dtype, device=device)
    theirs = torch.empty_like(ours)
    init.lecun_normal_(ours, generator=torch.Generator(device).manual_seed(3))
    torch.nn.init.kaiming_normal_(
        theirs, nonlinearity="linear", generator=torch.Generator(device).manual_seed(3)
    )
    assert torch.equal(ours, theirs)


def test_lecun_normal_sample_variance_is_one_over_fan_in():
    weight = init.lecun_normal_(
        torch.empty(400, 50, dtype=torch.float64), generator=torch.Generator().manual_seed(0)
    )
    # 20,000 draws: the sample variance is within ~4 standard errors of 1/50.
    assert weight.var().item() == pytest.approx(1 / 50, rel=4 * math.sqrt(2 / weight.numel()))


def test_lecun_differs_from_xavier_unless_fans_are_equal():
    assert init.lecun_std((10, 10)) == pytest.approx(init.xavier_std((10, 10)), rel=1e-15)
    assert init.lecun_std((30, 10)) != pytest.approx(init.xavier_std((30, 10)), rel=1e-3)
