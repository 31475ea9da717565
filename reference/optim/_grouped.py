"""One formula, two ways to run it: per tensor, or over a group of tensors at once.

Each optimizer writes its formula once, with Tensor methods (``exp_avg.lerp_(grad, 1 - beta1)``).
Given single tensors, that is torch's single-tensor path. Given :class:`TensorList` operands,
each method is one ``torch._foreach_*`` call over the whole group, which is torch's foreach
path: on a GPU one kernel launch per operation for all the parameters instead of one per
parameter, on a CPU one Python call per operation instead of one per tensor. The arithmetic per
element is the same kernel either way.

:func:`batches` cuts an optimizer's parameters into the operands of one formula call, and
:func:`use_foreach` chooses between the two paths as torch's ``foreach=None`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import torch
from torch import Tensor

# torch's foreach default is on only where every tensor lives on one of these devices.
FOREACH_DEVICES = ("cuda", "xpu")


class TensorList:
    """Tensors of one device and dtype that go through a formula together.

    The methods are the Tensor methods the optimizers' formulas use, with the same arguments;
    an operand is another TensorList of the same length, or a Python number.
    """

    __slots__ = ("tensors",)

    def __init__(self, tensors: Iterable[Tensor]) -> None:
        self.tensors = list(tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    # New tensors.
    def __neg__(self) -> TensorList:
        return TensorList(torch._foreach_neg(self.tensors))

    def add(self, other: TensorList, *, alpha: float = 1) -> TensorList:
        return TensorList(torch._foreach_add(self.tensors, other.tensors, alpha=alpha))

    def addcmul(self, t1: TensorList, t2: TensorList, *, value: float = 1) -> TensorList:
        return TensorList(torch._foreach_addcmul(self.tensors, t1.tensors, t2.tensors, value))

    def div(self, other: TensorList | float) -> TensorList:
        return TensorList(torch._foreach_div(self.tensors, _operand(other)))

    def sqrt(self) -> TensorList:
        return TensorList(torch._foreach_sqrt(self.tensors))

    def clone(self) -> TensorList:
        return TensorList(t.clone() for t in self.tensors)

    def detach(self) -> TensorList:
        return TensorList(t.detach() for t in self.tensors)

    # In place, returning self so that calls chain as they do on a Tensor.
    def add_(self, other: TensorList | float, *, alpha: float = 1) -> TensorList:
        if isinstance(other, TensorList):
            torch._foreach_add_(self.tensors, other.tensors, alpha=alpha)
        else:
            torch._foreach_add_(self.tensors, other * alpha)
        return self

    def sub_(self, other: TensorList, *, alpha: float = 1) -> TensorList:
        torch._foreach_sub_(self.tensors, other.tensors, alpha=alpha)
        return self

    def mul_(self, other: TensorList | float) -> TensorList:
        torch._foreach_mul_(self.tensors, _operand(other))
        return self

    def div_(self, other: TensorList | float) -> TensorList:
        torch._foreach_div_(self.tensors, _operand(other))
        return self

    def sqrt_(self) -> TensorList:
        torch._foreach_sqrt_(self.tensors)
        return self

    def lerp_(self, end: TensorList, weight: float) -> TensorList:
        torch._foreach_lerp_(self.tensors, end.tensors, weight)
        return self

    def addcmul_(self, t1: TensorList, t2: TensorList, *, value: float = 1) -> TensorList:
        torch._foreach_addcmul_(self.tensors, t1.tensors, t2.tensors, value)
        return self

    def addcdiv_(self, t1: TensorList, t2: TensorList, *, value: float = 1) -> TensorList:
        torch._foreach_addcdiv_(self.tensors, t1.tensors, t2.tensors, value)
        return self


Operand = Tensor | TensorList


def _operand(other: TensorList | float) -> list[Tensor] | float:
    return other.tensors if isinstance(other, TensorList) else other


def maximum_(a: Operand, b: Operand) -> Operand:
    """``a = max(a, b)`` elementwise, in place (Tensor has no ``maximum_`` method)."""
    if isinstance(a, TensorList):
        torch._foreach_maximum_(a.tensors, b.tensors)
    else:
        torch.maximum(a, b, out=a)
    return a


def div_into_(numerator: Operand, denominator: Operand) -> Operand:
    """``numerator / denominator`` written over ``denominator``, for a caller that no longer
    needs the denominator: the quotient without a temporary as large as the parameters."""
    if isinstance(denominator, TensorList):
        torch.ops.aten._foreach_div.List_out(numerator.tensors, denominator.tensors,
                                              out=denominator.tensors)
    else:
        torch.div(numerator, denominator, out=denominator)
    return denominator


def use_foreach(foreach: bool | None, params: list[Tensor]) -> bool:
    """``foreach`` if given; else torch's default: grouped when every parameter is on a GPU
    (where launches, not arithmetic, bound small tensors), per tensor on the CPU."""
    if foreach is not None:
        return foreach
    return bool(params) and all(p.device.type in FOREACH_DEVICES for p in params)


class Batch:
    """The operands of one formula call: one parameter's tensors, or a group's TensorLists."""

    __slots__ = ("params", "grads", "step", "_states")

    def __init__(self, params: list[Tensor], states: list[dict], step: int | None) -> None:
        self._states = states
        self.step = step
        if len(params) == 1:
            self.params: Operand = params[0]
            self.grads: Operand = params[0].grad
        else:
            self.params = TensorList(params)
            self.grads = TensorList(p.grad for p in params)

    def state(self, key: str) -> Operand | None:
        """``state[key]`` of every parameter, or None where the parameters have none."""
        values = [state.get(key) for state in self._states]
        if values[0] is None:
            return None
        return values[0] if len(values) == 1 else TensorList(values)

    def set_state(self, key: str, value: Operand) -> None:
        """Store ``value`` as ``state[key]``, tensor by tensor."""
        tensors = value.tensors if isinstance(value, TensorList) else [value]
        for state, tensor in zip(self._states, tensors, strict=True):
            state[key] = tensor


def batches(
    params: list[Tensor], states: Mapping[Tensor, dict], foreach: bool
) -> Iterator[Batch]:
    """One batch per parameter, or with ``foreach`` one per group of parameters that share a
    device, a dtype, the same state entries and the same step count (so that every scalar of
    the formula, such as a bias correction, is one number for the whole group)."""
    if not foreach:
        for param in params:
            state = states[param]
            yield Batch([param], [state], _step(state))
        return
    groups: dict[tuple, list[Tensor]] = {}
    for param in params:
        state = states[param]
        key = (param.device, param.dtype, tuple(sorted(state)), _step(state))
        groups.setdefault(key, []).append(param)
    for key, members in groups.items():
        yield Batch(members, [states[p] for p in members], key[-1])


def _step(state: Mapping[str, object]) -> int | None:
    step = state.get("step")
    return None if step is None else int(step)
