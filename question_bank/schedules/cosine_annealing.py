r"""The learning rate at epoch e under torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min).

.. math::
   \eta_e = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})\,(1 + \cos(\pi e / T_{max}))

Difficulty 1: eta_min = 0, 0 < e < T_max. 2: eta_min > 0. 3: an epoch past T_max, where torch's
schedule is not clamped: the cosine has period 2 T_max and the lr rises again (conventions.md
section 6); "clamped at eta_min" is a named mistake. Half the time, difficulty 3 asks for the lr
of epoch t as a formula instead, and half of the rest in parts: the cosine factor at an epoch e,
the lr there from it, and the lr at T_max + e from the same factor (it is 1 minus it there).
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank import DEFAULT_TOLERANCE, _formula, _parts
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
from reference.lr_scheduler import CosineAnnealingLR

ID = "schedules.cosine_annealing"
TOPIC = "schedules"
TITLE = {"en": "Cosine annealing", "zh": "余弦退火"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.2, 0.01, 0.5, 1.0)
T_MAXES = (10, 20, 30, 40, 50, 100)
ETA_MIN_FRACTIONS = (0.01, 0.1, 0.05)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True}
    if _parts.chosen(rng, difficulty):  # an epoch before T_max and one past it, in parts
        return {**sample(rng, 2), "parts": True}
    lr0, t_max = rng.choice(BASE_LRS), rng.choice(T_MAXES)
    eta_min = 0.0
    if difficulty == 2 or (difficulty == 3 and rng.random() < 0.5):
        eta_min = round(lr0 * rng.choice(ETA_MIN_FRACTIONS), 6)
    low, high = (1, t_max - 1) if difficulty < 3 else (t_max + 1, 2 * t_max - 1)
    while True:  # skip the midpoint, where the cosine is 0 and most slips vanish
        epoch = rng.randint(low, high)
        if 2 * epoch != t_max and 2 * epoch != 3 * t_max:
            return {"lr0": lr0, "T_max": t_max, "eta_min": eta_min, "epoch": epoch}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


@per_variant
def history(params: dict) -> list[float]:
    return lr_history(lambda opt: CosineAnnealingLR(opt, T_max=params["T_max"],
                                                    eta_min=params["eta_min"]),
                      params["lr0"], params["epoch"])


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return history(params)[-1]


def oracle(params: dict) -> float:
    return torch_lr_history(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=params["T_max"], eta_min=params["eta_min"]),
        params["lr0"], params["epoch"])[-1]


def closed_form(params: dict) -> sp.Expr:
    """Loshchilov & Hutter (2017), eq. 5 without restarts, T_cur = e."""
    if params.get("formula"):
        return _formula_value(params)
    lr0, eta_min = sp.Rational(str(params["lr0"])), sp.Rational(str(params["eta_min"]))
    angle = sp.pi * sp.Rational(params["epoch"], params["T_max"])
    return eta_min + (lr0 - eta_min) * (1 + sp.cos(angle)) / 2


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 8)


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    lr0, t_max, e = num(params["lr0"]), params["T_max"], params["epoch"]
    call = (f"torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={t_max}, "
            f"eta_min={plain(params['eta_min'])})")
    formula = (r"$\eta_e = \eta_{\min} + \frac{1}{2}(\eta_0 - \eta_{\min})"
               r"\left(1 + \cos\frac{\pi e}{T_{\max}}\right)$")
    if params.get("parts"):
        return _parts.stem(_parts_setup(params, call, formula), 3, lang)
    if lang == "zh":
        return (f"初始学习率 $\\eta_0 = {lr0}$，调度器为 {call}，每个 epoch 结束时调用一次 "
                f"scheduler.step()，epoch 从 0 开始编号。PyTorch 的学习率为 {formula}，"
                f"且不做截断。求第 $e = {e}$ 个 epoch 的学习率 $\\eta_{{{e}}}${ACCURACY['zh']}。")
    return (f"The learning rate starts at $\\eta_0 = {lr0}$ and is scheduled by {call}, "
            f"stepped once at the end of every epoch; epochs are numbered from 0. PyTorch's "
            f"learning rate is {formula}, with no clamping. Find the learning rate "
            f"$\\eta_{{{e}}}$ of epoch $e = {e}${ACCURACY['en']}.")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    lr0, eta_min, t_max, e = params["lr0"], params["eta_min"], params["T_max"], params["epoch"]
    cosine = math.cos(math.pi * e / t_max)
    lines = []
    if e > t_max:
        lines.append(
            f"$e = {e} > T_{{\\max}} = {t_max}$：PyTorch 不截断，余弦的周期是 "
            f"$2 T_{{\\max}} = {2 * t_max}$，学习率在 $T_{{\\max}}$ 之后重新上升" if zh else
            f"$e = {e} > T_{{\\max}} = {t_max}$: PyTorch does not clamp; the cosine has period "
            f"$2 T_{{\\max}} = {2 * t_max}$, so the lr rises again after $T_{{\\max}}$")
    lines += [
        f"$\\cos\\frac{{{e}\\pi}}{{{t_max}}} = {num(cosine, 8)}$",
        f"$\\eta_{{{e}}} = {num(eta_min)} + \\frac{{1}}{{2}}({num(lr0)} - {num(eta_min)})"
        f"(1 + {par(cosine, 8)}) = {answer_tex(params)}$",
        ANSWER[lang] + f"$\\eta_{{{e}}} = {answer_tex(params)}$",
    ]
    return lines


FEEDBACK = {
    "missing_half": {
        "en": "You left out the factor 1/2: 1 + cos goes from 2 to 0, so the half brings the "
              "lr from eta_0 (not 2 eta_0) down to eta_min.",
        "zh": "你漏掉了系数 1/2：1 + cos 的取值从 2 变到 0，乘上 1/2 才能让学习率从 eta_0"
              "（而不是 2 eta_0）降到 eta_min。",
    },
    "degrees_mode": {
        "en": "Your calculator was in degree mode; the angle pi e / T_max is in radians.",
        "zh": "你的计算器处于角度（DEG）模式；pi e / T_max 是弧度。",
    },
    "full_period_T_max": {
        "en": "You took T_max as the full period (cos(2 pi e / T_max)); T_max is half a "
              "period: the lr reaches eta_min at e = T_max.",
        "zh": "你把 T_max 当成了整个周期（cos(2 pi e / T_max)）；T_max 只是半个周期："
              "学习率在 e = T_max 时降到 eta_min。",
    },
    "eta_min_ignored": {
        "en": "You ignored eta_min; the cosine interpolates between eta_0 and eta_min: "
              "eta_min + (eta_0 - eta_min)(1 + cos)/2.",
        "zh": "你忽略了 eta_min；余弦是在 eta_0 和 eta_min 之间插值："
              "eta_min + (eta_0 - eta_min)(1 + cos)/2。",
    },
    "no_pi": {
        "en": "The angle is pi t / T_max: without pi the cosine does not reach -1 at t = T_max.",
        "zh": "角度是 pi t / T_max：少了 pi，余弦在 t = T_max 时到不了 -1。",
    },
    "clamped_at_eta_min": {
        "en": "torch's CosineAnnealingLR does not stop at eta_min: past T_max the cosine keeps "
              "going (period 2 T_max) and the lr rises again.",
        "zh": "torch 的 CosineAnnealingLR 不会停在 eta_min：超过 T_max 后余弦继续变化"
              "（周期 2 T_max），学习率会重新上升。",
    },
}


def _cosine_lr(params: dict, cosine: float, half: float = 0.5, eta_min: float | None = None):
    eta_min = params["eta_min"] if eta_min is None else eta_min
    return eta_min + half * (params["lr0"] - eta_min) * (1 + cosine)


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    angle = math.pi * params["epoch"] / params["T_max"]
    found = [("missing_half", _cosine_lr(params, math.cos(angle), half=1.0)),
             ("degrees_mode", _cosine_lr(params, math.cos(math.radians(angle)))),
             ("full_period_T_max", _cosine_lr(params, math.cos(2 * angle)))]
    if params["eta_min"]:
        found.append(("eta_min_ignored", _cosine_lr(params, math.cos(angle), eta_min=0.0)))
    if params["epoch"] > params["T_max"]:
        found.append(("clamped_at_eta_min", params["eta_min"]))
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]


# -- the formula variant: eta_t in eta_0, eta_min, T and t --------------------------------------
FORMULA_VARIABLES = [LR_VARIABLE, "eta_min:nonnegative", "T:positive_integer", EPOCH_VARIABLE]
ETA_0, ETA_MIN, T_MAX, T = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {ETA_MIN: r"\eta_{\min}", T_MAX: "T"}


def _cosine_formula(angle: sp.Expr, half: bool = True, eta_min: sp.Expr = ETA_MIN) -> sp.Expr:
    return eta_min + (ETA_0 - eta_min) * (1 + sp.cos(angle)) / (2 if half else 1)


def _formula_value(params: dict) -> sp.Expr:
    return _cosine_formula(sp.pi * T / T_MAX)


def evaluate(params: dict, values: dict) -> float:
    """reference.lr_scheduler.CosineAnnealingLR (torch's recursive form) stepped t times."""
    return lr_at(lambda opt: CosineAnnealingLR(opt, T_max=int(values["T"]),
                                               eta_min=values["eta_min"]), values)


def _formula_prompt(params: dict, lang: str) -> str:
    call = ("torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=$T$, "
            "eta_min=$\\eta_{\\min}$)")
    note = ("，包括 $t > T$" if lang == "zh" else ", including $t > T$")
    return formula_prompt(call, "eta_0, eta_min, T, t", lang, note)


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    return [("余弦从 $\\eta_0$ 在 $T$ 个 epoch 内半个周期降到 $\\eta_{\\min}$，"
             "之后不截断，继续按周期 $2T$ 变化：" if zh else
             "The cosine takes the lr from $\\eta_0$ down to $\\eta_{\\min}$ over half a "
             "period, $T$ epochs, and is not clamped afterwards (period $2T$): ")
            + f"$\\eta_t = {answer_tex(params)}$",
            ANSWER[lang] + f"$\\eta_t = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    angle = sp.pi * T / T_MAX
    return [("missing_half", _cosine_formula(angle, half=False)),
            ("eta_min_ignored", _cosine_formula(angle, eta_min=0)),
            ("full_period_T_max", _cosine_formula(2 * angle)),
            ("no_pi", _cosine_formula(T / T_MAX))]
    # Not clamped_at_eta_min (min(t, T) in the angle): it differs from the key only where
    # t > T, and the grader's 12 points miss that half of its domain about once in 1,500.


# -- the variant in parts: the cosine factor at e, the lr at e, the lr at T_max + e --------------
def _parts_setup(params: dict, call: str, formula: str) -> dict[str, str]:
    lr0 = num(params["lr0"])
    return {
        "en": f"The learning rate starts at $\\eta_0 = {lr0}$ and is scheduled by {call}, "
              f"stepped once at the end of every epoch; epochs are numbered from 0. PyTorch's "
              f"learning rate is {formula}, with no clamping past $T_{{\\max}}$ (the cosine "
              f"goes on, with period $2 T_{{\\max}}$). Give every value to a relative error of $10^{{-4}}$.",
        "zh": f"初始学习率 $\\eta_0 = {lr0}$，调度器为 {call}，每个 epoch 结束时调用一次 "
              f"scheduler.step()，epoch 从 0 开始编号。PyTorch 的学习率为 {formula}，超过 "
              f"$T_{{\\max}}$ 后也不截断（余弦继续，周期为 $2 T_{{\\max}}$）。每个值的相对误差不超过 $10^{{-4}}$。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """The factor (1 + cos(pi e / T_max))/2, the lr at e from it, the lr at T_max + e from it
    (where the factor is 1 minus the one at e)."""
    if not params.get("parts"):
        return None
    lr0, eta_min, t_max, e = params["lr0"], params["eta_min"], params["T_max"], params["epoch"]
    later = {**params, "epoch": t_max + e}
    lr_e, lr_later = history(params)[-1], history(later)[-1]
    factor = (lr_e - eta_min) / (lr0 - eta_min)  # read off the reference's lr
    angle, lit, mk = math.pi * e / t_max, _parts.lit, _parts.mistake
    tol = dict(DEFAULT_TOLERANCE)
    between = f"{lit(eta_min)} + ({lit(lr0)} - {lit(eta_min)})"
    half = "\\frac{1}{2}"
    return [
        _parts.part(0, {"en": f"the cosine factor ${half}(1 + \\cos\\frac{{\\pi e}}"
                              f"{{T_{{\\max}}}})$ at epoch $e = {e}$.",
                        "zh": f"第 $e = {e}$ 个 epoch 的余弦因子 ${half}(1 + \\cos"
                              f"\\frac{{\\pi e}}{{T_{{\\max}}}})$。"},
                    factor, num(factor, 8), tol,
                    _parts.both(f"$\\cos\\frac{{{e}\\pi}}{{{t_max}}} = "
                                f"{num(math.cos(angle), 8)}$",
                                f"${half}(1 + {par(math.cos(angle), 8)}) = {num(factor, 8)}$"),
                    [mk("missing_half", 1 + math.cos(angle), FEEDBACK["missing_half"]),
                     mk("degrees_mode", (1 + math.cos(math.radians(angle))) / 2,
                        FEEDBACK["degrees_mode"]),
                     mk("full_period_T_max", (1 + math.cos(2 * angle)) / 2,
                        FEEDBACK["full_period_T_max"])]),
        _parts.part(1, {"en": f"the learning rate $\\eta_{{{e}}}$, from (a).",
                        "zh": f"学习率 $\\eta_{{{e}}}$（由 (a) 得到）。"},
                    lr_e, num(lr_e, 8), tol,
                    _parts.both(f"$\\eta_{{{e}}} = {num(eta_min)} + ({num(lr0)} - "
                                f"{num(eta_min)}) \\cdot {num(factor, 8)} = {num(lr_e, 8)}$"),
                    [mk("eta_min_ignored", lr0 * factor, FEEDBACK["eta_min_ignored"])],
                    uses=["a"], formula=f"{between}*a"),
        _parts.part(2, {"en": f"the learning rate $\\eta_{{{t_max + e}}}$ at epoch "
                              f"$T_{{\\max}} + e = {t_max + e}$, from (a).",
                        "zh": f"第 $T_{{\\max}} + e = {t_max + e}$ 个 epoch 的学习率 "
                              f"$\\eta_{{{t_max + e}}}$（由 (a) 得到）。"},
                    lr_later, num(lr_later, 8), tol,
                    _parts.both(f"${half}(1 + \\cos\\frac{{({t_max} + {e})\\pi}}{{{t_max}}})"
                                f" = 1 - {num(factor, 8)}$",
                                f"$\\eta_{{{t_max + e}}} = {num(eta_min)} + ({num(lr0)} - "
                                f"{num(eta_min)})(1 - {num(factor, 8)}) = {num(lr_later, 8)}$"),
                    mistakes(later), uses=["a"], formula=f"{between}*(1 - a)"),
    ]
