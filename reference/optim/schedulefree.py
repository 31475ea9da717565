r"""Schedule-free SGD and AdamW (Defazio et al., 2024), mirroring the ``schedulefree`` package.

Three sequences: :math:`z` (the base optimizer's iterate), :math:`x` (a weighted average of
the :math:`z`'s, the point to evaluate at) and :math:`y` (where the gradient is taken). The
parameter holds :math:`y` in train mode and :math:`x` in eval mode; the package (and this
reference) never stores :math:`x`:

.. math::
   \begin{aligned}
     y_t &= (1-\beta) z_t + \beta x_t \\
     z_{t+1} &= z_t - \gamma_t \nabla f(y_t) \\
     x_{t+1} &= (1 - c_{t+1}) x_t + c_{t+1} z_{t+1},\qquad
       c_{t+1} = \frac{w_t}{\sum_{i \le t} w_i},\quad
       w_t = (t+1)^r\,(\max_{i \le t}\gamma_i)^{p}
   \end{aligned}

with :math:`t = 0, 1, \ldots` (``k`` in the package), :math:`\gamma_t` = lr times the linear
warmup factor :math:`\min(1, (t+1)/W)` and :math:`p` = ``weight_lr_power``. The parameter update
is written, as the package does, on :math:`y` directly:
:math:`y_{t+1} = \operatorname{lerp}(y_t, z_t, c_{t+1}) + \gamma_t(\beta(1-c_{t+1}) - 1)\,g_t`.

Seed erratum (conventions 5.7): the seed's :math:`x_{t+1} = (1-\frac{1}{t+1})x_t +
\frac{1}{t+1}z_{t+1}` matches the code only with :math:`t` counted from 0 (so :math:`c = 1` on
the first step and the initial point gets no weight). :math:`\beta` (``momentum``/``betas[0]``,
0.9) is an interpolation weight, not a gradient EMA; AdamW's version keeps no first moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.optim._grouped import Operand, batches, div_into_, use_foreach
from reference.optim._state import params_with_grad, run_closure, state_copy

__all__ = [
    "AdamWScheduleFree",
    "AdamWScheduleFreeStep",
    "SGDScheduleFree",
    "SGDScheduleFreeStep",
    "ScheduleFreeWeight",
    "adamw_schedulefree_step",
    "schedulefree_weight",
    "sgd_schedulefree_step",
]


@dataclass(frozen=True)
class ScheduleFreeWeight:
    r"""The scalars of step :math:`t` (= ``k``), shared by every tensor of a param group.

    Attributes:
        scheduled_lr: :math:`\gamma_t = \gamma \min(1, (t+1)/W)`.
        lr_max: :math:`\max_{i \le t}\gamma_i`.
        weight: :math:`w_t = (t+1)^r\,\text{lr\_max}^{p}`.
        weight_sum: :math:`\sum_{i \le t} w_i`.
        ckp1: :math:`c_{t+1} = w_t / \sum_{i\le t} w_i` (0 when the sum is 0, as the package).
    """

    scheduled_lr: float
    lr_max: float
    weight: float
    weight_sum: float
    ckp1: float


def schedulefree_weight(
    k: int,
    lr: float,
    *,
    warmup_steps: int,
    r: float,
    weight_lr_power: float,
    lr_max: float,
    weight_sum: float,
) -> ScheduleFreeWeight:
    """The warmup-scaled lr and averaging weight of step ``k`` (0-based), from the running
    ``lr_max`` (-1 before the first step) and ``weight_sum`` (0 before the first step)."""
    warmup = (k + 1) / warmup_steps if k < warmup_steps else 1.0
    scheduled_lr = lr * warmup
    lr_max = max(scheduled_lr, lr_max)
    weight = ((k + 1) ** r) * (lr_max**weight_lr_power)
    weight_sum = weight_sum + weight
    ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
    return ScheduleFreeWeight(scheduled_lr, lr_max, weight, weight_sum, ckp1)


def _interpolate_y_and_step_z_(
    y: Operand, z: Operand, direction: Operand, *, lr: float, ckp1: float, beta: float
) -> None:
    """``y`` and ``z`` in place: the package's update of y without forming x."""
    y.lerp_(z, ckp1)
    y.add_(direction, alpha=lr * (beta * (1 - ckp1) - 1))
    z.sub_(direction, alpha=lr)


def _x_from_y_and_z(y: Tensor, z: Tensor, beta: float) -> Tensor:
    r""":math:`x = (y - (1-\beta) z)/\beta`, in the package's ``eval()`` form."""
    return y.lerp(z, 1 - 1 / beta)


def _sgd_schedulefree_update_(
    y: Operand,
    z: Operand,
    grad: Operand,
    *,
    lr: float,
    ckp1: float,
    momentum: float,
    weight_decay: float,
) -> Operand:
    """Update ``y`` and ``z`` in place (tensors, or TensorLists of a group); returns the
    gradient used (with the L2 term at y)."""
    if weight_decay != 0:
        grad = grad.add(y, alpha=weight_decay)
    _interpolate_y_and_step_z_(y, z, grad, lr=lr, ckp1=ckp1, beta=momentum)
    return grad


def _adamw_schedulefree_update_(
    y: Operand,
    z: Operand,
    exp_avg_sq: Operand,
    grad: Operand,
    *,
    lr: float,
    ckp1: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    bias_correction2: float,
    keep_denom: bool = False,
) -> tuple[Operand | None, Operand]:
    """Update ``y``, ``z`` and ``exp_avg_sq`` in place (tensors, or TensorLists of a group);
    returns ``(denom, direction)``.

    The package divides ``p.grad`` in place to save memory; the reference leaves the gradient
    alone and writes the direction over the denominator instead, which is then returned as
    None unless ``keep_denom``.
    """
    beta1, beta2 = betas
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    # sqrt(v / bc2) + eps: rounds differently from torch Adam's sqrt(v)/sqrt(bc2) + eps.
    denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)
    if keep_denom:
        direction = grad.div(denom)
    else:
        direction, denom = div_into_(grad, denom), None
    if weight_decay != 0:
        direction.add_(y, alpha=weight_decay)
    _interpolate_y_and_step_z_(y, z, direction, lr=lr, ckp1=ckp1, beta=beta1)
    return denom, direction


@dataclass(frozen=True)
class SGDScheduleFreeStep:
    r"""Everything one schedule-free SGD step computes, for one tensor.

    Attributes:
        param: :math:`y_{t+1}`, what the parameter holds in train mode.
        x: :math:`x_{t+1}`, the average (what ``eval()`` puts in the parameter).
        z: :math:`z_{t+1} = z_t - \gamma_t g_t`.
        grad: :math:`g_t = \nabla f(y_t) + \lambda y_t`.
        k: steps taken after this one (:math:`t+1`).
        weight: the step's :class:`ScheduleFreeWeight`.
        update: :math:`y_{t+1} - y_t`.
    """

    param: Tensor
    x: Tensor
    z: Tensor
    grad: Tensor
    k: int
    weight: ScheduleFreeWeight
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`sgd_schedulefree_step` call."""
        return {
            "k": self.k,
            "z": self.z,
            "lr_max": self.weight.lr_max,
            "weight_sum": self.weight.weight_sum,
        }


@dataclass(frozen=True)
class AdamWScheduleFreeStep:
    r"""Everything one schedule-free AdamW step computes, for one tensor.

    Attributes:
        param: :math:`y_{t+1}`.
        x: :math:`x_{t+1}`.
        z: :math:`z_{t+1} = z_t - \gamma_t(g_t/(\sqrt{v_t/(1-\beta_2^{t+1})}+\epsilon)
            + \lambda y_t)`.
        grad: :math:`g_t = \nabla f(y_t)`.
        exp_avg_sq: :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`.
        bias_correction2: :math:`1-\beta_2^{t+1}`.
        denom: :math:`\sqrt{v_t/(1-\beta_2^{t+1})} + \epsilon`.
        direction: :math:`g_t/\text{denom} + \lambda y_t`, what :math:`z` moves against.
        k: steps taken after this one.
        weight: the step's :class:`ScheduleFreeWeight`.
        update: :math:`y_{t+1} - y_t`.
    """

    param: Tensor
    x: Tensor
    z: Tensor
    grad: Tensor
    exp_avg_sq: Tensor
    bias_correction2: float
    denom: Tensor
    direction: Tensor
    k: int
    weight: ScheduleFreeWeight
    update: Tensor

    @property
    def state(self) -> dict[str, object]:
        """The state to pass to the next :func:`adamw_schedulefree_step` call."""
        return {
            "k": self.k,
            "z": self.z,
            "exp_avg_sq": self.exp_avg_sq,
            "lr_max": self.weight.lr_max,
            "weight_sum": self.weight.weight_sum,
        }


def _weight_from_state(
    state: Mapping[str, object], lr: float, warmup_steps: int, r: float, weight_lr_power: float
) -> tuple[int, ScheduleFreeWeight]:
    k = int(state.get("k", 0))
    weight = schedulefree_weight(
        k,
        lr,
        warmup_steps=warmup_steps,
        r=r,
        weight_lr_power=weight_lr_power,
        lr_max=float(state.get("lr_max", -1.0)),
        weight_sum=float(state.get("weight_sum", 0.0)),
    )
    return k, weight


def _z_from_state(state: Mapping[str, object], param: Tensor) -> Tensor:
    """A private copy of ``state["z"]``; the package creates z as a copy of the parameter."""
    return param.clone() if state.get("z") is None else state_copy(state, "z", param)


def sgd_schedulefree_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 1.0,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
) -> SGDScheduleFreeStep:
    r"""One schedule-free SGD step from :math:`y_t` (train mode); pure, inputs untouched.

    .. math::
       \begin{aligned}
         & g_t \leftarrow \nabla f(y_t) + \lambda y_t,\quad
           c_{t+1} \leftarrow w_t / \textstyle\sum_{i\le t} w_i \\
         & y_{t+1} \leftarrow (1-c_{t+1}) y_t + c_{t+1} z_t
             + \gamma_t(\beta(1-c_{t+1}) - 1) g_t \\
         & z_{t+1} \leftarrow z_t - \gamma_t g_t,\quad
           x_{t+1} \leftarrow (y_{t+1} - (1-\beta) z_{t+1})/\beta
       \end{aligned}

    Args:
        param: :math:`y_t`.
        grad: :math:`\nabla f(y_t)`.
        state: ``"k"`` (steps taken, default 0), ``"z"`` (default: a copy of ``param``, as the
            package initializes it), ``"lr_max"`` (default -1) and ``"weight_sum"`` (default 0).
        lr, momentum, weight_decay, warmup_steps, r, weight_lr_power: as in
            ``schedulefree.SGDScheduleFree`` (:math:`\beta` = momentum).
    """
    state = {} if state is None else state
    k, weight = _weight_from_state(state, lr, warmup_steps, r, weight_lr_power)
    z = _z_from_state(state, param)
    y = param.clone(memory_format=torch.preserve_format)
    used_grad = _sgd_schedulefree_update_(
        y,
        z,
        grad,
        lr=weight.scheduled_lr,
        ckp1=weight.ckp1,
        momentum=momentum,
        weight_decay=weight_decay,
    )
    return SGDScheduleFreeStep(
        param=y,
        x=_x_from_y_and_z(y, z, momentum),
        z=z,
        grad=used_grad,
        k=k + 1,
        weight=weight,
        update=y - param,
    )


def adamw_schedulefree_step(
    param: Tensor,
    grad: Tensor,
    state: Mapping[str, object] | None = None,
    *,
    lr: float = 0.0025,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
) -> AdamWScheduleFreeStep:
    r"""One schedule-free AdamW step from :math:`y_t` (train mode); pure, inputs untouched.

    .. math::
       \begin{aligned}
         & v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
           d_t \leftarrow g_t / (\sqrt{v_t / (1-\beta_2^{t+1})} + \epsilon) + \lambda y_t \\
         & y_{t+1} \leftarrow (1-c_{t+1}) y_t + c_{t+1} z_t
             + \gamma_t(\beta_1(1-c_{t+1}) - 1) d_t,\quad
           z_{t+1} \leftarrow z_t - \gamma_t d_t
       \end{aligned}

    Args:
        param: :math:`y_t`.
        grad: :math:`\nabla f(y_t)`.
        state: as :func:`sgd_schedulefree_step`, plus ``"exp_avg_sq"`` (default zeros).
        lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power: as in
            ``schedulefree.AdamWScheduleFree``.
    """
    state = {} if state is None else state
    k, weight = _weight_from_state(state, lr, warmup_steps, r, weight_lr_power)
    z = _z_from_state(state, param)
    exp_avg_sq = state_copy(state, "exp_avg_sq", param)
    bias_correction2 = 1 - betas[1] ** (k + 1)
    y = param.clone(memory_format=torch.preserve_format)
    denom, direction = _adamw_schedulefree_update_(
        y,
        z,
        exp_avg_sq,
        grad,
        lr=weight.scheduled_lr,
        ckp1=weight.ckp1,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        bias_correction2=bias_correction2,
        keep_denom=True,
    )
    return AdamWScheduleFreeStep(
        param=y,
        x=_x_from_y_and_z(y, z, betas[0]),
        z=z,
        grad=grad,
        exp_avg_sq=exp_avg_sq,
        bias_correction2=bias_correction2,
        denom=denom,
        direction=direction,
        k=k + 1,
        weight=weight,
        update=y - param,
    )


class _ScheduleFree(Optimizer):
    """train()/eval() switching and the per-group averaging weight, shared by both optimizers."""

    def _beta(self, group: dict) -> float:
        raise NotImplementedError

    @torch.no_grad()
    def eval(self) -> None:
        """Put :math:`x` in the parameters (for evaluation and checkpoints)."""
        for group in self.param_groups:
            if group["train_mode"]:
                beta = self._beta(group)
                for param in group["params"]:
                    state = self.state[param]
                    if "z" in state:
                        param.lerp_(state["z"].to(param.device), 1 - 1 / beta)
                group["train_mode"] = False

    @torch.no_grad()
    def train(self) -> None:
        """Put :math:`y` in the parameters (for computing gradients)."""
        for group in self.param_groups:
            if not group["train_mode"]:
                beta = self._beta(group)
                for param in group["params"]:
                    state = self.state[param]
                    if "z" in state:
                        param.lerp_(state["z"].to(param.device), 1 - beta)
                group["train_mode"] = True

    def _start_step(self, closure):
        # The package checks the first group only, and raises a bare Exception.
        if not self.param_groups[0]["train_mode"]:
            raise Exception(
                "Optimizer was not in train mode when step is called. "
                "Please insert .train() and .eval() calls on the "
                "optimizer. See documentation for details."
            )
        return run_closure(closure)

    def _advance_weight(self, group: dict) -> ScheduleFreeWeight:
        weight = schedulefree_weight(
            group["k"],
            group["lr"],
            warmup_steps=group["warmup_steps"],
            r=group["r"],
            weight_lr_power=group["weight_lr_power"],
            lr_max=group["lr_max"],
            weight_sum=group["weight_sum"],
        )
        group["scheduled_lr"] = weight.scheduled_lr
        group["lr_max"] = weight.lr_max
        group["weight_sum"] = weight.weight_sum
        return weight

    @staticmethod
    def _group_defaults(lr, warmup_steps, r, weight_lr_power, weight_decay) -> dict:
        return {
            "lr": lr,
            "r": r,
            "k": 0,
            "warmup_steps": warmup_steps,
            "train_mode": False,
            "weight_sum": 0.0,
            "lr_max": -1.0,
            "scheduled_lr": 0.0,
            "weight_lr_power": weight_lr_power,
            "weight_decay": weight_decay,
        }


class SGDScheduleFree(_ScheduleFree):
    r"""Schedule-free SGD with the ``schedulefree`` package's arguments, defaults and state.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \beta \text{ (momentum)}, \lambda
             \text{ (weight decay)}, W \text{ (warmup steps)}, r, p
             \text{ (weight lr power)}, y_0 = z_0 = x_0 \\
         &\textbf{for } t = 0, 1, \ldots: \\
         &\quad \gamma_t \leftarrow \gamma\min(1, (t+1)/W),\quad
             \gamma^{max}_t \leftarrow \max(\gamma^{max}_{t-1}, \gamma_t) \\
         &\quad w_t \leftarrow (t+1)^r (\gamma^{max}_t)^p,\quad
             c_{t+1} \leftarrow w_t / \textstyle\sum_{i \le t} w_i \\
         &\quad g_t \leftarrow \nabla f(y_t) + \lambda y_t \\
         &\quad z_{t+1} \leftarrow z_t - \gamma_t g_t \\
         &\quad x_{t+1} \leftarrow (1 - c_{t+1}) x_t + c_{t+1} z_{t+1} \\
         &\quad y_{t+1} \leftarrow (1-\beta) z_{t+1} + \beta x_{t+1}
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: :math:`\gamma` (default: 1.0).
        momentum: :math:`\beta`, the interpolation weight on :math:`x`, in (0, 1)
            (default: 0.9).
        weight_decay: :math:`\lambda`, an L2 term added to the gradient at :math:`y`
            (default: 0).
        warmup_steps: :math:`W`, linear warmup of the lr (default: 0).
        r: polynomial weighting power of the average (default: 0.0).
        weight_lr_power: :math:`p` (default: 2).
        foreach: run the formula once over each group of tensors with ``torch._foreach_*``
            operations instead of once per tensor (default: None, torch's choice: grouped
            when every parameter is on a GPU; the package defaults to True, but on a CPU the
            grouped path is no faster and holds its temporaries for all tensors at once).

    Starts in eval mode: call ``train()`` before ``step()`` (which raises otherwise) and
    ``eval()`` before evaluating or saving. Unlike the package, ``step()`` leaves ``p.grad``
    unchanged (the package adds the weight decay into it in place).
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2,
        foreach: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if momentum <= 0 or momentum >= 1:
            raise ValueError(f"Momentum must be between 0 and 1 exclusive: {momentum}")
        defaults = self._group_defaults(lr, warmup_steps, r, weight_lr_power, weight_decay)
        defaults.update(momentum=momentum, foreach=foreach)
        super().__init__(params, defaults)

    def _beta(self, group: dict) -> float:
        return group["momentum"]

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step from :math:`y`; ``closure`` re-evaluates the loss."""
        loss = self._start_step(closure)
        for group in self.param_groups:
            weight = self._advance_weight(group)
            params = list(params_with_grad(group, "SGDScheduleFree"))
            for param in params:
                state = self.state[param]
                if "z" not in state:
                    state["z"] = torch.clone(param, memory_format=torch.preserve_format)
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _sgd_schedulefree_update_(
                    batch.params,
                    batch.state("z"),
                    batch.grads,
                    lr=weight.scheduled_lr,
                    ckp1=weight.ckp1,
                    momentum=group["momentum"],
                    weight_decay=group["weight_decay"],
                )
            group["k"] += 1
        return loss


class AdamWScheduleFree(_ScheduleFree):
    r"""Schedule-free AdamW with the ``schedulefree`` package's arguments, defaults and state.

    .. math::
       \begin{aligned}
         &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \epsilon,
             \lambda \text{ (weight decay)}, W, r, p, \ y_0 = z_0 = x_0,\ v_{-1} = 0 \\
         &\textbf{for } t = 0, 1, \ldots: \\
         &\quad \gamma_t,\ c_{t+1} \text{ as in } \texttt{SGDScheduleFree} \\
         &\quad g_t \leftarrow \nabla f(y_t),\quad
             v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
         &\quad d_t \leftarrow g_t / (\sqrt{v_t/(1-\beta_2^{t+1})} + \epsilon) + \lambda y_t \\
         &\quad z_{t+1} \leftarrow z_t - \gamma_t d_t \\
         &\quad x_{t+1} \leftarrow (1 - c_{t+1}) x_t + c_{t+1} z_{t+1} \\
         &\quad y_{t+1} \leftarrow (1-\beta_1) z_{t+1} + \beta_1 x_{t+1}
       \end{aligned}

    Args:
        params: iterable of parameters or of param-group dicts.
        lr: :math:`\gamma` (default: 0.0025).
        betas: :math:`(\beta_1, \beta_2)`; :math:`\beta_1` interpolates, there is no first
            moment (default: (0.9, 0.999)).
        eps: :math:`\epsilon`, outside the square root (default: 1e-8).
        weight_decay: :math:`\lambda`, decoupled, taken at :math:`y` (default: 0).
        warmup_steps, r, weight_lr_power, foreach: as :class:`SGDScheduleFree` (defaults 0,
            0.0, 2.0, None).

    Starts in eval mode, like the package (which validates none of these arguments); unlike
    the package, ``step()`` leaves ``p.grad`` unchanged.
    """

    def __init__(
        self,
        params,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        foreach: bool | None = None,
    ) -> None:
        defaults = self._group_defaults(lr, warmup_steps, r, weight_lr_power, weight_decay)
        defaults.update(betas=betas, eps=eps, foreach=foreach)
        super().__init__(params, defaults)

    def _beta(self, group: dict) -> float:
        return group["betas"][0]

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one step from :math:`y`; ``closure`` re-evaluates the loss."""
        loss = self._start_step(closure)
        for group in self.param_groups:
            weight = self._advance_weight(group)
            bias_correction2 = 1 - group["betas"][1] ** (group["k"] + 1)
            params = list(params_with_grad(group, "AdamWScheduleFree"))
            for param in params:
                state = self.state[param]
                if "z" not in state:
                    state["z"] = torch.clone(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(param)
            for batch in batches(params, self.state, use_foreach(group.get("foreach"), params)):
                _adamw_schedulefree_update_(
                    batch.params,
                    batch.state("z"),
                    batch.state("exp_avg_sq"),
                    batch.grads,
                    lr=weight.scheduled_lr,
                    ckp1=weight.ckp1,
                    betas=group["betas"],
                    eps=group["eps"],
                    weight_decay=group["weight_decay"],
                    bias_correction2=bias_correction2,
                )
            group["k"] += 1
        return loss
