r"""Adagrad, written out as tensor arithmetic in torch's order of operations.

The formula lives once, in :func:`_adagrad_update_`, which updates a parameter and its sum of
squared gradients in place as ``torch.optim.adagrad._single_tensor_adagrad`` does.
:func:`adagrad_step` runs it on private copies and returns every intermediate value;
:class:`Adagrad` runs it on the live tensors.

.. code-block:: text

    step += 1
    grad = -grad if maximize;  grad = grad + wd * param
    clr = lr / (1 + (step - 1) * lr_decay)
    sum = sum + grad^2                       (the current gradient is in the sum before dividing)
    std = sqrt(sum) + eps                    (eps outside the sqrt, default 1e-10)
    param = param - clr * grad / std

Framework note (conventions 5.2): Keras starts the accumulator at 0.1 with eps=1e-7; torch's
``initial_accumulator_value`` defaults to 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.optim._grouped import Operand, batches, use_foreach
from reference.optim._state import (
    check_non_negative,
    params_with_grad,
    run_closure,
    state_copy,
    zero_step,
)

__all__ = ["Adagrad", "AdagradStep", "adagrad_step"]


@dataclass(frozen=True)
class AdagradStep:
    r"""Everything one Adagrad step computes.

    Attributes:
        param: :math:`\theta_t`.
        grad: :math:`g_t` as used (negated if maximize, plus :math:`\lambda\theta_{t-1}`).
        step: :math:`t`, the new step count.
        clr: :math:`\tilde\gamma = \gamma / (1 + (t-1)\eta)`, the decayed learning rate.
        sum: :math:`G_t = G_{t-1} + g_t^2`.
        std: :math:`\sqrt{G_t} + \epsilon`.
        update: :math:`\theta_t - \theta_{t-1} = -\tilde\gamma\, g_t / (\sqrt{G_t}+\epsilon)`.
    """

    param: Tensor
    grad: Tensor
    step: int
    clr: float
    sum: Tensor
    std: Tensor
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`adagrad_step` call."""
        return {"step": self.step, "sum": self.sum}


def _adagrad_update_(
    param: Operand,
    grad: Operand,
    state_sum: Operand,
    step: int,
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> tuple[Operand, float, Operand]:
    """Update ``param`` and ``state_sum`` in place for step number ``step`` (1-based); the
    operands are tensors, or TensorLists of a group that shares the step count.

    Returns ``(grad as used, clr, std)``; ``grad`` itself is never written.
    """
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum.addcmul_(grad, grad, value=1)
    std = state_sum.sqrt().add_(eps)
    param.addcdiv_(grad, std, value=-clr)
    return grad, clr, std


def adagrad_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> AdagradStep:
    r"""One Adagrad step; pure, inputs untouched.

    .. math::
       \begin{aligned}
         & t \leftarrow t_{prev} + 1,\quad g_t \leftarrow \pm\nabla f(\theta_{t-1})
             + \lambda\theta_{t-1} \\
         & \tilde\gamma \leftarrow \gamma / (1 + (t-1)\eta) \\
         & G_t \leftarrow G_{t-1} + g_t^2 \\
         & \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{G_t} + \epsilon)
       \end{aligned}

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`.
        state: ``"step"`` (steps taken, default 0) and ``"sum"`` (:math:`G_{t-1}`, default
            ``initial_accumulator_value`` everywhere, as torch initializes it).
        lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize: as in
            ``torch.optim.Adagrad`` (:math:`\gamma, \eta, \lambda, G_0, \epsilon`).
    """
    state = {} if state is None else state
    step = int(state.get("step", 0)) + 1
    state_sum = state_copy(state, "sum", param, initial_accumulator_value)
    new_param = param.clone(memory_format=torch.preserve_format)
    used_grad, clr, std = _adagrad_update_(
        new_param,
        grad,
        state_sum,
        step,
        lr=lr,
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        eps=eps,
        maximize=maximize,
    )
    return AdagradStep(
        param=new_param,
        grad=used_grad,
        step=step,
        clr=clr,
        sum=state_sum,
        std=std,
        update=new_param - param,
    )


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011) with torch's arguments, defaults, state and arithmetic.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \theta_0, f(\theta), \lambda
             \text{ (weight decay)}, \tau \text{ (initial accumulator value)},
             \eta \text{ (lr decay)}, \epsilon \\
         &\textbf{initialize}: G_0 \leftarrow \tau \\
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad(\text{negated if maximize}) \\
         &\quad \tilde\gamma \leftarrow \gamma / (1 + (t-1)\eta) \\
         &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
         &\quad G_t \leftarrow G_{t-1} + g_t^2 \\
         &\quad \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{G_t}+\epsilon)
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: learning rate :math:`\gamma` (default: 1e-2).
        lr_decay: :math:`\eta` (default: 0).
        weight_decay: :math:`\lambda`, an L2 term added to the gradient (default: 0).
        initial_accumulator_value: :math:`\tau` (default: 0).
        eps: :math:`\epsilon`, added outside the square root (default: 1e-10).
        foreach: run the formula once over each group of tensors with ``torch._foreach_*``
            operations instead of once per tensor (default: None, torch's choice: grouped
            when every parameter is on a GPU).
        maximize: ascend instead of descend (default: False).

    State per parameter, created in the constructor as torch does: ``step`` (a 0-d float
    tensor) and ``sum``; state_dicts are interchangeable with ``torch.optim.Adagrad``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group)

    def _init_state(self, param: Tensor, group: dict) -> dict:
        state = self.state[param]
        if len(state) == 0:
            state["step"] = zero_step()
            state["sum"] = torch.full_like(
                param, group["initial_accumulator_value"], memory_format=torch.preserve_format
            )
        return state

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            params = list(params_with_grad(group, "Adagrad"))
            for param in params:
                self._init_state(param, group)["step"] += 1
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _adagrad_update_(
                    batch.params,
                    batch.grads,
                    batch.state("sum"),
                    batch.step,
                    lr=group["lr"],
                    lr_decay=group["lr_decay"],
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=group["maximize"],
                )
        return loss
