r"""Hyper-parameter search: grid and random search, and the arithmetic of random search.

A grid with k values in each of d dimensions costs :math:`k^d` trials. Random search
(Bergstra & Bengio, 2012) samples each trial independently; if the "top q" of the space is the
target (a fraction q of its probability mass), n trials miss it with probability
:math:`(1-q)^n`, so

.. math::
   P(\text{at least one of } n \text{ trials in the top } q) = 1-(1-q)^n,\qquad
   n_{min}(p) = \left\lceil \frac{\ln(1-p)}{\ln(1-q)} \right\rceil

(n = 60, q = 0.05 gives 0.954). The bound does not depend on the dimension, which is why random
search wins when only a few hyper-parameters matter (low effective dimensionality): a
:math:`k^d` grid tries only k distinct values of the one that matters, n random trials try n.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "Choice",
    "LogUniform",
    "SearchResult",
    "Uniform",
    "grid_points",
    "grid_search",
    "grid_size",
    "probability_top_hit",
    "random_search",
    "trials_needed",
]

Params = dict[str, object]
Objective = Callable[[Params], float]


# --------------------------------------------------------------------------------------------
# The arithmetic


def grid_size(values_per_dimension: int | Sequence[int], dimensions: int | None = None) -> int:
    r"""Trials in a full grid: :math:`k^d` for k values in each of d dimensions, or
    :math:`\prod_i k_i` for a list of per-dimension counts."""
    if isinstance(values_per_dimension, int):
        if dimensions is None:
            raise ValueError("pass dimensions with a single per-dimension count")
        return values_per_dimension**dimensions
    if dimensions is not None and dimensions != len(values_per_dimension):
        raise ValueError("dimensions disagrees with the number of per-dimension counts")
    return math.prod(values_per_dimension)


def probability_top_hit(q: float, n: int) -> float:
    r""":math:`1-(1-q)^n`: the chance that at least one of n independent trials lands in the
    best fraction q of the search space."""
    _check_fraction(q, "q")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return 1.0 - (1.0 - q) ** n


def trials_needed(q: float, p: float) -> int:
    r"""The fewest trials n with :math:`1-(1-q)^n \ge p`:
    :math:`\lceil \ln(1-p)/\ln(1-q) \rceil` (q = 0.05, p = 0.95 gives 59).

    The float quotient can land a hair above an integer (q = 1/2, p = 3/4 is exactly 2), so
    the ceiling is then checked against the probability itself, with a relative tolerance of
    1e-15 for p's own rounding."""
    _check_fraction(q, "q")
    _check_fraction(p, "p")
    if q == 1.0:
        return 1
    n = max(1, math.ceil(math.log1p(-p) / math.log1p(-q)))
    while n > 1 and probability_top_hit(q, n - 1) >= p * (1 - 1e-15):
        n -= 1
    while probability_top_hit(q, n) < p * (1 - 1e-15):
        n += 1
    return n


def _check_fraction(value: float, name: str) -> None:
    if not 0.0 < value <= 1.0 or (name == "p" and value >= 1.0):
        upper = "1)" if name == "p" else "1]"
        raise ValueError(f"{name} must be in (0, {upper}, got {value}")


# --------------------------------------------------------------------------------------------
# Search spaces


@dataclass(frozen=True)
class Uniform:
    """A real parameter drawn as ``low + (high - low) * u``, u ~ U[0, 1)."""

    low: float
    high: float

    def from_unit(self, u: float) -> float:
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True)
class LogUniform:
    r"""A positive parameter uniform in its logarithm (learning rates, weight decay):
    :math:`\exp(\ln a + (\ln b - \ln a)\,u)`."""

    low: float
    high: float

    def from_unit(self, u: float) -> float:
        if self.low <= 0:
            raise ValueError("LogUniform needs low > 0")
        log_low, log_high = math.log(self.low), math.log(self.high)
        return math.exp(log_low + (log_high - log_low) * u)


@dataclass(frozen=True)
class Choice:
    """One of ``options``, each with probability 1/len(options): index floor(u·len)."""

    options: tuple

    def from_unit(self, u: float) -> object:
        return self.options[min(int(u * len(self.options)), len(self.options) - 1)]


Distribution = Uniform | LogUniform | Choice


@dataclass(frozen=True)
class SearchResult:
    """A finished search (minimization).

    Attributes:
        best_params: the parameters of the best trial (the first one on ties).
        best_value: its objective value.
        trials: every (parameters, value) in the order run.
    """

    best_params: Params
    best_value: float
    trials: list[tuple[Params, float]]


def _best(trials: list[tuple[Params, float]]) -> SearchResult:
    if not trials:
        raise ValueError("no trials were run")
    best_params, best_value = min(trials, key=lambda trial: trial[1])
    return SearchResult(best_params=best_params, best_value=best_value, trials=trials)


def grid_points(space: Mapping[str, Sequence]) -> list[Params]:
    """Every combination of the listed values, the last parameter varying fastest
    (``itertools.product`` order)."""
    names = list(space)
    return [dict(zip(names, values)) for values in itertools.product(*space.values())]


def grid_search(objective: Objective, space: Mapping[str, Sequence]) -> SearchResult:
    r"""Evaluate ``objective`` on the full grid (:math:`\prod_i k_i` trials) and keep the
    minimum."""
    return _best([(params, float(objective(params))) for params in grid_points(space)])


def random_search(
    objective: Objective,
    space: Mapping[str, Distribution | Sequence],
    n_trials: int,
    seed: int = 0,
) -> SearchResult:
    """Evaluate ``objective`` at ``n_trials`` independent draws from ``space`` and keep the
    minimum. A plain sequence in ``space`` means :class:`Choice`. Trial t's parameters come
    from row t of ``torch.rand(n_trials, d, generator=Generator().manual_seed(seed),
    dtype=float64)``, one column per parameter in ``space`` order, so a run is reproducible
    from its seed."""
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    distributions = {
        name: dist if isinstance(dist, (Uniform, LogUniform, Choice)) else Choice(tuple(dist))
        for name, dist in space.items()
    }
    generator = torch.Generator().manual_seed(seed)
    units = torch.rand(n_trials, len(distributions), generator=generator, dtype=torch.float64)
    trials = []
    for row in units.tolist():
        params = {name: dist.from_unit(u) for (name, dist), u in zip(distributions.items(), row)}
        trials.append((params, float(objective(params))))
    return _best(trials)
