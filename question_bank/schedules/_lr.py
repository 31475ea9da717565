"""Helpers shared by the schedule families: run a scheduler on a one-weight optimizer.

A scheduler only needs an optimizer to hold the lr, so every family drives its scheduler with
an SGD optimizer over a single dummy weight and reads ``param_groups[0]["lr"]`` after each
``scheduler.step()``. The same helper runs reference.lr_scheduler (the answer) on
reference.optim.SGD and torch.optim.lr_scheduler (the oracle) on torch.optim.SGD.

The optimizer is never stepped: without a gradient its step changes nothing and costs six times
the scheduler's step (torch's profiling and hook wrappers); torch's warning that the scheduler
stepped first is silenced.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

import reference.optim

Factory = Callable[[torch.optim.Optimizer], object]


def lr_history(make_scheduler: Factory, base_lr: float, epochs: int,
               optimizer_class: type = reference.optim.SGD) -> list[float]:
    """The lr in effect at epochs 0, 1, ..., ``epochs`` (after 0, 1, ... scheduler steps)."""
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([weight], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on stepping order and epoch arguments
        for _ in range(epochs):
            scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def torch_lr_history(make_scheduler: Factory, base_lr: float, epochs: int) -> list[float]:
    """:func:`lr_history` with torch.optim.SGD, for torch.optim.lr_scheduler oracles."""
    return lr_history(make_scheduler, base_lr, epochs, torch.optim.SGD)


ACCURACY = {"en": " (to a relative error of $10^{-4}$)", "zh": "（相对误差不超过 $10^{-4}$）"}
ANSWER = {"en": "Answer: ", "zh": "答案："}


def segments(history: list[float]) -> list[tuple[int, int, float]]:
    """Runs of equal lr in a history: ``(first epoch, last epoch, lr)``."""
    runs: list[tuple[int, int, float]] = []
    for epoch, lr in enumerate(history):
        if runs and runs[-1][2] == lr:
            runs[-1] = (runs[-1][0], epoch, lr)
        else:
            runs.append((epoch, epoch, lr))
    return runs


def distinct_from(answer: float, found: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The named wrong values that a grader could tell apart from ``answer`` (rtol 1e-4)."""
    return [(name, value) for name, value in found
            if abs(value - answer) > 2e-4 * max(abs(answer), 1e-12)]


# -- formula variants: the lr of epoch t as an expression ----------------------------------------
LR_VARIABLE = "eta_0:positive"  # students type η₀, \eta_0 or eta_0
EPOCH_VARIABLE = "t:positive_integer"


def lr_at(make_scheduler: Factory, values: dict) -> float:
    """The lr of epoch t from the reference scheduler, with eta_0 and t taken from ``values``."""
    return lr_history(make_scheduler, values["eta_0"], int(values["t"]))[-1]


def formula_prompt(call: str, names: str, lang: str, note: str = "") -> str:
    """The shared wording of 'give eta_t as an expression' questions (torch's epoch count)."""
    if lang == "zh":
        return (f"SGD 优化器的初始学习率为 $\\eta_0$，并使用调度器 {call}，每个 epoch 结束时调用"
                f"一次 scheduler.step()。epoch 从 0 开始编号，第 $t$ 个 epoch 使用调用 $t$ 次 "
                f"scheduler.step() 之后的学习率。写出第 $t$ 个 epoch 的学习率 $\\eta_t$ 关于 "
                f"$t$ 的表达式（对每个 $t \\ge 1$ 都成立{note}），变量输入为 {names}。")
    return (f"An SGD optimizer starts with learning rate $\\eta_0$ and is wrapped in {call}; "
            f"scheduler.step() is called once at the end of every epoch. Epochs are numbered "
            f"from 0, and epoch $t$ uses the learning rate in effect after $t$ calls to "
            f"scheduler.step(). Give the learning rate $\\eta_t$ of epoch $t$ as an expression "
            f"valid for every $t \\ge 1${note}; type the variables as {names}.")
