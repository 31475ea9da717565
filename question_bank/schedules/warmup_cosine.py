r"""Linear warmup then cosine decay, as torch's SequentialLR(LinearLR, CosineAnnealingLR) runs it.

.. math::
   \eta_t = \begin{cases}
     \eta_0\,(s + (1-s)\,t/W) & t < W \quad\text{(LinearLR(start\_factor=s, total\_iters=W))}\\
     \eta_{min} + \tfrac12(\eta_0-\eta_{min})(1+\cos(\pi\frac{t-W}{T-W})) & W \le t \le T
     \quad\text{(CosineAnnealingLR(T\_max=T-W))}
   \end{cases}

Difficulty 1: a step inside the warmup. 2: a step in the cosine phase, eta_min = 0.
3: the cosine phase with eta_min > 0. Steps count from 0 (step t uses the lr after t calls to
scheduler.step()), so the first step already has s * eta_0; Hugging Face's
get_cosine_schedule_with_warmup starts at 0 (t / W) and schedule-free at 1/W ((t + 1) / W)
(conventions.md section 6): both are named mistakes. The answer comes from
reference.lr_scheduler.WarmupCosineLR. Half the time, difficulty 3 asks instead for the warmup
alone, LinearLR's lr at every step t, as a formula (with min past the warmup).
"""

from __future__ import annotations

import math
import random

import sympy as sp
from torch.optim import lr_scheduler as torch_schedulers

from question_bank import _formula
from question_bank._format import num, par, plain
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
from reference.lr_scheduler import LinearLR, WarmupCosineLR

ID = "schedules.warmup_cosine"
TOPIC = "schedules"
TITLE = {"en": "Linear warmup and cosine decay", "zh": "线性预热加余弦衰减"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.01, 0.001, 3e-4, 0.5)
WARMUPS = (4, 5, 8, 10, 20)
TOTALS = (50, 60, 100, 120, 200)
START_FACTORS = (0.1, 0.01, 0.2, 0.25, 0.5)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True}
    warmup, total = rng.choice(WARMUPS), rng.choice(TOTALS)
    params = {"lr0": rng.choice(BASE_LRS), "warmup": warmup, "total": total,
              "start_factor": rng.choice(START_FACTORS), "eta_min": 0.0}
    if difficulty == 1:
        return {**params, "step": rng.randint(1, warmup - 1)}
    if difficulty == 3:
        params["eta_min"] = round(params["lr0"] * rng.choice((0.01, 0.1)), 8)
    while True:  # not the cosine's midpoint, where several slips agree with the answer
        step = rng.randint(warmup + 1, total - 1)
        if 2 * (step - warmup) != total - warmup:
            return {**params, "step": step}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


@per_variant
def history(params: dict) -> list[float]:
    return lr_history(
        lambda opt: WarmupCosineLR(opt, warmup_steps=params["warmup"],
                                   total_steps=params["total"], eta_min=params["eta_min"],
                                   start_factor=params["start_factor"]),
        params["lr0"], params["step"])


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return history(params)[-1]


def oracle(params: dict) -> float:
    """torch's own composition: SequentialLR of LinearLR then CosineAnnealingLR."""
    w, t = params["warmup"], params["total"]

    def make(opt):
        warm = torch_schedulers.LinearLR(opt, start_factor=params["start_factor"],
                                         end_factor=1.0, total_iters=w)
        cosine = torch_schedulers.CosineAnnealingLR(opt, T_max=t - w, eta_min=params["eta_min"])
        return torch_schedulers.SequentialLR(opt, [warm, cosine], milestones=[w])

    return torch_lr_history(make, params["lr0"], params["step"])[-1]


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    q = sp.Rational
    lr0, s, eta_min = (q(str(params[k])) for k in ("lr0", "start_factor", "eta_min"))
    t, w, total = params["step"], params["warmup"], params["total"]
    if t < w:
        return lr0 * (s + (1 - s) * q(t, w))
    return eta_min + (lr0 - eta_min) * (1 + sp.cos(sp.pi * q(t - w, total - w))) / 2


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 8)


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    lr0, s, w, total, t = (num(params["lr0"]), num(params["start_factor"]), params["warmup"],
                           params["total"], params["step"])
    eta_min = num(params["eta_min"])
    warm = (f"LinearLR(optimizer, start_factor={s}, end_factor=1.0, total_iters={w})")
    cosine = (f"CosineAnnealingLR(optimizer, T_max={total - w}, "
              f"eta_min={plain(params['eta_min'])})")
    formula = ("$\\eta_t = \\eta_0 \\left(s + (1 - s)\\frac{t}{W}\\right)$ "
               "($t < W$), $\\eta_t = \\eta_{\\min} + \\frac{1}{2}(\\eta_0 - \\eta_{\\min})"
               "\\left(1 + \\cos\\frac{\\pi (t - W)}{T - W}\\right)$ ($W \\le t \\le T$)")
    givens = (f"$\\eta_0 = {lr0}$, $s = {s}$, $W = {w}$, $T = {total}$, "
              f"$\\eta_{{\\min}} = {eta_min}$")
    if lang == "zh":
        return (f"用 torch.optim.lr_scheduler.SequentialLR 组合两个调度器：先 {warm} 线性预热，"
                f"从第 $W$ 步起切换到 {cosine}（milestones=[{w}]）。每次参数更新后调用一次 "
                f"scheduler.step()，步数 $t$ 从 0 开始，第 $t$ 步使用调用 $t$ 次 step() 后的"
                f"学习率，所以第 0 步的学习率是 $s \\eta_0$ 而不是 0。学习率为 {formula}，"
                f"其中 {givens}。求第 $t = {t}$ 步的学习率 $\\eta_{{{t}}}${ACCURACY['zh']}。")
    return (f"A schedule is built with torch.optim.lr_scheduler.SequentialLR: a linear warmup "
            f"{warm}, then from step $W$ on {cosine} (milestones=[{w}]). scheduler.step() is "
            f"called after every optimizer update; steps $t$ count from 0 and step $t$ uses the "
            f"lr in effect after $t$ calls to step(), so step 0 already uses $s \\eta_0$, not 0. "
            f"The lr is {formula}, with {givens}. Find the learning rate $\\eta_{{{t}}}$ at "
            f"step $t = {t}${ACCURACY['en']}.")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    lr0, s, eta_min = params["lr0"], params["start_factor"], params["eta_min"]
    t, w, total = params["step"], params["warmup"], params["total"]
    value = answer_tex(params)
    if t < w:
        lines = [
            (f"$t = {t} < W = {w}$，处于预热阶段" if zh else
             f"$t = {t} < W = {w}$: still warming up"),
            f"$\\eta_{{{t}}} = {num(lr0)} \\left({num(s)} + (1 - {num(s)}) \\cdot "
            f"\\frac{{{t}}}{{{w}}}\\right) = {value}$",
        ]
    else:
        cosine = math.cos(math.pi * (t - w) / (total - w))
        lines = [
            (f"$t = {t} \\ge W = {w}$，处于余弦阶段，进度 " if zh else
             f"$t = {t} \\ge W = {w}$: in the cosine phase, progress ")
            + f"$\\frac{{t - W}}{{T - W}} = \\frac{{{t - w}}}{{{total - w}}}$",
            f"$\\cos\\frac{{{t - w}\\pi}}{{{total - w}}} = {num(cosine, 8)}$",
            f"$\\eta_{{{t}}} = {num(eta_min)} + \\frac{{1}}{{2}}({num(lr0)} - {num(eta_min)})"
            f"(1 + {par(cosine, 8)}) = {value}$",
        ]
    return lines + [ANSWER[lang] + f"$\\eta_{{{t}}} = {value}$"]


FEEDBACK = {
    "hf_zero_start": {
        "en": "You used Hugging Face's warmup eta_0 * t / W, which starts at 0; torch's "
              "LinearLR starts at start_factor * eta_0 and rises linearly to eta_0 at t = W.",
        "zh": "你用了 Hugging Face 的预热 eta_0 * t / W，它从 0 开始；torch 的 LinearLR 从 "
              "start_factor * eta_0 开始，线性增长到 t = W 时的 eta_0。",
    },
    "warmup_off_by_one": {
        "en": "You used t + 1 in the warmup (the first step already one step along); step t "
              "uses the lr after t scheduler steps, so step 0 has exactly s * eta_0.",
        "zh": "你在预热里用了 t + 1（把第一步当成已经走了一步）；第 t 步使用调用 t 次 step() "
              "之后的学习率，第 0 步恰好是 s * eta_0。",
    },
    "start_factor_not_scaled": {
        "en": "You added t / W to s; the factor goes from s to 1, so the increment is "
              "(1 - s) * t / W.",
        "zh": "你直接把 t / W 加到了 s 上；因子是从 s 增长到 1，增量应为 (1 - s) * t / W。",
    },
    "factors_swapped": {
        "en": "LinearLR goes from start_factor to end_factor: the factor rises from s to 1 "
              "(a warmup), it does not fall from 1 to s.",
        "zh": "LinearLR 从 start_factor 变到 end_factor：因子从 s 增长到 1（这是预热），"
              "而不是从 1 降到 s。",
    },
    "cosine_not_shifted": {
        "en": "You started the cosine at t = 0; it starts after the warmup, so its argument is "
              "pi (t - W) / (T - W).",
        "zh": "你让余弦从 t = 0 开始；余弦在预热结束后才开始，自变量是 pi (t - W) / (T - W)。",
    },
    "cosine_over_total": {
        "en": "You spread the cosine over all T steps; it only covers the T - W steps after "
              "the warmup (T_max = T - W).",
        "zh": "你把余弦铺满了全部 T 步；它只覆盖预热之后的 T - W 步（T_max = T - W）。",
    },
    "missing_half": {
        "en": "You left out the factor 1/2 of the cosine: (1 + cos)/2 goes from 1 to 0.",
        "zh": "你漏掉了余弦项的系数 1/2：(1 + cos)/2 才是从 1 降到 0。",
    },
    "eta_min_ignored": {
        "en": "You ignored eta_min; the cosine decays towards eta_min, not 0.",
        "zh": "你忽略了 eta_min；余弦衰减的终点是 eta_min，而不是 0。",
    },
}


def _cosine(params: dict, angle: float, half: float = 0.5, eta_min: float | None = None):
    eta_min = params["eta_min"] if eta_min is None else eta_min
    return eta_min + half * (params["lr0"] - eta_min) * (1 + math.cos(angle))


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    lr0, s = params["lr0"], params["start_factor"]
    t, w, total = params["step"], params["warmup"], params["total"]
    if t < w:
        found = [("hf_zero_start", lr0 * t / w),
                 ("warmup_off_by_one", lr0 * (s + (1 - s) * (t + 1) / w)),
                 ("start_factor_not_scaled", lr0 * (s + t / w))]
    else:
        right = math.pi * (t - w) / (total - w)
        found = [("cosine_not_shifted", _cosine(params, math.pi * t / (total - w))),
                 ("cosine_over_total", _cosine(params, math.pi * (t - w) / total)),
                 ("missing_half", _cosine(params, right, half=1.0))]
        if params["eta_min"]:
            found.append(("eta_min_ignored", _cosine(params, right, eta_min=0.0)))
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]


# -- the formula variant: LinearLR's warmup at every step t -------------------------------------
FORMULA_VARIABLES = [LR_VARIABLE, "s:unit_interval", "W:positive_integer", EPOCH_VARIABLE]
ETA_0, S, W, T = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {}


def _warmup(factor_start: sp.Expr, progress: sp.Expr) -> sp.Expr:
    return ETA_0 * (factor_start + (1 - factor_start) * progress)


def _formula_value(params: dict) -> sp.Expr:
    return _warmup(S, sp.Min(T, W) / W)


def evaluate(params: dict, values: dict) -> float:
    """reference.lr_scheduler.LinearLR (torch's recursive form) stepped t times."""
    return lr_at(lambda opt: LinearLR(opt, start_factor=values["s"], end_factor=1.0,
                                      total_iters=int(values["W"])), values)


def _formula_prompt(params: dict, lang: str) -> str:
    call = ("torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=$s$, total_iters=$W$)"
            + ("（end_factor 取默认值 1，$0 < s < 1$；这里“epoch”即一次 scheduler.step()）"
               if lang == "zh" else " (end_factor at its default 1, $0 < s < 1$; an \"epoch\" "
               "here is one scheduler.step())"))
    note = ("，包括预热结束之后；可以用 min(a, b)" if lang == "zh"
            else ", after the warmup too; min(a, b) is accepted")
    return formula_prompt(call, "eta_0, s, W, t", lang, note)


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    return [("LinearLR 的因子在 $W$ 步内从 $s$ 线性增长到 1，之后保持 1：" if zh else
             "LinearLR's factor grows linearly from $s$ to 1 over $W$ steps, then stays at 1: ")
            + "$s + (1 - s) \\frac{\\min(t, W)}{W}$",
            f"$\\eta_t = {answer_tex(params)}$",
            ANSWER[lang] + f"$\\eta_t = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    # Not hf_zero_start (min(t, W) / W), warmup_off_by_one (min(t + 1, W)) or no_clamp (t / W):
    # each differs from the key only on one side of t = W, half the domain, which the grader's
    # 12 points miss about once in 2,500 verdicts. These two differ almost everywhere.
    return [("start_factor_not_scaled", ETA_0 * (S + sp.Min(T, W) / W)),
            ("factors_swapped", ETA_0 * (1 - (1 - S) * sp.Min(T, W) / W))]
