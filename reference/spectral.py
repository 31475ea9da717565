r"""Spectral normalization (Miyato et al., 2018) by power iteration, in torch's update orders.

:math:`W_{SN} = W/\sigma(W)`, with :math:`\sigma(W) = \max_{\|x\|=1}\|Wx\|` the largest
singular value. A conv weight (out, in, \*k) is first reshaped to the matrix (out, in·k) along
``dim`` (0; 1 for ``ConvTranspose``, whose weight is (in, out, \*k)). One power-iteration step,
:math:`\mathrm{normalize}(x) = x/\max(\|x\|_2, \epsilon)`:

.. math::
   v \leftarrow \mathrm{normalize}(W^\top u),\qquad
   u \leftarrow \mathrm{normalize}(W v),\qquad
   \sigma \approx u^\top W v

torch has two implementations, and they are not bit-identical:

* ``torch.nn.utils.spectral_norm`` (the original, Miyato's Algorithm 1): v first, from the
  stored u; no warm-up; :func:`spectral_norm_power_iteration`.
* ``torch.nn.utils.parametrizations.spectral_norm``: **u first**, from the stored v
  (:math:`u \leftarrow \mathrm{normalize}(Wv)`, then :math:`v \leftarrow
  \mathrm{normalize}(W^{H}u)`), 15 warm-up iterations at registration, and iterations only in
  training mode; :func:`spectral_norm_parametrized`.

The power-iteration :math:`\sigma` is a lower bound that converges to :math:`\sigma_{max}`;
:func:`exact_spectral_norm` is the SVD value (``torch.linalg.matrix_norm(W, 2)``), the right
answer to a question that names no iteration count and no :math:`u_0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "SpectralNormResult",
    "exact_spectral_norm",
    "lipschitz_constant_linear",
    "reshape_weight_to_matrix",
    "spectral_norm_from_vectors",
    "spectral_norm_parametrized",
    "spectral_norm_power_iteration",
]


@dataclass(frozen=True)
class SpectralNormResult:
    r"""The state after a number of power iterations.

    Attributes:
        u: the left singular vector estimate (length ``weight_mat.shape[0]``).
        v: the right singular vector estimate (length ``weight_mat.shape[1]``).
        sigma: :math:`\sigma = u^{H} W v`, a 0-d tensor.
        weight_sn: :math:`W/\sigma`, the weight's own shape.
        weight_mat: the matrix the iteration ran on.
        iterations: the :math:`(u, v)` pair after each iteration, for worked solutions.
    """

    u: Tensor
    v: Tensor
    sigma: Tensor
    weight_sn: Tensor
    weight_mat: Tensor
    iterations: list[tuple[Tensor, Tensor]]


def reshape_weight_to_matrix(weight: Tensor, dim: int = 0) -> Tensor:
    """``weight`` as the matrix (size(dim), rest): ``dim`` is moved to the front, the rest
    flattened (torch's ``_reshape_weight_to_matrix``)."""
    if weight.dim() < 2:
        raise ValueError(f"Expected weight to have more than 1 dimension, got {weight.dim()}")
    if dim < 0:
        dim += weight.dim()
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.dim()) if d != dim))
    return weight.flatten(1)


def _normalize(x: Tensor, eps: float) -> Tensor:
    """``F.normalize(x, dim=0, eps=eps)``: :math:`x/\\max(\\|x\\|_2, \\epsilon)`."""
    return x / torch.linalg.vector_norm(x).clamp_min(eps)


def _result(weight, weight_mat, u, v, iterations) -> SpectralNormResult:
    sigma = spectral_norm_from_vectors(weight_mat, u, v)
    return SpectralNormResult(
        u=u,
        v=v,
        sigma=sigma,
        weight_sn=weight / sigma,
        weight_mat=weight_mat,
        iterations=iterations,
    )


def _check_iterations(n_power_iterations: int) -> None:
    if n_power_iterations <= 0:
        raise ValueError(
            "Expected n_power_iterations to be positive, but "
            f"got n_power_iterations={n_power_iterations}"
        )


def spectral_norm_from_vectors(weight_mat: Tensor, u: Tensor, v: Tensor) -> Tensor:
    r""":math:`\sigma = u^{H} W v` (what both torch APIs compute in eval, without iterating)."""
    return (u.conj() * (weight_mat @ v)).sum()


@torch.no_grad()
def spectral_norm_power_iteration(
    weight: Tensor,
    u: Tensor,
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int = 0,
) -> SpectralNormResult:
    r"""``n_power_iterations`` steps of ``torch.nn.utils.spectral_norm``'s training forward.

    .. math::
       \begin{aligned}
         &\textbf{repeat } n \textbf{ times:}\quad
             v \leftarrow W^\top u/\max(\|W^\top u\|, \epsilon),\quad
             u \leftarrow W v/\max(\|W v\|, \epsilon) \\
         &\sigma = u^\top W v,\qquad W_{SN} = W/\sigma
       \end{aligned}

    ``u`` is the stored ``weight_u`` buffer (torch starts it as a normalized N(0, 1) draw);
    pass the returned ``u`` to the next call to continue, as the module's buffer does. The
    inputs are not modified.
    """
    _check_iterations(n_power_iterations)
    weight_mat = reshape_weight_to_matrix(weight, dim)
    iterations = []
    for _ in range(n_power_iterations):
        v = _normalize(weight_mat.mH @ u, eps)
        u = _normalize(weight_mat @ v, eps)
        iterations.append((u, v))
    return _result(weight, weight_mat, u, v, iterations)


@torch.no_grad()
def spectral_norm_parametrized(
    weight: Tensor,
    v: Tensor,
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int = 0,
) -> SpectralNormResult:
    r"""``n_power_iterations`` steps of ``torch.nn.utils.parametrizations.spectral_norm``
    in training mode (its ``_power_method``): u is updated first, from the stored v.

    .. math::
       \begin{aligned}
         &\textbf{repeat } n \textbf{ times:}\quad
             u \leftarrow W v/\max(\|W v\|, \epsilon),\quad
             v \leftarrow W^{H} u/\max(\|W^{H} u\|, \epsilon) \\
         &\sigma = u^{H} W v,\qquad W_{SN} = W/\sigma
       \end{aligned}

    At registration torch runs this 15 times from normalized N(0, 1) draws of u and v (only
    v matters); in eval it iterates 0 times (:func:`spectral_norm_from_vectors`). A 1-D
    weight is simply :math:`W/\max(\|W\|, \epsilon)` there; here it must be 2-D or more.
    """
    _check_iterations(n_power_iterations)
    weight_mat = reshape_weight_to_matrix(weight, dim)
    iterations = []
    for _ in range(n_power_iterations):
        u = _normalize(weight_mat @ v, eps)
        v = _normalize(weight_mat.mH @ u, eps)
        iterations.append((u, v))
    return _result(weight, weight_mat, u, v, iterations)


def exact_spectral_norm(weight: Tensor, dim: int = 0) -> Tensor:
    r""":math:`\sigma_{max}` of the weight matrix, the largest singular value (via SVD):
    what power iteration converges to, and ``torch.linalg.matrix_norm(W, ord=2)``."""
    return torch.linalg.svdvals(reshape_weight_to_matrix(weight, dim)).max()


def lipschitz_constant_linear(weight: Tensor) -> Tensor:
    r"""The L2 Lipschitz constant of :math:`x \mapsto Wx + b`: :math:`\|W\|_2 = \sigma_{max}`.

    The bias does not matter (:math:`\|W x - W y\| \le \sigma_{max}\|x-y\|`, with equality
    along the top right singular vector). After spectral normalization it is 1; for a chain of
    layers with 1-Lipschitz activations the product of the constants is an upper bound.
    """
    if weight.dim() != 2:
        raise ValueError(f"expected a 2-D weight (out, in), got {weight.dim()}-D")
    return exact_spectral_norm(weight)
