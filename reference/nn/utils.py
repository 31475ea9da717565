r"""Gradient clipping by global norm (Pascanu et al., 2013) and by value, as torch does it.

The norm is *global*: the p-norm of the vector of per-tensor p-norms, which equals the p-norm
of all gradients concatenated. torch scales by ``max_norm / (total_norm + 1e-6)`` clamped at
1.0, always multiplies (by 1.0 when not clipping), and returns the *pre-clip* norm.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["ClipResult", "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]

# torch's guard against dividing by a zero norm; it shifts the result by ~1e-6/total_norm.
CLIP_EPS = 1e-6


@dataclass(frozen=True)
class ClipResult:
    r"""One global-norm clip, computed without touching the inputs.

    Attributes:
        total_norm: :math:`\|g\|_p` over all tensors, before clipping.
        clip_coef: :math:`c = \text{max\_norm}/(\|g\|_p + 10^{-6})`, unclamped.
        clip_coef_clamped: :math:`\min(c, 1)`, the factor every gradient is multiplied by.
        grads: the clipped gradients, new tensors.
        per_tensor_norms: :math:`\|g_i\|_p` for each tensor.
    """

    total_norm: float
    clip_coef: float
    clip_coef_clamped: float
    grads: list[Tensor]
    per_tensor_norms: list[float]


def clip_grad_norm(grads: Sequence[Tensor], max_norm: float, norm_type: float = 2.0) -> ClipResult:
    r"""Pure global-norm clipping of a list of gradient tensors.

    .. math::
       \begin{aligned}
         n_i &= \|g_i\|_p, \qquad N = \|(n_1, \ldots, n_k)\|_p
             \quad (p=\infty:\ N = \max_i \max |g_i|) \\
         c &= \text{max\_norm} / (N + 10^{-6}), \qquad
             g_i \leftarrow g_i \cdot \min(c, 1)
       \end{aligned}

    Unlike torch's deprecated ``torch.nn.utils.clip_grad_norm`` (an in-place alias), this
    takes gradients, not parameters, and mutates nothing.
    """
    per_tensor, total = _norms(list(grads), norm_type)
    clip_coef = float(max_norm) / (total + CLIP_EPS)
    clip_coef_clamped = torch.clamp(clip_coef, max=1.0)
    return ClipResult(
        total_norm=total.item(),
        clip_coef=clip_coef.item(),
        clip_coef_clamped=clip_coef_clamped.item(),
        grads=[g * clip_coef_clamped.to(g.device) for g in grads],
        per_tensor_norms=[n.item() for n in per_tensor],
    )


@torch.no_grad()
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    r"""Clip the gradients of ``parameters`` in place by their global p-norm; return that norm.

    .. math::
       N = \Big\|\big(\|g_1\|_p, \ldots, \|g_k\|_p\big)\Big\|_p,\qquad
       g_i \leftarrow g_i \cdot \min\!\Big(\frac{\text{max\_norm}}{N + 10^{-6}},\ 1\Big)

    Returns the pre-clip total norm N as a 0-d tensor, as torch does. ``foreach`` is accepted
    for signature compatibility with torch; the reference has one (per-tensor) path.

    Raises:
        RuntimeError: N is nan or inf and ``error_if_nonfinite`` is set.
    """
    del foreach  # one code path; the argument only keeps torch's signature
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=3,
            )
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return torch.tensor(0.0)
    _, total_norm = _norms(grads, norm_type)
    if error_if_nonfinite and (total_norm.isnan() or total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable "
            "this error and scale the gradients by the non-finite norm anyway, "
            "set `error_if_nonfinite=False`"
        )
    # Multiply even when the factor is 1: no data-dependent branch, as in torch.
    clip_coef_clamped = torch.clamp(float(max_norm) / (total_norm + CLIP_EPS), max=1.0)
    for grad in grads:
        grad.mul_(clip_coef_clamped.to(grad.device))
    return total_norm


@torch.no_grad()
def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    r"""Clamp every gradient element in place to :math:`[-\text{clip\_value}, \text{clip\_value}]`.

    ``foreach`` is accepted for signature compatibility with torch and has no effect.
    """
    del foreach
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for param in parameters:
        if param.grad is not None:
            param.grad.clamp_(min=-clip_value, max=clip_value)


def _norms(grads: list[Tensor], norm_type: float) -> tuple[list[Tensor], Tensor]:
    r"""Per-tensor p-norms and their p-norm, on the first tensor's device.

    :math:`\|x\|_p = (\sum |x_j|^p)^{1/p}`, :math:`\|x\|_\infty = \max |x_j|`; the p-norm itself
    is ``torch.linalg.vector_norm``, a primitive like ``sqrt`` (the clipping rule is written out).
    """
    if not grads:
        return [], torch.tensor(0.0)
    first_device = grads[0].device
    per_tensor = [torch.linalg.vector_norm(g, norm_type) for g in grads]
    stacked = torch.stack([n.to(first_device) for n in per_tensor])
    total = torch.linalg.vector_norm(stacked, norm_type)
    return per_tensor, total
