r"""Adam and AdamW, written out as tensor arithmetic in torch's order of operations.

The formula lives once, in :func:`_adam_update_`, which updates a parameter and its moments in
place as torch does. :func:`adam_step`, the pure one-step function that returns every
intermediate value (for worked solutions), runs it on private copies; :class:`Adam` and
:class:`AdamW` are thin ``torch.optim.Optimizer`` subclasses that run it on the live tensors.

The order of operations is ``torch.optim.adam._single_tensor_adam`` (torch 2.x):

.. code-block:: text

    step += 1
    grad = grad + wd * param                         (Adam, L2 in the gradient)
      or param = param * (1 - lr * wd)               (AdamW, on theta_{t-1}, before the moments)
    exp_avg = exp_avg.lerp(grad, 1 - beta1)          (= beta1 m + (1 - beta1) g, within ~1 ulp)
    exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) grad^2
    bias_correction1 = 1 - beta1^t ;  bias_correction2 = 1 - beta2^t
    denom = sqrt(v) / sqrt(bias_correction2) + eps   (v = max(v_max, v_t) with amsgrad)
    param = param - (lr / bias_correction1) * exp_avg / denom
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.optim._grouped import Operand, batches, maximum_, use_foreach
from reference.optim._state import (
    check_non_negative,
    params_with_grad,
    run_closure,
    state_copy,
    zero_step,
)

__all__ = ["Adam", "AdamW", "AdamStep", "adam_step"]


@dataclass(frozen=True)
class AdamStep:
    r"""Everything one Adam/AdamW step computes, for a parameter tensor :math:`\theta`.

    Attributes:
        param: :math:`\theta_t`, the new parameter.
        grad: :math:`g_t`, the gradient the moments saw: with the L2 term
            :math:`\lambda\theta_{t-1}` added for Adam with weight decay, raw for AdamW.
        step: :math:`t`, the new step count (1 after the first step).
        exp_avg: :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`.
        exp_avg_sq: :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`.
        max_exp_avg_sq: :math:`v_t^{max} = \max(v_{t-1}^{max}, v_t)` with amsgrad, else ``None``.
        bias_correction1: :math:`1-\beta_1^t`.
        bias_correction2: :math:`1-\beta_2^t`.
        exp_avg_hat: :math:`\hat m_t = m_t / (1-\beta_1^t)`.
        exp_avg_sq_hat: :math:`\hat v_t = v_t / (1-\beta_2^t)` (of :math:`v_t^{max}` with amsgrad).
        denom: :math:`\sqrt{\hat v_t}+\epsilon`, computed as torch does,
            :math:`\sqrt{v_t}/\sqrt{1-\beta_2^t}+\epsilon`.
        update: :math:`\theta_t - \theta_{t-1}` (includes AdamW's decoupled decay).
    """

    param: Tensor
    grad: Tensor
    step: int
    exp_avg: Tensor
    exp_avg_sq: Tensor
    max_exp_avg_sq: Tensor | None
    bias_correction1: float
    bias_correction2: float
    exp_avg_hat: Tensor
    exp_avg_sq_hat: Tensor
    denom: Tensor
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`adam_step` call."""
        state: dict[str, object] = {
            "step": self.step,
            "exp_avg": self.exp_avg,
            "exp_avg_sq": self.exp_avg_sq,
        }
        if self.max_exp_avg_sq is not None:
            state["max_exp_avg_sq"] = self.max_exp_avg_sq
        return state


def adam_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> AdamStep:
    r"""One Adam (or AdamW, with ``decoupled_weight_decay=True``) step; pure, inputs untouched.

    .. math::
       \begin{aligned}
         & t \leftarrow t_{prev} + 1 \\
         & g_t \leftarrow -\nabla f \text{ if maximize else } \nabla f \\
         & \textbf{if } \lambda \ne 0:\ \textbf{if decoupled: }
             \theta_{t-1} \leftarrow \theta_{t-1}(1-\gamma\lambda)
             \quad\textbf{else: } g_t \leftarrow g_t + \lambda\theta_{t-1} \\
         & m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t \\
         & v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
         & \textbf{if amsgrad: } v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t),\
             \tilde v_t \leftarrow v_t^{max} \quad\textbf{else: } \tilde v_t \leftarrow v_t \\
         & \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
             \frac{m_t}{\sqrt{\tilde v_t}/\sqrt{1-\beta_2^t} + \epsilon}
       \end{aligned}

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`, same shape, device and dtype as ``param``.
        state: the previous state: ``"step"`` (steps already taken, default 0; an int or a
            0-d tensor as torch stores it), ``"exp_avg"``, ``"exp_avg_sq"``, ``"max_exp_avg_sq"``
            (zeros when missing, as torch initializes them).
        lr, betas, eps, weight_decay, amsgrad, maximize: as in ``torch.optim.Adam``.
        decoupled_weight_decay: AdamW's decay :math:`\theta(1-\gamma\lambda)` instead of L2.

    Returns:
        An :class:`AdamStep`; ``result.state`` feeds the next call.
    """
    state = {} if state is None else state
    step = int(state.get("step", 0)) + 1
    exp_avg = state_copy(state, "exp_avg", param)
    exp_avg_sq = state_copy(state, "exp_avg_sq", param)
    max_exp_avg_sq = state_copy(state, "max_exp_avg_sq", param) if amsgrad else None
    new_param = param.clone(memory_format=torch.preserve_format)
    grad, denom, second_moment = _adam_update_(
        new_param,
        grad,
        exp_avg,
        exp_avg_sq,
        max_exp_avg_sq,
        step,
        lr=lr,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize,
    )
    bias_correction1 = 1 - betas[0] ** step
    bias_correction2 = 1 - betas[1] ** step
    return AdamStep(
        param=new_param,
        grad=grad,
        step=step,
        exp_avg=exp_avg,
        exp_avg_sq=exp_avg_sq,
        max_exp_avg_sq=max_exp_avg_sq,
        bias_correction1=bias_correction1,
        bias_correction2=bias_correction2,
        exp_avg_hat=exp_avg / bias_correction1,
        exp_avg_sq_hat=second_moment / bias_correction2,
        denom=denom,
        update=new_param - param,
    )


def _adam_update_(
    param: Operand,
    grad: Operand,
    exp_avg: Operand,
    exp_avg_sq: Operand,
    max_exp_avg_sq: Operand | None,
    step: int,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> tuple[Operand, Operand, Operand]:
    """The formula, in place on ``param`` and the moments (``max_exp_avg_sq`` with amsgrad),
    for step number ``step`` (1-based), in ``_single_tensor_adam``'s order of operations.

    The operands are tensors, or TensorLists of a group that shares the step count.
    Returns ``(grad as the moments saw it, denom, the second moment used)``; ``grad`` itself
    is never written.
    """
    beta1, beta2 = betas
    grad = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)

    # lerp is torch's form of beta1*m + (1 - beta1)*g; it rounds differently by ~1 ulp.
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    second_moment = exp_avg_sq
    if max_exp_avg_sq is not None:
        second_moment = maximum_(max_exp_avg_sq, exp_avg_sq)

    # One temporary, divided and shifted in place (torch's foreach order; same rounding).
    denom = second_moment.sqrt().div_(bias_correction2_sqrt).add_(eps)
    param.addcdiv_(exp_avg, denom, value=-step_size)
    return grad, denom, second_moment


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with torch's arguments, defaults, state and arithmetic.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \theta_0,
             f(\theta), \lambda \text{ (weight decay)}, \epsilon, \textit{amsgrad} \\
         &\textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v_0^{max} \leftarrow 0 \\
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad(\text{negated if maximize}) \\
         &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
         &\quad m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t \\
         &\quad v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
         &\quad \hat m_t \leftarrow m_t / (1-\beta_1^t) \\
         &\quad \textbf{if amsgrad}: v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t),\
             \hat v_t \leftarrow v_t^{max}/(1-\beta_2^t)
             \quad\textbf{else}: \hat v_t \leftarrow v_t/(1-\beta_2^t) \\
         &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\,\hat m_t / (\sqrt{\hat v_t}+\epsilon)
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: learning rate :math:`\gamma` (default: 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps: :math:`\epsilon`, added to :math:`\sqrt{\hat v_t}` (default: 1e-8).
        weight_decay: :math:`\lambda`, an L2 term added to the gradient (default: 0).
        amsgrad: use the running maximum of :math:`v_t` (default: False).
        maximize: ascend instead of descend (default: False).
        decoupled_weight_decay: decay :math:`\theta` by :math:`(1-\gamma\lambda)` instead,
            which is AdamW (default: False).
        foreach: run the formula once over each group of tensors with ``torch._foreach_*``
            operations instead of once per tensor (default: None, torch's choice: grouped
            when every parameter is on a GPU).

    State per parameter, as torch keeps it: ``step`` (a 0-d float tensor on the CPU),
    ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``; a state_dict from
    ``torch.optim.Adam`` loads into this class and vice versa.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_non_negative(lr=lr, eps=eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_non_negative(weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "foreach": foreach,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            params = list(params_with_grad(group, "Adam", ", please consider SparseAdam instead"))
            for param in params:
                state = self.state[param]
                if len(state) == 0:
                    # Same layout as torch's lazy initialization: interchangeable state_dicts.
                    state["step"] = zero_step()
                    state["exp_avg"] = torch.zeros_like(param)  # preserve_format, as torch
                    state["exp_avg_sq"] = torch.zeros_like(param)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
            # In place on the live tensors, as torch does: no copies of 10M-parameter models.
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _adam_update_(
                    batch.params,
                    batch.grads,
                    batch.state("exp_avg"),
                    batch.state("exp_avg_sq"),
                    batch.state("max_exp_avg_sq") if group["amsgrad"] else None,
                    batch.step,
                    lr=group["lr"],
                    betas=group["betas"],
                    eps=group["eps"],
                    weight_decay=group["weight_decay"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"],
                )
        return loss


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019) as torch implements it: Adam with decoupled decay.

    .. math::
       \begin{aligned}
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \\
         &\quad \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\theta_{t-1}
             \quad(\text{before the moments; torch's } \lambda \text{ is multiplied by lr}) \\
         &\quad m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t \\
         &\quad v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
         &\quad \hat m_t \leftarrow m_t / (1-\beta_1^t),\quad
             \hat v_t \leftarrow v_t / (1-\beta_2^t) \quad(v_t^{max} \text{ with amsgrad}) \\
         &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\,\hat m_t / (\sqrt{\hat v_t}+\epsilon)
       \end{aligned}

    Same arguments as :class:`Adam` except ``weight_decay`` defaults to 1e-2 and the decay is
    always decoupled.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
