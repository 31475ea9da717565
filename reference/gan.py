r"""GAN training tricks: pixel scaling, soft/noisy labels, BCE with such targets, WGAN and
WGAN-GP losses, weight clipping, and TTUR's two optimizers.

Label tricks, named by their source:

* **ganhacks (two-sided)**, soumith/ganhacks §6: real labels drawn from U[0.7, 1.2], fake from
  U[0.0, 0.3], and occasionally flip the labels when training the discriminator.
* **Salimans et al. (2016), one-sided label smoothing**: positive targets become
  :math:`\alpha` (e.g. 0.9) and negative targets stay 0: smoothing the fake labels is
  harmful. ganhacks credits its two-sided rule to this paper, which is the seed's erratum.

A target of 1.2 is legal for ``BCEWithLogitsLoss`` (the loss can then go negative), while
``F.binary_cross_entropy`` raises "all elements of target should be between 0 and 1";
:func:`binary_cross_entropy` and :func:`binary_cross_entropy_with_logits` reproduce both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "GradientPenaltyResult",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_weights_",
    "flip_labels",
    "ganhacks_soft_labels",
    "gradient_penalty",
    "one_sided_smooth_labels",
    "pixels_to_unit_range",
    "ttur_optimizers",
    "unit_range_to_pixels",
    "wgan_critic_loss",
    "wgan_generator_loss",
]

PIXEL_HALF_RANGE = 127.5


# --------------------------------------------------------------------------------------------
# Pixels


def pixels_to_unit_range(pixels: Tensor) -> Tensor:
    r""":math:`x' = (x - 127.5)/127.5`: [0, 255] to [-1, 1], the range of a tanh generator.

    Equal to ``ToTensor()`` (x/255) followed by ``Normalize(0.5, 0.5)``, i.e. x/127.5 - 1.
    Integer pixels become float32 (float64 if the input is already float64).
    """
    if not pixels.is_floating_point():
        pixels = pixels.to(torch.float32)
    return (pixels - PIXEL_HALF_RANGE) / PIXEL_HALF_RANGE


def unit_range_to_pixels(values: Tensor, round_to_uint8: bool = False) -> Tensor:
    r""":math:`x = (y + 1)\cdot 127.5`, the inverse of :func:`pixels_to_unit_range`; with
    ``round_to_uint8`` the result is clamped to [0, 255], rounded and cast to uint8."""
    pixels = (values + 1) * PIXEL_HALF_RANGE
    if round_to_uint8:
        return pixels.clamp(0, 255).round().to(torch.uint8)
    return pixels


# --------------------------------------------------------------------------------------------
# Labels


def ganhacks_soft_labels(
    shape: tuple[int, ...] | int,
    real: bool,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    real_range: tuple[float, float] = (0.7, 1.2),
    fake_range: tuple[float, float] = (0.0, 0.3),
) -> Tensor:
    r"""ganhacks' two-sided soft labels: :math:`U[0.7, 1.2]` for real, :math:`U[0, 0.3]` for
    fake, drawn as ``low + (high - low) * torch.rand(shape, generator=...)``. Real targets
    above 1 need ``BCEWithLogitsLoss`` (``F.binary_cross_entropy`` rejects them)."""
    low, high = real_range if real else fake_range
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    # Draw where the generator lives (a CPU generator gives the same labels for any device).
    draw_device = generator.device if generator is not None else device
    uniform = torch.rand(shape, generator=generator, device=draw_device, dtype=dtype)
    return (low + (high - low) * uniform).to(device)


def one_sided_smooth_labels(real: Tensor, alpha: float = 0.9) -> Tensor:
    r"""Salimans et al. (2016) one-sided label smoothing of 0/1 discriminator targets:
    :math:`1 \mapsto \alpha`, :math:`0 \mapsto 0` (negatives are never smoothed)."""
    return real * alpha


def flip_labels(
    labels: Tensor, flip_prob: float, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    r"""ganhacks' noisy labels: with probability ``flip_prob``, independently per element,
    replace a label :math:`t` by :math:`1 - t` (a soft real label 0.9 becomes a fake 0.1).
    Returns (labels, mask of flipped elements); the mask is ``torch.rand(...) < flip_prob``
    drawn from ``generator``."""
    if not 0.0 <= flip_prob <= 1.0:
        raise ValueError(f"flip_prob must be in [0, 1], got {flip_prob}")
    draw_device = generator.device if generator is not None else labels.device
    flipped = (torch.rand(labels.shape, generator=generator, device=draw_device) < flip_prob).to(
        labels.device
    )
    return torch.where(flipped, 1 - labels, labels), flipped


# --------------------------------------------------------------------------------------------
# Binary cross-entropy


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    r"""BCE on probabilities, as ``F.binary_cross_entropy``:

    .. math:: \ell = -w\,[\,t \log p + (1-t)\log(1-p)\,]

    with each log clamped at -100 (torch's guard against :math:`\log 0`).

    Raises:
        RuntimeError: a target outside [0, 1] ("all elements of target should be between 0
            and 1") or an input outside [0, 1], as torch does.
    """
    if ((input < 0) | (input > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if ((target < 0) | (target > 1)).any():
        raise RuntimeError("all elements of target should be between 0 and 1")
    log_p = input.log().clamp_min(-100)
    log_1mp = (1 - input).log().clamp_min(-100)
    loss = -(target * log_p + (1 - target) * log_1mp)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""BCE on logits, as ``F.binary_cross_entropy_with_logits`` / ``BCEWithLogitsLoss``:

    .. math::
       \ell = w\,\big[(1-t)\,x + (1 + (c-1)t)\,\log(1+e^{-x})\big]
       = w\,\big[-c\,t\log\sigma(x) - (1-t)\log(1-\sigma(x))\big]

    with :math:`c` = ``pos_weight`` (1 by default), :math:`\log(1+e^{-x})` computed stably as
    :math:`m + \log(e^{-m} + e^{-x-m})`, :math:`m = \max(-x, 0)`. No range check on the target:
    :math:`t = 1.2` is accepted, and then :math:`\ell` is negative for large :math:`x`.
    """
    max_val = (-input).clamp_min(0)
    log_one_plus_exp = max_val + ((-max_val).exp() + (-input - max_val).exp()).log()
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * log_one_plus_exp
    else:
        loss = (1 - target) * input + log_one_plus_exp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------------------------
# WGAN and WGAN-GP


def wgan_critic_loss(critic_real: Tensor, critic_fake: Tensor) -> Tensor:
    r"""Arjovsky et al. (2017) critic loss, to minimize:
    :math:`L_D = \mathbb{E}[D(\tilde x)] - \mathbb{E}[D(x)]` (no sigmoid, no log)."""
    return critic_fake.mean() - critic_real.mean()


def wgan_generator_loss(critic_fake: Tensor) -> Tensor:
    r"""WGAN generator loss, to minimize: :math:`L_G = -\mathbb{E}[D(G(z))]`."""
    return -critic_fake.mean()


@torch.no_grad()
def clip_weights_(parameters: Iterable[Tensor] | Tensor, clip_value: float = 0.01) -> None:
    r"""WGAN's weight clipping, in place after each critic step:
    :math:`w \leftarrow \operatorname{clip}(w, -c, c)`, c = 0.01 in the paper (with RMSProp
    lr=5e-5, n_critic=5, batch 64)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    for param in parameters:
        param.clamp_(-clip_value, clip_value)


@dataclass(frozen=True)
class GradientPenaltyResult:
    r"""The pieces of the WGAN-GP penalty.

    Attributes:
        penalty: :math:`\lambda\,\mathbb{E}_b[(\|\nabla_{\hat x} D(\hat x_b)\|_2 - 1)^2]`,
            differentiable in the critic's parameters (built with ``create_graph=True``).
        epsilon: the per-sample mixing weights, shape (B, 1, ..., 1).
        interpolates: :math:`\hat x = \epsilon x + (1-\epsilon)\tilde x`.
        gradients: :math:`\nabla_{\hat x} D(\hat x)`, the input's shape.
        gradient_norms: :math:`\|\nabla_{\hat x} D(\hat x_b)\|_2` per sample, shape (B,).
    """

    penalty: Tensor
    epsilon: Tensor
    interpolates: Tensor
    gradients: Tensor
    gradient_norms: Tensor


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    lambda_gp: float = 10.0,
    epsilon: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> GradientPenaltyResult:
    r"""Gulrajani et al. (2017, Algorithm 1) gradient penalty:

    .. math::
       \begin{aligned}
         &\epsilon_b \sim U[0, 1] \text{ per sample, shape } (B, 1, \ldots, 1),\qquad
           \hat x = \epsilon\,x + (1-\epsilon)\,\tilde x \\
         &GP = \lambda\,\tfrac{1}{B}\textstyle\sum_b
           \big(\|\nabla_{\hat x} D(\hat x)_b\|_2 - 1\big)^2
       \end{aligned}

    The norm is per sample over all non-batch dims (``g.flatten(1).norm(dim=1)``), two-sided,
    and the graph is kept so the penalty trains the critic. The full critic loss is
    :func:`wgan_critic_loss` + ``penalty``; the paper's defaults are :math:`\lambda` = 10,
    n_critic = 5, Adam(lr=1e-4, betas=(0, 0.9)), and no BatchNorm in the critic. ``fake`` is
    detached. Pass ``epsilon`` to fix the mix; otherwise it is ``torch.rand`` from
    ``generator``.
    """
    batch = real.shape[0]
    eps_shape = (batch,) + (1,) * (real.dim() - 1)
    if epsilon is None:
        epsilon = torch.rand(eps_shape, generator=generator, dtype=real.dtype).to(real.device)
    elif tuple(epsilon.shape) != eps_shape:
        raise ValueError(
            f"epsilon must have shape {eps_shape} (one per sample), got {tuple(epsilon.shape)}"
        )
    interpolates = (epsilon * real.detach() + (1 - epsilon) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (gradients,) = torch.autograd.grad(
        scores, interpolates, grad_outputs=torch.ones_like(scores), create_graph=True
    )
    gradient_norms = gradients.flatten(1).square().sum(dim=1).sqrt()
    penalty = lambda_gp * (gradient_norms - 1).square().mean()
    return GradientPenaltyResult(
        penalty=penalty,
        epsilon=epsilon,
        interpolates=interpolates,
        gradients=gradients,
        gradient_norms=gradient_norms,
    )


# --------------------------------------------------------------------------------------------
# TTUR (Heusel et al., 2017)


def ttur_optimizers(
    generator_parameters: Iterable[nn.Parameter],
    discriminator_parameters: Iterable[nn.Parameter],
    lr_generator: float = 1e-4,
    lr_discriminator: float = 4e-4,
    betas: tuple[float, float] = (0.0, 0.9),
    optimizer_class: type[torch.optim.Optimizer] | None = None,
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    r"""The two time-scale update rule: one optimizer per network, the discriminator's lr
    larger. Defaults are SAGAN's common choice (G 1e-4, D 4e-4, Adam betas (0, 0.9)); the
    paper fixes no canonical pair. ``optimizer_class`` defaults to the reference Adam
    (``reference.optim.Adam``), any class taking ``(params, lr=, betas=)`` works.

    Returns:
        (generator optimizer, discriminator optimizer).
    """
    if optimizer_class is None:
        from reference.optim import Adam as optimizer_class  # a sibling reference module
    generator_opt = optimizer_class(generator_parameters, lr=lr_generator, betas=betas)
    discriminator_opt = optimizer_class(discriminator_parameters, lr=lr_discriminator, betas=betas)
    return generator_opt, discriminator_opt
