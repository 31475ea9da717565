r"""A BatchNorm layer in eval mode: normalize with the running statistics, not the batch's.

:math:`y = \gamma\,(x - \hat\mu)/\sqrt{\hat\sigma^2 + \epsilon} + \beta` with the stored
running_mean :math:`\hat\mu` and running_var :math:`\hat\sigma^2` (a variance: its square root
is taken). Difficulty 1: BatchNorm1d(1), gamma 1 and beta 0, a batch of three values, ask one
output. 2: given gamma and beta, ask one output. 3: BatchNorm1d(2) on a (3, 2) batch, ask one
feature's outputs over the batch as a vector. Answers from ``reference.nn.batch_norm``
(training=False).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import batch_norm

ID = "normalization.batchnorm_eval"
TOPIC = "normalization"
TITLE = {"en": "BatchNorm in eval mode", "zh": "评估模式下的 BatchNorm"}
KIND = "number"

EPS = 1e-5
GAMMAS = (0.5, 1.5, 2.0, 3.0)
BETAS = (-1.0, -0.5, 0.5, 1.0, 2.0)
RUNNING_MEANS = (-1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
RUNNING_VARS = (0.25, 0.5, 0.64, 1.44, 2.0, 2.25, 4.0)


def sample(rng: random.Random, difficulty: int) -> dict:
    channels = 2 if difficulty == 3 else 1
    while True:
        x = [[rng.randint(-3, 6) for _ in range(channels)] for _ in range(3)]
        columns = [[row_[c] for row_ in x] for c in range(channels)]
        if all(len(set(col)) > 1 for col in columns):
            break
    params = {
        "x": x,
        "running_mean": [rng.choice(RUNNING_MEANS) for _ in range(channels)],
        "running_var": [rng.choice(RUNNING_VARS) for _ in range(channels)],
        "gamma": [1.0] * channels, "beta": [0.0] * channels,
        "channel": rng.randrange(channels),
        "ask": "vector" if difficulty == 3 else "entry",
    }
    if difficulty > 1:
        params["gamma"] = [rng.choice(GAMMAS) for _ in range(channels)]
        params["beta"] = [rng.choice(BETAS) for _ in range(channels)]
    c = params["channel"]
    candidates = [i for i in range(3) if x[i][c] != params["running_mean"][c]]
    params["index"] = rng.choice(candidates)
    return params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "vector" else "number"


def _tensor(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@per_variant
def run(params: dict):
    return batch_norm(_tensor(params["x"]), _tensor(params["running_mean"]),
                      _tensor(params["running_var"]), _tensor(params["gamma"]),
                      _tensor(params["beta"]), training=False, eps=EPS)


def _pick(output: torch.Tensor, params: dict):
    column = output[:, params["channel"]]
    return column.tolist() if params["ask"] == "vector" else column[params["index"]].item()


def answer(params: dict):
    return _pick(run(params).output, params)


def oracle(params: dict):
    """torch.nn.BatchNorm1d itself, in eval mode, with the given buffers."""
    channels = len(params["gamma"])
    layer = torch.nn.BatchNorm1d(channels, eps=EPS, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_tensor(params["gamma"]))
        layer.bias.copy_(_tensor(params["beta"]))
        layer.running_mean.copy_(_tensor(params["running_mean"]))
        layer.running_var.copy_(_tensor(params["running_var"]))
    layer.eval()
    with torch.no_grad():
        return _pick(layer(_tensor(params["x"])), params)


def closed_form(params: dict):
    q = sp.Rational
    c = params["channel"]
    mu, var = q(str(params["running_mean"][c])), q(str(params["running_var"][c]))
    gamma, beta = q(str(params["gamma"][c])), q(str(params["beta"][c]))
    ys = [gamma * (q(str(r[c])) - mu) / sp.sqrt(var + q(str(EPS))) + beta for r in params["x"]]
    return sp.Matrix(ys) if params["ask"] == "vector" else ys[params["index"]]


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "vector" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _state(params: dict, lang: str) -> str:
    one = len(params["gamma"]) == 1

    def show(key: str) -> str:
        return num(params[key][0]) if one else row(params[key])

    sep = "，" if lang == "zh" else ", "
    return (f"running_mean $= {show('running_mean')}${sep}running_var $= "
            f"{show('running_var')}${sep}$\\gamma = {show('gamma')}${sep}"
            f"$\\beta = {show('beta')}$")


def prompt(params: dict, lang: str) -> str:
    one = len(params["gamma"]) == 1
    layer = "BatchNorm1d(1)" if one else "BatchNorm1d(2)"
    c, i = params["channel"], params["index"]
    if one:
        batch = f"$x = {row([r[0] for r in params['x']])}$"
    else:
        batch = ("，" if lang == "zh" else ", ").join(
            f"$x_{{{k + 1}}} = {row(r)}$" for k, r in enumerate(params["x"]))
    if lang == "zh":
        data = (f"一个批次的 3 个样本 {batch}" if one
                else f"一个批次的 3 个样本（每个样本 2 个特征）{batch}")
        what = (f"特征 {c + 1} 在这 3 个样本上的输出（写成向量，保留至少 6 位有效数字）"
                if params["ask"] == "vector" else f"第 {i + 1} 个样本的输出（保留至少 6 位有效数字）")
        per = "" if one else "（按特征列出）"
        return (f"一个训练好的 torch.nn.{layer}（eps $= 10^{{-5}}$）已调用 model.eval()。"
                f"它保存的状态{per}为：{_state(params, lang)}。输入{data}，求{what}。")
    data = (f"a batch of 3 samples {batch}" if one
            else f"a batch of 3 samples of 2 features each, {batch}")
    what = (f"feature {c + 1}'s outputs over the 3 samples (as a vector, at least 6 "
            f"significant figures)" if params["ask"] == "vector"
            else f"the output for sample {i + 1} (at least 6 significant figures)")
    per = "" if one else " (per feature)"
    return (f"A trained torch.nn.{layer} (eps $= 10^{{-5}}$) has been switched to eval mode "
            f"with model.eval(). Its stored state{per} is {_state(params, lang)}. For {data}, "
            f"compute {what}.")


def solution(params: dict, lang: str) -> list[str]:
    c, zh = params["channel"], lang == "zh"
    mu, var = params["running_mean"][c], params["running_var"][c]
    gamma, beta = params["gamma"][c], params["beta"][c]
    out = run(params).output[:, c].tolist()
    lines = [("评估模式用保存的滑动统计量，而不是当前批次的统计量：" if zh else
              "Eval mode normalizes with the stored running statistics, not the batch's: ")
             + f"$y = \\gamma \\frac{{x - {par(mu)}}}{{\\sqrt{{{num(var)} + 10^{{-5}}}}}} + "
               f"\\beta$"]
    rows = range(3) if params["ask"] == "vector" else [params["index"]]
    for k in rows:
        x = params["x"][k][c]
        lines.append(f"$y_{{{k + 1}}} = {num(gamma)} \\cdot \\frac{{{num(x)} - {par(mu)}}}"
                     f"{{\\sqrt{{{num(var)} + 10^{{-5}}}}}} + {par(beta)} = {num(out[k], 8)}$")
    if params["ask"] == "vector":
        lines.append(("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$")
    return lines


FEEDBACK = {
    "batch_stats_in_eval": {
        "en": "In eval mode BatchNorm uses running_mean and running_var, not the statistics of "
              "the current batch (that is training mode).",
        "zh": "评估模式下 BatchNorm 使用 running_mean 和 running_var，而不是当前批次的统计量（那是"
              "训练模式的做法）。",
    },
    "var_as_std": {
        "en": "running_var is a variance: divide by its square root, sqrt(running_var + eps).",
        "zh": "running_var 是方差：要除以它的平方根 sqrt(running_var + eps)。",
    },
    "affine_order": {
        "en": "The affine transform is gamma * x_hat + beta: scale first, then shift.",
        "zh": "仿射变换是 gamma * x_hat + beta：先缩放，再平移。",
    },
    "no_affine": {
        "en": "After normalizing, apply the learned affine transform y = gamma * x_hat + beta.",
        "zh": "归一化之后还要施加学到的仿射变换 y = gamma * x_hat + beta。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    c = params["channel"]
    column = [r[c] for r in params["x"]]
    mu, var = params["running_mean"][c], params["running_var"][c]
    gamma, beta = params["gamma"][c], params["beta"][c]
    batch_mean = sum(column) / 3
    batch_var = sum((v - batch_mean) ** 2 for v in column) / 3

    def outputs(rule) -> list[float] | float:
        ys = [rule(v) for v in column]
        return ys if params["ask"] == "vector" else ys[params["index"]]

    found = [
        ("batch_stats_in_eval",
         outputs(lambda v: gamma * (v - batch_mean) / (batch_var + EPS) ** 0.5 + beta)),
        ("var_as_std", outputs(lambda v: gamma * (v - mu) / (var + EPS) + beta)),
    ]
    if gamma != 1.0 and beta != 0.0:
        found.append(("affine_order",
                      outputs(lambda v: gamma * ((v - mu) / (var + EPS) ** 0.5 + beta))))
    if gamma != 1.0 or beta != 0.0:
        found.append(("no_affine", outputs(lambda v: (v - mu) / (var + EPS) ** 0.5)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
