r"""InstanceNorm2d: statistics per sample and per channel, over the spatial positions only.

:math:`\mu_{nc} = \frac{1}{HW}\sum_{h,w} x_{nchw}`, :math:`\sigma^2_{nc}` the biased variance
over the same positions, :math:`y = (x - \mu_{nc})/\sqrt{\sigma^2_{nc} + \epsilon}` (the default
layer has no affine and no running statistics, in training and eval alike).
Difficulty 1: an input of shape (1, 2, 2, 2), ask a channel's variance. 2: the same shape, ask
one output entry. 3: an input of shape (2, 2, 1, 3), two samples and two channels, ask a mean,
a variance or an output entry (statistics over the batch or over the channels are the named
slips). Answers from ``reference.nn.instance_norm``.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import instance_norm

ID = "normalization.instance_norm_stats"
TOPIC = "normalization"
TITLE = {"en": "InstanceNorm statistics", "zh": "InstanceNorm 的统计量"}
KIND = "number"

EPS = 1e-5
SYMBOL = {"mean": r"\mu", "var": r"\sigma^2"}


def sample(rng: random.Random, difficulty: int) -> dict:
    shape = [2, 2, 1, 3] if difficulty == 3 else [1, 2, 2, 2]
    ask = {1: "var", 2: "output", 3: rng.choice(["mean", "var", "output"])}[difficulty]
    while True:
        flat = [rng.randint(0, 9) for _ in range(_size(shape))]
        x = torch.tensor(flat, dtype=torch.float64).reshape(shape)
        instances = x.reshape(shape[0], shape[1], -1)
        if (instances.var(dim=-1) > 0).all():
            break
    n, c = rng.randrange(shape[0]), rng.randrange(shape[1])
    values = instances[n, c].tolist()
    mean = sum(values) / len(values)
    index = rng.choice([i for i, v in enumerate(values) if v != mean])
    return {"shape": shape, "x": x.tolist(), "sample": n, "channel": c, "index": index,
            "ask": ask}


def _size(shape: list[int]) -> int:
    return shape[0] * shape[1] * shape[2] * shape[3]


def _input(params: dict) -> torch.Tensor:
    return torch.tensor(params["x"], dtype=torch.float64)


def _instance_values(params: dict, n: int, c: int) -> list[float]:
    return _input(params)[n, c].reshape(-1).tolist()


def _pick(params: dict, mean: torch.Tensor, var: torch.Tensor, output: torch.Tensor) -> float:
    n, c = params["sample"], params["channel"]
    if params["ask"] == "mean":
        return mean[n, c].item()
    if params["ask"] == "var":
        return var[n, c].item()
    return output[n, c].reshape(-1)[params["index"]].item()


@per_variant
def answer(params: dict) -> float:
    r = instance_norm(_input(params), eps=EPS)
    return _pick(params, r.mean, r.var, r.output)


def oracle(params: dict) -> float:
    """torch.nn.InstanceNorm2d with its defaults; the statistics from torch.var_mean."""
    x = _input(params)
    layer = torch.nn.InstanceNorm2d(params["shape"][1], eps=EPS, dtype=torch.float64)
    var, mean = torch.var_mean(x, dim=(2, 3), correction=0)
    return _pick(params, mean, var, layer(x))


def closed_form(params: dict) -> sp.Expr:
    values = [sp.Rational(str(v)) for v in
              _instance_values(params, params["sample"], params["channel"])]
    m = len(values)
    mean = sum(values) / m
    var = sum((v - mean) ** 2 for v in values) / m
    if params["ask"] == "mean":
        return mean
    if params["ask"] == "var":
        return var
    return (values[params["index"]] - mean) / sp.sqrt(var + sp.Rational(str(EPS)))


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _map_tex(values: list[float], shape: list[int]) -> str:
    h, w = shape[2], shape[3]
    rows = [" & ".join(num(values[i * w + j]) for j in range(w)) for i in range(h)]
    return "\\begin{pmatrix}" + " \\\\ ".join(rows) + "\\end{pmatrix}"


def _input_text(params: dict, lang: str) -> str:
    shape = params["shape"]
    parts = []
    for n in range(shape[0]):
        for c in range(shape[1]):
            tex = _map_tex(_instance_values(params, n, c), shape)
            parts.append(f"样本 {n + 1} 通道 {c + 1}：${tex}$" if lang == "zh"
                         else f"sample {n + 1}, channel {c + 1}: ${tex}$")
    return ("；" if lang == "zh" else "; ").join(parts)


def _position(params: dict, lang: str) -> str:
    w = params["shape"][3]
    h_i, w_i = divmod(params["index"], w)
    return (f"第 {h_i + 1} 行第 {w_i + 1} 列" if lang == "zh"
            else f"row {h_i + 1}, column {w_i + 1}")


def prompt(params: dict, lang: str) -> str:
    shape = params["shape"]
    n, c = params["sample"] + 1, params["channel"] + 1
    dims = f"$(N, C, H, W) = ({', '.join(map(str, shape))})$"
    if lang == "zh":
        what = {
            "mean": f"样本 {n} 通道 {c} 的均值 $\\mu$",
            "var": f"样本 {n} 通道 {c} 用于归一化的方差 $\\sigma^2$",
            "output": f"样本 {n} 通道 {c} 在{_position(params, lang)}的输出",
        }[params["ask"]]
        return (f"torch.nn.InstanceNorm2d({shape[1]}) 使用默认设置（eps $= 10^{{-5}}$，"
                f"affine=False，track_running_stats=False），输入形状为 {dims}："
                f"{_input_text(params, lang)}。求{what}（保留至少 6 位有效数字）。")
    what = {
        "mean": f"the mean $\\mu$ for sample {n}, channel {c}",
        "var": f"the variance $\\sigma^2$ used to normalize sample {n}, channel {c}",
        "output": f"the output of sample {n}, channel {c} at {_position(params, lang)}",
    }[params["ask"]]
    return (f"A torch.nn.InstanceNorm2d({shape[1]}) with its defaults (eps $= 10^{{-5}}$, "
            f"affine=False, track_running_stats=False) receives an input of shape {dims}: "
            f"{_input_text(params, lang)}. Compute {what} (at least 6 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    n, c, zh = params["sample"], params["channel"], lang == "zh"
    values = _instance_values(params, n, c)
    m = len(values)
    r = instance_norm(_input(params), eps=EPS)
    mean, var = r.mean[n, c].item(), r.var[n, c].item()
    lines = [
        (f"只用样本 {n + 1} 通道 {c + 1} 自己的 $H \\times W = {m}$ 个值 " if zh else
         f"Only the $H \\times W = {m}$ values of sample {n + 1}, channel {c + 1} count: ")
        + f"${row(values)}$",
        f"$\\mu = \\frac{{{' + '.join(num(v) for v in values)}}}{{{m}}} = {num(mean, 8)}$",
    ]
    if params["ask"] != "mean":
        squares = " + ".join(f"({num(v)} - {par(mean)})^2" for v in values)
        lines.append(("有偏方差（除以 $m$）：" if zh else "Biased variance (divide by $m$): ")
                     + f"$\\sigma^2 = \\frac{{{squares}}}{{{m}}} = {num(var, 8)}$")
    if params["ask"] == "output":
        x = values[params["index"]]
        lines.append(f"$y = \\frac{{{num(x)} - {par(mean)}}}{{\\sqrt{{{num(var, 8)} + "
                     f"10^{{-5}}}}}} = {answer_tex(params)}$")
    lines.append(("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$")
    return lines


FEEDBACK = {
    "over_batch": {
        "en": "You pooled the statistics over the batch (that is BatchNorm); InstanceNorm "
              "normalizes each sample's channel on its own, over its spatial positions only.",
        "zh": "你把整个批次合在一起求统计量（那是 BatchNorm）；InstanceNorm 对每个样本的每个通道单独"
              "计算，只在空间位置上求。",
    },
    "over_channels": {
        "en": "You pooled all channels of the sample (that is LayerNorm over (C, H, W)); "
              "InstanceNorm keeps each channel separate.",
        "zh": "你把该样本的所有通道合在一起求统计量（那是对 (C, H, W) 的 LayerNorm）；InstanceNorm "
              "对每个通道分别计算。",
    },
    "unbiased": {
        "en": "InstanceNorm normalizes with the biased variance (divide by H*W), not the "
              "unbiased one.",
        "zh": "InstanceNorm 用有偏方差（除以 H*W）做归一化，而不是无偏方差。",
    },
    "std_for_var": {
        "en": "That is the standard deviation; the question asks for the variance.",
        "zh": "这是标准差；题目问的是方差。",
    },
}


def _stats(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / len(values)


def mistakes(params: dict) -> list[Mistake]:
    x = _input(params)
    n, c = params["sample"], params["channel"]
    values = _instance_values(params, n, c)
    m = len(values)
    mean, var = _stats(values)
    pools = {"over_channels": x[n].reshape(-1).tolist()}
    if params["shape"][0] > 1:
        pools["over_batch"] = x[:, c].reshape(-1).tolist()
    found = []
    ask = params["ask"]
    point = values[params["index"]]
    for name, pool in pools.items():
        mu, sigma2 = _stats(pool)
        found.append((name, {"mean": mu, "var": sigma2,
                             "output": (point - mu) / (sigma2 + EPS) ** 0.5}[ask]))
    if ask == "var":
        found += [("unbiased", var * m / (m - 1)), ("std_for_var", var**0.5)]
    elif ask == "output":
        found.append(("unbiased", (point - mean) / (var * m / (m - 1) + EPS) ** 0.5))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
