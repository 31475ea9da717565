"""Helpers shared by the optimizers: their state tensors, the step loop and argument checks.

Each optimizer module keeps its own formula (``_*_update_``); what is here is the bookkeeping
that torch's optimizers repeat around it, written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import torch
from torch import Tensor

# torch's wording for the hyperparameters whose message is not "Invalid <name> value: ...".
_CHECK_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_non_negative(**values: float) -> None:
    """torch's ``ValueError("Invalid ...: value")`` for the first value not ``>= 0`` (NaN too),
    checked in the order given."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_CHECK_LABELS.get(name, f'{name} value')}: {value}")


def _checked_tensor(value: object, key: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"state[{key!r}] must be a tensor, got {type(value).__name__}")
    return value


def state_tensor(state: Mapping[str, object], key: str, like: Tensor, fill: float = 0.0) -> Tensor:
    """``state[key]``, or a tensor like ``like`` filled with ``fill`` (torch's lazy init)."""
    value = state.get(key)
    if value is None:
        return torch.full_like(like, fill, memory_format=torch.preserve_format)
    return _checked_tensor(value, key)


def state_copy(state: Mapping[str, object], key: str, like: Tensor, fill: float = 0.0) -> Tensor:
    """:func:`state_tensor` as a private tensor, which a pure step may update in place."""
    value = state.get(key)
    if value is None:
        return torch.full_like(like, fill, memory_format=torch.preserve_format)
    return _checked_tensor(value, key).clone(memory_format=torch.preserve_format)


def optional_state_copy(state: Mapping[str, object], key: str) -> Tensor | None:
    """A private copy of ``state[key]``, or ``None`` when the state has none yet."""
    value = state.get(key)
    if value is None:
        return None
    return _checked_tensor(value, key).clone(memory_format=torch.preserve_format)


def zero_step() -> Tensor:
    """torch's step counter before the first step: a 0-d float tensor, so that state_dicts are
    interchangeable with torch's."""
    return torch.tensor(0.0, dtype=torch.get_default_dtype())


def run_closure(closure: Callable[[], float] | None) -> float | None:
    """The loss from ``closure``, run with gradients enabled inside the no-grad ``step()``."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def params_with_grad(group: dict, optimizer: str, sparse_advice: str = "") -> Iterator[Tensor]:
    """The parameters of a param group that have a gradient, in order (torch skips a parameter
    whose ``grad`` is ``None``).

    The reference optimizers handle dense real tensors; they say so instead of computing
    nonsense: ``RuntimeError`` for a sparse gradient, ``NotImplementedError`` for a complex one.
    """
    for param in group["params"]:
        if param.grad is None:
            continue
        if param.grad.is_sparse:
            raise RuntimeError(f"{optimizer} does not support sparse gradients{sparse_advice}")
        if torch.is_complex(param):
            raise NotImplementedError(f"the reference {optimizer} handles real parameters only")
        yield param
