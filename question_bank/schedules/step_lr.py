r"""The learning rate at a given epoch under StepLR or MultiStepLR (torch.optim.lr_scheduler).

Difficulty 1: StepLR(step_size=s, gamma), the epoch often on or just before a drop.
2: MultiStepLR with two milestones. 3: MultiStepLR with three milestones, the epoch on a
milestone or one before it.

The convention stated to the student is torch's: epochs count from 0 and the lr of epoch e is
the one after e calls to scheduler.step(), so StepLR gives
:math:`\eta_e = \eta_0\gamma^{\lfloor e/s\rfloor}` and MultiStepLR
:math:`\eta_e = \eta_0\gamma^{\#\{m \le e\}}`. The popular Keras recipe
``lr0 * drop ** floor((1 + epoch) / epochs_drop)`` drops one epoch earlier (conventions.md
section 6); it is a named mistake here.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

import reference.lr_scheduler
from question_bank._format import num
from question_bank._memo import per_variant
from question_bank.schedules._lr import (
    ACCURACY,
    ANSWER,
    distinct_from,
    lr_history,
    segments,
    torch_lr_history,
)
from quizgen.model import Mistake

ID = "schedules.step_lr"
TOPIC = "schedules"
TITLE = {"en": "Step and multi-step learning-rate decay", "zh": "阶梯式学习率衰减"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.2, 0.01, 0.5, 1.0)
GAMMAS = (0.1, 0.5, 0.2, 0.25)
STEP_SIZES = (2, 3, 4, 5, 10, 20, 30)


def sample(rng: random.Random, difficulty: int) -> dict:
    """A draw whose epoch separates at least two named mistakes from the answer."""
    while True:
        params = _draw(rng, difficulty)
        if len(mistakes(params)) >= 2:
            return params


def _draw(rng: random.Random, difficulty: int) -> dict:
    params = {"lr0": rng.choice(BASE_LRS), "gamma": rng.choice(GAMMAS)}
    if difficulty == 1:
        s, k = rng.choice(STEP_SIZES), rng.randint(1, 3)
        where = rng.choice(["before_drop", "on_drop", "inside"] if s > 2 else
                           ["before_drop", "on_drop"])
        epoch = {"before_drop": k * s - 1, "on_drop": k * s,
                 "inside": k * s + rng.randint(1, s - 2) if s > 2 else k * s}[where]
        return {**params, "scheduler": "StepLR", "step_size": s, "epoch": epoch}
    count = 2 if difficulty == 2 else 3
    spacing = rng.choice([3, 5, 10, 20])
    milestones, m = [], 0
    for _ in range(count):
        m += spacing * rng.randint(1, 3)
        milestones.append(m)
    if difficulty == 2:
        epoch = rng.randint(milestones[0], milestones[-1] + spacing)
    else:
        epoch = rng.choice(milestones[1:]) - rng.choice([0, 1])
    return {**params, "scheduler": "MultiStepLR", "milestones": milestones, "epoch": epoch}


def _make(params: dict, module):
    """A factory for the scheduler, from `module` (reference.lr_scheduler or torch's)."""
    if params["scheduler"] == "StepLR":
        return lambda opt: module.StepLR(opt, step_size=params["step_size"],
                                         gamma=params["gamma"])
    return lambda opt: module.MultiStepLR(opt, milestones=params["milestones"],
                                          gamma=params["gamma"])


@per_variant
def history(params: dict) -> list[float]:
    """The lr at epochs 0..e from reference.lr_scheduler."""
    return lr_history(_make(params, reference.lr_scheduler), params["lr0"], params["epoch"])


def answer(params: dict) -> float:
    return history(params)[-1]


def oracle(params: dict) -> float:
    return torch_lr_history(_make(params, torch.optim.lr_scheduler), params["lr0"],
                            params["epoch"])[-1]


def _drops(params: dict, shift: int = 0) -> int:
    """How many times gamma has been applied by epoch e + shift."""
    e = params["epoch"] + shift
    if params["scheduler"] == "StepLR":
        return max(e, 0) // params["step_size"]
    return sum(1 for m in params["milestones"] if m <= e)


def closed_form(params: dict) -> sp.Expr:
    """eta_0 * gamma^(number of drops), the drops counted from the definition."""
    e = params["epoch"]
    if params["scheduler"] == "StepLR":
        drops = sp.floor(sp.Rational(e, params["step_size"]))
    else:
        drops = sum(sp.Integer(1) for m in params["milestones"] if m <= e)
    return sp.Rational(str(params["lr0"])) * sp.Rational(str(params["gamma"])) ** drops


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def _call(params: dict) -> str:
    if params["scheduler"] == "StepLR":
        return (f"torch.optim.lr_scheduler.StepLR(optimizer, step_size={params['step_size']}, "
                f"gamma={params['gamma']})")
    return (f"torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones={params['milestones']}, "
            f"gamma={params['gamma']})")


def prompt(params: dict, lang: str) -> str:
    lr0, e = num(params["lr0"]), params["epoch"]
    if lang == "zh":
        return (
            f"SGD 优化器的初始学习率为 $\\eta_0 = {lr0}$，并使用调度器 {_call(params)}，"
            f"每个 epoch 结束时调用一次 scheduler.step()。epoch 从 0 开始编号，第 $e$ 个 epoch "
            f"使用的学习率就是调用 $e$ 次 scheduler.step() 之后的学习率"
            f"（即 scheduler.last_epoch = $e$ 时）。求第 $e = {e}$ 个 epoch 使用的学习率 "
            f"$\\eta_{{{e}}}${ACCURACY['zh']}。"
        )
    return (
        f"An SGD optimizer starts with learning rate $\\eta_0 = {lr0}$ and is wrapped in "
        f"{_call(params)}; scheduler.step() is called once at the end of every epoch. Epochs "
        f"are numbered from 0, and the learning rate used in epoch $e$ is the one in effect "
        f"after $e$ calls to scheduler.step() (scheduler.last_epoch = $e$). Find the learning "
        f"rate $\\eta_{{{e}}}$ used in epoch $e = {e}${ACCURACY['en']}."
    )


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    e, gamma, lr0 = params["epoch"], num(params["gamma"]), num(params["lr0"])
    drops = _drops(params)
    if params["scheduler"] == "StepLR":
        s = params["step_size"]
        rule = (f"StepLR 在第 ${s}, {2 * s}, {3 * s}, \\ldots$ 个 epoch 把学习率乘以 $\\gamma = {gamma}$，"
                f"到第 ${e}$ 个 epoch 共衰减 $\\lfloor {e}/{s} \\rfloor = {drops}$ 次" if zh else
                f"StepLR multiplies the lr by $\\gamma = {gamma}$ at epochs "
                f"${s}, {2 * s}, {3 * s}, \\ldots$; by epoch ${e}$ it has done so "
                f"$\\lfloor {e}/{s} \\rfloor = {drops}$ times")
    else:
        passed = [m for m in params["milestones"] if m <= e]
        listed = ", ".join(map(str, passed)) if passed else ("无" if zh else "none")
        rule = (f"MultiStepLR 在每个里程碑 epoch 把学习率乘以 $\\gamma = {gamma}$；"
                f"不超过 ${e}$ 的里程碑有 {listed}，共 ${drops}$ 个" if zh else
                f"MultiStepLR multiplies the lr by $\\gamma = {gamma}$ at each milestone; the "
                f"milestones $\\le {e}$ are {listed}: ${drops}$ of them")
    runs = segments(history(params))
    table = ("，" if zh else ", ").join(
        f"epoch ${a}$–${b}$: ${num(lr, 8)}$" if a != b else f"epoch ${a}$: ${num(lr, 8)}$"
        for a, b, lr in runs)
    return [
        rule,
        ("逐个 epoch 的学习率：" if zh else "Epoch by epoch: ") + table,
        f"$\\eta_{{{e}}} = {lr0} \\cdot {gamma}^{{{drops}}} = {answer_tex(params)}$",
        ANSWER[lang] + f"$\\eta_{{{e}}} = {answer_tex(params)}$",
    ]


FEEDBACK = {
    "keras_one_epoch_early": {
        "en": "You dropped the lr one epoch early, as the Keras recipe "
              "lr0 * drop^floor((1 + epoch) / epochs_drop) does; torch's scheduler has stepped "
              "e times in epoch e, so the drop at a milestone m is first seen in epoch m.",
        "zh": "你提前一个 epoch 降低了学习率，这是 Keras 常见写法 "
              "lr0 * drop^floor((1 + epoch) / epochs_drop) 的结果；torch 中第 e 个 epoch 时调度器"
              "已调用 e 次 step，里程碑 m 处的衰减从第 m 个 epoch 才开始生效。",
    },
    "counts_epochs_from_one": {
        "en": "You dropped the lr one epoch late, as if epochs were numbered from 1; with "
              "torch's numbering (from 0) the lr of epoch m already includes the drop at m.",
        "zh": "你晚了一个 epoch 才降低学习率，相当于把 epoch 从 1 开始编号；按 torch 的编号"
              "（从 0 开始），第 m 个 epoch 的学习率已经包含了在 m 处的衰减。",
    },
    "ceil_instead_of_floor": {
        "en": "You rounded e/step_size up; StepLR counts only the drops already reached: "
              "floor(e / step_size).",
        "zh": "你把 e/step_size 向上取整了；StepLR 只计已经到达的衰减次数：floor(e / step_size)。",
    },
    "gamma_every_epoch": {
        "en": "You multiplied by gamma every epoch, which is ExponentialLR; StepLR multiplies "
              "only once every step_size epochs.",
        "zh": "你每个 epoch 都乘了 gamma，那是 ExponentialLR；StepLR 每 step_size 个 epoch "
              "才乘一次。",
    },
    "gamma_once": {
        "en": "You applied gamma once in total; MultiStepLR multiplies by gamma again at every "
              "milestone passed, so the factor is gamma^(number of milestones <= e).",
        "zh": "你总共只乘了一次 gamma；MultiStepLR 每经过一个里程碑都要再乘一次，"
              "因子是 gamma^(不超过 e 的里程碑个数)。",
    },
    "periodic_first_milestone": {
        "en": "You treated the first milestone as a period (StepLR); MultiStepLR drops only at "
              "the listed milestones.",
        "zh": "你把第一个里程碑当成了周期（即 StepLR）；MultiStepLR 只在列出的里程碑处衰减。",
    },
    "gamma_as_reduction": {
        "en": "You reduced the lr by a fraction gamma (multiplying by 1 - gamma); gamma is the "
              "factor the lr is multiplied by at each drop.",
        "zh": "你把 gamma 当成了下降的比例（乘以 1 - gamma）；gamma 是每次衰减时学习率要乘的因子。",
    },
    "milestones_as_durations": {
        "en": "You read the milestones as lengths of successive stages; they are absolute epoch "
              "indices (the lr drops at epoch m itself).",
        "zh": "你把里程碑理解成各阶段的持续长度；它们其实是绝对的 epoch 编号"
              "（学习率就在第 m 个 epoch 下降）。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    lr0, gamma, e = params["lr0"], params["gamma"], params["epoch"]
    found = [("keras_one_epoch_early", lr0 * gamma ** _drops(params, +1)),
             ("counts_epochs_from_one", lr0 * gamma ** _drops(params, -1)),
             ("gamma_as_reduction", lr0 * (1 - gamma) ** _drops(params))]
    if params["scheduler"] == "StepLR":
        found += [("ceil_instead_of_floor", lr0 * gamma ** math.ceil(e / params["step_size"])),
                  ("gamma_every_epoch", lr0 * gamma**e)]
    else:
        milestones = params["milestones"]
        ends = [sum(milestones[: i + 1]) for i in range(len(milestones))]
        found += [("gamma_once", lr0 * gamma ** min(1, _drops(params))),
                  ("periodic_first_milestone", lr0 * gamma ** (e // milestones[0])),
                  ("milestones_as_durations", lr0 * gamma ** sum(1 for m in ends if m <= e))]
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]
