r"""How many values an EMA effectively averages, and how fast an old value's weight halves.

With decay :math:`\beta` a value seen k updates ago has weight :math:`(1-\beta)\beta^k`; the
weights sum to 1 and the effective window is :math:`1/(1-\beta)`; the half-life is
:math:`\ln(1/2)/\ln\beta` updates.

Difficulty 1: the window for a decay. 2: the half-life for a decay. 3: the window or half-life of
a BatchNorm layer's running statistics, given torch's ``momentum`` (the weight of the *new*
value, so :math:`\beta = 1 - \text{momentum}`), as a number, or half the time as a formula in the
decay (or the momentum).
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank import _formula
from question_bank._format import num
from quizgen.model import Mistake
from reference.averaging import effective_window, ema_update, ema_update_alpha, half_life

ID = "averaging.effective_window"
TOPIC = "averaging"
TITLE = {"en": "EMA window and half-life", "zh": "EMA 的有效窗口与半衰期"}
KIND = "number"

DECAYS = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.8, 0.75)
MOMENTA = (0.1, 0.01, 0.05, 0.2, 0.02, 0.3)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        return {"decay": rng.choice(DECAYS), "ask": "window", "given": "decay"}
    if difficulty == 2:
        return {"decay": rng.choice(DECAYS), "ask": "half_life", "given": "decay"}
    if rng.random() < 0.5:
        return {"formula": True, "ask": rng.choice(["window", "half_life"]),
                "given": rng.choice(["decay", "momentum"])}
    momentum = rng.choice(MOMENTA)
    return {"momentum": momentum, "decay": round(1 - momentum, 10),
            "ask": rng.choice(["window", "half_life"]), "given": "momentum"}


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    if params["ask"] == "window":
        return effective_window(params["decay"])
    return half_life(params["decay"])


def oracle(params: dict) -> float:
    """Read off the impulse response of torch's own EMA (get_ema_multi_avg_fn): the weight
    of the newest value is 1 - beta (window = its reciprocal), and beta^h = 1/2 is solved
    from the weight ratio of consecutive values."""
    import torch
    from torch.optim.swa_utils import get_ema_multi_avg_fn

    update = get_ema_multi_avg_fn(params["decay"])
    average = [torch.zeros(2, dtype=torch.float64)]
    update(average, [torch.tensor([1.0, 0.0], dtype=torch.float64)], None)  # the impulse
    newest = average[0][0].item()
    update(average, [torch.zeros(2, dtype=torch.float64)], None)  # one more update
    ratio = average[0][0].item() / newest  # = beta
    if params["ask"] == "window":
        return 1 / newest
    return math.log(0.5) / math.log(ratio)


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    beta = 1 - sp.Rational(str(params["momentum"])) if params["given"] == "momentum" else (
        sp.Rational(str(params["decay"])))
    if params["ask"] == "window":
        return 1 / (1 - beta)
    return sp.log(sp.Rational(1, 2)) / sp.log(beta)


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 8)


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    if not params.get("formula"):
        return []
    return ["beta:unit_interval" if params["given"] == "decay" else "m:unit_interval"]


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-9}


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    ask = params["ask"]
    if params["given"] == "momentum":
        m = num(params["momentum"])
        if lang == "zh":
            what = ("有效窗口 $1/(1-\\beta)$，即大约平均了多少个 batch 的统计量" if ask == "window"
                    else "半衰期，即一个 batch 的统计量的权重减半需要多少次更新")
            return (f"torch.nn.BatchNorm2d(64, momentum={params['momentum']}) 在训练时用 "
                    f"$\\hat x_{{\\text{{new}}}} = (1 - m) \\hat x + m x_t$（$m = {m}$）更新 "
                    f"running_mean。求它的{what}，保留至少 5 位有效数字。")
        what = ("effective window (how many batches it averages over, $1/(1-\\beta)$)"
                if ask == "window" else "half-life (the number of updates after which one "
                "batch's statistic has half its initial weight)")
        return (f"torch.nn.BatchNorm2d(64, momentum={params['momentum']}) updates running_mean in "
                f"training as $\\hat x_{{\\text{{new}}}} = (1 - m) \\hat x + m x_t$ with $m = {m}$. "
                f"Compute its {what}, to at least 5 significant figures.")
    beta = num(params["decay"])
    rule = "\\bar\\theta_t = \\beta \\bar\\theta_{t-1} + (1 - \\beta) \\theta_t"
    if lang == "zh":
        what = ("有效窗口 $1/(1-\\beta)$（它大约平均了多少个值）" if ask == "window"
                else "半衰期：一个值进入平均后，再经过多少次更新它的权重减为一半（可以不是整数）")
        return (f"一个指数移动平均 ${rule}$ 的衰减系数为 $\\beta = {beta}$。求它的{what}"
                f"，保留至少 5 位有效数字。")
    what = ("effective window $1/(1-\\beta)$ (roughly how many values it averages)"
            if ask == "window" else "half-life: after how many further updates a value's weight "
            "in the average has halved (not necessarily a whole number)")
    return (f"An exponential moving average ${rule}$ has decay $\\beta = {beta}$. Compute its "
            f"{what}, to at least 5 significant figures.")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    beta = num(params["decay"])
    lines = []
    if params["given"] == "momentum":
        m = num(params["momentum"])
        lines.append(f"torch 的 momentum 是新值的权重，所以 $\\beta = 1 - {m} = {beta}$" if lang == "zh"
                     else f"torch's momentum is the new value's weight, so "
                     f"$\\beta = 1 - {m} = {beta}$")
    lines.append("$k$ 步之前的值的权重为 $(1-\\beta)\\beta^k$，所有权重之和为 1。" if lang == "zh"
                 else "A value seen $k$ updates ago has weight $(1-\\beta)\\beta^k$; the weights "
                 "sum to 1.")
    if params["ask"] == "window":
        lines.append(f"$N = \\frac{{1}}{{1 - \\beta}} = \\frac{{1}}{{1 - {beta}}} = "
                     f"{answer_tex(params)}$")
    else:
        lines.append(f"$\\beta^h = \\frac{{1}}{{2}} \\Rightarrow h = \\frac{{\\ln 0.5}}{{\\ln {beta}}}"
                     f" = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "mean_age": {
        "en": "beta / (1 - beta) is the mean age of the averaged values; the effective window "
              "(how many values are averaged) is 1 / (1 - beta).",
        "zh": "beta / (1 - beta) 是被平均的值的平均“年龄”；有效窗口（平均了多少个值）是 1 / (1 - beta)。",
    },
    "inverse_decay": {
        "en": "The window is 1 / (1 - beta), the reciprocal of the new value's weight, not "
              "1 / beta.",
        "zh": "窗口是 1 / (1 - beta)，即新值权重的倒数，而不是 1 / beta。",
    },
    "momentum_as_decay": {
        "en": "torch's BatchNorm momentum is the weight of the new value; the decay is "
              "1 - momentum.",
        "zh": "torch BatchNorm 的 momentum 是新值的权重；衰减系数是 1 - momentum。",
    },
    "first_order_approx": {
        "en": "ln 2 / (1 - beta) only approximates the half-life for beta close to 1; the exact "
              "value solves beta^h = 1/2, h = ln 0.5 / ln beta.",
        "zh": "ln 2 / (1 - beta) 只是 beta 接近 1 时的近似；精确值由 beta^h = 1/2 解出，h = ln 0.5 / ln beta。",
    },
    "window_instead": {
        "en": "1 / (1 - beta) is the effective window; the half-life solves beta^h = 1/2, "
              "which is about 0.69 of it.",
        "zh": "1 / (1 - beta) 是有效窗口；半衰期由 beta^h = 1/2 解出，约为它的 0.69 倍。",
    },
    "inverted_log": {
        "en": "You divided the logarithms the wrong way round: h = ln 0.5 / ln beta.",
        "zh": "两个对数相除的顺序反了：h = ln 0.5 / ln beta。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    beta = params["decay"]
    found = []
    if params["ask"] == "window":
        if params["given"] == "momentum":  # 1 / (1 - m) = 1 / beta: name the real slip
            found.append(("momentum_as_decay", 1 / (1 - params["momentum"])))
        else:
            found.append(("inverse_decay", 1 / beta))
        found.append(("mean_age", beta / (1 - beta)))
    else:
        found += [("first_order_approx", math.log(2) / (1 - beta)),
                  ("window_instead", 1 / (1 - beta)),
                  ("inverted_log", math.log(beta) / math.log(0.5))]
        if params["given"] == "momentum":
            found.append(("momentum_as_decay", math.log(0.5) / math.log(params["momentum"])))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: the window or half-life in beta (or in BatchNorm's momentum m) --------
BETA, M = _formula.symbols("beta:unit_interval", "m:unit_interval")
NAMES = {BETA: r"\beta"}


def _decay(params: dict) -> sp.Expr:
    return BETA if params["given"] == "decay" else 1 - M


def _formula_value(params: dict) -> sp.Expr:
    beta = _decay(params)
    return 1 / (1 - beta) if params["ask"] == "window" else sp.log(sp.Rational(1, 2)) / sp.log(beta)


def evaluate(params: dict, values: dict) -> float:
    """Read off the impulse response of reference.averaging's EMA step (decay convention, or
    torch BatchNorm's momentum convention): the newest value's weight and the ratio of
    consecutive weights."""
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    if params["given"] == "decay":
        first = ema_update(zero, one, values["beta"])
        second = ema_update(first, zero, values["beta"])
    else:
        first = ema_update_alpha(zero, one, values["m"])
        second = ema_update_alpha(first, zero, values["m"])
    newest, ratio = first.item(), second.item() / first.item()
    return 1 / newest if params["ask"] == "window" else math.log(0.5) / math.log(ratio)


def _formula_prompt(params: dict, lang: str) -> str:
    window = params["ask"] == "window"
    if params["given"] == "momentum":
        if lang == "zh":
            what = ("有效窗口 $1/(1-\\beta)$（它大约平均了多少个 batch，$\\beta$ 为衰减系数）"
                    if window else "半衰期（一个 batch 的统计量的权重减半需要多少次更新，可以不是整数）")
            return (f"torch.nn.BatchNorm2d(64, momentum=m) 在训练时用 "
                    f"$\\hat x_{{\\text{{new}}}} = (1 - m) \\hat x + m x_t$ 更新 running_mean"
                    f"（$0 < m < 1$）。写出它的{what}关于 $m$ 的表达式，变量输入为 m。")
        what = ("effective window $1/(1-\\beta)$, $\\beta$ being its decay (how many batches "
                "it averages over)" if window else "half-life (the number of updates after "
                "which one batch's statistic has half its initial weight, not necessarily whole)")
        return (f"torch.nn.BatchNorm2d(64, momentum=m) updates running_mean in training as "
                f"$\\hat x_{{\\text{{new}}}} = (1 - m) \\hat x + m x_t$, with $0 < m < 1$. Give "
                f"its {what} as an expression in $m$; type it as m.")
    rule = "\\bar\\theta_t = \\beta \\bar\\theta_{t-1} + (1 - \\beta) \\theta_t"
    if lang == "zh":
        what = ("有效窗口（它大约平均了多少个值，即各权重之和除以最新值的权重）" if window
                else "半衰期：一个值进入平均后，再经过多少次更新它的权重减为一半（可以不是整数）")
        return (f"一个指数移动平均 ${rule}$ 的衰减系数为 $0 < \\beta < 1$。写出它的{what}关于 "
                f"$\\beta$ 的表达式，变量输入为 beta（或 β）。")
    what = ("effective window (roughly how many values it averages: the sum of the weights "
            "over the newest value's weight)" if window else "half-life: after how many "
            "further updates a value's weight in the average has halved (not necessarily whole)")
    return (f"An exponential moving average ${rule}$ has decay $0 < \\beta < 1$. Give its "
            f"{what} as an expression in $\\beta$; type it as beta (or β).")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = []
    if params["given"] == "momentum":
        lines.append("torch 的 momentum 是新值的权重，所以 $\\beta = 1 - m$" if zh
                     else "torch's momentum is the new value's weight, so $\\beta = 1 - m$")
    lines.append("$k$ 步之前的值的权重为 $(1-\\beta)\\beta^k$，所有权重之和为 1。" if zh
                 else "A value seen $k$ updates ago has weight $(1-\\beta)\\beta^k$; the weights "
                 "sum to 1.")
    if params["ask"] == "window":
        lines.append(f"$N = \\frac{{1}}{{1 - \\beta}} = {answer_tex(params)}$")
    else:
        lines.append(f"$\\beta^h = \\frac{{1}}{{2}} \\Rightarrow h = "
                     f"\\frac{{\\ln(1/2)}}{{\\ln \\beta}} = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    beta, half = _decay(params), sp.Rational(1, 2)
    momentum = params["given"] == "momentum"
    if params["ask"] == "window":
        found = [("momentum_as_decay", 1 / (1 - M)) if momentum else ("inverse_decay", 1 / BETA),
                 ("mean_age", beta / (1 - beta))]
    else:
        found = [("first_order_approx", sp.log(2) / (1 - beta)),
                 ("window_instead", 1 / (1 - beta)),
                 ("inverted_log", sp.log(beta) / sp.log(half))]
        if momentum:
            found.append(("momentum_as_decay", sp.log(half) / sp.log(M)))
    return found
