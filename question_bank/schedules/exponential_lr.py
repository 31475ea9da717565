r"""Exponential learning-rate decay in its two forms: torch's ExponentialLR and the seed's.

Difficulty 1: torch.optim.lr_scheduler.ExponentialLR(gamma), the lr at epoch e:
:math:`\eta_e = \eta_0\gamma^e`. 2: the seed's form :math:`\eta_e = \eta_0 e^{-ke}` (which is
ExponentialLR with :math:`\gamma = e^{-k}`), the lr at epoch e. 3: either form, the first epoch
whose lr is below a threshold, or (half the time) the lr of epoch t as a formula in either form.

Each prompt names its form and says that epochs count from 0 (the lr of epoch e is the one after
e calls to scheduler.step()). Confusing k with gamma is the classic slip (conventions.md
section 6); it is a named mistake, with the off-by-one epoch.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

import reference.lr_scheduler
from question_bank import _formula
from question_bank._format import num
from question_bank._memo import per_variant
from question_bank.schedules._lr import (
    ACCURACY,
    ANSWER,
    EPOCH_VARIABLE,
    LR_VARIABLE,
    distinct_from,
    formula_prompt,
    lr_at,
    lr_history,
    torch_lr_history,
)
from quizgen.model import Mistake

ID = "schedules.exponential_lr"
TOPIC = "schedules"
TITLE = {"en": "Exponential learning-rate decay", "zh": "指数学习率衰减"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.2, 0.01, 0.5, 1.0)
GAMMAS = (0.9, 0.95, 0.8, 0.5, 0.85, 0.7)
KS = (0.1, 0.05, 0.2, 0.5, 0.25, 0.3)
RATIOS = (0.5, 0.1, 0.25, 0.01, 0.2)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "form": rng.choice(["gamma", "k"])}
    params = {"lr0": rng.choice(BASE_LRS), "ask": "lr"}
    form = {1: "gamma", 2: "k", 3: rng.choice(["gamma", "k"])}[difficulty]
    if form == "gamma":
        params.update(form="gamma", gamma=rng.choice(GAMMAS))
    else:
        params.update(form="k", k=rng.choice(KS))
    if difficulty < 3:
        params["epoch"] = rng.randint(3, 10 if form == "gamma" else 20)
        return params
    while True:  # a threshold not (nearly) hit exactly, so the epoch is unambiguous
        ratio = rng.choice(RATIOS)
        crossing = math.log(ratio) / _log_gamma(params)
        if abs(crossing - round(crossing)) > 0.05:
            return {**params, "ask": "first_below", "threshold": params["lr0"] * ratio,
                    "ratio": ratio}


def _log_gamma(params: dict) -> float:
    return math.log(params["gamma"]) if params["form"] == "gamma" else -params["k"]


def _factory(params: dict, module):
    if params["form"] == "gamma":
        return lambda opt: module.ExponentialLR(opt, gamma=params["gamma"])
    return lambda opt: module.ExponentialDecayLR(opt, k=params["k"])


def _torch_factory(params: dict):
    if params["form"] == "gamma":
        return lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=params["gamma"])
    k = params["k"]
    return lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda e: math.exp(-k * e))


def _epochs(params: dict) -> int:
    """How far to run the scheduler: to the asked epoch, or a few epochs past the crossing."""
    if params["ask"] == "lr":
        return params["epoch"]
    return math.floor(math.log(params["ratio"]) / _log_gamma(params)) + 3


@per_variant
def history(params: dict) -> list[float]:
    """The lr at epochs 0, 1, ... from reference.lr_scheduler."""
    return lr_history(_factory(params, reference.lr_scheduler), params["lr0"], _epochs(params))


def _read(params: dict, lrs: list[float]) -> float:
    if params["ask"] == "lr":
        return lrs[params["epoch"]]
    return next(e for e, lr in enumerate(lrs) if lr < params["threshold"])


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return _read(params, history(params))


def oracle(params: dict) -> float:
    return _read(params, torch_lr_history(_torch_factory(params), params["lr0"],
                                          _epochs(params)))


def closed_form(params: dict) -> sp.Expr:
    """eta_0 gamma^e or eta_0 exp(-k e); the crossing epoch is the first integer past
    ln(ratio) / ln(gamma)."""
    if params.get("formula"):
        return _formula_value(params)
    q = sp.Rational
    log_gamma = (sp.log(q(str(params["gamma"]))) if params["form"] == "gamma"
                 else -q(str(params["k"])))
    if params["ask"] == "lr":
        return q(str(params["lr0"])) * sp.exp(log_gamma * params["epoch"])
    return sp.floor(sp.log(q(str(params["ratio"]))) / log_gamma) + 1


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 8)


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return _formula_variables(params) if params.get("formula") else []


def tolerance(params: dict) -> dict:
    if params.get("ask") == "first_below":
        return {"rtol": 0.0, "atol": 0.01}  # an epoch index: exact
    return {"rtol": 1e-4, "atol": 1e-12}


def _schedule_text(params: dict, lang: str) -> str:
    if params["form"] == "gamma":
        return (f"torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={params['gamma']})，"
                f"即 $\\eta_e = \\eta_0 \\gamma^e$" if lang == "zh" else
                f"torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={params['gamma']}), "
                f"i.e. $\\eta_e = \\eta_0 \\gamma^e$")
    k = num(params["k"])
    return (f"指数衰减 $\\eta_e = \\eta_0 \\, e^{{-k e}}$，$k = {k}$（相当于 ExponentialLR 取 "
            f"$\\gamma = e^{{-k}}$）" if lang == "zh" else
            f"the exponential decay $\\eta_e = \\eta_0 \\, e^{{-k e}}$ with $k = {k}$ (that is, "
            f"ExponentialLR with $\\gamma = e^{{-k}}$)")


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    lr0, schedule = num(params["lr0"]), _schedule_text(params, lang)
    if lang == "zh":
        setup = (f"初始学习率 $\\eta_0 = {lr0}$，衰减方式：{schedule}。每个 epoch 结束时调用一次 "
                 f"scheduler.step()。epoch 从 0 开始编号，第 $e$ 个 epoch 使用调用 $e$ 次 step 之后的"
                 f"学习率。")
        if params["ask"] == "lr":
            e = params["epoch"]
            return setup + f"求第 $e = {e}$ 个 epoch 的学习率 $\\eta_{{{e}}}${ACCURACY['zh']}。"
        return setup + (f"从第几个 epoch 开始，学习率首次低于 ${num(params['threshold'])}$？"
                        f"求满足 $\\eta_e < {num(params['threshold'])}$ 的最小整数 $e$。")
    setup = (f"The learning rate starts at $\\eta_0 = {lr0}$ and follows {schedule}; "
             f"scheduler.step() is called at the end of every epoch. Epochs are numbered from 0, "
             f"and epoch $e$ uses the lr in effect after $e$ calls to step(). ")
    if params["ask"] == "lr":
        e = params["epoch"]
        return setup + f"Find the learning rate $\\eta_{{{e}}}$ of epoch $e = {e}${ACCURACY['en']}."
    return setup + (f"In which epoch does the learning rate first fall below "
                    f"${num(params['threshold'])}$? Give the smallest integer $e$ with "
                    f"$\\eta_e < {num(params['threshold'])}$.")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    lrs = history(params)
    lr0 = num(params["lr0"])
    if params["form"] == "gamma":
        g = num(params["gamma"])
        rule = (f"ExponentialLR 每个 epoch 乘一次 $\\gamma$：$\\eta_e = {lr0} \\cdot {g}^e$" if zh
                else f"ExponentialLR multiplies by $\\gamma$ every epoch: "
                f"$\\eta_e = {lr0} \\cdot {g}^e$")

        def power(e: int) -> str:
            return f"{lr0} \\cdot {g}^{{{e}}}"
    else:
        k = num(params["k"])
        rule = (f"$\\gamma = e^{{-{k}}} = {num(math.exp(-params['k']), 8)}$，"
                f"$\\eta_e = {lr0} \\cdot e^{{-{k} e}}$" if zh else
                f"$\\gamma = e^{{-{k}}} = {num(math.exp(-params['k']), 8)}$ and "
                f"$\\eta_e = {lr0} \\cdot e^{{-{k} e}}$")

        def power(e: int) -> str:
            return f"{lr0} \\cdot e^{{-{k} \\cdot {e}}}"
    if params["ask"] == "lr":
        e = params["epoch"]
        return [rule, f"$\\eta_{{{e}}} = {power(e)} = {answer_tex(params)}$",
                ANSWER[lang] + f"$\\eta_{{{e}}} = {answer_tex(params)}$"]
    e, thr = int(answer(params)), num(params["threshold"])
    crossing = math.log(params["ratio"]) / _log_gamma(params)
    ratio = num(params["ratio"])
    log_g = (f"\\ln {num(params['gamma'])}" if params["form"] == "gamma"
             else f"(-{num(params['k'])})")
    return [
        rule,
        (f"$\\eta_e < {thr}$ 等价于 $e > \\frac{{\\ln {ratio}}}{{{log_g}}} = {num(crossing, 6)}$"
         if zh else f"$\\eta_e < {thr}$ means $e > \\frac{{\\ln {ratio}}}{{{log_g}}} = "
         f"{num(crossing, 6)}$"),
        f"$\\eta_{{{e - 1}}} = {power(e - 1)} = {num(lrs[e - 1], 8)} \\ge {thr}$"
        + ("，" if zh else ", ") + f"$\\eta_{{{e}}} = {power(e)} = {num(lrs[e], 8)} < {thr}$",
        ANSWER[lang] + f"$e = {e}$",
    ]


FEEDBACK = {
    "k_gamma_confusion": {
        "en": "You mixed up the two forms: ExponentialLR multiplies by gamma each epoch "
              "(lr0 * gamma^e), while the exponential form in the notes is lr0 * exp(-k e), i.e. "
              "gamma = exp(-k). Use the one the question states.",
        "zh": "你混淆了两种形式：ExponentialLR 每个 epoch 乘以 gamma（lr0 * gamma^e），"
              "而讲义中的形式是 lr0 * exp(-k e)，即 gamma = exp(-k)。请按题目给出的形式计算。",
    },
    "one_minus_k_as_gamma": {
        "en": "You used gamma = 1 - k; that is only the first-order approximation of "
              "exp(-k), and the error compounds over the epochs.",
        "zh": "你取了 gamma = 1 - k；这只是 exp(-k) 的一阶近似，误差会随 epoch 累积。",
    },
    "epoch_counted_from_one": {
        "en": "Your exponent is one too small, as if epochs were numbered from 1; epoch e "
              "uses the lr after e calls to step(), so the exponent is e.",
        "zh": "你的指数少了 1，相当于把 epoch 从 1 开始编号；第 e 个 epoch 使用调用 e 次 step "
              "之后的学习率，指数就是 e。",
    },
    "decayed_before_first_epoch": {
        "en": "Your exponent is one too large: epoch 0 uses lr0 itself, and the first decay "
              "applies from epoch 1.",
        "zh": "你的指数多了 1：第 0 个 epoch 用的就是 lr0，第一次衰减从第 1 个 epoch 开始生效。",
    },
    "epoch_numbered_from_one": {
        "en": "You numbered the epochs from 1; here epoch 0 is the first one, so the answer is "
              "the number of step() calls after which the lr is below the threshold.",
        "zh": "你把 epoch 从 1 开始编号了；本题第一个 epoch 是第 0 个，答案就是学习率低于阈值时"
              "已调用 step() 的次数。",
    },
    "floor_instead_of_next_integer": {
        "en": "You gave the last epoch whose lr is still at or above the threshold; the "
              "question asks for the first epoch below it (the next integer).",
        "zh": "你给出的是学习率仍不低于阈值的最后一个 epoch；题目问的是首次低于阈值的 epoch"
              "（下一个整数）。",
    },
}


def _lr_variant(params: dict, log_gamma: float, shift: int = 0) -> float:
    return params["lr0"] * math.exp(log_gamma * (params["epoch"] + shift))


def _confused_log_gamma(params: dict) -> float:
    """ln(gamma) of a student who swaps the forms: gamma read as k, or k read as gamma."""
    return -params["gamma"] if params["form"] == "gamma" else math.log(params["k"])


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    log_gamma, confused = _log_gamma(params), _confused_log_gamma(params)
    if params["ask"] == "lr":
        found = [("k_gamma_confusion", _lr_variant(params, confused)),
                 ("epoch_counted_from_one", _lr_variant(params, log_gamma, -1)),
                 ("decayed_before_first_epoch", _lr_variant(params, log_gamma, +1))]
        if params["form"] == "k":
            found.append(("one_minus_k_as_gamma",
                          _lr_variant(params, math.log(1 - params["k"]))))
        return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]
    first = int(answer(params))
    found = [("floor_instead_of_next_integer", first - 1),
             ("epoch_numbered_from_one", first + 1),
             ("k_gamma_confusion", math.floor(math.log(params["ratio"]) / confused) + 1)]
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(first, found)]


# -- the formula variant: eta_0 gamma^t, or the gamma that gives the notes' eta_0 exp(-k t) ---
ETA_0, T, GAMMA, K = _formula.symbols(LR_VARIABLE, EPOCH_VARIABLE, "gamma:unit_interval",
                                      "k:positive")
NAMES = {}


def _formula_variables(params: dict) -> list[str]:
    if params["form"] == "gamma":
        return [LR_VARIABLE, "gamma:unit_interval", EPOCH_VARIABLE]
    return ["k:positive"]


def _formula_value(params: dict) -> sp.Expr:
    return ETA_0 * GAMMA**T if params["form"] == "gamma" else sp.exp(-K)


def evaluate(params: dict, values: dict) -> float:
    """reference.lr_scheduler.ExponentialLR stepped t times; for the k form, the factor by
    which reference.lr_scheduler.ExponentialDecayLR (the notes' form) multiplies per epoch."""
    if params["form"] == "gamma":
        return lr_at(lambda opt: reference.lr_scheduler.ExponentialLR(opt, values["gamma"]),
                     values)
    lrs = lr_history(lambda opt: reference.lr_scheduler.ExponentialDecayLR(opt, k=values["k"]),
                     1.0, 1)
    return lrs[1] / lrs[0]


def _formula_prompt(params: dict, lang: str) -> str:
    if params["form"] == "gamma":
        call = ("torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=$\\gamma$)"
                "（$0 < \\gamma < 1$）" if lang == "zh" else
                "torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=$\\gamma$) "
                "($0 < \\gamma < 1$)")
        return formula_prompt(call, "eta_0, gamma, t", lang)
    if lang == "zh":
        return ("讲义中的指数衰减为 $\\eta_t = \\eta_0 e^{-kt}$（$k > 0$，$t$ 为 epoch，从 0 开始）。"
                "要用 torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma) 得到完全相同的调度"
                "（每个 epoch 结束时调用一次 scheduler.step()），gamma 应取什么？写出关于 $k$ 的"
                "表达式，变量输入为 k。")
    return ("The notes' exponential decay is $\\eta_t = \\eta_0 e^{-kt}$ ($k > 0$, $t$ the "
            "epoch, counted from 0). Which gamma makes torch.optim.lr_scheduler.ExponentialLR("
            "optimizer, gamma), stepped once at the end of every epoch, give exactly the same "
            "schedule? Give it as an expression in $k$; type it as k.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    if params["form"] == "gamma":
        lines = [("ExponentialLR 每次 step() 把学习率乘以 $\\gamma$，调用 $t$ 次后为 " if zh else
                  "ExponentialLR multiplies the lr by $\\gamma$ at every step(); after $t$ "
                  "calls ") + f"$\\eta_t = {answer_tex(params)}$"]
        return lines + [ANSWER[lang] + f"$\\eta_t = {answer_tex(params)}$"]
    lines = [("ExponentialLR 给出 $\\eta_t = \\eta_0 \\gamma^t$；令它对每个 $t$ 等于 "
              "$\\eta_0 e^{-kt} = \\eta_0 (e^{-k})^t$" if zh else
              "ExponentialLR gives $\\eta_t = \\eta_0 \\gamma^t$; equal to "
              "$\\eta_0 e^{-kt} = \\eta_0 (e^{-k})^t$ for every $t$ means")
             + f" $\\gamma = {answer_tex(params)}$"]
    return lines + [ANSWER[lang] + f"$\\gamma = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    if params["form"] == "gamma":
        return [("k_gamma_confusion", ETA_0 * sp.exp(-GAMMA * T)),
                ("epoch_counted_from_one", ETA_0 * GAMMA ** (T - 1)),
                ("decayed_before_first_epoch", ETA_0 * GAMMA ** (T + 1))]
    return [("k_gamma_confusion", K), ("one_minus_k_as_gamma", 1 - K)]
