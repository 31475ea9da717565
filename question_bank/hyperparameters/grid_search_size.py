r"""How many trials a full grid search needs, and what it costs.

A grid with :math:`k_i` values for hyper-parameter i has :math:`\prod_i k_i` points (:math:`k^d`
with k values for each of d). Difficulty 1: k values for each of d hyper-parameters, the number of
trials. 2: different counts per hyper-parameter, the total compute hours at a given time per
trial. 3: the grid given by its value lists, run on G GPUs in parallel rounds (one trial
per GPU per round), the wall-clock hours: :math:`\lceil N/G \rceil` rounds.

The count comes from reference.search (``grid_size``, ``grid_points``).
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank._format import num
from quizgen.model import Mistake
from reference.search import grid_points, grid_size

ID = "hyperparameters.grid_search_size"
TOPIC = "hyperparameters"
TITLE = {"en": "Grid search size and cost", "zh": "网格搜索的规模与开销"}
KIND = "number"

NAMES = ("learning rate", "batch size", "dropout", "weight decay", "momentum", "warmup steps")
NAMES_ZH = {"learning rate": "学习率", "batch size": "批大小", "dropout": "dropout 比例",
            "weight decay": "权重衰减", "momentum": "动量", "warmup steps": "预热步数"}
VALUES = {
    "learning rate": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    "batch size": (16, 32, 64, 128, 256),
    "dropout": (0.0, 0.1, 0.2, 0.3, 0.5),
    "weight decay": (0.0, 1e-5, 1e-4, 1e-3, 1e-2),
    "momentum": (0.8, 0.9, 0.95, 0.99),
    "warmup steps": (0, 100, 500, 1000, 2000),
}
MINUTES = (5, 10, 12, 15, 20, 30, 45, 90)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        while True:
            k, d = rng.choice((3, 4, 5, 10)), rng.choice((2, 3, 4))
            if k**d != d**k:  # else swapping base and exponent would be right
                return {"counts": [k] * d, "ask": "trials"}
    names = rng.sample(NAMES, rng.choice((3, 4)))
    if difficulty == 2:
        while True:
            counts = [rng.randint(2, 6) for _ in names]
            if len(set(counts)) > 1:
                break
        return {"names": names, "counts": counts, "ask": "hours", "minutes": rng.choice(MINUTES)}
    space = {n: sorted(rng.sample(VALUES[n], rng.randint(2, len(VALUES[n])))) for n in names}
    return {"names": names, "space": space, "counts": [len(v) for v in space.values()],
            "ask": "wall_hours", "minutes": rng.choice(MINUTES), "gpus": rng.choice((4, 8, 16))}


def trials(params: dict) -> int:
    if "space" in params:
        return len(grid_points(params["space"]))
    return grid_size(params["counts"])


def _cost(params: dict, n_trials: int) -> float:
    if params["ask"] == "trials":
        return n_trials
    if params["ask"] == "hours":
        return n_trials * params["minutes"] / 60
    return math.ceil(n_trials / params["gpus"]) * params["minutes"] / 60


def answer(params: dict) -> float:
    return _cost(params, trials(params))


def oracle(params: dict) -> float:
    """torch.cartesian_prod enumerates the same grid."""
    grid = torch.cartesian_prod(*(torch.arange(k) for k in params["counts"]))
    return _cost(params, grid.shape[0])


def closed_form(params: dict) -> sp.Expr:
    n = sp.prod([sp.Integer(k) for k in params["counts"]])
    if params["ask"] == "trials":
        return n
    if params["ask"] == "hours":
        return n * sp.Rational(params["minutes"], 60)
    return sp.ceiling(n / params["gpus"]) * sp.Rational(params["minutes"], 60)


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    if params["ask"] == "trials":
        return {"rtol": 0.0, "atol": 0.01}  # a count: exact
    return {"rtol": 1e-3, "atol": 1e-9}


def _candidates(values: list[float]) -> list[str]:
    """One notation per set: 10^{-5} next to 0.0001 reads as if the scales differed."""
    if not any("10^" in num(v) for v in values):
        return [num(v) for v in values]
    return [num(v) if v == 0 or abs(v) >= 1 else _scientific(v) for v in values]


def _scientific(v: float) -> str:
    mantissa, exponent = f"{v:.6e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\times {power}"


def _listing(params: dict, lang: str) -> str:
    zh = lang == "zh"
    sep = "，" if zh else ", "
    if "space" in params:
        sets = {n: ",\\ ".join(_candidates(values)) for n, values in params["space"].items()}
        return sep.join(f"{NAMES_ZH[n] if zh else n} $\\in \\{{{sets[n]}\\}}$" for n in sets)
    return sep.join(f"{NAMES_ZH[n]} ${k}$ 个取值" if zh else f"${k}$ values of {n}"
                    for n, k in zip(params["names"], params["counts"]))


def prompt(params: dict, lang: str) -> str:
    zh = lang == "zh"
    if params["ask"] == "trials" and "names" not in params:
        k, d = params["counts"][0], len(params["counts"])
        return (f"对 ${d}$ 个超参数做网格搜索，每个超参数取 ${k}$ 个候选值，所有组合都要训练一次。"
                f"一共需要训练多少次？" if zh else
                f"A grid search tunes ${d}$ hyper-parameters with ${k}$ candidate values each, "
                f"training once for every combination. How many training runs does it take?")
    grid = _listing(params, lang)
    if params["ask"] == "trials":
        return (f"网格搜索的候选值为：{grid}，每种组合训练一次。一共需要训练多少次？" if zh else
                f"A grid search uses these candidates: {grid}, one training run per "
                f"combination. How many runs does it take?")
    minutes = params["minutes"]
    if params["ask"] == "hours":
        return (f"网格搜索的候选值为：{grid}，每种组合训练一次，每次训练需要 ${minutes}$ 分钟"
                f"（单块 GPU）。整个搜索一共需要多少 GPU 小时？（相对误差不超过 $10^{{-3}}$）"
                if zh else
                f"A grid search uses these candidates: {grid}, one training run per combination, "
                f"each run taking ${minutes}$ minutes on one GPU. How many GPU-hours does the "
                f"whole search take (to a relative error of $10^{{-3}}$)?")
    g = params["gpus"]
    return (f"网格搜索的候选值为：{grid}。每种组合训练一次，每次在一块 GPU 上需要 ${minutes}$ "
            f"分钟。现有 ${g}$ 块 GPU，每轮每块 GPU 同时跑一个组合，一轮结束后再开始下一轮。"
            f"整个搜索需要多少小时（墙钟时间）？（相对误差不超过 $10^{{-3}}$）" if zh else
            f"A grid search uses these candidates: {grid}. Each combination is trained once, "
            f"taking ${minutes}$ minutes on one GPU. ${g}$ GPUs run in rounds: each GPU trains "
            f"one combination per round, and a round starts when the previous one has finished. "
            f"How many hours of wall-clock time does the search take (to a relative error of "
            f"$10^{{-3}}$)?")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    n = trials(params)
    counts = params["counts"]
    product = " \\times ".join(map(str, counts))
    lines = [(f"组合数为各超参数取值个数之积：${product} = {n}$" if zh else
              f"The grid has the product of the counts: ${product} = {n}$ points")]
    minutes = params.get("minutes")
    if params["ask"] == "hours":
        lines.append(f"${n} \\times {minutes} / 60 = {answer_tex(params)}$"
                     + (" GPU 小时" if zh else " GPU-hours"))
    elif params["ask"] == "wall_hours":
        g, rounds = params["gpus"], math.ceil(n / params["gpus"])
        lines.append(f"需要 $\\lceil {n} / {g} \\rceil = {rounds}$ 轮" if zh else
                      f"It takes $\\lceil {n} / {g} \\rceil = {rounds}$ rounds")
        lines.append(f"${rounds} \\times {minutes} / 60 = {answer_tex(params)}$"
                     + (" 小时" if zh else " hours"))
    answer_line = "答案：" if zh else "Answer: "
    return lines + [answer_line + f"${answer_tex(params)}$"]


FEEDBACK = {
    "added_counts": {
        "en": "You added the numbers of values; a grid tries every combination, so they "
              "multiply.",
        "zh": "你把各超参数的取值个数相加了；网格要尝试所有组合，应当相乘。",
    },
    "k_times_d": {
        "en": "You multiplied k by d; every one of the d hyper-parameters multiplies the grid by "
              "k, so it has k^d points.",
        "zh": "你算成了 k 乘 d；d 个超参数每个都让组合数乘以 k，所以共有 k^d 个点。",
    },
    "d_to_the_k": {
        "en": "You swapped base and exponent: k values for each of d hyper-parameters give "
              "k^d points, not d^k.",
        "zh": "你把底数和指数弄反了：d 个超参数各取 k 个值，共 k^d 个点，而不是 d^k。",
    },
    "minutes_not_converted": {
        "en": "You left the time in minutes; divide by 60 for hours.",
        "zh": "你没有把分钟换算成小时；要除以 60。",
    },
    "no_whole_rounds": {
        "en": "You divided the trials evenly over the GPUs; the last round takes a full trial "
              "time even if only some GPUs are busy, so it is ceil(N / G) rounds.",
        "zh": "你把试验次数平均分给了各块 GPU；最后一轮即使只有部分 GPU 在跑也要花满一整次训练"
              "的时间，所以是 ceil(N / G) 轮。",
    },
    "gpus_ignored": {
        "en": "You gave the total GPU time; with G GPUs in parallel the wall-clock time is "
              "ceil(N / G) rounds of one trial each.",
        "zh": "你给出的是总的 GPU 时间；G 块 GPU 并行时，墙钟时间是 ceil(N / G) 轮，"
              "每轮一次训练的时间。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    n, counts, ask = trials(params), params["counts"], params["ask"]
    if "names" in params:
        found = [("added_counts", _cost(params, sum(counts)))]
    else:
        k, d = counts[0], len(counts)
        found = [("k_times_d", k * d), ("d_to_the_k", d**k)]
    if ask == "hours":
        found.append(("minutes_not_converted", n * params["minutes"]))
    if ask == "wall_hours":
        found += [("no_whole_rounds", n / params["gpus"] * params["minutes"] / 60),
                  ("gpus_ignored", n * params["minutes"] / 60),
                  ("minutes_not_converted", math.ceil(n / params["gpus"]) * params["minutes"])]
    right = answer(params)
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found
            if abs(value - right) > 2e-3 * abs(right)]
