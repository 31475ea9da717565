r"""Random search: the chance that n trials hit the top q of the space, or the trials needed.

Each trial independently lands in the best fraction q of the search space with probability q, so

.. math::
   P = 1 - (1 - q)^n, \qquad n_{min}(p) = \left\lceil \frac{\ln(1-p)}{\ln(1-q)} \right\rceil

(Bergstra & Bengio, 2012; n = 60, q = 0.05 gives 0.954, conventions.md section 12).

Difficulty 1: P for given n and q. 2: the fewest trials for a target probability p. 3: q is the
fraction of a log-uniform learning-rate range taken by the good decades (the fraction of the
logarithm's range, not of the length), then either question. Half the time, difficulty 2 and
3 ask instead for P as a formula in q and n, or for the real n at which it reaches p as a formula
in p and q. Answers come from reference.search (``probability_top_hit``, ``trials_needed``).
"""

from __future__ import annotations

import math
import random

import sympy as sp

from question_bank import _formula
from question_bank._format import num
from quizgen.model import Mistake
from reference.search import probability_top_hit, trials_needed

ID = "hyperparameters.random_search_hits"
TOPIC = "hyperparameters"
TITLE = {"en": "Random search: hitting the top of the space", "zh": "随机搜索命中最优区域的概率"}
KIND = "number"

FRACTIONS = (0.05, 0.01, 0.1, 0.02, 0.2)
TRIALS = (10, 20, 30, 50, 60, 100)
TARGETS = (0.9, 0.95, 0.99)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty > 1 and rng.random() < 0.5:
        return {"formula": True, "ask": "probability" if difficulty == 2 else "trials"}
    if difficulty == 3:
        low = rng.choice((-7, -6, -5))
        high = rng.choice((-1, 0))
        good_low = rng.randint(low + 1, high - 2)
        params = {"log_range": [low, high], "good": [good_low, good_low + rng.choice((1, 2))]}
        params["q"] = (params["good"][1] - good_low) / (high - low)
        ask = rng.choice(("probability", "trials"))
    else:
        params = {"q": rng.choice(FRACTIONS)}
        ask = "probability" if difficulty == 1 else "trials"
    # Not so many trials that the probability is 1 to every printed digit (a free answer).
    informative = [n for n in TRIALS if probability_top_hit(params["q"], n) < 0.999]
    if ask == "probability" and informative:
        return {**params, "ask": ask, "n": rng.choice(informative)}
    ask = "trials"
    while True:  # a target whose ln ratio is not an integer, so floor and ceil differ
        p = rng.choice(TARGETS)
        ratio = math.log(1 - p) / math.log(1 - params["q"])
        if abs(ratio - round(ratio)) > 1e-3:
            return {**params, "ask": ask, "p": p}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    if not params.get("formula"):
        return []
    return ["q:unit_interval", "n:positive_integer" if params["ask"] == "probability"
            else "p:unit_interval"]


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    if params["ask"] == "probability":
        return probability_top_hit(params["q"], params["n"])
    return trials_needed(params["q"], params["p"])


def _q_exact(params: dict) -> sp.Rational:
    if "log_range" in params:
        (low, high), (a, b) = params["log_range"], params["good"]
        return sp.Rational(b - a, high - low)
    return sp.Rational(str(params["q"]))


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    q = _q_exact(params)
    if params["ask"] == "probability":
        return 1 - (1 - q) ** params["n"]
    p = sp.Rational(str(params["p"]))
    return sp.ceiling(sp.log(1 - p) / sp.log(1 - q))


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 6)


def tolerance(params: dict) -> dict:
    if params["ask"] == "trials":
        return {"rtol": 0.0, "atol": 0.01}  # a count: exact
    return {"rtol": 1e-3, "atol": 1e-9}


def _setting(params: dict, lang: str) -> str:
    zh = lang == "zh"
    if "log_range" in params:
        (low, high), (a, b) = params["log_range"], params["good"]
        return (f"学习率在 $[10^{{{low}}}, 10^{{{high}}}]$ 上按对数均匀分布采样"
                f"（$\\log_{{10}}$ 学习率服从均匀分布），只有落在 $[10^{{{a}}}, 10^{{{b}}}]$ 内的"
                f"学习率效果好。每次试验独立采样，" if zh else
                f"The learning rate is sampled log-uniformly from $[10^{{{low}}}, 10^{{{high}}}]$ "
                f"($\\log_{{10}}$ of the rate is uniform), and only rates in "
                f"$[10^{{{a}}}, 10^{{{b}}}]$ work well. Trials are independent. ")
    q = num(params["q"])
    return (f"随机搜索中每次试验独立采样，落入最好的 $q = {q}$ 比例区域的概率为 $q$。" if zh else
            f"In a random search every trial is drawn independently and lands in the best "
            f"fraction $q = {q}$ of the search space with probability $q$. ")


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    zh, setting = lang == "zh", _setting(params, lang)
    if params["ask"] == "probability":
        n = params["n"]
        return setting + (
            f"做 $n = {n}$ 次试验，至少有一次落在" + ("好的区间内" if "log_range" in params
                                                   else "该区域内")
            + "的概率是多少？（相对误差不超过 $10^{-3}$）" if zh else
            f"What is the probability that at least one of $n = {n}$ trials lands in "
            + ("the good range" if "log_range" in params else "that region")
            + " (to a relative error of $10^{-3}$)?")
    p = num(params["p"])
    return setting + (
        f"至少要做多少次试验，才能以不低于 ${p}$ 的概率至少有一次落在"
        + ("好的区间内" if "log_range" in params else "该区域内") + "？" if zh else
        "How many trials are needed, at least, for the probability that one or more lands in "
        + ("the good range" if "log_range" in params else "that region")
        + f" to be at least ${p}$?")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    q = params["q"]
    lines = []
    if "log_range" in params:
        (low, high), (a, b) = params["log_range"], params["good"]
        lines.append(("对数均匀采样时，$q$ 是好区间在对数尺度上所占的比例：" if zh else
                      "Under log-uniform sampling q is the good range's share of the log scale: ")
                     + f"$q = \\frac{{{b} - ({a})}}{{{high} - ({low})}} = {num(q)}$")
    if params["ask"] == "probability":
        n = params["n"]
        lines.append(("$n$ 次都落空的概率为 " if zh else "All $n$ trials miss with probability ")
                     + f"$(1 - {num(q)})^{{{n}}} = {num((1 - q) ** n, 6)}$")
        lines.append(f"$P = 1 - (1 - {num(q)})^{{{n}}} = {answer_tex(params)}$")
    else:
        p = params["p"]
        ratio = math.log(1 - p) / math.log(1 - q)
        n = int(answer(params))
        lines += [
            f"$1 - (1 - {num(q)})^n \\ge {num(p)} \\iff n \\ge \\frac{{\\ln(1 - {num(p)})}}"
            f"{{\\ln(1 - {num(q)})}} = {num(ratio, 6)}$",
            (f"取整：$n = \\lceil {num(ratio, 6)} \\rceil = {n}$；检验 " if zh else
             f"Round up: $n = \\lceil {num(ratio, 6)} \\rceil = {n}$; check ")
            + f"$1 - (1 - {num(q)})^{{{n}}} = {num(probability_top_hit(q, n), 6)}$",
        ]
    answer_line = "答案：" if zh else "Answer: "
    return lines + [answer_line + f"${answer_tex(params)}$"]


FEEDBACK = {
    "n_times_q": {
        "en": "You added the chances of the trials (n q); the events overlap, so compute the "
              "complement: 1 - (1 - q)^n.",
        "zh": "你把每次试验的概率直接相加（n q）；这些事件并不互斥，应当用补集："
              "1 - (1 - q)^n。",
    },
    "miss_probability": {
        "en": "(1 - q)^n is the probability that every trial misses; the question asks for "
              "at least one hit, 1 - (1 - q)^n.",
        "zh": "(1 - q)^n 是所有试验都落空的概率；题目问的是至少命中一次：1 - (1 - q)^n。",
    },
    "floor_instead_of_ceil": {
        "en": "You rounded down; with that many trials the probability is still below the "
              "target, so round ln(1 - p) / ln(1 - q) up.",
        "zh": "你向下取整了；这么多次试验时概率仍达不到目标，ln(1 - p) / ln(1 - q) 应向上取整。",
    },
    "linear_estimate": {
        "en": "You used p / q, as if the hit probability grew linearly with n; it is "
              "1 - (1 - q)^n, so solve (1 - q)^n <= 1 - p with logarithms.",
        "zh": "你用了 p / q，好像命中概率随 n 线性增长；实际是 1 - (1 - q)^n，"
              "应当用对数解 (1 - q)^n <= 1 - p。",
    },
    "p_as_miss_probability": {
        "en": "You solved (1 - q)^n = p, treating p as the chance of missing; p is the chance "
              "of at least one hit, so the miss probability is 1 - p.",
        "zh": "你解的是 (1 - q)^n = p，把 p 当成了全部落空的概率；p 是至少命中一次的概率，"
              "全部落空的概率是 1 - p。",
    },
    "q_to_the_n": {
        "en": "q^n is the probability that every trial hits; at least one hit is the "
              "complement of all missing: 1 - (1 - q)^n.",
        "zh": "q^n 是每次试验都命中的概率；至少命中一次是“全部落空”的补集：1 - (1 - q)^n。",
    },
    "inverted_logs": {
        "en": "You divided the logarithms the wrong way round: (1 - q)^n = 1 - p gives "
              "n = ln(1 - p) / ln(1 - q).",
        "zh": "两个对数相除的顺序反了：由 (1 - q)^n = 1 - p 得 n = ln(1 - p) / ln(1 - q)。",
    },
    "linear_fraction": {
        "en": "You measured the good range on a linear scale; the sampling is uniform in log10 "
              "of the rate, so q is the share of decades.",
        "zh": "你在线性尺度上计算了好区间的比例；采样在 log10 学习率上是均匀的，"
              "q 应是好区间占的数量级（decade）比例。",
    },
}


def _linear_q(params: dict) -> float:
    (low, high), (a, b) = params["log_range"], params["good"]
    return (10.0**b - 10.0**a) / (10.0**high - 10.0**low)


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    q = params["q"]
    if params["ask"] == "probability":
        n = params["n"]
        found = [("n_times_q", n * q), ("miss_probability", (1 - q) ** n)]
        if "log_range" in params:
            found.append(("linear_fraction", probability_top_hit(_linear_q(params), n)))
    else:
        p, needed = params["p"], trials_needed(q, params["p"])
        found = [("floor_instead_of_ceil", needed - 1),
                 ("linear_estimate", math.ceil(p / q)),
                 ("p_as_miss_probability", math.ceil(math.log(p) / math.log(1 - q)))]
        if "log_range" in params:
            found.append(("linear_fraction", trials_needed(_linear_q(params), p)))
    right = answer(params)
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found
            if abs(value - right) > 2e-3 * abs(right)]


# -- the formula variant: P in q and n, or the real n reaching p --------------------------------
Q, N, P = _formula.symbols("q:unit_interval", "n:positive_integer", "p:unit_interval")
NAMES = {}


def _formula_value(params: dict) -> sp.Expr:
    if params["ask"] == "probability":
        return 1 - (1 - Q) ** N
    return sp.log(1 - P) / sp.log(1 - Q)


def evaluate(params: dict, values: dict) -> float:
    """reference.search.probability_top_hit at (q, n); for the trials, the real n at which it
    reaches p, by bisection on probability_top_hit (which rises with n)."""
    q = values["q"]
    if params["ask"] == "probability":
        return probability_top_hit(q, int(values["n"]))
    low, high = 0.0, 1.0
    while probability_top_hit(q, high) < values["p"]:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        low, high = (middle, high) if probability_top_hit(q, middle) < values["p"] else (
            low, middle)
    return (low + high) / 2


def _formula_prompt(params: dict, lang: str) -> str:
    if lang == "zh":
        setting = "随机搜索中每次试验独立采样，落在搜索空间最好的比例 $q$（$0 < q < 1$）内的概率为 $q$。"
        if params["ask"] == "probability":
            return setting + ("写出 $n$ 次试验中至少有一次落在最好区域的概率关于 $q$ 和 $n$ 的"
                              "表达式，变量输入为 q、n。")
        return setting + ("试验次数 $n$ 取多大（把 $n$ 当作实数，先不取整）时，至少命中一次的概率"
                          "恰好等于 $p$（$0 < p < 1$）？写出关于 $p$ 和 $q$ 的表达式，变量输入为 p、q。")
    setting = ("In random search each trial is drawn independently and lands in the best "
               "fraction $q$ of the space ($0 < q < 1$) with probability $q$. ")
    if params["ask"] == "probability":
        return setting + ("Give the probability that at least one of $n$ trials lands there as "
                          "an expression in $q$ and $n$; type them as q and n.")
    return setting + ("For which number of trials $n$ (taken as a real number, before rounding "
                      "up) does the probability of at least one hit equal $p$ ($0 < p < 1$)? "
                      "Give it as an expression in $p$ and $q$; type them as p and q.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [("全部落空的概率为 $(1 - q)^n$，至少命中一次是它的补集：" if zh else
              "All trials miss with probability $(1 - q)^n$; at least one hit is the "
              "complement: ") + "$P = 1 - (1 - q)^n$"]
    if params["ask"] == "trials":
        lines.append(("令 $(1 - q)^n = 1 - p$，两边取对数：" if zh else
                      "Set $(1 - q)^n = 1 - p$ and take logarithms: ")
                     + f"$n = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    if params["ask"] == "probability":
        return [("n_times_q", N * Q), ("miss_probability", (1 - Q) ** N),
                ("q_to_the_n", 1 - Q**N)]
    return [("linear_estimate", P / Q), ("p_as_miss_probability", sp.log(P) / sp.log(1 - Q)),
            ("inverted_logs", sp.log(1 - Q) / sp.log(1 - P))]
