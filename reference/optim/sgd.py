r"""SGD with momentum, dampening, Nesterov and L2 weight decay, in torch's order of operations.

The formula lives once, in :func:`_sgd_update_`, which updates a parameter and its momentum
buffer in place as ``torch.optim.sgd._single_tensor_sgd`` does (so the optimizer is as fast as
torch's). :func:`sgd_step` runs it on private copies and returns every intermediate value;
:class:`SGD` runs it on the live tensors.

.. code-block:: text

    grad = -grad if maximize
    grad = grad + wd * param
    buf = grad                                    (first step: a copy, no dampening)
    buf = momentum * buf + (1 - dampening) * grad (later steps)
    direction = grad + momentum * buf if nesterov else buf   (grad if momentum == 0)
    param = param - lr * direction

Seed erratum (conventions 5.1): the classical ``v = mu v - lr g; theta += v`` equals torch's form
only for a constant lr; torch keeps lr outside the buffer, so a scheduler rescales all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.optim._grouped import Operand, batches, use_foreach
from reference.optim._state import optional_state_copy, params_with_grad, run_closure

__all__ = ["SGD", "SGDStep", "sgd_step"]


@dataclass(frozen=True)
class SGDStep:
    r"""Everything one SGD step computes, for a parameter tensor :math:`\theta`.

    Attributes:
        param: :math:`\theta_t`.
        grad: :math:`g_t` as used: negated if maximize, plus :math:`\lambda\theta_{t-1}`.
        momentum_buffer: :math:`b_t` (``None`` when momentum is 0, as torch keeps no buffer).
        direction: what lr multiplies: :math:`g_t + \mu b_t` (Nesterov), :math:`b_t`, or
            :math:`g_t` without momentum.
        update: :math:`\theta_t - \theta_{t-1} = -\gamma\,\text{direction}`.
    """

    param: Tensor
    grad: Tensor
    momentum_buffer: Tensor | None
    direction: Tensor
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`sgd_step` call."""
        if self.momentum_buffer is None:
            return {}
        return {"momentum_buffer": self.momentum_buffer}


def _sgd_update_(
    param: Operand,
    grad: Operand,
    momentum_buffer: Operand | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> tuple[Operand, Operand | None, Operand]:
    """Update ``param`` and ``momentum_buffer`` in place (``grad`` is never written); the
    operands are tensors, or TensorLists of a group that is at the same step.

    Returns ``(grad as used, momentum buffer, direction)``; the buffer is created on the first
    step, so the caller must keep the returned one.
    """
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    direction = grad
    if momentum != 0:
        if momentum_buffer is None:
            # torch's first step: the buffer is the gradient itself, without dampening.
            momentum_buffer = grad.detach().clone()
        else:
            momentum_buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
        direction = grad.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
    param.add_(direction, alpha=-lr)
    return grad, momentum_buffer, direction


def sgd_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> SGDStep:
    r"""One SGD step; pure, inputs untouched.

    .. math::
       \begin{aligned}
         & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1} \\
         & \textbf{if } \mu \ne 0:\ b_t \leftarrow g_t \text{ if } t = 1
             \text{ else } \mu b_{t-1} + (1-\tau) g_t;\quad
             g_t \leftarrow g_t + \mu b_t \text{ if nesterov else } b_t \\
         & \theta_t \leftarrow \theta_{t-1} - \gamma g_t
       \end{aligned}

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`.
        state: ``{"momentum_buffer": b_{t-1}}``, or empty/``None`` before the first step.
        lr, momentum, dampening, weight_decay, nesterov, maximize: as in ``torch.optim.SGD``
            (:math:`\gamma, \mu, \tau, \lambda`).
    """
    state = {} if state is None else state
    new_param = param.clone(memory_format=torch.preserve_format)
    used_grad, new_buffer, direction = _sgd_update_(
        new_param,
        grad,
        optional_state_copy(state, "momentum_buffer"),
        lr=lr,
        momentum=momentum,
        dampening=dampening,
        weight_decay=weight_decay,
        nesterov=nesterov,
        maximize=maximize,
    )
    return SGDStep(
        param=new_param,
        grad=used_grad,
        momentum_buffer=new_buffer,
        direction=direction,
        update=new_param - param,
    )


class SGD(Optimizer):
    r"""Stochastic gradient descent with torch's arguments, defaults, state and arithmetic.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \theta_0, f(\theta), \lambda
             \text{ (weight decay)}, \mu \text{ (momentum)}, \tau \text{ (dampening)},
             \textit{nesterov}, \textit{maximize} \\
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad(\text{negated if maximize}) \\
         &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
         &\quad \textbf{if } \mu \ne 0: \\
         &\qquad b_t \leftarrow g_t \ \text{if } t = 1
             \ \text{else}\ \mu b_{t-1} + (1-\tau) g_t \\
         &\qquad g_t \leftarrow g_t + \mu b_t \ \text{if nesterov else}\ b_t \\
         &\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: learning rate :math:`\gamma` (default: 1e-3).
        momentum: :math:`\mu` (default: 0).
        dampening: :math:`\tau`, not applied on the first step (default: 0).
        weight_decay: :math:`\lambda`, an L2 term added to the gradient (default: 0).
        nesterov: torch's lookahead-free Nesterov form (default: False); needs
            momentum > 0 and zero dampening.
        maximize: ascend instead of descend (default: False).
        foreach: run the formula once over each group of tensors with ``torch._foreach_*``
            operations instead of once per tensor (default: None, torch's choice: grouped
            when every parameter is on a GPU).

    State per parameter, as torch keeps it: ``momentum_buffer`` when momentum is non-zero
    (no step count); state_dicts are interchangeable with ``torch.optim.SGD``.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            params = list(params_with_grad(group, "SGD"))
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _, buffer, _ = _sgd_update_(
                    batch.params,
                    batch.grads,
                    batch.state("momentum_buffer"),
                    lr=group["lr"],
                    momentum=group["momentum"],
                    dampening=group["dampening"],
                    weight_decay=group["weight_decay"],
                    nesterov=group["nesterov"],
                    maximize=group["maximize"],
                )
                if group["momentum"] != 0:
                    batch.set_state("momentum_buffer", buffer)
        return loss
