r"""Weight initialization with torch's fans, gains and draws (``torch.nn.init`` conventions).

Fans of a weight of shape (out, in, *kernel), with receptive field :math:`r = \prod \text{kernel}`:
:math:`\text{fan\_in} = \text{in}\cdot r`, :math:`\text{fan\_out} = \text{out}\cdot r`. A conv
weight stores in/groups in dim 1, so groups divide fan_in only; a transposed conv stores
(in, out/groups, ...), so its fans come out swapped (torch's known quirk, kept here).

The pure helpers (:func:`xavier_std`, :func:`xavier_uniform_bound`, :func:`kaiming_std`,
:func:`kaiming_uniform_bound`) take a shape and give the numbers questions ask for; the in-place
initializers draw with them from the tensor's own device, dtype and the given generator.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "kaiming_normal_",
    "kaiming_std",
    "kaiming_uniform_",
    "kaiming_uniform_bound",
    "xavier_normal_",
    "xavier_std",
    "xavier_uniform_",
    "xavier_uniform_bound",
    "zeros_",
]

ShapeLike = Tensor | Sequence[int]

_LINEAR_NONLINEARITIES = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ===================  ==========================================
    linear, conv*, sigmoid  :math:`1`
    tanh                 :math:`5/3`
    relu                 :math:`\sqrt{2}`
    leaky_relu           :math:`\sqrt{2/(1+\text{negative\_slope}^2)}` (slope 0.01 when omitted)
    selu                 :math:`3/4` (torch's empirical value; for SELU's self-normalizing
                         fixed point torch advises ``'linear'``)
    ===================  ==========================================
    """
    if nonlinearity in _LINEAR_NONLINEARITIES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(tensor_or_shape: ShapeLike) -> tuple[int, int]:
    r"""(fan_in, fan_out) of a weight tensor or shape.

    .. math:: \text{fan\_in} = s_1 r,\quad \text{fan\_out} = s_0 r,\quad r = \prod_{k\ge2} s_k

    Raises:
        ValueError: for fewer than 2 dimensions, as torch does.
    """
    shape = _shape_of(tensor_or_shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def xavier_std(shape: ShapeLike, gain: float = 1.0) -> float:
    r"""Glorot & Bengio (2010) std.

    .. math:: \sigma = \text{gain}\sqrt{2/(\text{fan\_in}+\text{fan\_out})}
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_bound(shape: ShapeLike, gain: float = 1.0) -> float:
    r"""Bound a of :math:`U(-a, a)` with Xavier's variance: :math:`a = \sqrt{3}\,\sigma
    = \text{gain}\sqrt{6/(\text{fan\_in}+\text{fan\_out})}`."""
    return math.sqrt(3.0) * xavier_std(shape, gain)


def kaiming_std(
    shape: ShapeLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> float:
    r"""He et al. (2015): :math:`\sigma = \text{gain}/\sqrt{\text{fan\_mode}}`, with
    gain = ``calculate_gain(nonlinearity, a)`` (default :math:`\sqrt{2}`, i.e. ReLU)."""
    fan = _fan_for_mode(shape, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_bound(
    shape: ShapeLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> float:
    r"""Bound of Kaiming uniform.

    .. math:: b = \sqrt{3}\,\sigma = \text{gain}\sqrt{3/\text{fan\_mode}}
    """
    return math.sqrt(3.0) * kaiming_std(shape, a, mode, nonlinearity)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    r"""Fill ``tensor`` in place from :math:`U(-a, a)`, :math:`a = \text{gain}
    \sqrt{6/(\text{fan\_in}+\text{fan\_out})}`; returns it."""
    bound = xavier_uniform_bound(tensor, gain)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    r"""Fill ``tensor`` in place from :math:`N(0, \sigma^2)`, :math:`\sigma = \text{gain}
    \sqrt{2/(\text{fan\_in}+\text{fan\_out})}`; returns it."""
    std = xavier_std(tensor, gain)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill ``tensor`` in place from :math:`U(-b, b)`; returns it.

    .. math:: b = \text{gain}\sqrt{3/\text{fan\_mode}}

    torch's default ``nn.Linear``/``Conv`` init is this with ``a=math.sqrt(5)``, which gives
    :math:`b = 1/\sqrt{\text{fan\_in}}`.
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = kaiming_uniform_bound(tensor, a, mode, nonlinearity)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill ``tensor`` in place from :math:`N(0, \sigma^2)`; returns it.

    .. math:: \sigma = \text{gain}/\sqrt{\text{fan\_mode}}

    ``nonlinearity='linear'`` gives LeCun normal, :math:`\sigma = 1/\sqrt{\text{fan\_in}}`.
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = kaiming_std(tensor, a, mode, nonlinearity)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros in place; returns it."""
    with torch.no_grad():
        return tensor.zero_()


def _shape_of(tensor_or_shape: ShapeLike) -> tuple[int, ...]:
    if isinstance(tensor_or_shape, Tensor):
        return tuple(tensor_or_shape.shape)
    return tuple(int(size) for size in tensor_or_shape)


def _fan_for_mode(shape: ShapeLike, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out
