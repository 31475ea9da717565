"""Cross-entropy with label smoothing, as torch.nn.functional.cross_entropy computes it.

A question family in Python, written by `quizgen new`. It has the interface of the built-in
families (docs/question_bank.md); docs/authoring.md explains each function. Edit it, then check
every variant with:

    quizgen validate --bank __BANK__
"""

from __future__ import annotations

import math
import random

import sympy as sp

from question_bank._format import num, row  # numbers and vectors as the built-ins print them
from quizgen.model import Mistake

ID = "__TOPIC__.__FAMILY__"  # unique across the built-ins and every bank
TOPIC = "__TOPIC__"  # the folder the file is in
TITLE = {"en": "Cross-entropy with label smoothing", "zh": "带标签平滑的交叉熵"}
KIND = "number"  # number | vector | expression | choice


def sample(rng: random.Random, difficulty: int) -> dict:
    """One variant's parameters, drawn from the quiz's seeded stream (difficulty 1, 2 or 3).
    They go into quiz.json, so keep them JSON: numbers, texts, lists, dicts."""
    classes = 2 + difficulty
    return {
        "logits": [rng.randint(-3, 3) for _ in range(classes)],
        "target": rng.randrange(classes),
        "eps": rng.choice([0.1, 0.2, 0.3]),
    }


def tolerance(params: dict) -> dict:
    """Optional: the default is rtol 1e-4; four significant figures need 1e-3."""
    return {"rtol": 1e-3, "atol": 1e-9}


def _smoothed(params: dict, spread_over_others: bool = False) -> list[float]:
    """The target distribution: 1 - eps on the true class plus eps/K on every class."""
    k, eps, c = len(params["logits"]), params["eps"], params["target"]
    if spread_over_others:
        return [1 - eps if i == c else eps / (k - 1) for i in range(k)]
    return [(1 - eps if i == c else 0) + eps / k for i in range(k)]


def _logsumexp(z: list[int]) -> float:
    top = max(z)
    return top + math.log(math.fsum(math.exp(x - top) for x in z))


def _loss(params: dict, q: list[float]) -> float:
    z = params["logits"]
    return _logsumexp(z) - math.fsum(qi * zi for qi, zi in zip(q, z))


def answer(params: dict) -> float:
    """The right answer, computed in float64."""
    return _loss(params, _smoothed(params))


def closed_form(params: dict):
    """The same answer derived independently, exactly, with SymPy (validate compares them)."""
    z = [sp.Integer(x) for x in params["logits"]]
    k, c, eps = len(z), params["target"], sp.Rational(str(params["eps"]))
    log_p = [zi - sp.log(sum(sp.exp(x) for x in z)) for zi in z]
    return -sum(((1 - eps) if i == c else 0) * log_p[i] + eps / k * log_p[i] for i in range(k))


def oracle(params: dict) -> float:
    """Optional: the answer from PyTorch itself; validate checks it too."""
    import torch
    import torch.nn.functional as F

    logits = torch.tensor([params["logits"]], dtype=torch.float64)
    target = torch.tensor([params["target"]])
    return F.cross_entropy(logits, target, label_smoothing=params["eps"]).item()


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def prompt(params: dict, lang: str) -> str:
    """The question, with math as $LaTeX$; state the convention it follows."""
    z, k = row(params["logits"]), len(params["logits"])
    c, eps = params["target"] + 1, num(params["eps"])
    if lang == "zh":
        return (f"{k} 类分类器输出的 logits 为 $z = {z}$，真实类别是第 {c} 类。使用标签平滑 "
                f"$\\varepsilon = {eps}$（PyTorch 的约定：目标分布为真实类别 $1 - \\varepsilon$，"
                f"再给每个类别加 $\\varepsilon/K$），按 torch.nn.functional.cross_entropy 计算"
                f"交叉熵损失（自然对数），保留 4 位有效数字。")
    return (f"A {k}-class classifier outputs the logits $z = {z}$; the true class is class {c}. "
            f"With label smoothing $\\varepsilon = {eps}$ (PyTorch's convention: the target is "
            f"$1 - \\varepsilon$ on the true class plus $\\varepsilon/K$ on every class), compute "
            f"the cross-entropy loss as torch.nn.functional.cross_entropy does (natural log), to "
            f"4 significant figures.")


def solution(params: dict, lang: str) -> list[str]:
    """Worked steps, each with $LaTeX$; the last one gives the answer."""
    z, q = params["logits"], _smoothed(params)
    lse = _logsumexp(z)
    intro = "目标分布" if lang == "zh" else "The smoothed target"
    return [
        f"{intro}: $q = {row(q)}$",
        f"$\\log \\sum_j e^{{z_j}} = {num(lse, 8)}$",
        f"$L = \\log \\sum_j e^{{z_j}} - \\sum_i q_i z_i = {answer_tex(params)}$",
    ]


FEEDBACK = {
    "no_smoothing": {
        "en": "That is the loss without label smoothing; the target also puts $\\varepsilon/K$ "
              "on every class.",
        "zh": "这是没有标签平滑的损失；目标分布还要给每个类别 $\\varepsilon/K$。",
    },
    "spread_over_others": {
        "en": "PyTorch spreads $\\varepsilon$ over all $K$ classes, not over the $K - 1$ others.",
        "zh": "PyTorch 把 $\\varepsilon$ 分给全部 $K$ 个类别，而不是其余 $K - 1$ 个。",
    },
    "no_logsumexp": {
        "en": "The log-probabilities are $z_i - \\log \\sum_j e^{z_j}$; the log-sum-exp term "
              "is missing.",
        "zh": "对数概率是 $z_i - \\log \\sum_j e^{z_j}$；你漏掉了 log-sum-exp 项。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    """Named wrong answers: what each misconception gives, with the feedback it deserves.
    At least two distinct ones; quizgen resamples a variant where one equals the answer."""
    z = params["logits"]
    values = {
        "no_smoothing": _logsumexp(z) - z[params["target"]],
        "spread_over_others": _loss(params, _smoothed(params, spread_over_others=True)),
        "no_logsumexp": -math.fsum(qi * zi for qi, zi in zip(_smoothed(params), z)),
    }
    return [Mistake(name, value, FEEDBACK[name]) for name, value in values.items()]
