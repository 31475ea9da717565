r"""Learning-rate schedules with torch's names, arguments and stepping, formulas written out.

Each schedule is a ``torch.optim.lr_scheduler.LRScheduler`` subclass (the base class supplies
only the bookkeeping: ``last_epoch``, ``base_lrs``, ``step()``, ``state_dict()``) whose
:meth:`get_lr` is written here, in torch's recursive ("chainable") form where torch has one,
and a closed form ``*_lr_at(epoch, base_lr, ...)`` beside it, also available as the method
``lr_at(epoch)`` (one value per param group). Epochs count from 0: the lr at epoch ``e`` is the
one in effect after ``e`` calls to ``scheduler.step()``.

Seed forms and conventions (conventions section 6):

* exponential ``lr0 e^{-kt}`` is ``ExponentialLR(gamma=e^{-k})``: :class:`ExponentialDecayLR`;
* time-based ``lr0/(1+kt)`` has no torch class (``LambdaLR``): :class:`TimeBasedDecayLR`;
  Keras applies it per iteration, here the unit is whatever ``step()`` counts;
* ``StepLR`` drops at ``e = step_size``; the Keras recipe ``floor((1+e)/drop)`` drops one
  epoch earlier;
* ``CosineAnnealingLR`` does not clamp: past ``T_max`` it rises again (period ``2 T_max``);
* warmup + cosine (:class:`WarmupCosineLR`) starts at ``start_factor * lr0`` (0 like HF's
  ``get_cosine_schedule_with_warmup``; torch's ``LinearLR`` needs a positive start factor) and
  stays at ``eta_min`` after ``total_steps``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from math import inf

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

__all__ = [
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialDecayLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
    "TimeBasedDecayLR",
    "WarmupCosineLR",
    "cosine_annealing_lr_at",
    "cosine_annealing_warm_restarts_lr_at",
    "exponential_decay_lr_at",
    "exponential_lr_at",
    "linear_lr_at",
    "multistep_lr_at",
    "step_lr_at",
    "time_based_decay_lr_at",
    "warmup_cosine_lr_at",
]


# -- closed forms ------------------------------------------------------------------------------


def step_lr_at(epoch: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    r""":math:`\eta_e = \eta_0\,\gamma^{\lfloor e / s \rfloor}`."""
    return base_lr * gamma ** (epoch // step_size)


def multistep_lr_at(
    epoch: int, base_lr: float, milestones: Iterable[int], gamma: float = 0.1
) -> float:
    r""":math:`\eta_e = \eta_0\,\gamma^{\#\{m \in \text{milestones}: m \le e\}}`."""
    return base_lr * gamma ** bisect_right(sorted(milestones), epoch)


def exponential_lr_at(epoch: int, base_lr: float, gamma: float) -> float:
    r""":math:`\eta_e = \eta_0\,\gamma^e`."""
    return base_lr * gamma**epoch


def exponential_decay_lr_at(epoch: float, base_lr: float, k: float) -> float:
    r"""The seed's :math:`\eta_e = \eta_0 e^{-k e}` (``ExponentialLR`` with
    :math:`\gamma = e^{-k}`)."""
    return base_lr * math.exp(-k * epoch)


def time_based_decay_lr_at(epoch: float, base_lr: float, k: float) -> float:
    r"""The seed's :math:`\eta_e = \eta_0 / (1 + k e)`."""
    return base_lr / (1 + k * epoch)


def cosine_annealing_lr_at(epoch: float, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    r""":math:`\eta_e = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi e / T_{max}))`,
    unclamped (it rises again after :math:`T_{max}`)."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def linear_lr_at(
    epoch: int,
    base_lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> float:
    r""":math:`\eta_e = \eta_0\,(s + (f - s)\min(e, T)/T)`."""
    progress = min(total_iters, epoch) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * progress)


def _restart_position(epoch: float, T_0: int, T_mult: int) -> tuple[float, int]:
    """``(T_cur, T_i)`` at ``epoch``: subtract whole cycles ``T_0, T_0 T_mult, ...``."""
    t_cur, t_i = epoch, T_0
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= T_mult
    return t_cur, t_i


def cosine_annealing_warm_restarts_lr_at(
    epoch: float, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> float:
    r"""SGDR: :math:`\eta_e = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi
    T_{cur}/T_i))`, restarts at :math:`T_0, T_0(1+T_{mult}), \ldots`

    :math:`T_{cur}` is found by subtracting whole cycles (exact for integer epochs; torch's
    ``step(epoch)`` uses a logarithm for the cycle count instead)."""
    t_cur, t_i = _restart_position(epoch, T_0, T_mult)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def warmup_cosine_lr_at(
    epoch: float,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    eta_min: float = 0.0,
    start_factor: float = 0.0,
) -> float:
    r"""Linear warmup from :math:`s\,\eta_0` to :math:`\eta_0` over :math:`W` steps, then a
    half cosine to :math:`\eta_{min}` at :math:`T`, then :math:`\eta_{min}`:

    .. math::
       \eta_e = \begin{cases}
         \eta_0\,(s + (1-s)\,e/W) & e < W \\
         \eta_{min} + \tfrac12(\eta_0-\eta_{min})(1+\cos(\pi\,\frac{e-W}{T-W})) & W \le e \le T\\
         \eta_{min} & e > T
       \end{cases}
    """
    if epoch < warmup_steps:
        return base_lr * (start_factor + (1 - start_factor) * epoch / warmup_steps)
    if epoch >= total_steps:
        return eta_min
    return cosine_annealing_lr_at(
        epoch - warmup_steps, base_lr, total_steps - warmup_steps, eta_min
    )


# -- schedulers --------------------------------------------------------------------------------


def _current_lrs(scheduler: LRScheduler) -> list[float]:
    return [group["lr"] for group in scheduler.optimizer.param_groups]


def _in_initial_step(scheduler: LRScheduler) -> bool:
    """True inside the constructor's first step (torch >= 2.6 flags it; before, epoch 0)."""
    return getattr(scheduler, "_is_initial", scheduler.last_epoch == 0)


class _ClosedForm(LRScheduler):
    """Adds ``lr_at(epoch)`` and torch's ``step(epoch)`` hook from one closed-form function."""

    def _closed_form(self, epoch: float, base_lr: float) -> float:
        raise NotImplementedError

    def lr_at(self, epoch: float) -> list[float]:
        """The closed-form lr of each param group at ``epoch``."""
        return [self._closed_form(epoch, base_lr) for base_lr in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.lr_at(self.last_epoch)


class _ClosedFormOnly(_ClosedForm):
    """A schedule without a recursive form: like ``LambdaLR`` it sets each lr from
    ``base_lrs``, so it does not chain with other schedulers."""

    def get_lr(self) -> list[float]:
        return self.lr_at(self.last_epoch)


class _DecayRateLR(_ClosedFormOnly):
    """A closed-form decay with a single rate ``k``."""

    def __init__(self, optimizer: Optimizer, k: float, last_epoch: int = -1) -> None:
        self.k = k
        super().__init__(optimizer, last_epoch)


class StepLR(_ClosedForm):
    r"""Multiply the lr by :math:`\gamma` every ``step_size`` epochs:
    :math:`\eta_e = \eta_0\gamma^{\lfloor e/s\rfloor}` (torch's ``StepLR``).

    Args:
        optimizer: the wrapped optimizer.
        step_size: :math:`s`, the period.
        gamma: :math:`\gamma` (default: 0.1).
        last_epoch: the index of the last epoch, -1 to start (default: -1).
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current_lrs(self)
        return [lr * self.gamma for lr in _current_lrs(self)]

    def _closed_form(self, epoch, base_lr):
        return step_lr_at(epoch, base_lr, self.step_size, self.gamma)


class MultiStepLR(_ClosedForm):
    r"""Multiply the lr by :math:`\gamma` at each milestone (a repeated milestone counts each
    time): :math:`\eta_e = \eta_0\gamma^{\#\{m \le e\}}` (torch's ``MultiStepLR``).

    Args:
        optimizer: the wrapped optimizer.
        milestones: epoch indices, increasing.
        gamma: :math:`\gamma` (default: 0.1).
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return _current_lrs(self)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in _current_lrs(self)]

    def _closed_form(self, epoch, base_lr):
        return multistep_lr_at(epoch, base_lr, self.milestones.elements(), self.gamma)


class ExponentialLR(_ClosedForm):
    r"""Multiply the lr by :math:`\gamma` every epoch: :math:`\eta_e = \eta_0\gamma^e`.

    Args:
        optimizer: the wrapped optimizer.
        gamma: :math:`\gamma`.
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if _in_initial_step(self):
            return _current_lrs(self)
        return [lr * self.gamma for lr in _current_lrs(self)]

    def _closed_form(self, epoch, base_lr):
        return exponential_lr_at(epoch, base_lr, self.gamma)


class ExponentialDecayLR(_DecayRateLR):
    r"""The seed's exponential decay :math:`\eta_e = \eta_0 e^{-k e}`, computed in closed
    form (torch: ``ExponentialLR(gamma=math.exp(-k))`` or ``LambdaLR``).

    Like ``LambdaLR`` it sets the lr from ``base_lrs``, so it does not chain with other
    schedulers.

    Args:
        optimizer: the wrapped optimizer.
        k: the decay rate :math:`k \ge 0`.
        last_epoch: the index of the last epoch (default: -1).
    """

    def _closed_form(self, epoch, base_lr):
        return exponential_decay_lr_at(epoch, base_lr, self.k)


class TimeBasedDecayLR(_DecayRateLR):
    r"""The seed's time-based decay :math:`\eta_e = \eta_0/(1 + k e)` (torch has no class:
    ``LambdaLR(lambda e: 1 / (1 + k * e))``). Keras applies it per iteration; here ``e``
    counts ``step()`` calls, whatever they are.

    Args:
        optimizer: the wrapped optimizer.
        k: the decay rate :math:`k \ge 0`.
        last_epoch: the index of the last epoch (default: -1).
    """

    def _closed_form(self, epoch, base_lr):
        return time_based_decay_lr_at(epoch, base_lr, self.k)


class CosineAnnealingLR(_ClosedForm):
    r"""Cosine annealing without restarts, in torch's recursive form:

    .. math::
       \eta_{e} = \eta_{min} + (\eta_{e-1} - \eta_{min})
         \frac{1 + \cos(\pi e / T_{max})}{1 + \cos(\pi (e-1) / T_{max})}

    which equals :math:`\eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1+\cos(\pi e/T_{max}))`
    (to ~1e-16) when nothing else changes the lr. At the trough of the cosine (where the ratio
    would be 0/0) torch adds :math:`\tfrac12(\eta_0-\eta_{min})(1-\cos(\pi/T_{max}))` instead.
    Not clamped: past :math:`T_{max}` the lr rises again.

    Args:
        optimizer: the wrapped optimizer.
        T_max: half the period, in epochs.
        eta_min: :math:`\eta_{min}` (default: 0).
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        e, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if _in_initial_step(self):
            return _current_lrs(self)
        if self._step_count == 1 and e > 0:
            # Resumed from a checkpoint: nothing to recurse from, use the closed form.
            return self.lr_at(e)
        if (e - 1 - t_max) % (2 * t_max) == 0:
            # Leaving the trough: the ratio below would be 0/0.
            rise = (1 - math.cos(math.pi / t_max)) / 2
            return [
                lr + (base_lr - eta_min) * rise
                for lr, base_lr in zip(_current_lrs(self), self.base_lrs, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in _current_lrs(self)]

    def _closed_form(self, epoch, base_lr):
        return cosine_annealing_lr_at(epoch, base_lr, self.T_max, self.eta_min)


class LinearLR(_ClosedForm):
    r"""Scale the lr by a factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, in torch's recursive form:

    .. math::
       \eta_0' = s\,\eta_0,\qquad
       \eta_e = \eta_{e-1}\Bigl(1 + \frac{f - s}{T s + (e-1)(f-s)}\Bigr)\ (1 \le e \le T),
       \qquad \eta_e = \eta_{e-1}\ (e > T)

    i.e. :math:`\eta_0(s + (f-s)\min(e,T)/T)`.

    Args:
        optimizer: the wrapped optimizer.
        start_factor: :math:`s \in (0, 1]` (default: 1/3).
        end_factor: :math:`f \in [0, 1]` (default: 1.0).
        total_iters: :math:`T` (default: 5).
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal "
                "to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        e, s, f = self.last_epoch, self.start_factor, self.end_factor
        if e == 0:
            return [lr * s for lr in _current_lrs(self)]
        if _in_initial_step(self) or e > self.total_iters:
            return _current_lrs(self)
        factor = 1.0 + (f - s) / (self.total_iters * s + (e - 1) * (f - s))
        return [lr * factor for lr in _current_lrs(self)]

    def _closed_form(self, epoch, base_lr):
        return linear_lr_at(epoch, base_lr, self.start_factor, self.end_factor, self.total_iters)


class CosineAnnealingWarmRestarts(_ClosedForm):
    r"""SGDR (Loshchilov & Hutter, 2017) with torch's stepping:

    .. math::
       \eta = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur}/T_i))

    where :math:`T_{cur}` counts epochs since the last restart; when it reaches :math:`T_i`
    it wraps and :math:`T_i \leftarrow T_i T_{mult}`. ``step(epoch)`` accepts fractional
    epochs (e.g. ``epoch + batch / batches``). :math:`\eta_{min}` is never reached exactly
    before a restart.

    Args:
        optimizer: the wrapped optimizer.
        T_0: epochs until the first restart, a positive integer.
        T_mult: the growth factor of the period, an integer >= 1 (default: 1).
        eta_min: :math:`\eta_{min}` (default: 0).
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (which may be fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            self.T_cur, self.T_i = _restart_position(epoch, self.T_0, self.T_mult)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = _current_lrs(self)

    def _closed_form(self, epoch, base_lr):
        return cosine_annealing_warm_restarts_lr_at(
            epoch, base_lr, self.T_0, self.T_mult, self.eta_min
        )


class WarmupCosineLR(_ClosedFormOnly):
    r"""Linear warmup then cosine decay, in closed form (see :func:`warmup_cosine_lr_at`).

    With ``start_factor=0`` and ``eta_min=0`` this is HF's
    ``get_cosine_schedule_with_warmup`` up to ``total_steps``; with ``start_factor > 0`` it is
    torch's ``SequentialLR([LinearLR(start_factor, total_iters=W),
    CosineAnnealingLR(T_max=T-W, eta_min)], milestones=[W])`` up to ``total_steps``. After
    ``total_steps`` it stays at ``eta_min`` (neither library clamps).

    Args:
        optimizer: the wrapped optimizer.
        warmup_steps: :math:`W`.
        total_steps: :math:`T > W`.
        eta_min: :math:`\eta_{min}` (default: 0).
        start_factor: :math:`s`, the first lr as a fraction of the base lr (default: 0).
        last_epoch: the index of the last epoch (default: -1).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        eta_min: float = 0.0,
        start_factor: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(
                f"Expected 0 <= warmup_steps < total_steps, got {warmup_steps}, {total_steps}"
            )
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.eta_min = eta_min
        self.start_factor = start_factor
        super().__init__(optimizer, last_epoch)

    def _closed_form(self, epoch, base_lr):
        return warmup_cosine_lr_at(
            epoch, base_lr, self.warmup_steps, self.total_steps, self.eta_min, self.start_factor
        )


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by ``factor`` when a metric has not improved for more than
    ``patience`` epochs (torch's ``ReduceLROnPlateau``; no closed form, it depends on the
    metric).

    With ``mode='min'`` and ``threshold_mode='rel'`` an epoch is an improvement when
    :math:`a < \text{best}\,(1 - \text{threshold})` (``'abs'``: :math:`a < \text{best} -
    \text{threshold}`; ``'max'`` mirrors). After ``patience + 1`` bad epochs in a row,
    :math:`\eta \leftarrow \max(\eta\cdot\text{factor}, \text{min\_lr})` if that lowers it by
    more than ``eps``; then ``cooldown`` epochs are not counted as bad.

    Args:
        optimizer: the wrapped optimizer.
        mode: ``'min'`` or ``'max'`` (default: ``'min'``).
        factor: the multiplier, < 1 (default: 0.1).
        patience: bad epochs tolerated (default: 10).
        threshold: the significance threshold (default: 1e-4).
        threshold_mode: ``'rel'`` or ``'abs'`` (default: ``'rel'``).
        cooldown: epochs to wait after a reduction (default: 0).
        min_lr: a floor, or one per param group (default: 0).
        eps: smallest change applied (default: 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        # Like torch's, this scheduler does not run the base constructor (there is no initial
        # step and no base_lrs: the lr only changes in response to metrics).
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.mode = mode
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _current_lrs(self)
        self.best = inf if mode == "min" else -inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves significantly on ``best``."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1.0 + self.threshold)
        return a > best + self.threshold

    def step(self, metrics: float, epoch: int | None = None) -> None:
        """Record one epoch's metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _current_lrs(self)

    def _reduce_lr(self) -> None:
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            if self.default_min_lr is None:
                raise RuntimeError("min_lr has one entry per param group; a group was added")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
