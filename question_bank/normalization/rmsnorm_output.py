r"""RMSNorm (torch.nn.RMSNorm) and T5LayerNorm (Hugging Face): scale by the root mean square.

:math:`y = \gamma \odot x / \sqrt{\overline{x^2} + \epsilon}`, :math:`\overline{x^2} =
\frac1d\sum_i x_i^2`: no mean subtraction and no bias. The seed notes call
:math:`\overline{x^2}` "Var", but it is the raw second moment, not the variance (conventions.md
section 2). Layers: torch.nn.RMSNorm(d) with its default eps (torch.finfo(float32).eps =
1.1920929e-07 for a float32 input) or T5LayerNorm(d) with eps = 1e-6.
Difficulty 1: gamma = 1, ask one output entry. 2: given gamma, ask one entry. 3: given gamma,
ask the whole output vector. Answers from ``reference.nn.rms_norm`` in float64 with the stated
eps (T5's float32 statistic differs by ~1e-7 relative, far inside the tolerance).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import rms_norm

ID = "normalization.rmsnorm_output"
TOPIC = "normalization"
TITLE = {"en": "RMSNorm / T5LayerNorm output", "zh": "RMSNorm / T5LayerNorm 的输出"}
KIND = "number"

EPS = {"rmsnorm": float(torch.finfo(torch.float32).eps), "t5": 1e-6}
EPS_TEX = {"rmsnorm": r"1.1920929 \times 10^{-7}", "t5": "10^{-6}"}
GAMMAS = (0.5, 1.5, 2.0, 0.8, -1.0)


def sample(rng: random.Random, difficulty: int) -> dict:
    d = rng.choice([3, 4])
    while True:
        x = [rng.randint(-3, 6) for _ in range(d)]
        if len(set(x)) > 1 and sum(x) != 0 and any(v != 0 for v in x):
            break
    params = {"layer": rng.choice(["rmsnorm", "t5"]), "x": x, "gamma": [1.0] * d,
              "ask": "vector" if difficulty == 3 else "entry"}
    if difficulty > 1:
        while params["gamma"] == [1.0] * d:
            params["gamma"] = [rng.choice(GAMMAS) for _ in range(d)]
    mean = sum(x) / d
    params["index"] = rng.choice([i for i, v in enumerate(x) if v != 0 and v != mean])
    return params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "vector" else "number"


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@per_variant
def run(params: dict):
    return rms_norm(_t(params["x"]), len(params["x"]), _t(params["gamma"]),
                    eps=EPS[params["layer"]])


def _pick(output: torch.Tensor, params: dict):
    return output.tolist() if params["ask"] == "vector" else output[params["index"]].item()


def answer(params: dict):
    return _pick(run(params).output, params)


def oracle(params: dict):
    """torch.nn.RMSNorm with the layer's eps (T5LayerNorm is RMSNorm with eps 1e-6)."""
    layer = torch.nn.RMSNorm(len(params["x"]), eps=EPS[params["layer"]], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_t(params["gamma"]))
        return _pick(layer(_t(params["x"])), params)


def closed_form(params: dict):
    """Zhang & Sennrich (2019), in exact arithmetic."""
    q = sp.Rational
    x = [q(str(v)) for v in params["x"]]
    mean_square = sum(v**2 for v in x) / len(x)
    eps = q(repr(EPS[params["layer"]]))
    ys = [q(str(g)) * v / sp.sqrt(mean_square + eps) for v, g in zip(x, params["gamma"])]
    return sp.Matrix(ys) if params["ask"] == "vector" else ys[params["index"]]


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "vector" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _layer_text(params: dict, lang: str) -> str:
    d = len(params["x"])
    if params["layer"] == "t5":
        return (f"Hugging Face 的 T5LayerNorm({d})（eps $= 10^{{-6}}$）" if lang == "zh" else
                f"Hugging Face's T5LayerNorm({d}) (eps $= 10^{{-6}}$)")
    return (f"torch.nn.RMSNorm({d})（eps 取默认值：float32 输入时为 torch.finfo(float32).eps "
            f"$= {EPS_TEX['rmsnorm']}$）" if lang == "zh" else
            f"a torch.nn.RMSNorm({d}) (default eps: torch.finfo(float32).eps "
            f"$= {EPS_TEX['rmsnorm']}$ for a float32 input)")


def prompt(params: dict, lang: str) -> str:
    d, i = len(params["x"]), params["index"]
    default = params["gamma"] == [1.0] * d
    x = f"$x = {row(params['x'])}$"
    # The formula is given at difficulty 1 only (gamma as initialized); later, knowing it is
    # part of the question.
    formula = (r"$y = \gamma \odot \frac{x}{\sqrt{\frac{1}{d}\sum_i x_i^2 + \epsilon}}$"
               if default else "")
    if lang == "zh":
        weight = ("权重为初始值 $\\gamma = 1$" if default
                  else f"权重 $\\gamma = {row(params['gamma'])}$")
        what = ("整个输出向量 $y$" if params["ask"] == "vector"
                else f"输出的第 {i + 1} 个分量 $y_{{{i + 1}}}$")
        computes = f"计算 {formula}，" if formula else "，"
        return (f"{_layer_text(params, lang)}{computes}{weight}。输入 {x}，求{what}"
                f"（保留至少 6 位有效数字）。")
    weight = ("with its weight as initialized, $\\gamma = 1$" if default
              else f"the weight $\\gamma = {row(params['gamma'])}$")
    what = ("the whole output vector $y$" if params["ask"] == "vector"
            else f"the output entry $y_{{{i + 1}}}$")
    layer = _layer_text(params, lang)
    computes = f" computes {formula}," if formula else " has"
    return (f"{layer[0].upper()}{layer[1:]}{computes} {weight}. For the input {x}, compute "
            f"{what} (at least 6 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r, zh = run(params), lang == "zh"
    x, d = params["x"], len(params["x"])
    ms = r.mean_square.item()
    squares = " + ".join(f"({num(v)})^2" if v < 0 else f"{num(v)}^2" for v in x)
    eps = EPS_TEX[params["layer"]]
    lines = [
        ("不减均值，直接求平方的平均（这不是方差）：" if zh else
         "No mean is subtracted; average the squares (this is not the variance): ")
        + f"$\\overline{{x^2}} = \\frac{{{squares}}}{{{d}}} = {num(ms, 8)}$",
        f"$\\frac{{1}}{{\\sqrt{{\\overline{{x^2}} + \\epsilon}}}} = \\frac{{1}}{{\\sqrt{{"
        f"{num(ms, 8)} + {eps}}}}} = {num(r.inv_rms.item(), 8)}$",
    ]
    if params["ask"] == "vector":
        lines.append(f"$y = \\gamma \\odot x \\cdot {num(r.inv_rms.item(), 8)} = "
                     f"{answer_tex(params)}$")
    else:
        i = params["index"]
        lines.append(f"$y_{{{i + 1}}} = {num(params['gamma'][i])} \\cdot {num(x[i])} \\cdot "
                     f"{num(r.inv_rms.item(), 8)} = {answer_tex(params)}$")
    return lines


FEEDBACK = {
    "subtract_mean": {
        "en": "You centered x and divided by the standard deviation: that is LayerNorm. "
              "RMSNorm neither subtracts the mean nor adds a bias.",
        "zh": "你先减去均值再除以标准差，那是 LayerNorm；RMSNorm 既不减均值，也不加偏置。",
    },
    "variance_denominator": {
        "en": "The denominator is the root mean square sqrt(mean(x^2) + eps), the raw second "
              "moment; the seed notes call it \"Var\", but it is not the variance of x.",
        "zh": "分母是均方根 sqrt(mean(x^2) + eps)，即未中心化的二阶矩；讲义里把它记作 \"Var\"，"
              "但它并不是 x 的方差。",
    },
    "l2_normalize": {
        "en": "You divided by the L2 norm sqrt(sum x^2); RMSNorm divides by the root of the "
              "mean, sqrt(sum x^2 / d).",
        "zh": "你除以了 L2 范数 sqrt(sum x^2)；RMSNorm 除以的是平方平均的平方根 sqrt(sum x^2 / d)。",
    },
    "no_sqrt": {
        "en": "Divide by the square root of mean(x^2) + eps, not by mean(x^2) itself.",
        "zh": "要除以 mean(x^2) + eps 的平方根，而不是 mean(x^2) 本身。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    x, gamma = params["x"], params["gamma"]
    d, eps = len(x), EPS[params["layer"]]
    mean = sum(x) / d
    var = sum((v - mean) ** 2 for v in x) / d
    mean_square = sum(v * v for v in x) / d

    def rule(scale) -> list[float] | float:
        ys = [g * scale(v) for v, g in zip(x, gamma)]
        return ys if params["ask"] == "vector" else ys[params["index"]]

    found = [
        ("subtract_mean", rule(lambda v: (v - mean) / (var + eps) ** 0.5)),
        ("variance_denominator", rule(lambda v: v / (var + eps) ** 0.5)),
        ("l2_normalize", rule(lambda v: v / (d * mean_square) ** 0.5)),
        ("no_sqrt", rule(lambda v: v / (mean_square + eps))),
    ]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
