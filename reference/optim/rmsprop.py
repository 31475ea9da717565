r"""RMSprop (plain, centered, with momentum), in torch's order of operations.

The formula lives once, in :func:`_rmsprop_update_`, which updates a parameter and its state in
place as ``torch.optim.rmsprop._single_tensor_rmsprop`` does. :func:`rmsprop_step` runs it on
private copies and returns every intermediate value; :class:`RMSprop` runs it on the live tensors.

.. code-block:: text

    grad = -grad if maximize;  grad = grad + wd * param
    square_avg = alpha * square_avg + (1 - alpha) * grad^2
    centered: grad_avg = lerp(grad_avg, grad, 1 - alpha);  avg = sqrt(square_avg - grad_avg^2)
    else:     avg = sqrt(square_avg)
    avg = avg + eps                                   (eps outside the sqrt)
    momentum > 0: buf = momentum * buf + grad / avg;  param = param - lr * buf
    else:         param = param - lr * grad / avg

Seed erratum (conventions 5.3): the seed's gamma = 0.9 is Hinton's lecture value and Keras's
``rho``; torch's ``alpha`` defaults to 0.99. Keras/TF put eps inside the sqrt. No bias correction.
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

__all__ = ["RMSprop", "RMSpropStep", "rmsprop_step"]


@dataclass(frozen=True)
class RMSpropStep:
    r"""Everything one RMSprop step computes.

    Attributes:
        param: :math:`\theta_t`.
        grad: :math:`g_t` as used (negated if maximize, plus :math:`\lambda\theta_{t-1}`).
        step: :math:`t`, the new step count.
        square_avg: :math:`v_t = \alpha v_{t-1} + (1-\alpha) g_t^2`.
        grad_avg: :math:`g^{ave}_t = \alpha g^{ave}_{t-1} + (1-\alpha) g_t` when centered.
        avg: the denominator :math:`\sqrt{v_t - (g^{ave}_t)^2} + \epsilon` (centered) or
            :math:`\sqrt{v_t} + \epsilon`.
        momentum_buffer: :math:`b_t = \mu b_{t-1} + g_t / \text{avg}` when momentum > 0.
        update: :math:`\theta_t - \theta_{t-1}`.
    """

    param: Tensor
    grad: Tensor
    step: int
    square_avg: Tensor
    grad_avg: Tensor | None
    avg: Tensor
    momentum_buffer: Tensor | None
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`rmsprop_step` call."""
        state: dict[str, object] = {"step": self.step, "square_avg": self.square_avg}
        if self.momentum_buffer is not None:
            state["momentum_buffer"] = self.momentum_buffer
        if self.grad_avg is not None:
            state["grad_avg"] = self.grad_avg
        return state


def _rmsprop_update_(
    param: Operand,
    grad: Operand,
    square_avg: Operand,
    grad_avg: Operand | None,
    momentum_buffer: Operand | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> tuple[Operand, Operand]:
    """Update ``param`` and the state tensors in place; returns ``(grad as used, avg)``.
    The operands are tensors, or TensorLists of a group of tensors.

    ``grad_avg`` must be given when centered and ``momentum_buffer`` when momentum > 0.
    """
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    if centered:
        grad_avg.lerp_(grad, 1 - alpha)
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
    else:
        avg = square_avg.sqrt()
    avg.add_(eps)
    if momentum > 0:
        momentum_buffer.mul_(momentum).addcdiv_(grad, avg)
        param.add_(momentum_buffer, alpha=-lr)
    else:
        param.addcdiv_(grad, avg, value=-lr)
    return grad, avg


def rmsprop_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> RMSpropStep:
    r"""One RMSprop step; pure, inputs untouched.

    .. math::
       \begin{aligned}
         & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1} \\
         & v_t \leftarrow \alpha v_{t-1} + (1-\alpha) g_t^2 \\
         & \tilde v_t \leftarrow v_t - (g^{ave}_t)^2,\
             g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1-\alpha) g_t
             \ \text{(centered; else } \tilde v_t \leftarrow v_t) \\
         & \textbf{if } \mu > 0:\ b_t \leftarrow \mu b_{t-1} + g_t/(\sqrt{\tilde v_t}+\epsilon),\
             \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
         & \textbf{else}:\ \theta_t \leftarrow \theta_{t-1}
             - \gamma g_t/(\sqrt{\tilde v_t}+\epsilon)
       \end{aligned}

    Args:
        param: :math:`\theta_{t-1}`.
        grad: :math:`\nabla f(\theta_{t-1})`.
        state: ``"step"``, ``"square_avg"``, ``"grad_avg"``, ``"momentum_buffer"`` (zeros when
            missing, as torch initializes them).
        lr, alpha, eps, weight_decay, momentum, centered, maximize: as in ``torch.optim.RMSprop``.
    """
    state = {} if state is None else state
    step = int(state.get("step", 0)) + 1
    square_avg = state_copy(state, "square_avg", param)
    grad_avg = state_copy(state, "grad_avg", param) if centered else None
    buffer = state_copy(state, "momentum_buffer", param) if momentum > 0 else None
    new_param = param.clone(memory_format=torch.preserve_format)
    used_grad, avg = _rmsprop_update_(
        new_param,
        grad,
        square_avg,
        grad_avg,
        buffer,
        lr=lr,
        alpha=alpha,
        eps=eps,
        weight_decay=weight_decay,
        momentum=momentum,
        centered=centered,
        maximize=maximize,
    )
    return RMSpropStep(
        param=new_param,
        grad=used_grad,
        step=step,
        square_avg=square_avg,
        grad_avg=grad_avg,
        avg=avg,
        momentum_buffer=buffer,
        update=new_param - param,
    )


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; Graves 2013 for centered) as torch implements it.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \alpha \text{ (smoothing)}, \theta_0, f(\theta),
             \lambda \text{ (weight decay)}, \mu \text{ (momentum)}, \textit{centered},
             \epsilon \\
         &\textbf{initialize}: v_0 \leftarrow 0,\ b_0 \leftarrow 0,\ g^{ave}_0 \leftarrow 0 \\
         &\textbf{for } t = 1, 2, \ldots: \\
         &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad(\text{negated if maximize}) \\
         &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
         &\quad v_t \leftarrow \alpha v_{t-1} + (1-\alpha) g_t^2 \\
         &\quad \tilde v_t \leftarrow v_t \\
         &\quad \textbf{if centered}: g^{ave}_t \leftarrow \alpha g^{ave}_{t-1}
             + (1-\alpha) g_t,\ \tilde v_t \leftarrow \tilde v_t - (g^{ave}_t)^2 \\
         &\quad \textbf{if } \mu > 0: b_t \leftarrow \mu b_{t-1}
             + g_t / (\sqrt{\tilde v_t}+\epsilon),\
             \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
         &\quad \textbf{else}: \theta_t \leftarrow \theta_{t-1}
             - \gamma g_t / (\sqrt{\tilde v_t}+\epsilon)
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: learning rate :math:`\gamma` (default: 1e-2).
        alpha: smoothing constant :math:`\alpha` (default: 0.99, not Keras's 0.9).
        eps: :math:`\epsilon`, added outside the square root (default: 1e-8).
        weight_decay: :math:`\lambda`, an L2 term added to the gradient (default: 0).
        momentum: :math:`\mu` (default: 0).
        centered: normalize by the estimated variance instead of the raw second moment
            (default: False).
        maximize: ascend instead of descend (default: False).
        foreach: run the formula once over each group of tensors with ``torch._foreach_*``
            operations instead of once per tensor (default: None, torch's choice: grouped
            when every parameter is on a GPU). Keyword-only here: torch's positional slot
            before it is ``capturable``, which the reference does not have.

    State per parameter, as torch keeps it: ``step`` (a 0-d float tensor), ``square_avg``,
    ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_non_negative(
            lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            params = list(params_with_grad(group, "RMSprop"))
            for param in params:
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = zero_step()
                    state["square_avg"] = torch.zeros_like(param)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = torch.zeros_like(param)
                    if group["centered"]:
                        state["grad_avg"] = torch.zeros_like(param)
                state["step"] += 1
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _rmsprop_update_(
                    batch.params,
                    batch.grads,
                    batch.state("square_avg"),
                    batch.state("grad_avg"),
                    batch.state("momentum_buffer"),
                    lr=group["lr"],
                    alpha=group["alpha"],
                    eps=group["eps"],
                    weight_decay=group["weight_decay"],
                    momentum=group["momentum"],
                    centered=group["centered"],
                    maximize=group["maximize"],
                )
        return loss
