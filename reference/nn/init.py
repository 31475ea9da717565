r"""Weight initialization with torch's fans, gains and draws (``torch.nn.init`` conventions).

Fans of a weight of shape (out, in, *kernel), with receptive field :math:`r = \prod \text{kernel}`:
:math:`\text{fan\_in} = \text{in}\cdot r`, :math:`\text{fan\_out} = \text{out}\cdot r`. A conv
weight stores in/groups in dim 1, so groups divide fan_in only; a transposed conv stores
(in, out/groups, ...), so its fans come out swapped (torch's known quirk, kept here; pass
``transposed=True`` to :func:`fan_in_and_fan_out` for the layer's own roles, and see
:func:`conv_weight_shape` for the stored shapes).

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
    "conv_weight_shape",
    "fan_in_and_fan_out",
    "kaiming_normal_",
    "kaiming_std",
    "kaiming_uniform_",
    "kaiming_uniform_bound",
    "lecun_normal_",
    "lecun_std",
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


def fan_in_and_fan_out(tensor_or_shape: ShapeLike, *, transposed: bool = False) -> tuple[int, int]:
    r"""(fan_in, fan_out) of a weight tensor or shape, as torch's ``_calculate_fan_in_and_fan_out``.

    .. math:: \text{fan\_in} = s_1 r,\quad \text{fan\_out} = s_0 r,\quad r = \prod_{k\ge2} s_k

    torch reads dim 1 as "in" and dim 0 as "out", which is right for ``nn.Linear`` (out, in)
    and ``nn.ConvNd`` (out, in/groups, \*k), whose groups therefore divide fan_in but not
    fan_out. It knows nothing of transposed convolutions: ``nn.ConvTransposeNd`` stores
    (in, out/groups, \*k), so torch's fan_in there is out/groups·r, the layer's *output* side.
    All torch initializers (and its default layer init) use that swapped value, and so do the
    initializers here. ``transposed=True`` returns the layer's roles instead,
    :math:`(s_0 r, s_1 r)` = (in·r, out/groups·r); for groups=1 that equals the fans of the
    ``ConvNd`` with the same in/out channels. The same swap applies to a matrix stored
    (in, out) for ``x @ W``.

    Raises:
        ValueError: for fewer than 2 dimensions, as torch does.
    """
    shape = _shape_of(tensor_or_shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
    return (fan_out, fan_in) if transposed else (fan_in, fan_out)


def conv_weight_shape(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    transposed: bool = False,
) -> tuple[int, ...]:
    r"""The weight shape torch allocates for a (transposed) convolution.

    ``nn.ConvNd``: (out, in/groups, \*kernel); ``nn.ConvTransposeNd``: (in, out/groups,
    \*kernel). An int ``kernel_size`` means one spatial dim (Conv1d); pass a tuple otherwise.
    Feed the result to :func:`fan_in_and_fan_out` for the fans torch's initializers use.

    Raises:
        ValueError: channels not divisible by groups (torch's messages).
    """
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    kernel = (int(kernel_size),) if isinstance(kernel_size, int) else tuple(kernel_size)
    if transposed:
        return (in_channels, out_channels // groups, *kernel)
    return (out_channels, in_channels // groups, *kernel)


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


def lecun_std(shape: ShapeLike) -> float:
    r"""LeCun et al. (1998, "Efficient BackProp") std: :math:`\sigma = 1/\sqrt{\text{fan\_in}}`,
    i.e. :math:`\mathrm{Var} = 1/\text{fan\_in}`. This is what the seed calls "Xavier normal
    N(0, 1/n_in)"; it equals Xavier's :math:`\sqrt{2/(n_{in}+n_{out})}` only when
    :math:`n_{in} = n_{out}`."""
    fan_in, _ = fan_in_and_fan_out(shape)
    return 1.0 / math.sqrt(fan_in)


def lecun_normal_(tensor: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` in place from :math:`N(0, 1/\text{fan\_in})`; returns it.

    torch has no ``lecun_normal_``; its documented spelling is
    ``kaiming_normal_(w, nonlinearity='linear')`` (gain 1, mode fan_in), which draws the same
    tensor from the same generator state. (JAX/Flax's ``lecun_normal`` is a *truncated* normal
    rescaled to the same variance, so its draws differ.) Recommended with SELU.
    """
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear", generator=generator)


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
