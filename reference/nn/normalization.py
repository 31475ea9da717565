r"""Normalization layers with torch's modules, buffers, defaults and conventions.

Every layer computes :math:`y = \gamma\,(x-\mu)/\sqrt{\sigma^2+\epsilon} + \beta` (or, for the
RMS family, :math:`y = \gamma\,x/\sqrt{\overline{x^2}+\epsilon}`); they differ only in the axes
the statistics are taken over and the shape of the affine parameters:

=================  ======================================  ==================================
layer              statistics over (biased variance)       affine :math:`\gamma, \beta`
=================  ======================================  ==================================
BatchNorm1d/2d     all axes but C (per channel)             per channel, 2C (default on)
InstanceNorm1d/2d  spatial axes (per sample and channel)    per channel, 2C (default **off**)
LayerNorm          the last D dims (per sample)             per element of normalized_shape
GroupNorm          C/G channels and spatial (per group)     per channel, 2C
RMSNorm            the last D dims, no mean subtraction     :math:`\gamma` only
T5LayerNorm (HF)   the last dim, no mean, fp32 statistics   :math:`\gamma` only
=================  ======================================  ==================================

Batch norm training normalizes with the *biased* batch variance and updates ``running_var``
with the *unbiased* one (m/(m-1)); eval uses the running buffers. Each layer has a pure
functional form returning its intermediates for worked solutions.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNormResult",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LayerNorm",
    "NormResult",
    "RMSNorm",
    "RMSNormResult",
    "T5LayerNorm",
    "batch_norm",
    "default_rms_norm_eps",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "rms_norm",
    "t5_layer_norm",
]


@dataclass(frozen=True)
class BatchNormResult:
    r"""The intermediates of one batch-norm forward.

    Attributes:
        output: :math:`y = \gamma\hat x + \beta`.
        mean: the per-channel mean used to normalize (:math:`\mu_B` in training, the running
            mean in eval).
        var: the per-channel variance used to normalize (the biased :math:`\sigma_B^2` in
            training, the running variance in eval).
        normalized: :math:`\hat x = (x-\mu)/\sqrt{\sigma^2+\epsilon}`.
        count: m, the number of values per channel.
        running_mean: the updated running mean, or ``None`` when no buffers were updated.
        running_var: the updated running variance (unbiased batch variance blended in), or
            ``None``.
    """

    output: Tensor
    mean: Tensor
    var: Tensor
    normalized: Tensor
    count: int
    running_mean: Tensor | None
    running_var: Tensor | None


def _affine(
    normalized: Tensor, weight: Tensor | None, bias: Tensor | None, shape: list[int] | None = None
) -> Tensor:
    r""":math:`\gamma \odot \hat x + \beta`, each term skipped where ``None``; ``shape``, when
    given, reshapes per-channel :math:`\gamma, \beta` to broadcast against (N, C, \*spatial)."""
    output = normalized
    if weight is not None:
        output = output * (weight if shape is None else weight.reshape(shape))
    if bias is not None:
        output = output + (bias if shape is None else bias.reshape(shape))
    return output


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormResult:
    r"""Batch norm with ``F.batch_norm``'s arguments; pure: the running buffers are not mutated.

    With :math:`m` values per channel (all axes but dim 1):

    .. math::
       \begin{aligned}
         &\textbf{training:}\quad \mu_B = \tfrac{1}{m}\textstyle\sum_i x_i,\quad
             \sigma_B^2 = \tfrac{1}{m}\textstyle\sum_i (x_i-\mu_B)^2 \\
         &\quad \hat\mu \leftarrow (1-\text{momentum})\,\hat\mu + \text{momentum}\,\mu_B \\
         &\quad \hat\sigma^2 \leftarrow (1-\text{momentum})\,\hat\sigma^2
             + \text{momentum}\,\tfrac{m}{m-1}\sigma_B^2 \\
         &\quad y = \gamma\,(x-\mu_B)/\sqrt{\sigma_B^2+\epsilon} + \beta \\
         &\textbf{eval:}\quad y = \gamma\,(x-\hat\mu)/\sqrt{\hat\sigma^2+\epsilon} + \beta
       \end{aligned}

    ``momentum`` is the weight of the *new* statistic (torch's convention, the complement of
    an EMA decay). In training the running buffers may be ``None`` (nothing is updated).

    Raises:
        ValueError: m = 1 in training ("Expected more than 1 value per channel when training"),
            or eps out of range, as ``F.batch_norm`` does.
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, ...), got {input.dim()}D")
    count = math.prod(input.shape[:1] + input.shape[2:])
    if training and count == 1:
        raise ValueError(
            "Expected more than 1 value per channel when training, "
            f"got input size {list(input.shape)}"
        )
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")

    reduce_dims = [0, *range(2, input.dim())]
    # Reshape per-channel vectors (C,) to broadcast against (N, C, *spatial).
    channel_shape = [1, input.size(1)] + [1] * (input.dim() - 2)

    new_running_mean = new_running_var = None
    if training:
        mean = input.mean(dim=reduce_dims)
        var = (input - mean.reshape(channel_shape)).square().mean(dim=reduce_dims)
        if running_mean is not None:
            new_running_mean = (1 - momentum) * running_mean + momentum * mean.detach()
        if running_var is not None:
            unbiased_var = var.detach() * (count / (count - 1))
            new_running_var = (1 - momentum) * running_var + momentum * unbiased_var
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean, var = running_mean, running_var

    normalized = (input - mean.reshape(channel_shape)) / (var.reshape(channel_shape) + eps).sqrt()
    return BatchNormResult(
        output=_affine(normalized, weight, bias, channel_shape),
        mean=mean,
        var=var,
        normalized=normalized,
        count=count,
        running_mean=new_running_mean,
        running_var=new_running_var,
    )


def _register_affine(
    module: nn.Module, shape: int | tuple[int, ...], affine: bool, bias: bool, factory_kwargs: dict
) -> None:
    """torch's affine parameters, registered in its order: ``weight`` (ones) and ``bias``
    (zeros), each of ``shape``, or ``None`` where switched off."""
    if affine:
        module.weight = nn.Parameter(torch.ones(shape, **factory_kwargs))
        if bias:
            module.bias = nn.Parameter(torch.zeros(shape, **factory_kwargs))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


@torch.no_grad()
def _reset_affine(module: nn.Module) -> None:
    """weight = 1, bias = 0, as torch's ``reset_parameters``."""
    if module.weight is not None:
        module.weight.fill_(1)
    if module.bias is not None:
        module.bias.zero_()


class _BatchNorm(nn.Module):
    """Shared body of BatchNorm1d/2d: torch's parameters, buffers and forward logic."""

    _version = 2

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, num_features, affine, bias, factory_kwargs)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory_kwargs))
            self.register_buffer("running_var", torch.ones(num_features, **factory_kwargs))
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    _input_ranks: tuple[int, ...] = ()  # the input ranks a subclass accepts
    _rank_message = ""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in self._input_ranks:
            raise ValueError(f"expected {self._rank_message} input (got {input.dim()}D input)")

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        updates_buffers = self.training and self.track_running_stats
        if updates_buffers:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average over all batches so far
                factor = 1.0 / float(self.num_batches_tracked)
        # Eval without buffers (track_running_stats=False) normalizes with batch statistics.
        use_batch_stats = self.training or self.running_mean is None
        keep_buffers = not self.training or self.track_running_stats
        result = batch_norm(
            input,
            self.running_mean if keep_buffers else None,
            self.running_var if keep_buffers else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )
        if result.running_mean is not None:
            with torch.no_grad():
                self.running_mean.copy_(result.running_mean)
                self.running_var.copy_(result.running_var)
        return result.output


class BatchNorm1d(_BatchNorm):
    r"""Batch norm over a 2D (N, C) or 3D (N, C, L) input, as ``torch.nn.BatchNorm1d``.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta

    Training: per-channel biased batch statistics over (N) or (N, L); buffers updated with
    ``running = (1-momentum)*running + momentum*batch_stat`` (unbiased variance), or the
    cumulative average when ``momentum=None``. Eval: the running buffers. ``state_dict`` keys:
    ``weight, bias, running_mean, running_var, num_batches_tracked`` (as torch).
    """

    _input_ranks = (2, 3)
    _rank_message = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    r"""Batch norm over a 4D (N, C, H, W) input, as ``torch.nn.BatchNorm2d``.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta

    Statistics per channel over (N, H, W), so m = N·H·W and the unbiased running variance uses
    m/(m-1). Otherwise as :class:`BatchNorm1d`.
    """

    _input_ranks = (4,)
    _rank_message = "4D"


# --------------------------------------------------------------------------------------------
# Instance norm: batch norm's arithmetic per (sample, channel) over the spatial axes.


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormResult:
    r"""Instance norm with ``F.instance_norm``'s arguments; pure: buffers are not mutated.

    For an input (N, C, \*spatial) with :math:`m = \prod \text{spatial}` values per instance:

    .. math::
       \begin{aligned}
         &\mu_{nc} = \tfrac{1}{m}\textstyle\sum_s x_{ncs},\quad
             \sigma_{nc}^2 = \tfrac{1}{m}\textstyle\sum_s (x_{ncs}-\mu_{nc})^2 \\
         &y_{ncs} = \gamma_c\,(x_{ncs}-\mu_{nc})/\sqrt{\sigma_{nc}^2+\epsilon} + \beta_c \\
         &\hat\mu_c \leftarrow \tfrac{1}{N}\textstyle\sum_n \big[(1-\text{momentum})\,\hat\mu_c
             + \text{momentum}\,\mu_{nc}\big] \quad(\text{same for }\hat\sigma^2_c
             \text{ with } \tfrac{m}{m-1}\sigma_{nc}^2)
       \end{aligned}

    This is torch's own construction: batch norm on the input viewed as (1, N·C, \*spatial) with
    the buffers repeated N times, then the N updated copies averaged. With
    ``use_input_stats=False`` the running buffers normalize instead. The result's ``mean`` and
    ``var`` have shape (N, C); ``count`` is m.

    Raises:
        ValueError: m = 1 with ``use_input_stats`` ("Expected more than 1 spatial element when
            training"), as torch does.
    """
    if input.dim() < 3:
        raise ValueError(f"instance_norm expects an input of shape (N, C, *), got {input.dim()}D")
    count = math.prod(input.shape[2:])
    if use_input_stats and count == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.size()}"
        )
    n, c = input.shape[:2]
    spatial_dims = tuple(range(2, input.dim()))
    stat_shape = [n, c] + [1] * (input.dim() - 2)
    channel_shape = [1, c] + [1] * (input.dim() - 2)

    new_running_mean = new_running_var = None
    if use_input_stats:
        mean = input.mean(dim=spatial_dims)
        var = (input - mean.reshape(stat_shape)).square().mean(dim=spatial_dims)
        # Blend each instance into the (repeated) buffer, then average the N copies, as torch.
        if running_mean is not None:
            blended = (1 - momentum) * running_mean + momentum * mean.detach()
            new_running_mean = blended.mean(dim=0)
        if running_var is not None:
            unbiased_var = var.detach() * (count / (count - 1))
            new_running_var = ((1 - momentum) * running_var + momentum * unbiased_var).mean(dim=0)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        mean, var = running_mean.expand(n, c), running_var.expand(n, c)

    normalized = (input - mean.reshape(stat_shape)) / (var.reshape(stat_shape) + eps).sqrt()
    return BatchNormResult(
        output=_affine(normalized, weight, bias, channel_shape),
        mean=mean,
        var=var,
        normalized=normalized,
        count=count,
        running_mean=new_running_mean,
        running_var=new_running_var,
    )


class _InstanceNorm(_BatchNorm):
    """Shared body of InstanceNorm1d/2d: torch's ``_NormBase`` parameters and buffers (reused
    from :class:`_BatchNorm`) with instance statistics and torch's defaults."""

    _no_batch_dim = 0  # the rank of an unbatched input, (C, *spatial)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features"
                    f" ({self.num_features}), but got: {input.size(feature_dim)}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. "
                "You can silence this warning by not passing in num_features, "
                "which is not used because affine=False",
                stacklevel=2,
            )
        unbatched = input.dim() == self._no_batch_dim
        if unbatched:
            input = input.unsqueeze(0)
        # torch: momentum=None means 0.0 here (not batch norm's cumulative average), and
        # num_batches_tracked is registered but never incremented.
        result = instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        if result.running_mean is not None:
            with torch.no_grad():
                self.running_mean.copy_(result.running_mean)
                self.running_var.copy_(result.running_var)
        return result.output.squeeze(0) if unbatched else result.output


class InstanceNorm1d(_InstanceNorm):
    r"""Instance norm over a (N, C, L) or unbatched (C, L) input, as ``torch.nn.InstanceNorm1d``.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta

    Mean and biased variance per sample and channel over L. Defaults are torch's:
    ``affine=False, track_running_stats=False``, so the default layer has **0 parameters** and
    uses instance statistics in eval too. With ``track_running_stats=True`` eval uses the
    running buffers (updated as in :func:`instance_norm`).
    """

    _input_ranks = (2, 3)
    _rank_message = "2D or 3D"
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    r"""Instance norm over a (N, C, H, W) or unbatched (C, H, W) input, as
    ``torch.nn.InstanceNorm2d``; statistics per sample and channel over (H, W), m = H·W.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta

    Defaults ``affine=False, track_running_stats=False``: 0 parameters.
    """

    _input_ranks = (3, 4)
    _rank_message = "3D or 4D"
    _no_batch_dim = 3


# --------------------------------------------------------------------------------------------
# Layer norm and group norm: per-sample statistics.


@dataclass(frozen=True)
class NormResult:
    r"""The intermediates of one layer-norm or group-norm forward.

    Attributes:
        output: :math:`y = \gamma\hat x + \beta`.
        mean: :math:`\mu`, one per normalized group: shape ``input.shape[:-D]`` for layer
            norm, (N, G) for group norm.
        var: the biased variance :math:`\sigma^2`, the same shape as ``mean``.
        normalized: :math:`\hat x = (x-\mu)/\sqrt{\sigma^2+\epsilon}`, the input's shape.
        count: the number of values behind each statistic.
    """

    output: Tensor
    mean: Tensor
    var: Tensor
    normalized: Tensor
    count: int


ShapeArg = int | Sequence[int]


def _as_shape(normalized_shape: ShapeArg) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(size) for size in normalized_shape)


def _check_trailing_shape(input: Tensor, normalized_shape: tuple[int, ...], star: str) -> None:
    """torch's RuntimeError when the last dims of ``input`` are not ``normalized_shape``."""
    dims = len(normalized_shape)
    if dims == 0 or input.dim() < dims or tuple(input.shape[-dims:]) != normalized_shape:
        shape = ", ".join(str(size) for size in normalized_shape)
        raise RuntimeError(
            f"Given normalized_shape=[{shape}], expected input with shape [{star}{shape}], "
            f"but got input of size{list(input.shape)}"
        )


def layer_norm(
    input: Tensor,
    normalized_shape: ShapeArg,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> NormResult:
    r"""Layer norm (Ba et al., 2016) with ``F.layer_norm``'s arguments.

    Over the last :math:`D` = ``len(normalized_shape)`` dims, per sample, with :math:`m` their
    number of elements:

    .. math::
       \mu = \tfrac{1}{m}\textstyle\sum_i x_i,\quad
       \sigma^2 = \tfrac{1}{m}\textstyle\sum_i (x_i-\mu)^2,\quad
       y = \gamma \odot (x-\mu)/\sqrt{\sigma^2+\epsilon} + \beta

    :math:`\gamma, \beta` have shape ``normalized_shape``: one per *element*, not per channel.
    Training and eval are the same computation.

    Raises:
        RuntimeError: the input's last dims are not ``normalized_shape`` (torch's message).
    """
    shape = _as_shape(normalized_shape)
    _check_trailing_shape(input, shape, "*, ")
    dims = tuple(range(-len(shape), 0))
    mean = input.mean(dim=dims, keepdim=True)
    var = (input - mean).square().mean(dim=dims, keepdim=True)
    normalized = (input - mean) / (var + eps).sqrt()
    return NormResult(
        output=_affine(normalized, weight, bias),
        mean=mean.reshape(input.shape[: input.dim() - len(shape)]),
        var=var.reshape(input.shape[: input.dim() - len(shape)]),
        normalized=normalized,
        count=math.prod(shape),
    )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> NormResult:
    r"""Group norm (Wu & He, 2018) with ``F.group_norm``'s arguments.

    The C channels of an (N, C, \*spatial) input split into G groups of C/G consecutive
    channels; statistics per sample and group over :math:`m = (C/G)\prod\text{spatial}` values:

    .. math::
       \mu_{ng},\ \sigma^2_{ng} \text{ (biased)},\qquad
       y_{nc\cdot} = \gamma_c\,(x_{nc\cdot}-\mu_{ng(c)})/\sqrt{\sigma^2_{ng(c)}+\epsilon}
           + \beta_c

    The affine is per channel (2C parameters). G=1 is layer norm over (C, \*spatial) with a
    per-channel affine; G=C is instance norm with affine.

    Raises:
        RuntimeError: fewer than 2 dims, or C not divisible by G (torch's messages).
        ValueError: one value per group ("Expected more than 1 value per channel when
            training"), as torch does in any mode.
    """
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    n, c = input.shape[:2]
    if c % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    count = (c // num_groups) * math.prod(input.shape[2:])
    if n * count == 1:  # torch checks the view (N*C/G, G, *spatial) like a batch-norm input
        checked = [n * c // num_groups, num_groups, *input.shape[2:]]
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {checked}"
        )
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(dim=-1, keepdim=True)
    var = (grouped - mean).square().mean(dim=-1, keepdim=True)
    normalized = ((grouped - mean) / (var + eps).sqrt()).reshape(input.shape)
    channel_shape = [1, c] + [1] * (input.dim() - 2)
    return NormResult(
        output=_affine(normalized, weight, bias, channel_shape),
        mean=mean.reshape(n, num_groups),
        var=var.reshape(n, num_groups),
        normalized=normalized,
        count=count,
    )


class LayerNorm(nn.Module):
    r"""Layer norm over the last D dims, as ``torch.nn.LayerNorm``.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \odot \gamma + \beta

    Args:
        normalized_shape: the trailing shape to normalize over (an int means the last dim).
        eps: :math:`\epsilon` (default: 1e-5).
        elementwise_affine: learn :math:`\gamma` (ones) and :math:`\beta` (zeros), each of
            shape ``normalized_shape`` (default: True). LayerNorm([C, H, W]) has 2·C·H·W
            parameters.
        bias: learn :math:`\beta` too (default: True).
    """

    def __init__(
        self,
        normalized_shape: ShapeArg,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, factory_kwargs)

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0, as torch."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps).output

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(nn.Module):
    r"""Group norm, as ``torch.nn.GroupNorm``.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta

    Statistics per sample over each group of C/G channels (and the spatial axes); the affine
    :math:`\gamma, \beta` is per channel (2C parameters, default on). Same in train and eval.

    Raises:
        ValueError: ``num_channels`` not divisible by ``num_groups`` (torch's message).
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        factory_kwargs = {"device": device, "dtype": dtype}
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, num_channels, affine, bias, factory_kwargs)

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0, as torch."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps).output

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


# --------------------------------------------------------------------------------------------
# The RMS family: no mean subtraction, no bias.


@dataclass(frozen=True)
class RMSNormResult:
    r"""The intermediates of one RMS-norm forward.

    Attributes:
        output: :math:`y = \gamma \odot \hat x`.
        mean_square: :math:`\overline{x^2} = \tfrac{1}{m}\sum_i x_i^2` (keepdim shape), in the
            dtype the statistic was computed in (float32 for half inputs, and for T5 always).
        inv_rms: :math:`1/\sqrt{\overline{x^2}+\epsilon}` (keepdim shape).
        normalized: :math:`\hat x = x \cdot` ``inv_rms`` before :math:`\gamma`.
        eps: the :math:`\epsilon` actually used (resolves RMSNorm's ``eps=None``).
    """

    output: Tensor
    mean_square: Tensor
    inv_rms: Tensor
    normalized: Tensor
    eps: float


def default_rms_norm_eps(dtype: torch.dtype) -> float:
    """RMSNorm's ``eps=None``: the machine epsilon of the dtype torch computes in, which is
    float32 for float16/bfloat16/float32 inputs (1.1920929e-07) and float64's own otherwise."""
    return torch.finfo(_opmath_dtype(dtype)).eps


def _opmath_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def rms_norm(
    input: Tensor,
    normalized_shape: ShapeArg,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> RMSNormResult:
    r"""RMS norm (Zhang & Sennrich, 2019) with ``F.rms_norm``'s arguments.

    .. math::
       \overline{x^2} = \tfrac{1}{m}\textstyle\sum_i x_i^2,\qquad
       y = \gamma \odot x / \sqrt{\overline{x^2} + \epsilon}

    over the last D dims. No mean subtraction (:math:`\overline{x^2}` is the raw second moment,
    not the variance: the seed's "Var" is this) and no bias. ``eps=None`` is
    :func:`default_rms_norm_eps`. Half inputs are computed in float32 and cast back before
    :math:`\gamma`, as torch does.

    Raises:
        RuntimeError: the input's last dims are not ``normalized_shape`` (torch's message).
    """
    shape = _as_shape(normalized_shape)
    _check_trailing_shape(input, shape, "*")
    eps_value = default_rms_norm_eps(input.dtype) if eps is None else float(eps)
    upcast = input.to(_opmath_dtype(input.dtype))
    dims = tuple(range(-len(shape), 0))
    mean_square = upcast.square().mean(dim=dims, keepdim=True)
    inv_rms = torch.rsqrt(mean_square + eps_value)
    normalized = (upcast * inv_rms).to(input.dtype)
    output = normalized if weight is None else normalized * weight
    return RMSNormResult(
        output=output,
        mean_square=mean_square,
        inv_rms=inv_rms,
        normalized=normalized,
        eps=eps_value,
    )


def t5_layer_norm(hidden_states: Tensor, weight: Tensor, eps: float = 1e-6) -> RMSNormResult:
    r"""Hugging Face's ``T5LayerNorm.forward``, in its exact order.

    .. math::
       v = \overline{x_{\text{fp32}}^2}\ \text{(last dim)},\qquad
       h = x \cdot \operatorname{rsqrt}(v + \epsilon),\qquad
       y = \gamma \odot h \quad(h \text{ cast to } \gamma\text{'s dtype if that is half})

    The statistic is always computed from ``x.to(float32)`` (even for a float64 input, whose
    answer therefore carries float32 rounding in :math:`v`, ~1e-7 relative); for the same math
    in full float64 use :func:`rms_norm` with ``eps=1e-6``. No bias, no mean subtraction.
    """
    variance = hidden_states.to(torch.float32).square().mean(dim=-1, keepdim=True)
    inv_rms = torch.rsqrt(variance + eps)
    normalized = hidden_states * inv_rms
    if weight.dtype in (torch.float16, torch.bfloat16):
        normalized = normalized.to(weight.dtype)
    return RMSNormResult(
        output=weight * normalized,
        mean_square=variance,
        inv_rms=inv_rms,
        normalized=normalized,
        eps=eps,
    )


class RMSNorm(nn.Module):
    r"""RMS norm over the last D dims, as ``torch.nn.RMSNorm``.

    .. math:: y = \frac{x}{\sqrt{\tfrac{1}{m}\sum_i x_i^2 + \epsilon}} \odot \gamma

    Args:
        normalized_shape: the trailing shape to normalize over.
        eps: :math:`\epsilon`; ``None`` (default) is ``torch.finfo(float32).eps`` =
            1.1920929e-07 for float16/bfloat16/float32 inputs (float64's eps for float64).
        elementwise_affine: learn :math:`\gamma` (ones, shape ``normalized_shape``).
    """

    def __init__(
        self,
        normalized_shape: ShapeArg,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(
                torch.ones(self.normalized_shape, device=device, dtype=dtype)
            )
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """weight = 1, as torch."""
        if self.weight is not None:
            with torch.no_grad():
                self.weight.fill_(1)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps).output

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class T5LayerNorm(nn.Module):
    r"""Hugging Face's ``T5LayerNorm(hidden_size, eps=1e-6)``: RMS norm over the last dim with
    the statistic in float32, weight initialized to ones, no bias (see :func:`t5_layer_norm`).

    .. math:: y = \gamma \odot x / \sqrt{\overline{x^2} + 10^{-6}}

    In float32 it equals ``torch.nn.RMSNorm(hidden_size, eps=1e-6)``; against RMSNorm's default
    eps (1.19e-7) it differs by about 1e-6 relative for unit-scale inputs.
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states: Tensor) -> Tensor:
        return t5_layer_norm(hidden_states, self.weight, self.variance_epsilon).output
