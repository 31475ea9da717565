r"""Time-based (inverse-time) decay :math:`\eta_t = \eta_0/(1 + k t)`, per epoch or per iteration.

Difficulty 1: t counts epochs; the lr at epoch e. 2: t counts iterations (optimizer steps), as
Keras' legacy ``decay`` and ``InverseTimeDecay`` do; the lr at the start of epoch E with a given
number of iterations per epoch. 3: per iteration, the iterations per epoch to be worked out from
the data-set size and batch size (``DataLoader(drop_last=False)``: ceil(N/B)), and the lr after E
epochs and j more iterations; or (half the time) the lr at the start of epoch t, per-iteration
decay with n iterations per epoch, as a formula.

torch has no class for this schedule; the prompt names ``LambdaLR(lambda t: 1 / (1 + k * t))``
and says what t counts (conventions.md section 6: the unit is the ambiguity).
"""

from __future__ import annotations

import math
import random
import warnings

import sympy as sp
import torch

from question_bank import _formula
from question_bank._format import num
from question_bank.schedules._lr import (
    ACCURACY,
    ANSWER,
    LR_VARIABLE,
    distinct_from,
    lr_history,
)
from quizgen.model import Mistake
from reference.lr_scheduler import TimeBasedDecayLR, time_based_decay_lr_at

ID = "schedules.time_based_decay"
TOPIC = "schedules"
TITLE = {"en": "Time-based learning-rate decay", "zh": "基于时间的学习率衰减"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.2, 0.01, 0.5, 1.0)
EPOCH_KS = (0.1, 0.05, 0.2, 0.5, 0.25, 1.0)
STEP_KS = (1e-3, 2e-3, 5e-4, 1e-2, 1e-4)
ITERS_PER_EPOCH = (50, 100, 200, 250, 500)
DATASETS = (1000, 2500, 5000, 10000, 50000, 60000)
BATCHES = (32, 64, 128, 256)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True}
    params = {"lr0": rng.choice(BASE_LRS)}
    if difficulty == 1:
        return {**params, "unit": "epoch", "k": rng.choice(EPOCH_KS), "epoch": rng.randint(1, 20)}
    params.update(unit="iteration", k=rng.choice(STEP_KS), epoch=rng.randint(1, 8))
    if difficulty == 2:
        return {**params, "iters_per_epoch": rng.choice(ITERS_PER_EPOCH), "extra": 0}
    while True:
        n, b = rng.choice(DATASETS), rng.choice(BATCHES)
        if n % b:  # a partial last batch, so drop_last matters
            break
    # k large enough that one partial batch per epoch changes the answer beyond the tolerance
    return {**params, "k": rng.choice((1e-3, 2e-3, 5e-3)), "dataset": n, "batch": b,
            "epoch": rng.randint(1, 5),
            "extra": rng.randint(1, math.ceil(n / b) - 1)}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def iterations_per_epoch(params: dict, drop_last: bool = False) -> int:
    if "iters_per_epoch" in params:
        return params["iters_per_epoch"]
    whole, partial = divmod(params["dataset"], params["batch"])
    return whole + (1 if partial and not drop_last else 0)


def steps(params: dict) -> int:
    """t: how many times the schedule has been stepped."""
    if params["unit"] == "epoch":
        return params["epoch"]
    return params["epoch"] * iterations_per_epoch(params) + params["extra"]


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return time_based_decay_lr_at(steps(params), params["lr0"], params["k"])


def oracle(params: dict) -> float:
    """torch's LambdaLR, jumped straight to step t (LambdaLR is not recursive)."""
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=params["lr0"])
    k = params["k"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + k * t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated, still exact for LambdaLR
        scheduler.step(steps(params))
    return optimizer.param_groups[0]["lr"]


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    q = sp.Rational
    if params["unit"] == "epoch":
        t = sp.Integer(params["epoch"])
    else:
        per_epoch = (sp.Integer(params["iters_per_epoch"]) if "iters_per_epoch" in params
                     else sp.ceiling(q(params["dataset"], params["batch"])))
        t = params["epoch"] * per_epoch + params["extra"]
    return q(str(params["lr0"])) / (1 + q(str(params["k"])) * t)


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 8)


def _rule(params: dict, lang: str) -> str:
    k = num(params["k"])
    formula = f"$\\eta_t = \\frac{{\\eta_0}}{{1 + k t}}$，$k = {k}$" if lang == "zh" else (
        f"$\\eta_t = \\frac{{\\eta_0}}{{1 + k t}}$ with $k = {k}$")
    call = "torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + k * t))"
    if params["unit"] == "epoch":
        return (f"基于时间的衰减 {formula}，其中 $t$ 是已完成的 epoch 数（用 {call} 实现，"
                f"每个 epoch 结束时调用一次 step()）" if lang == "zh" else
                f"time-based decay {formula}, where $t$ counts completed epochs (implemented as "
                f"{call}, stepped once at the end of every epoch)")
    return (f"基于时间的衰减 {formula}，其中 $t$ 是已完成的迭代次数，即参数更新（mini-batch）"
            f"的次数，和 Keras 的 decay 参数一样按迭代衰减（用 {call} 实现，每次 optimizer.step() "
            f"之后调用一次 scheduler.step()）" if lang == "zh" else
            f"time-based decay {formula}, where $t$ counts iterations, i.e. optimizer updates "
            f"on one mini-batch each, as Keras' decay argument does (implemented as {call}, "
            f"stepped after every optimizer.step())")


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    lr0, rule, e = num(params["lr0"]), _rule(params, lang), params["epoch"]
    zh = lang == "zh"
    head = (f"初始学习率 $\\eta_0 = {lr0}$，采用{rule}。" if zh else
            f"The learning rate starts at $\\eta_0 = {lr0}$ and follows {rule}. ")
    if params["unit"] == "epoch":
        ask = (f"epoch 从 0 开始编号，求第 $e = {e}$ 个 epoch 使用的学习率（已完成 $t = {e}$ 个 "
               f"epoch），相对误差不超过 $10^{{-4}}$。" if zh else
               f"Epochs are numbered from 0; find the learning rate used in epoch $e = {e}$ "
               f"(after $t = {e}$ completed epochs), to a relative error of $10^{{-4}}$.")
    elif "iters_per_epoch" in params:
        n = params["iters_per_epoch"]
        ask = (f"每个 epoch 有 ${n}$ 次迭代。求完整训练 ${e}$ 个 epoch 之后（第 ${e + 1}$ 个 epoch "
               f"的第一次更新使用）的学习率{ACCURACY['zh']}。" if zh else
               f"Each epoch has ${n}$ iterations. Find the learning rate after ${e}$ full epochs "
               f"(the one used by the first update of the next epoch), to a relative error of "
               f"$10^{{-4}}$.")
    else:
        n, b, j = params["dataset"], params["batch"], params["extra"]
        ask = (f"训练集有 $N = {n}$ 个样本，DataLoader 的 batch_size $= {b}$，drop_last=False"
               f"（最后一个不满的 batch 也要训练）。求训练完 ${e}$ 个完整 epoch、又做了 ${j}$ 次"
               f"迭代之后的学习率{ACCURACY['zh']}。" if zh else
               f"The training set has $N = {n}$ samples, loaded by a DataLoader with batch_size "
               f"$= {b}$ and drop_last=False (the last, partial batch is used too). Find the "
               f"learning rate after ${e}$ full epochs and ${j}$ more "
               f"iterations{ACCURACY['en']}.")
    return head + ask


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    t, lr0, k = steps(params), num(params["lr0"]), num(params["k"])
    lines = []
    if params["unit"] == "iteration":
        per_epoch = iterations_per_epoch(params)
        if "dataset" in params:
            n, b = params["dataset"], params["batch"]
            lines.append(("每个 epoch 的迭代次数 " if zh else "Iterations per epoch: ")
                         + f"$\\lceil {n} / {b} \\rceil = {per_epoch}$")
        e, j = params["epoch"], params["extra"]
        extra = f" + {j}" if j else ""
        lines.append(f"$t = {e} \\cdot {per_epoch}{extra} = {t}$")
    lines.append(f"$\\eta_{{{t}}} = \\frac{{{lr0}}}{{1 + {k} \\cdot {t}}} = "
                 f"\\frac{{{lr0}}}{{{num(1 + params['k'] * t, 10)}}} = {answer_tex(params)}$")
    return lines + [ANSWER[lang] + f"$\\eta = {answer_tex(params)}$"]


FEEDBACK = {
    "compounded": {
        "en": "You divided by (1 + k) once per step, i.e. lr0 / (1 + k)^t; time-based decay "
              "divides lr0 once by 1 + k t.",
        "zh": "你每一步都除以 (1 + k)，得到 lr0 / (1 + k)^t；基于时间的衰减只把 lr0 除以一次 "
              "1 + k t。",
    },
    "one_step_too_many": {
        "en": "You used t + 1; t is the number of steps already taken, so the first epoch or "
              "iteration uses lr0 itself.",
        "zh": "你用了 t + 1；t 是已经完成的步数，第一个 epoch（或第一次迭代）用的就是 lr0。",
    },
    "epochs_as_steps": {
        "en": "You counted epochs, but this decay is applied per iteration: t is the number of "
              "optimizer updates, epochs times iterations per epoch.",
        "zh": "你按 epoch 计数了，但这里的衰减是按迭代进行的：t 是参数更新的次数，"
              "等于 epoch 数乘以每个 epoch 的迭代次数。",
    },
    "linear_decay": {
        "en": "You decayed the lr linearly, lr0 * (1 - k t); time-based decay divides: "
              "lr0 / (1 + k t), which never reaches zero.",
        "zh": "你让学习率线性下降（lr0 * (1 - k t)）；基于时间的衰减是相除：lr0 / (1 + k t)，"
              "永远不会降到零。",
    },
    "partial_batch_dropped": {
        "en": "You used floor(N / B) iterations per epoch; with drop_last=False the last, "
              "partial batch is a step too, so an epoch has ceil(N / B) iterations.",
        "zh": "你每个 epoch 只算了 floor(N / B) 次迭代；drop_last=False 时最后那个不满的 batch "
              "也会更新一次参数，所以每个 epoch 有 ceil(N / B) 次迭代。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    lr0, k, t = params["lr0"], params["k"], steps(params)
    found = [("compounded", lr0 / (1 + k) ** t), ("one_step_too_many", lr0 / (1 + k * (t + 1)))]
    if params["unit"] == "iteration":
        found.append(("epochs_as_steps", lr0 / (1 + k * params["epoch"])))
    if "dataset" in params:
        dropped = params["epoch"] * iterations_per_epoch(params, drop_last=True) + params["extra"]
        found.append(("partial_batch_dropped", lr0 / (1 + k * dropped)))
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]


# -- the formula variant: per-iteration decay, the lr at the start of epoch t -------------------
FORMULA_VARIABLES = [LR_VARIABLE, "k:positive", "n:positive_integer", "t:positive_integer"]
ETA_0, K, N, T = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {}


def _formula_value(params: dict) -> sp.Expr:
    return ETA_0 / (1 + K * N * T)


def evaluate(params: dict, values: dict) -> float:
    """reference.lr_scheduler.TimeBasedDecayLR stepped once per iteration, n t times."""
    steps_taken = int(values["n"]) * int(values["t"])
    return lr_history(lambda opt: TimeBasedDecayLR(opt, k=values["k"]), values["eta_0"],
                      steps_taken)[-1]


def _formula_prompt(params: dict, lang: str) -> str:
    if lang == "zh":
        return ("学习率按迭代做基于时间的衰减：LambdaLR(optimizer, lambda i: 1 / (1 + k * i))，"
                "每次参数更新（每个 batch）后调用一次 scheduler.step()，$i$ 为已完成的更新次数"
                "（Keras 旧版 decay 参数的做法）。初始学习率为 $\\eta_0$，$k > 0$，每个 epoch 有 "
                "$n$ 次迭代，epoch 从 0 开始编号。写出第 $t$ 个 epoch 开始时的学习率关于 "
                "$\\eta_0, k, n, t$ 的表达式，变量输入为 eta_0、k、n、t。")
    return ("The learning rate decays per iteration: LambdaLR(optimizer, lambda i: 1 / (1 + k * "
            "i)), with scheduler.step() called after every optimizer update (every batch), i "
            "being the number of updates so far (as Keras' legacy decay argument does). The "
            "initial learning rate is $\\eta_0$, $k > 0$, an epoch has $n$ iterations, and "
            "epochs are numbered from 0. Give the learning rate at the start of epoch $t$ as an "
            "expression in $\\eta_0, k, n, t$; type them as eta_0, k, n, t.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    return [("第 $t$ 个 epoch 开始前已完成 $t$ 个 epoch，即 $i = n t$ 次更新" if zh else
             "Before epoch $t$ starts, $t$ epochs have run: $i = n t$ updates"),
            f"$\\eta = \\frac{{\\eta_0}}{{1 + k i}} = {answer_tex(params)}$",
            ANSWER[lang] + f"$\\eta = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    return [("epochs_as_steps", ETA_0 / (1 + K * T)),
            ("compounded", ETA_0 / (1 + K) ** (N * T)),
            ("one_step_too_many", ETA_0 / (1 + K * (N * T + 1))),
            ("linear_decay", ETA_0 * (1 - K * N * T))]
