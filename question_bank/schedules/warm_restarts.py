r"""SGDR: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0, T_mult, eta_min).

.. math::
   \eta = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur}/T_i))

T_cur counts epochs since the last restart; when it reaches T_i the lr jumps back to eta_0 and
T_i is multiplied by T_mult, so restarts fall at T_0, T_0(1 + T_mult), T_0(1 + T_mult +
T_mult^2), ...

Difficulty 1: T_mult = 1, the lr at an epoch after the first restart. 2: T_mult = 2 or 3, the
epoch of the n-th restart. 3: T_mult = 2, eta_min possibly > 0, the lr at an epoch in a later,
longer cycle. eta_min is never reached exactly before a restart (conventions.md section 6).
"""

from __future__ import annotations

import math
import random
import warnings

import sympy as sp
import torch

import reference.optim
from question_bank._format import num, par, plain
from question_bank._memo import per_variant
from question_bank.schedules._lr import ACCURACY, ANSWER, distinct_from, torch_lr_history
from quizgen.model import Mistake
from reference.lr_scheduler import CosineAnnealingWarmRestarts

ID = "schedules.warm_restarts"
TOPIC = "schedules"
TITLE = {"en": "Cosine annealing with warm restarts (SGDR)", "zh": "带热重启的余弦退火（SGDR）"}
KIND = "number"

BASE_LRS = (0.1, 0.05, 0.2, 0.01, 0.5, 1.0)
ORDINAL = {"en": {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}, "zh": {1: "一", 2: "二", 3: "三", 4: "四"}}


def sample(rng: random.Random, difficulty: int) -> dict:
    params = {"lr0": rng.choice(BASE_LRS), "eta_min": 0.0, "ask": "lr"}
    if difficulty == 1:
        t_0 = rng.choice((5, 8, 10, 20))
        params.update(T_0=t_0, T_mult=1, epoch=_off_restart(rng, t_0 + 1, 3 * t_0 - 1, t_0, 1))
    elif difficulty == 2:
        t_mult = rng.choice((2, 3))
        params.update(T_0=rng.choice((1, 2, 5, 10)), T_mult=t_mult, ask="restart",
                      n=rng.randint(2, 4 if t_mult == 2 else 3))
    else:
        t_0 = rng.choice((2, 3, 5, 10))
        if rng.random() < 0.5:
            params["eta_min"] = round(params["lr0"] * rng.choice((0.01, 0.1)), 8)
        params.update(T_0=t_0, T_mult=2, epoch=_off_restart(rng, t_0 + 1, 7 * t_0 - 1, t_0, 2))
    return params


def _off_restart(rng: random.Random, low: int, high: int, t_0: int, t_mult: int) -> int:
    """An epoch in [low, high] that is neither a restart nor a cycle's midpoint."""
    while True:
        epoch = rng.randint(low, high)
        t_cur, t_i = _position(epoch, t_0, t_mult)
        if t_cur != 0 and 2 * t_cur != t_i:
            return epoch


def _position(epoch: int, t_0: int, t_mult: int, extra: int = 0) -> tuple[int, int]:
    """(T_cur, T_i) by whole cycles, each ``extra`` epochs longer than it should be."""
    t_cur, t_i = epoch, t_0
    while t_cur >= t_i + extra:
        t_cur -= t_i + extra
        t_i *= t_mult
    return t_cur, t_i


def _epochs(params: dict) -> int:
    if params["ask"] == "lr":
        return params["epoch"]
    return params["T_0"] * sum(params["T_mult"] ** i for i in range(params["n"] + 1))


@per_variant
def run(params: dict) -> tuple[list[float], int, int]:
    """The lr at epochs 0..E, and the scheduler's (T_cur, T_i) at E, from the reference."""
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = reference.optim.SGD([weight], lr=params["lr0"])
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=params["T_0"],
                                            T_mult=params["T_mult"], eta_min=params["eta_min"])
    lrs = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(_epochs(params)):
            scheduler.step()  # no optimizer.step(): see question_bank.schedules._lr
            lrs.append(optimizer.param_groups[0]["lr"])
    return lrs, scheduler.T_cur, scheduler.T_i


def _read(params: dict, lrs: list[float]) -> float:
    if params["ask"] == "lr":
        return lrs[params["epoch"]]
    # Inside a cycle the lr is below eta_0; it is back at eta_0 exactly at a restart.
    restarts = [e for e in range(1, len(lrs)) if lrs[e] >= lrs[0] * (1 - 1e-12)]
    return restarts[params["n"] - 1]


def answer(params: dict) -> float:
    return _read(params, run(params)[0])


def oracle(params: dict) -> float:
    lrs = torch_lr_history(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0=params["T_0"], T_mult=params["T_mult"], eta_min=params["eta_min"]),
        params["lr0"], _epochs(params))
    return _read(params, lrs)


def closed_form(params: dict) -> sp.Expr:
    """Restarts at the partial sums of the geometric series T_0 T_mult^i; the lr from
    Loshchilov & Hutter (2017), eq. 5."""
    t_0, m = sp.Integer(params["T_0"]), sp.Integer(params["T_mult"])
    if params["ask"] == "restart":
        n = params["n"]
        return n * t_0 if m == 1 else t_0 * (m**n - 1) / (m - 1)
    cycle_start, t_i = sp.Integer(0), t_0
    while cycle_start + t_i <= params["epoch"]:
        cycle_start, t_i = cycle_start + t_i, t_i * m
    t_cur = params["epoch"] - cycle_start
    lr0, eta_min = sp.Rational(str(params["lr0"])), sp.Rational(str(params["eta_min"]))
    return eta_min + (lr0 - eta_min) * (1 + sp.cos(sp.pi * t_cur / t_i)) / 2


def answer_tex(params: dict) -> str:
    value = answer(params)
    return str(int(value)) if params["ask"] == "restart" else num(value, 8)


def tolerance(params: dict) -> dict:
    if params["ask"] == "restart":
        return {"rtol": 0.0, "atol": 0.01}  # an epoch index: exact
    return {"rtol": 1e-4, "atol": 1e-12}


def prompt(params: dict, lang: str) -> str:
    lr0, t_0, m = num(params["lr0"]), params["T_0"], params["T_mult"]
    call = (f"torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0={t_0}, "
            f"T_mult={m}, eta_min={plain(params['eta_min'])})")
    formula = (r"$\eta = \eta_{\min} + \frac{1}{2}(\eta_0 - \eta_{\min})"
               r"\left(1 + \cos\frac{\pi T_{\mathrm{cur}}}{T_i}\right)$")
    if lang == "zh":
        head = (f"初始学习率 $\\eta_0 = {lr0}$，调度器为 {call}，每个 epoch 结束时调用一次 "
                f"scheduler.step()，epoch 从 0 开始编号。学习率为 {formula}，其中 "
                f"$T_{{\\mathrm{{cur}}}}$ 是距上次重启的 epoch 数；当 $T_{{\\mathrm{{cur}}}}$ 达到 "
                f"$T_i$ 时重启（学习率回到 $\\eta_0$），并令 $T_i \\leftarrow T_i \\cdot "
                f"T_{{\\mathrm{{mult}}}}$（$T_i$ 初值为 $T_0$）。")
        if params["ask"] == "restart":
            n = params["n"]
            return head + f"第{ORDINAL['zh'][n]}次重启发生在第几个 epoch（学习率在哪个 epoch 回到 $\\eta_0$）？"
        e = params["epoch"]
        return head + f"求第 $e = {e}$ 个 epoch 的学习率{ACCURACY['zh']}。"
    head = (f"The learning rate starts at $\\eta_0 = {lr0}$ and is scheduled by {call}, stepped "
            f"once at the end of every epoch; epochs are numbered from 0. The lr is {formula}, "
            f"where $T_{{\\mathrm{{cur}}}}$ counts epochs since the last restart; when "
            f"$T_{{\\mathrm{{cur}}}}$ reaches $T_i$ the schedule restarts (the lr jumps back to "
            f"$\\eta_0$) and $T_i \\leftarrow T_i \\cdot T_{{\\mathrm{{mult}}}}$, starting from "
            f"$T_i = T_0$. ")
    if params["ask"] == "restart":
        n = params["n"]
        return head + (f"In which epoch does the {ORDINAL['en'][n]} restart happen (the epoch "
                       f"whose lr is back at $\\eta_0$)?")
    e = params["epoch"]
    return head + f"Find the learning rate of epoch $e = {e}${ACCURACY['en']}."


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lrs, t_cur, t_i = run(params)
    t_0, m = params["T_0"], params["T_mult"]
    if params["ask"] == "restart":
        n = params["n"]
        lengths = [t_0 * m**i for i in range(n)]
        starts = [sum(lengths[: i + 1]) for i in range(n)]
        return [
            ("各周期长度为 $T_0 \\cdot T_{\\mathrm{mult}}^i$：" if zh else
             "The cycles last $T_0 \\cdot T_{\\mathrm{mult}}^i$ epochs: ")
            + "$" + ", ".join(map(str, lengths)) + "$",
            ("重启发生在这些长度的部分和处：" if zh else "Restarts fall at their partial sums: ")
            + "$" + ", ".join(map(str, starts)) + "$",
            ANSWER[lang] + f"$e = {answer_tex(params)}$",
        ]
    e, lr0, eta_min = params["epoch"], params["lr0"], params["eta_min"]
    cosine = math.cos(math.pi * t_cur / t_i)
    return [
        (f"第 ${e}$ 个 epoch 位于长度 $T_i = {t_i}$ 的周期内，距上次重启 "
         f"$T_{{\\mathrm{{cur}}}} = {t_cur}$ 个 epoch" if zh else
         f"Epoch ${e}$ lies in a cycle of length $T_i = {t_i}$, "
         f"$T_{{\\mathrm{{cur}}}} = {t_cur}$ epochs after the last restart"),
        f"$\\cos\\frac{{{t_cur}\\pi}}{{{t_i}}} = {num(cosine, 8)}$",
        f"$\\eta = {num(eta_min)} + \\frac{{1}}{{2}}({num(lr0)} - {num(eta_min)})"
        f"(1 + {par(cosine, 8)}) = {answer_tex(params)}$",
        ANSWER[lang] + f"$\\eta_{{{e}}} = {answer_tex(params)}$",
    ]


FEEDBACK = {
    "no_restart": {
        "en": "You kept annealing past T_0 as CosineAnnealingLR would; with warm restarts the "
              "lr jumps back to eta_0 when T_cur reaches T_i, and T_cur restarts from 0.",
        "zh": "你像 CosineAnnealingLR 那样在 T_0 之后继续退火；热重启时 T_cur 达到 T_i 后学习率"
              "回到 eta_0，T_cur 从 0 重新计数。",
    },
    "T_mult_ignored": {
        "en": "You kept every cycle T_0 long; after each restart the cycle length is multiplied "
              "by T_mult.",
        "zh": "你让每个周期都是 T_0 长；每次重启后周期长度要乘以 T_mult。",
    },
    "reaches_eta_min_before_restart": {
        "en": "You made each cycle one epoch longer (lr = eta_min at T_cur = T_i, then a "
              "restart); torch restarts at T_cur = T_i, so eta_min itself is never used.",
        "zh": "你把每个周期多算了一个 epoch（T_cur = T_i 时取 eta_min 再重启）；torch 在 "
              "T_cur = T_i 时就重启，eta_min 本身永远取不到。",
    },
    "missing_half": {
        "en": "You left out the factor 1/2 of the cosine: (1 + cos)/2 goes from 1 to 0.",
        "zh": "你漏掉了余弦项的系数 1/2：(1 + cos)/2 才是从 1 降到 0。",
    },
    "cycle_length_not_cumulative": {
        "en": "That is the length of the n-th cycle; the restart epoch is the sum of all cycle "
              "lengths so far, T_0 (1 + T_mult + ... + T_mult^(n-1)).",
        "zh": "这是第 n 个周期的长度；重启的 epoch 是此前所有周期长度之和："
              "T_0 (1 + T_mult + ... + T_mult^(n-1))。",
    },
    "restarts_every_T_0": {
        "en": "You restarted every T_0 epochs; with T_mult > 1 each cycle is T_mult times "
              "longer than the one before.",
        "zh": "你每 T_0 个 epoch 重启一次；T_mult > 1 时每个周期是前一个的 T_mult 倍长。",
    },
    "one_cycle_too_many": {
        "en": "You summed one cycle too many: the n-th restart ends the n-th cycle, "
              "T_0 (1 + ... + T_mult^(n-1)).",
        "zh": "你多加了一个周期：第 n 次重启是第 n 个周期的结束，即 T_0 (1 + ... + T_mult^(n-1))。",
    },
}


def _lr(params: dict, t_cur: float, t_i: float, half: float = 0.5) -> float:
    eta_min = params["eta_min"]
    return eta_min + half * (params["lr0"] - eta_min) * (1 + math.cos(math.pi * t_cur / t_i))


def mistakes(params: dict) -> list[Mistake]:
    t_0, m = params["T_0"], params["T_mult"]
    if params["ask"] == "restart":
        n, first = params["n"], int(answer(params))
        found = [("cycle_length_not_cumulative", t_0 * m ** (n - 1)),
                 ("restarts_every_T_0", n * t_0),
                 ("one_cycle_too_many", t_0 * sum(m**i for i in range(n + 1)))]
        return [Mistake(k, v, FEEDBACK[k]) for k, v in distinct_from(first, found)]
    e = params["epoch"]
    t_cur, t_i = _position(e, t_0, m)
    found = [("no_restart", _lr(params, e, t_0)),
             ("reaches_eta_min_before_restart", _lr(params, *_position(e, t_0, m, extra=1))),
             ("missing_half", _lr(params, t_cur, t_i, half=1.0))]
    if m > 1:
        found.append(("T_mult_ignored", _lr(params, *_position(e, t_0, 1))))
    return [Mistake(k, v, FEEDBACK[k]) for k, v in distinct_from(answer(params), found)]
