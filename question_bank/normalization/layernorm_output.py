r"""LayerNorm over the last dimension of one short vector, with per-element gamma and beta.

:math:`\mu = \frac1d\sum_i x_i`, :math:`\sigma^2 = \frac1d\sum_i (x_i-\mu)^2` (biased),
:math:`y = \gamma \odot (x-\mu)/\sqrt{\sigma^2+\epsilon} + \beta`, the same in training and
eval. Difficulty 1: torch.nn.LayerNorm(4) as initialized (gamma 1, beta 0), ask one output entry.
2: given gamma and beta (one per element), ask one entry. 3: given gamma and beta, ask the
whole output vector. Answers from ``reference.nn.layer_norm``.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import layer_norm

ID = "normalization.layernorm_output"
TOPIC = "normalization"
TITLE = {"en": "LayerNorm output", "zh": "LayerNorm 的输出"}
KIND = "number"

EPS = 1e-5
GAMMAS = (0.5, 1.0, 1.5, 2.0, -1.0)
BETAS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def sample(rng: random.Random, difficulty: int) -> dict:
    d = 4 if difficulty == 1 else rng.choice([3, 4])
    while True:
        x = [rng.randint(-4, 8) for _ in range(d)]
        mean = sum(x) / d
        if len(set(x)) > 1 and mean != 0:  # mean 0 would make LayerNorm equal RMSNorm
            break
    params = {"x": x, "gamma": [1.0] * d, "beta": [0.0] * d,
              "ask": "vector" if difficulty == 3 else "entry"}
    if difficulty > 1:
        while params["gamma"] == [1.0] * d or params["beta"] == [0.0] * d:
            params["gamma"] = [rng.choice(GAMMAS) for _ in range(d)]
            params["beta"] = [rng.choice(BETAS) for _ in range(d)]
    params["index"] = rng.choice([i for i, v in enumerate(x) if v != mean])
    return params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "vector" else "number"


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@per_variant
def run(params: dict):
    d = len(params["x"])
    return layer_norm(_t(params["x"]), d, _t(params["gamma"]), _t(params["beta"]), eps=EPS)


def _pick(output: torch.Tensor, params: dict):
    return output.tolist() if params["ask"] == "vector" else output[params["index"]].item()


def answer(params: dict):
    return _pick(run(params).output, params)


def oracle(params: dict):
    layer = torch.nn.LayerNorm(len(params["x"]), eps=EPS, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_t(params["gamma"]))
        layer.bias.copy_(_t(params["beta"]))
        return _pick(layer(_t(params["x"])), params)


def closed_form(params: dict):
    """Ba et al. (2016), in exact arithmetic."""
    q = sp.Rational
    x = [q(str(v)) for v in params["x"]]
    d = len(x)
    mean = sum(x) / d
    var = sum((v - mean) ** 2 for v in x) / d
    ys = [q(str(g)) * (v - mean) / sp.sqrt(var + q(str(EPS))) + q(str(b))
          for v, g, b in zip(x, params["gamma"], params["beta"])]
    return sp.Matrix(ys) if params["ask"] == "vector" else ys[params["index"]]


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "vector" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    d, i = len(params["x"]), params["index"]
    default = params["gamma"] == [1.0] * d and params["beta"] == [0.0] * d
    x = f"$x = {row(params['x'])}$"
    if lang == "zh":
        state = ("参数为初始值（$\\gamma = 1$，$\\beta = 0$）" if default else
                 f"逐元素仿射参数为 $\\gamma = {row(params['gamma'])}$，"
                 f"$\\beta = {row(params['beta'])}$")
        what = ("整个输出向量 $y$（保留至少 6 位有效数字）" if params["ask"] == "vector"
                else f"输出的第 {i + 1} 个分量 $y_{{{i + 1}}}$（保留至少 6 位有效数字）")
        return (f"torch.nn.LayerNorm({d})（eps $= 10^{{-5}}$，对最后一维归一化）的{state}。"
                f"输入向量为 {x}，求{what}。")
    state = ("its parameters as initialized ($\\gamma = 1$, $\\beta = 0$)" if default else
             f"per-element affine parameters $\\gamma = {row(params['gamma'])}$ and "
             f"$\\beta = {row(params['beta'])}$")
    what = ("the whole output vector $y$" if params["ask"] == "vector"
            else f"the output entry $y_{{{i + 1}}}$")
    return (f"A torch.nn.LayerNorm({d}) (eps $= 10^{{-5}}$, normalizing over the last "
            f"dimension) has {state}. For the input {x}, compute {what} (at least 6 "
            f"significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r, zh = run(params), lang == "zh"
    x, d = params["x"], len(params["x"])
    mean, var = r.mean.item(), r.var.item()
    squares = " + ".join(f"({num(v)} - {par(mean)})^2" for v in x)
    lines = [
        f"$\\mu = \\frac{{{' + '.join(num(v) for v in x)}}}{{{d}}} = {num(mean, 8)}$".replace(
            "+ -", "- "),
        ("有偏方差（除以 $d$）：" if zh else "Biased variance (divide by $d$): ")
        + f"$\\sigma^2 = \\frac{{{squares}}}{{{d}}} = {num(var, 8)}$",
        f"$\\hat x = \\frac{{x - \\mu}}{{\\sqrt{{\\sigma^2 + 10^{{-5}}}}}} = "
        f"{row(r.normalized.tolist(), 8)}$",
    ]
    if params["ask"] == "vector":
        lines.append(f"$y = \\gamma \\odot \\hat x + \\beta = {answer_tex(params)}$")
    else:
        i = params["index"]
        lines.append(f"$y_{{{i + 1}}} = {num(params['gamma'][i])} \\cdot "
                     f"{par(r.normalized[i].item(), 8)} + {par(params['beta'][i])} = "
                     f"{answer_tex(params)}$")
    return lines


FEEDBACK = {
    "unbiased": {
        "en": "LayerNorm uses the biased variance: divide the squared deviations by d, not "
              "d - 1.",
        "zh": "LayerNorm 用有偏方差：偏差平方和除以 d，而不是 d - 1。",
    },
    "no_centering": {
        "en": "You skipped subtracting the mean and divided by the root mean square (that is "
              "RMSNorm); LayerNorm centers x first.",
        "zh": "你没有减去均值，而是除以均方根（那是 RMSNorm）；LayerNorm 要先把 x 中心化。",
    },
    "var_not_sqrt": {
        "en": "Divide by the standard deviation sqrt(var + eps), not by the variance.",
        "zh": "要除以标准差 sqrt(var + eps)，而不是方差。",
    },
    "affine_order": {
        "en": "The affine step is gamma * x_hat + beta: scale, then shift.",
        "zh": "仿射变换是 gamma * x_hat + beta：先缩放，再平移。",
    },
    "no_affine": {
        "en": "After normalizing, apply the per-element gamma and beta: y = gamma * x_hat + "
              "beta.",
        "zh": "归一化之后还要乘以逐元素的 gamma、加上 beta：y = gamma * x_hat + beta。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    x, gamma, beta = params["x"], params["gamma"], params["beta"]
    d = len(x)
    mean = sum(x) / d
    var = sum((v - mean) ** 2 for v in x) / d
    mean_square = sum(v * v for v in x) / d

    def rule(normalize, affine=lambda g, h, b: g * h + b):
        ys = [affine(g, normalize(v), b) for v, g, b in zip(x, gamma, beta)]
        return ys if params["ask"] == "vector" else ys[params["index"]]

    found = [
        ("unbiased", rule(lambda v: (v - mean) / (var * d / (d - 1) + EPS) ** 0.5)),
        ("no_centering", rule(lambda v: v / (mean_square + EPS) ** 0.5)),
        ("var_not_sqrt", rule(lambda v: (v - mean) / (var + EPS))),
    ]

    def right(v: float) -> float:
        return (v - mean) / (var + EPS) ** 0.5

    if any(g != 1.0 for g in gamma) and any(b != 0.0 for b in beta):
        found.append(("affine_order", rule(right, lambda g, h, b: g * (h + b))))
    if any(g != 1.0 for g in gamma) or any(b != 0.0 for b in beta):
        found.append(("no_affine", rule(right, lambda g, h, b: h)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
