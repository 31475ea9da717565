r"""Averaging and fusing weights: EMA (both conventions), SWA/EMA model averaging as torch's
``AveragedModel`` does it, state_dict averaging and interpolation, FedAvg, EWC and distillation.

EMA conventions (the seed writes the first; torch and most papers the second):

.. math::
   \underbrace{\bar\theta_t = \alpha\,\theta_t + (1-\alpha)\,\bar\theta_{t-1}}_{\alpha
   \text{ = weight of the new value (pandas, BN momentum)}}
   \qquad
   \underbrace{\bar\theta_t = \beta\,\bar\theta_{t-1} + (1-\beta)\,\theta_t}_{\beta
   \text{ = decay (torch } \texttt{get\_ema\_multi\_avg\_fn}\text{)}}
   \qquad \beta = 1-\alpha

and three starts: a copy of the first value (torch's ``AveragedModel``: no bias), zero (biased
towards 0 early), or zero with Adam's correction :math:`\hat\theta_t = \bar\theta_t/(1-\beta^t)`.
The effective window of an EMA is :math:`1/(1-\beta)` values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "AveragedModel",
    "DistillationResult",
    "EMAResult",
    "FedAvgResult",
    "average_state_dicts",
    "bias_corrected",
    "distillation_loss",
    "effective_window",
    "empirical_fisher_diagonal",
    "ema_update",
    "ema_update_alpha",
    "ewc_penalty",
    "exponential_moving_average",
    "fedavg",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
    "half_life",
    "interpolate_state_dicts",
]

StateDict = Mapping[str, Tensor]


# --------------------------------------------------------------------------------------------
# EMA of a value


def _lerp(start: Tensor, end: Tensor, weight: float) -> Tensor:
    """``torch.lerp``'s two-branch formula: start + w(end - start), or end - (1 - w)(end -
    start) for |w| >= 0.5, which keeps the result exact at w = 0 and w = 1."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def ema_update(average: Tensor, value: Tensor, decay: float) -> Tensor:
    r"""One EMA step in the *decay* convention, as ``get_ema_multi_avg_fn(decay)`` computes it:

    .. math:: \bar\theta \leftarrow \beta\,\bar\theta + (1-\beta)\,\theta
        = \operatorname{lerp}(\bar\theta, \theta, 1-\beta)

    Integer tensors (torch's non-float branch) get :math:`\beta\bar\theta + (1-\beta)\theta`
    truncated back to the integer dtype.

    Raises:
        ValueError: decay outside [0, 1] (torch's message).
    """
    _check_decay(decay)
    if not (average.is_floating_point() or average.is_complex()):
        return (average * decay + value * (1 - decay)).to(average.dtype)
    return _lerp(average, value, 1 - decay)


def ema_update_alpha(average: Tensor, value: Tensor, alpha: float) -> Tensor:
    r"""One EMA step in the seed's *alpha* convention (weight of the new value):
    :math:`\bar\theta \leftarrow \alpha\,\theta + (1-\alpha)\,\bar\theta`, i.e.
    :func:`ema_update` with decay :math:`1-\alpha`."""
    return alpha * value + (1 - alpha) * average


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


@dataclass(frozen=True)
class EMAResult:
    r"""An EMA over a sequence of values.

    Attributes:
        averages: :math:`\bar\theta_1, \ldots, \bar\theta_T` (after each value).
        corrected: :math:`\bar\theta_t/(1-\beta^t)` for a zero start with
            ``bias_correction=True``; otherwise the same list as ``averages``.
        decay: :math:`\beta`.
        start: ``'first'`` or ``'zero'``.
    """

    averages: list[Tensor]
    corrected: list[Tensor]
    decay: float
    start: str


def exponential_moving_average(
    values: Sequence[Tensor | float],
    decay: float,
    start: str = "first",
    bias_correction: bool = False,
) -> EMAResult:
    r"""EMA of ``values`` with decay :math:`\beta`:

    .. math::
       \bar\theta_t = \beta\,\bar\theta_{t-1} + (1-\beta)\,\theta_t,\qquad
       \bar\theta_0 = \begin{cases} \text{(none: } \bar\theta_1 = \theta_1) & \texttt{'first'} \\
           0 & \texttt{'zero'}\end{cases},\qquad
       \hat\theta_t = \bar\theta_t / (1-\beta^t)

    ``start='first'`` is torch's ``AveragedModel`` (it copies the model on the first update);
    the bias correction only makes sense with ``start='zero'`` (correcting a copy-started EMA
    is a classic mistake) and is rejected otherwise.
    """
    _check_decay(decay)
    if start not in ("first", "zero"):
        raise ValueError(f"start must be 'first' or 'zero', got {start!r}")
    if bias_correction and start != "zero":
        raise ValueError("bias correction applies to a zero-started EMA (start='zero') only")
    tensors = [
        torch.as_tensor(v, dtype=torch.float64) if not isinstance(v, Tensor) else v for v in values
    ]
    averages: list[Tensor] = []
    corrected: list[Tensor] = []
    average = None if start == "first" else torch.zeros_like(tensors[0])
    for t, value in enumerate(tensors, start=1):
        average = value.clone() if average is None else ema_update(average, value, decay)
        averages.append(average)
        corrected.append(bias_corrected(average, decay, t) if bias_correction else average)
    return EMAResult(averages=averages, corrected=corrected, decay=decay, start=start)


def bias_corrected(average: Tensor, decay: float, step: int) -> Tensor:
    r"""Adam-style correction of a zero-started EMA: :math:`\bar\theta_t/(1-\beta^t)`."""
    return average / (1 - decay**step)


def effective_window(decay: float) -> float:
    r"""The EMA's effective number of values, :math:`1/(1-\beta)` (the mean age of its weights
    :math:`(1-\beta)\beta^k` is :math:`\beta/(1-\beta)`, and they sum to 1)."""
    return 1.0 / (1.0 - decay)


def half_life(decay: float) -> float:
    r"""Steps until a value's weight halves: :math:`\ln(1/2)/\ln\beta`."""
    return math.log(0.5) / math.log(decay)


# --------------------------------------------------------------------------------------------
# torch.optim.swa_utils.AveragedModel


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Tensor | int], Tensor]:
    r"""Per-tensor EMA, as ``torch.optim.swa_utils.get_ema_avg_fn``:
    :math:`\beta\,\bar\theta + (1-\beta)\,\theta`."""
    _check_decay(decay)

    def ema(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        return ema_update(averaged, current, decay)

    return ema


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Tensor | int], Tensor]:
    r"""Per-tensor equal average (SWA), as ``torch.optim.swa_utils.get_swa_avg_fn``:
    :math:`\bar\theta_{n+1} = \bar\theta_n + (\theta - \bar\theta_n)/(n+1)`, with n models
    averaged so far."""

    def swa(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        # Divide by n+1 exactly as torch's per-tensor path does (its CUDA foreach path lerps
        # with the weight 1/(n+1) computed from a long tensor, i.e. rounded to float32).
        result = averaged + (current - averaged) / (num_averaged + 1)
        return result.to(averaged.dtype)  # integer buffers truncate, like torch's copy_

    return swa


class AveragedModel(nn.Module):
    r"""A running average of a model's parameters, as ``torch.optim.swa_utils.AveragedModel``.

    .. math::
       \textbf{first update } (n=0):\ \bar\theta \leftarrow \theta \text{ (a copy)};\qquad
       \textbf{later:}\ \bar\theta \leftarrow \text{avg\_fn}(\bar\theta, \theta, n);\qquad
       n \leftarrow n + 1

    ``avg_fn=None`` is SWA (:func:`get_swa_avg_fn`); pass :func:`get_ema_avg_fn` (decay) for an
    EMA, whose first update is therefore a copy, with no zero start and no bias. Buffers
    (BatchNorm statistics) are copied from the model unless ``use_buffers=True``, when they are
    averaged too (an int ``num_batches_tracked`` with torch's integer arithmetic). ``n_averaged``
    is a long buffer, as in torch. ``multi_avg_fn`` is not supported: pass the per-tensor form.
    """

    def __init__(
        self,
        model: nn.Module,
        device: torch.device | str | None = None,
        avg_fn: Callable[[Tensor, Tensor, Tensor | int], Tensor] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", torch.tensor(0, dtype=torch.long, device=device))
        self.avg_fn = avg_fn if avg_fn is not None else get_swa_avg_fn()
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        if self.use_buffers:
            pairs = zip(
                itertools.chain(self.module.parameters(), self.module.buffers()),
                itertools.chain(model.parameters(), model.buffers()),
            )
        else:
            pairs = zip(self.module.parameters(), model.parameters())
        first = int(self.n_averaged) == 0
        for averaged, current in pairs:
            current = current.detach().to(averaged.device)
            if first:
                averaged.copy_(current)
            else:
                averaged.copy_(self.avg_fn(averaged, current, self.n_averaged.to(averaged.device)))
        if not self.use_buffers:
            for b_averaged, b_model in zip(self.module.buffers(), model.buffers()):
                b_averaged.copy_(b_model.detach().to(b_averaged.device))
        self.n_averaged += 1


# --------------------------------------------------------------------------------------------
# Averaging state_dicts: uniform and weighted soups, interpolation, FedAvg


def average_state_dicts(
    state_dicts: Sequence[StateDict], weights: Sequence[float] | None = None
) -> dict[str, Tensor]:
    r"""Weighted average of K state_dicts with the same keys (a "model soup"):

    .. math:: \bar\theta = \sum_k w_k\,\theta_k,\qquad w_k = \frac{c_k}{\sum_j c_j}
        \ (\text{uniform } 1/K \text{ without weights})

    Weights are normalized here, so counts or scores may be passed directly. Integer and bool
    tensors (BatchNorm's ``num_batches_tracked``) are not averaged: they are copied from the
    first state_dict. Averaging assumes a shared starting point (linear mode connectivity);
    independently trained networks need permutation alignment first.

    Raises:
        ValueError: no state_dicts, mismatched keys or shapes, or weights that are negative,
            of the wrong length or sum to 0.
    """
    if not state_dicts:
        raise ValueError("need at least one state_dict")
    coefficients = _normalized_weights(len(state_dicts), weights)
    keys = list(state_dicts[0])
    for index, state in enumerate(state_dicts[1:], start=1):
        if list(state) != keys:
            raise ValueError(f"state_dict {index} has keys {list(state)}, expected {keys}")
    averaged: dict[str, Tensor] = {}
    for key in keys:
        tensors = [state[key] for state in state_dicts]
        if any(t.shape != tensors[0].shape for t in tensors):
            raise ValueError(f"shape mismatch for {key!r}: {[tuple(t.shape) for t in tensors]}")
        if not (tensors[0].is_floating_point() or tensors[0].is_complex()):
            averaged[key] = tensors[0].clone()
            continue
        total = coefficients[0] * tensors[0]
        for coefficient, tensor in zip(coefficients[1:], tensors[1:]):
            total = total + coefficient * tensor.to(total.device)
        averaged[key] = total
    return averaged


def _normalized_weights(count: int, weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0 / count] * count
    weights = [float(w) for w in weights]
    if len(weights) != count:
        raise ValueError(f"got {len(weights)} weights for {count} state_dicts")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {weights}")
    total = sum(weights)
    return [w / total for w in weights]


def interpolate_state_dicts(first: StateDict, second: StateDict, alpha: float) -> dict[str, Tensor]:
    r"""Linear interpolation :math:`\theta = \alpha\,\theta_{first} + (1-\alpha)\,\theta_{second}`
    (``alpha`` weights the *first* model; alpha=1 returns it). Integer tensors come from
    ``first``. Alpha outside [0, 1] extrapolates, which is allowed."""
    averaged: dict[str, Tensor] = {}
    if list(first) != list(second):
        raise ValueError("the two state_dicts have different keys")
    for key, a in first.items():
        b = second[key]
        if not (a.is_floating_point() or a.is_complex()):
            averaged[key] = a.clone()
        else:
            averaged[key] = alpha * a + (1 - alpha) * b.to(a.device)
    return averaged


@dataclass(frozen=True)
class FedAvgResult:
    r"""One FedAvg server aggregation.

    Attributes:
        state_dict: :math:`w_{t+1} = \sum_{k\in S_t} (n_k/n)\,w^k_{t+1}`.
        weights: :math:`n_k/n` per participating client.
        total_samples: :math:`n = \sum_{k\in S_t} n_k`.
    """

    state_dict: dict[str, Tensor]
    weights: list[float]
    total_samples: int


def fedavg(client_state_dicts: Sequence[StateDict], num_samples: Sequence[int]) -> FedAvgResult:
    r"""FedAvg (McMahan et al., 2017, Algorithm 1) aggregation of the participating clients:

    .. math:: w_{t+1} = \sum_{k \in S_t} \frac{n_k}{n}\, w^k_{t+1},\qquad n = \sum_{k\in S_t} n_k

    n sums over the clients passed in (:math:`S_t`), not all K clients: otherwise the weights
    would not sum to 1 (the paper's Algorithm 1 writes k = 1..K). Integer buffers are copied
    from the first client.
    """
    if any(int(n) <= 0 for n in num_samples):
        raise ValueError(f"sample counts must be positive, got {list(num_samples)}")
    total = sum(int(n) for n in num_samples)
    weights = [int(n) / total for n in num_samples]
    return FedAvgResult(
        state_dict=average_state_dicts(client_state_dicts, num_samples),
        weights=weights,
        total_samples=total,
    )


# --------------------------------------------------------------------------------------------
# EWC (Kirkpatrick et al., 2017)


def empirical_fisher_diagonal(
    model: nn.Module,
    inputs: Tensor,
    targets: Tensor,
    log_likelihood: Callable[[Tensor, Tensor], Tensor] | None = None,
) -> dict[str, Tensor]:
    r"""Diagonal empirical Fisher at the model's current parameters :math:`\theta^*_A`:

    .. math:: F_i = \frac{1}{N}\sum_{n=1}^{N}
        \Big(\frac{\partial \log p(y_n \mid x_n; \theta)}{\partial \theta_i}\Big)^2

    one backward pass per sample (square, then average: squaring the batch-mean gradient is a
    different, wrong quantity). "Empirical" means the data's own labels :math:`y_n`; the true
    Fisher samples :math:`y` from the model instead. ``log_likelihood(output, target)`` gives
    :math:`\log p(y\mid x)` for one sample; the default is the log-softmax of the target class
    (a classifier emitting logits). Returns one tensor per named parameter that requires grad.
    """
    if log_likelihood is None:

        def log_likelihood(output: Tensor, target: Tensor) -> Tensor:
            return output.log_softmax(dim=-1).gather(-1, target.reshape(-1, 1)).sum()

    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    fisher = {name: torch.zeros_like(p) for name, p in named}
    count = inputs.shape[0]
    for n in range(count):
        value = log_likelihood(model(inputs[n : n + 1]), targets[n : n + 1])
        grads = torch.autograd.grad(value, [p for _, p in named], allow_unused=True)
        for (name, _), grad in zip(named, grads):
            if grad is not None:
                fisher[name] = fisher[name] + grad.detach().square()
    return {name: f / count for name, f in fisher.items()}


def ewc_penalty(
    parameters: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]],
    anchor: Mapping[str, Tensor],
    fisher: Mapping[str, Tensor],
    lam: float,
) -> Tensor:
    r"""The EWC penalty, to be added to the new task's loss :math:`L_B`:

    .. math:: \Omega(\theta) = \sum_i \frac{\lambda}{2}\,F_i\,(\theta_i - \theta^*_{A,i})^2

    differentiable in ``parameters`` (a dict or ``model.named_parameters()``); ``anchor`` is
    :math:`\theta^*_A` (detached copies from after task A) and ``fisher`` the diagonal Fisher
    there. Parameters absent from ``fisher`` are not penalized. The paper gives no default
    :math:`\lambda`.
    """
    items = parameters.items() if isinstance(parameters, Mapping) else parameters
    total: Tensor | None = None
    for name, param in items:
        if name not in fisher:
            continue
        term = (fisher[name] * (param - anchor[name]).square()).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("no parameter has a Fisher entry")
    return (lam / 2) * total


# --------------------------------------------------------------------------------------------
# Knowledge distillation (Hinton et al., 2015)


@dataclass(frozen=True)
class DistillationResult:
    r"""The pieces of the distillation loss.

    Attributes:
        loss: :math:`\alpha\,L_{soft} + (1-\alpha)\,L_{hard}`.
        soft_loss: :math:`T^2\,\mathrm{KL}(p^T_{teacher}\,\|\,p^T_{student})`, batch mean.
        hard_loss: :math:`\mathrm{CE}(z_{student}, y)` at temperature 1, batch mean.
        kl: the KL divergence before the :math:`T^2` factor.
        student_log_probs: :math:`\log\operatorname{softmax}(z_s/T)`.
        teacher_probs: :math:`\operatorname{softmax}(z_t/T)`.
    """

    loss: Tensor
    soft_loss: Tensor
    hard_loss: Tensor
    kl: Tensor
    student_log_probs: Tensor
    teacher_probs: Tensor


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    targets: Tensor,
    temperature: float,
    alpha: float,
) -> DistillationResult:
    r"""Hinton's distillation loss, with :math:`\alpha` weighting the **soft** term:

    .. math::
       \begin{aligned}
         p^T &= \operatorname{softmax}(z_t/T),\qquad q^T = \operatorname{softmax}(z_s/T) \\
         \mathrm{KL} &= \tfrac{1}{B}\textstyle\sum_b\sum_c p^T_{bc}
             (\log p^T_{bc} - \log q^T_{bc})
             \quad(\texttt{F.kl\_div(log q, p, reduction='batchmean')}) \\
         L &= \alpha\,T^2\,\mathrm{KL} + (1-\alpha)\,\mathrm{CE}(z_s, y)
       \end{aligned}

    :math:`T^2` keeps the soft gradients' scale independent of T (they shrink as
    :math:`1/T^2`). ``reduction='mean'`` would divide by B·C and is wrong. A soft-target
    cross-entropy instead of the KL has the same gradient but a larger value (by the teacher's
    entropy). Some code bases let :math:`\alpha` weight the hard term instead: say which.
    """
    batch = student_logits.shape[0]
    student_log_probs = (student_logits / temperature).log_softmax(dim=-1)
    teacher_log_probs = (teacher_logits / temperature).log_softmax(dim=-1)
    teacher_probs = teacher_log_probs.exp()
    # xlogy makes 0 * log 0 = 0, as F.kl_div does for zero targets.
    kl = (torch.xlogy(teacher_probs, teacher_probs) - teacher_probs * student_log_probs).sum()
    kl = kl / batch
    soft_loss = kl * temperature**2
    hard_log_probs = student_logits.log_softmax(dim=-1)
    hard_loss = -hard_log_probs.gather(-1, targets.reshape(-1, 1)).mean()
    return DistillationResult(
        loss=alpha * soft_loss + (1 - alpha) * hard_loss,
        soft_loss=soft_loss,
        hard_loss=hard_loss,
        kl=kl,
        student_log_probs=student_log_probs,
        teacher_probs=teacher_probs,
    )
