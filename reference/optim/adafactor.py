r"""Adafactor (Shazeer & Stern, 2018): torch.optim.Adafactor's form, and HF transformers' form.

Two functional steps, because the two libraries differ in where eps1 goes and how lr is used:

* :func:`adafactor_step` / :class:`Adafactor` mirror ``torch.optim.Adafactor``
  (``torch/optim/_adafactor.py``, ``_single_tensor_adafactor``). The formula lives once, in
  :func:`_adafactor_update_`, which updates a parameter and its factors in place as torch does.
* :func:`hf_adafactor_step` is ``transformers.optimization.Adafactor`` (pure function only):
  eps1 = 1e-30 added to :math:`G^2`, ``relative_step``/``scale_parameter``/``warmup_init``
  switches, an optional first moment ``beta1``, and decay by the relative step size.

Both keep, for a tensor with at least two dimensions (factored over the last two), the row and
column means of :math:`G^2` and rebuild the second moment as

.. math:: \hat V = \frac{r\,c^\top}{\operatorname{mean}(r)}

Seed erratum (conventions 5.6): the seed writes :math:`\hat V = r c^\top` without the
normalizer; for a constant :math:`G^2 = s` that gives :math:`s^2` instead of :math:`s`. With sums
instead of means (the paper), the normalizer is :math:`1_n^\top R`; the ratio is the same.
Vectors (and 0-d tensors) are not factored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.optim._state import (
    params_with_grad,
    run_closure,
    state_copy,
    state_tensor,
    zero_step,
)

__all__ = [
    "Adafactor",
    "AdafactorStep",
    "HFAdafactorStep",
    "adafactor_step",
    "hf_adafactor_step",
]


def _rms(tensor: Tensor) -> float:
    r""":math:`\operatorname{RMS}(A) = \lVert A\rVert_2 / \sqrt{\text{numel}}`, as a float."""
    return torch.linalg.vector_norm(tensor).item() / tensor.numel() ** 0.5


@dataclass(frozen=True)
class AdafactorStep:
    r"""Everything one ``torch.optim.Adafactor`` step computes.

    Attributes:
        param: :math:`\theta_t`.
        grad: :math:`G_t` (negated if maximize).
        step: :math:`t`.
        beta2: :math:`\hat\beta_{2,t} = 1 - t^{\tau}` (:math:`\tau` = ``beta2_decay``).
        rho: :math:`\rho_t = \min(\gamma, 1/\sqrt t)`.
        param_rms: :math:`\operatorname{RMS}(\theta_{t-1})`, before the weight decay.
        alpha: :math:`\alpha_t = \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\rho_t`.
        row_var: :math:`r_t`, row means of :math:`G^2` averaged over time (shape ``[..., n, 1]``),
            ``None`` for vectors.
        col_var: :math:`c_t`, column means (shape ``[..., 1, m]``), ``None`` for vectors.
        variance: :math:`\hat V_t` kept in full for vectors, ``None`` for factored tensors.
        var_estimate: :math:`\hat V_t = r_t c_t / \max(\operatorname{mean}(r_t), \epsilon_1)`
            (factored) or the variance (vectors).
        scaled_update: :math:`U_t = G_t / \max(\sqrt{\hat V_t}, \epsilon_1)`.
        clip_denominator: :math:`\max(1, \operatorname{RMS}(U_t)/d)`.
        update: :math:`\theta_t - \theta_{t-1}` (includes the weight decay).
    """

    param: Tensor
    grad: Tensor
    step: int
    beta2: float
    rho: float
    param_rms: float
    alpha: float
    row_var: Tensor | None
    col_var: Tensor | None
    variance: Tensor | None
    var_estimate: Tensor
    scaled_update: Tensor
    clip_denominator: float
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`adafactor_step` call."""
        if self.variance is not None:
            return {"step": self.step, "variance": self.variance}
        return {"step": self.step, "row_var": self.row_var, "col_var": self.col_var}


@dataclass(frozen=True)
class _AdafactorScalars:
    beta2: float
    rho: float
    param_rms: float
    alpha: float
    clip_denominator: float


def _adafactor_update_(
    param: Tensor,
    grad: Tensor,
    row_var: Tensor | None,
    col_var: Tensor | None,
    variance: Tensor | None,
    step: int,
    *,
    lr: float,
    beta2_decay: float,
    eps: tuple[float | None, float],
    d: float,
    weight_decay: float,
    maximize: bool,
    keep_var_estimate: bool = False,
) -> tuple[_AdafactorScalars, Tensor, Tensor | None, Tensor]:
    """Update ``param`` and its factors (or ``variance``) in place, for step ``step`` (1-based).

    Returns ``(scalars, grad as used, var_estimate or None, U_t)``; the variance estimate is
    overwritten by torch's in-place rsqrt unless ``keep_var_estimate``.
    """
    eps1, eps2 = eps
    if eps1 is None:
        eps1 = torch.finfo(param.dtype).eps
    grad = -grad if maximize else grad
    one_minus_beta2 = step**beta2_decay
    rho = min(lr, 1 / step**0.5)
    # The relative step uses the RMS of theta_{t-1}, before this step's decay.
    param_rms = _rms(param)
    alpha = max(eps2, param_rms) * rho
    if weight_decay != 0:
        param.mul_(1 - lr * weight_decay)

    if grad.dim() > 1:
        # mean of G^2 along a row is |row|^2 / m; torch's order avoids materializing G^2.
        row_mean = torch.linalg.vector_norm(grad, dim=-1, keepdim=True).square_()
        row_var.lerp_(row_mean.div_(grad.size(-1)), one_minus_beta2)
        col_mean = torch.linalg.vector_norm(grad, dim=-2, keepdim=True).square_()
        col_var.lerp_(col_mean.div_(grad.size(-2)), one_minus_beta2)
        # The normalizer the seed omits: mean(r), clamped at eps1.
        var_estimate = row_var * col_var
        var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
    else:
        variance.lerp_(grad * grad, one_minus_beta2)
        var_estimate = variance.clone()
    kept = var_estimate.clone() if keep_var_estimate else None

    # eps1 squared because the square root follows: max(sqrt(V), eps1).
    scaled_update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
    clip_denominator = max(1.0, _rms(scaled_update) / d)
    param.add_(scaled_update, alpha=-alpha / clip_denominator)
    scalars = _AdafactorScalars(1 - one_minus_beta2, rho, param_rms, alpha, clip_denominator)
    return scalars, grad, kept, scaled_update


def _factored_shapes(like: Tensor) -> tuple[list[int], list[int]]:
    row_shape, col_shape = list(like.shape), list(like.shape)
    row_shape[-1] = 1
    col_shape[-2] = 1
    return row_shape, col_shape


def adafactor_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> AdafactorStep:
    r"""One ``torch.optim.Adafactor`` step; pure, inputs untouched.

    .. math::
       \begin{aligned}
         & t \leftarrow t_{prev} + 1,\quad \hat\beta_{2,t} \leftarrow 1 - t^{\tau},\quad
             \rho_t \leftarrow \min(\gamma, 1/\sqrt t) \\
         & \alpha_t \leftarrow \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\,\rho_t,\quad
             \theta_{t-1} \leftarrow (1 - \gamma\lambda)\theta_{t-1} \\
         & \textbf{if } \dim G_t > 1:\ r_t \leftarrow \hat\beta_{2,t} r_{t-1}
             + (1-\hat\beta_{2,t})\operatorname{mean}_{-1}(G_t^2),\
             c_t \leftarrow \hat\beta_{2,t} c_{t-1}
             + (1-\hat\beta_{2,t})\operatorname{mean}_{-2}(G_t^2) \\
         & \qquad \hat V_t \leftarrow r_t c_t / \max(\operatorname{mean}(r_t), \epsilon_1) \\
         & \textbf{else}:\ \hat V_t \leftarrow \hat\beta_{2,t}\hat V_{t-1}
             + (1-\hat\beta_{2,t}) G_t^2 \\
         & U_t \leftarrow G_t / \max(\sqrt{\hat V_t}, \epsilon_1),\quad
           \theta_t \leftarrow \theta_{t-1} - \alpha_t U_t / \max(1, \operatorname{RMS}(U_t)/d)
       \end{aligned}

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`.
        state: ``"step"`` and either ``"row_var"``/``"col_var"`` (at least 2-D) or
            ``"variance"`` (vectors), zeros when missing as torch initializes them.
        lr, beta2_decay, eps, d, weight_decay, maximize: as in ``torch.optim.Adafactor``;
            ``eps[0] = None`` means ``torch.finfo(param.dtype).eps``.
    """
    state = {} if state is None else state
    step = int(state.get("step", 0)) + 1
    row_var = col_var = variance = None
    if grad.dim() > 1:
        row_shape, col_shape = _factored_shapes(grad)
        row_var = state_copy(state, "row_var", grad.new_empty(row_shape))
        col_var = state_copy(state, "col_var", grad.new_empty(col_shape))
    else:
        variance = state_copy(state, "variance", grad)
    new_param = param.clone(memory_format=torch.preserve_format)
    scalars, used_grad, var_estimate, scaled_update = _adafactor_update_(
        new_param,
        grad,
        row_var,
        col_var,
        variance,
        step,
        lr=lr,
        beta2_decay=beta2_decay,
        eps=eps,
        d=d,
        weight_decay=weight_decay,
        maximize=maximize,
        keep_var_estimate=True,
    )
    return AdafactorStep(
        param=new_param,
        grad=used_grad,
        step=step,
        beta2=scalars.beta2,
        rho=scalars.rho,
        param_rms=scalars.param_rms,
        alpha=scalars.alpha,
        row_var=row_var,
        col_var=col_var,
        variance=variance,
        var_estimate=var_estimate,
        scaled_update=scaled_update,
        clip_denominator=scalars.clip_denominator,
        update=new_param - param,
    )


class Adafactor(Optimizer):
    r"""Adafactor as ``torch.optim.Adafactor`` implements it (not HF's; see the module).

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \tau \text{ (beta2 decay)}, \theta_0, f(\theta),
             \epsilon_1, \epsilon_2 \text{ (eps)}, d \text{ (clipping threshold)},
             \lambda \text{ (weight decay)} \\
         &\textbf{initialize}: r_0 \leftarrow 0,\ c_0 \leftarrow 0,\ \hat V_0 \leftarrow 0 \\
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad G_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad(\text{negated if maximize}) \\
         &\quad \hat\beta_{2,t} \leftarrow 1 - t^{\tau},\quad
             \rho_t \leftarrow \min(\gamma, 1/\sqrt t),\quad
             \alpha_t \leftarrow \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\rho_t \\
         &\quad \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\theta_{t-1} \\
         &\quad \textbf{if } \dim G_t > 1: \\
         &\qquad r_t \leftarrow \hat\beta_{2,t} r_{t-1}
             + (1-\hat\beta_{2,t})\operatorname{mean}_{-1}(G_t \odot G_t) \\
         &\qquad c_t \leftarrow \hat\beta_{2,t} c_{t-1}
             + (1-\hat\beta_{2,t})\operatorname{mean}_{-2}(G_t \odot G_t) \\
         &\qquad \hat V_t \leftarrow r_t c_t / \max(\operatorname{mean}(r_t), \epsilon_1) \\
         &\quad \textbf{else}: \hat V_t \leftarrow \hat\beta_{2,t}\hat V_{t-1}
             + (1-\hat\beta_{2,t}) G_t \odot G_t \\
         &\quad U_t \leftarrow G_t / \max(\sqrt{\hat V_t}, \epsilon_1) \\
         &\quad \theta_t \leftarrow \theta_{t-1} - \alpha_t U_t / \max(1, \operatorname{RMS}(U_t)/d)
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: :math:`\gamma`, the cap of the relative step :math:`\rho_t` and the decay's
            multiplier (default: 1e-2, the paper's constant).
        beta2_decay: :math:`\tau` (default: -0.8).
        eps: :math:`(\epsilon_1, \epsilon_2)`; ``None`` means the dtype's machine epsilon,
            used as clamps rather than added to :math:`G^2` (default: (None, 1e-3)).
        d: update clipping threshold (default: 1.0).
        weight_decay: :math:`\lambda`, decoupled and multiplied by lr (default: 0.0; torch's
            docstring says 1e-2, its code says 0.0).
        maximize: ascend instead of descend (default: False).

    State per parameter, as torch keeps it: ``step`` (a 0-d float tensor) and ``row_var``
    (shape ``[..., n, 1]``) with ``col_var`` (``[..., 1, m]``) for tensors of two or more
    dimensions, ``variance`` for vectors.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            for param in params_with_grad(group, "Adafactor"):
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = zero_step()
                    if param.grad.dim() > 1:
                        row_shape, col_shape = _factored_shapes(param.grad)
                        state["row_var"] = param.grad.new_zeros(row_shape)
                        state["col_var"] = param.grad.new_zeros(col_shape)
                    else:
                        state["variance"] = torch.zeros_like(param.grad)
                state["step"] += 1
                _adafactor_update_(
                    param,
                    param.grad,
                    state.get("row_var"),
                    state.get("col_var"),
                    state.get("variance"),
                    int(state["step"]),
                    lr=group["lr"],
                    beta2_decay=group["beta2_decay"],
                    eps=group["eps"],
                    d=group["d"],
                    weight_decay=group["weight_decay"],
                    maximize=group["maximize"],
                )
        return loss


@dataclass(frozen=True)
class HFAdafactorStep:
    r"""Everything one HF ``transformers`` Adafactor step computes.

    Attributes:
        param: :math:`\theta_t`.
        step: :math:`t`.
        param_rms: :math:`\operatorname{RMS}(\theta_{t-1})`.
        lr: the step size used: :math:`\max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))
            \cdot \min(10^{-2}, 1/\sqrt t)` with the default switches.
        beta2: :math:`\hat\beta_{2,t} = 1 - t^{\text{decay\_rate}}`.
        exp_avg_sq_row: :math:`r_t`, EMA of row means of :math:`G^2+\epsilon_1` (shape
            ``[..., n]``), ``None`` for vectors.
        exp_avg_sq_col: :math:`c_t` (shape ``[..., m]``), ``None`` for vectors.
        exp_avg_sq: the full EMA for vectors, ``None`` for factored tensors.
        var_estimate: :math:`\hat V_t = r_t c_t^\top / \operatorname{mean}(r_t)` or the full EMA.
        scaled_update: :math:`U_t = G_t / \sqrt{\hat V_t}`.
        clip_denominator: :math:`\max(1, \operatorname{RMS}(U_t)/\text{clip\_threshold})`.
        exp_avg: the first moment of the clipped, lr-scaled update when ``beta1`` is set.
        update: :math:`\theta_t - \theta_{t-1}`.
    """

    param: Tensor
    step: int
    param_rms: float
    lr: float
    beta2: float
    exp_avg_sq_row: Tensor | None
    exp_avg_sq_col: Tensor | None
    exp_avg_sq: Tensor | None
    var_estimate: Tensor
    scaled_update: Tensor
    clip_denominator: float
    exp_avg: Tensor | None
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`hf_adafactor_step` call."""
        state: dict[str, object] = {"step": self.step}
        names = ("exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq", "exp_avg")
        for name in names:
            if getattr(self, name) is not None:
                state[name] = getattr(self, name)
        return state


def hf_adafactor_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float | None = None,
    eps: tuple[float, float] = (1e-30, 1e-3),
    clip_threshold: float = 1.0,
    decay_rate: float = -0.8,
    beta1: float | None = None,
    weight_decay: float = 0.0,
    scale_parameter: bool = True,
    relative_step: bool = True,
    warmup_init: bool = False,
) -> HFAdafactorStep:
    r"""One step of ``transformers.optimization.Adafactor`` (HF's defaults); pure.

    .. math::
       \begin{aligned}
         & t \leftarrow t_{prev} + 1,\quad \hat\beta_{2,t} \leftarrow 1 - t^{\text{decay\_rate}}
           \\
         & \rho_t \leftarrow \min(10^{-6} t \text{ if warmup\_init else } 10^{-2},\ 1/\sqrt t)
           \text{ if relative\_step else } \gamma \\
         & \gamma_t \leftarrow \rho_t \cdot \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))
           \text{ if scale\_parameter else } \rho_t \\
         & \textbf{if } \dim G_t \ge 2:\
           r_t \leftarrow \hat\beta_{2,t} r_{t-1}
             + (1-\hat\beta_{2,t})\operatorname{mean}_{-1}(G_t^2 + \epsilon_1),\
           c_t \leftarrow \ldots \operatorname{mean}_{-2}(G_t^2 + \epsilon_1),\
           \hat V_t \leftarrow r_t c_t^\top / \operatorname{mean}(r_t) \\
         & \textbf{else}:\ \hat V_t \leftarrow \hat\beta_{2,t}\hat V_{t-1}
             + (1-\hat\beta_{2,t})(G_t^2 + \epsilon_1) \\
         & U_t \leftarrow G_t / \sqrt{\hat V_t},\quad
           \hat U_t \leftarrow \gamma_t U_t / \max(1, \operatorname{RMS}(U_t)/\text{clip}) \\
         & \textbf{if } \beta_1:\ m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1)\hat U_t,\
           \hat U_t \leftarrow m_t \\
         & \theta_t \leftarrow \theta_{t-1} - \lambda\gamma_t\theta_{t-1} - \hat U_t
       \end{aligned}

    Differences from torch's form: eps1 (1e-30) is added to :math:`G^2` inside the averages
    instead of clamping; ``lr`` must be ``None`` with ``relative_step`` (the cap 1e-2 is fixed);
    the decay uses :math:`\gamma_t` instead of torch's group lr. With weight_decay 0 the two
    agree to rounding when :math:`G^2 \gg \epsilon_1`.

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`.
        state: ``"step"``, ``"exp_avg_sq_row"``/``"exp_avg_sq_col"`` or ``"exp_avg_sq"``, and
            ``"exp_avg"`` with ``beta1``; zeros when missing.
        lr, eps, clip_threshold, decay_rate, beta1, weight_decay, scale_parameter,
            relative_step, warmup_init: as in HF's ``Adafactor``.
    """
    if lr is not None and relative_step:
        raise ValueError("Cannot combine manual `lr` and `relative_step=True` options")
    if warmup_init and not relative_step:
        raise ValueError("`warmup_init=True` requires `relative_step=True`")
    if lr is None and not relative_step:
        raise ValueError("`relative_step=False` needs an explicit `lr`")
    state = {} if state is None else state
    eps1, eps2 = eps
    step = int(state.get("step", 0)) + 1
    param_rms = _rms(param)
    rho = lr
    if relative_step:
        cap = 1e-6 * step if warmup_init else 1e-2
        rho = min(cap, 1.0 / math.sqrt(step))
    step_lr = rho * (max(eps2, param_rms) if scale_parameter else 1.0)
    beta2 = 1.0 - math.pow(step, decay_rate)

    squared = grad**2 + eps1
    row = col = full = None
    if grad.dim() >= 2:
        row = state_tensor(state, "exp_avg_sq_row", squared.mean(dim=-1))
        col = state_tensor(state, "exp_avg_sq_col", squared.mean(dim=-2))
        row = row.mul(beta2).add_(squared.mean(dim=-1), alpha=1.0 - beta2)
        col = col.mul(beta2).add_(squared.mean(dim=-2), alpha=1.0 - beta2)
        # HF's form of r c^T / mean(r): rsqrt(r / mean(r)) times rsqrt(c), as an outer product.
        r_factor = (row / row.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
        c_factor = col.unsqueeze(-2).rsqrt()
        inverse_sqrt_v = r_factor * c_factor
        var_estimate = row.unsqueeze(-1) * col.unsqueeze(-2) / row.mean(dim=-1)[..., None, None]
    else:
        full = state_tensor(state, "exp_avg_sq", grad)
        full = full.mul(beta2).add_(squared, alpha=1.0 - beta2)
        inverse_sqrt_v = full.rsqrt()
        var_estimate = full
    scaled_update = inverse_sqrt_v * grad
    clip_denominator = max(1.0, _rms(scaled_update) / clip_threshold)
    applied = (scaled_update / clip_denominator).mul_(step_lr)

    exp_avg = None
    if beta1 is not None:
        exp_avg = state_tensor(state, "exp_avg", grad)
        exp_avg = exp_avg.mul(beta1).add_(applied, alpha=1 - beta1)
        applied = exp_avg
    new_param = param
    if weight_decay != 0:
        new_param = param.add(param, alpha=-weight_decay * step_lr)
    new_param = new_param - applied
    return HFAdafactorStep(
        param=new_param,
        step=step,
        param_rms=param_rms,
        lr=step_lr,
        beta2=beta2,
        exp_avg_sq_row=row,
        exp_avg_sq_col=col,
        exp_avg_sq=full,
        var_estimate=var_estimate,
        scaled_update=scaled_update,
        clip_denominator=clip_denominator,
        exp_avg=exp_avg,
        update=new_param - param,
    )
