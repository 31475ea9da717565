"""Small helpers shared by the optimizers' functional steps: reading a state mapping."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor


def state_tensor(state: Mapping[str, object], key: str, like: Tensor, fill: float = 0.0) -> Tensor:
    """``state[key]``, or a tensor like ``like`` filled with ``fill`` (torch's lazy init)."""
    value = state.get(key)
    if value is None:
        return torch.full_like(like, fill, memory_format=torch.preserve_format)
    if not isinstance(value, Tensor):
        raise TypeError(f"state[{key!r}] must be a tensor, got {type(value).__name__}")
    return value


def optional_clone(value: Tensor | None) -> Tensor | None:
    """A private copy, so that an in-place update leaves the caller's tensor alone."""
    return None if value is None else value.clone(memory_format=torch.preserve_format)


def check_dense_real(param: Tensor, optimizer: str) -> None:
    """The reference optimizers handle dense real tensors; say so instead of computing nonsense."""
    if param.grad is not None and param.grad.is_sparse:
        raise RuntimeError(f"{optimizer} does not support sparse gradients")
    if torch.is_complex(param):
        raise NotImplementedError(f"the reference {optimizer} handles real parameters only")
