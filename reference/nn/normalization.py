r"""Batch normalization (Ioffe & Szegedy, 2015) with torch's modules, buffers and conventions.

Statistics are per channel (dim 1) over every other axis: (N) or (N, L) for 1d, (N, H, W) for
2d; m is the number of elements per channel. Training normalizes with the *biased* batch
variance and updates ``running_var`` with the *unbiased* one; eval uses the running buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNormResult", "batch_norm"]


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
    output = normalized
    if weight is not None:
        output = output * weight.reshape(channel_shape)
    if bias is not None:
        output = output + bias.reshape(channel_shape)
    return BatchNormResult(
        output=output,
        mean=mean,
        var=var,
        normalized=normalized,
        count=count,
        running_mean=new_running_mean,
        running_var=new_running_var,
    )


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
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory_kwargs))
            if bias:
                self.bias = nn.Parameter(torch.zeros(num_features, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
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
        if self.affine:
            with torch.no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

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
