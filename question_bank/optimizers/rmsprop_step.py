"""RMSprop on a scalar weight, as torch.optim.RMSprop computes it.

Difficulty 1: the first step from zero state (about 10 lr for alpha = 0.99, a classic surprise).
2: two or three steps; ask the weight or the running average of squared gradients. 3: two
steps, centered (the denominator uses v - (mean g)^2) or with momentum (the buffer accumulates
g / (sqrt(v) + eps)). The convention stated is PyTorch's: alpha = 0.99 unless given, no bias
correction, eps = 1e-8 added outside the square root. The seed's gamma = 0.9 is Keras's rho.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import rmsprop_step

ID = "optimizers.rmsprop_step"
TOPIC = "optimizers"
TITLE = {"en": "RMSprop update", "zh": "RMSprop 更新"}
KIND = "number"

KERAS_RHO = 0.9  # the seed's gamma; torch's alpha defaults to 0.99


def sample(rng: random.Random, difficulty: int) -> dict:
    params = {
        "theta": nonzero(rng, -2, 2, 1),
        "lr": rng.choice([0.001, 0.005, 0.01]),
        "alpha": rng.choice([0.99, 0.99, 0.95]),
        "eps": 1e-8,
        "momentum": 0.0,
        "centered": False,
        "ask": "theta",
    }
    if difficulty == 1:
        params["grads"] = [nonzero(rng, -3, 3, 1)]
    elif difficulty == 2:
        params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(rng.randint(2, 3))]
        params["ask"] = rng.choice(["theta", "theta", "square_avg"])
    else:
        params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(2)]
        if rng.random() < 0.5:
            params["centered"] = True
        else:
            params["momentum"] = rng.choice([0.9, 0.5])
    return params


def _hyper(params: dict) -> dict:
    return {k: params[k] for k in ("lr", "alpha", "eps", "momentum", "centered")}


@per_variant
def run(params: dict):
    """Every step's intermediate values, from reference.optim.rmsprop_step in float64."""
    param, state = torch.tensor([params["theta"]], dtype=torch.float64), {}
    steps = []
    for g in params["grads"]:
        result = rmsprop_step(param, torch.tensor([g], dtype=torch.float64), state,
                              **_hyper(params))
        steps.append(result)
        param, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    last = run(params)[-1]
    return (last.param if params["ask"] == "theta" else last.square_avg).item()


def oracle(params: dict) -> float:
    """torch.optim.RMSprop itself, in float64."""
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.RMSprop([p], foreach=False, **_hyper(params))
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["square_avg"].item()


def closed_form(params: dict) -> sp.Expr:
    """Hinton's lecture 6e (Graves 2013 for centered), in torch's form, exactly."""
    q = sp.Rational
    theta, lr, alpha = q(str(params["theta"])), q(str(params["lr"])), q(str(params["alpha"]))
    eps, mu = q(str(params["eps"])), q(str(params["momentum"]))
    v = mean = buf = sp.Integer(0)
    for g in params["grads"]:
        g = q(str(g))
        v = alpha * v + (1 - alpha) * g**2
        mean = alpha * mean + (1 - alpha) * g
        denom = sp.sqrt(v - mean**2 if params["centered"] else v) + eps
        buf = mu * buf + g / denom
        theta = theta - lr * (buf if mu else g / denom)
    return theta if params["ask"] == "theta" else v


def answer_tex(params: dict) -> str:
    return num(answer(params), 10)


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 1e-6}


def _twist(params: dict, lang: str) -> str:
    zh = lang == "zh"
    if params["centered"]:
        return ("，centered=True（同时维护梯度的滑动平均 $\\bar g_t$，分母改用 "
                "$\\sqrt{v_t - \\bar g_t^2} + \\epsilon$）" if zh else
                ", centered=True (it also keeps a running mean $\\bar g_t$ of the gradients "
                "and divides by $\\sqrt{v_t - \\bar g_t^2} + \\epsilon$)")
    if params["momentum"]:
        mu = num(params["momentum"])
        return (f"，momentum $\\mu = {mu}$（缓冲区 $b_t = \\mu b_{{t-1}} + g_t / "
                f"(\\sqrt{{v_t}} + \\epsilon)$，$\\theta_t = \\theta_{{t-1}} - \\eta b_t$）" if zh
                else f", momentum $\\mu = {mu}$ (buffer $b_t = \\mu b_{{t-1}} + g_t / "
                f"(\\sqrt{{v_t}} + \\epsilon)$, $\\theta_t = \\theta_{{t-1}} - \\eta b_t$)")
    return ""


def prompt(params: dict, lang: str) -> str:
    grads, k = params["grads"], len(params["grads"])
    lr, alpha = num(params["lr"]), num(params["alpha"])
    if lang == "zh":
        grads_text = "，".join(f"$g_{{{i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
        what = (f"第 {k} 步之后的参数 $\\theta_{{{k}}}$" if params["ask"] == "theta"
                else f"第 {k} 步之后的平方梯度滑动平均 $v_{{{k}}}$（状态 square_avg）")
        return (
            f"用 torch.optim.RMSprop 优化一个标量参数，初值 $\\theta_0 = {num(params['theta'])}$，"
            f"所有状态从 0 开始。超参数：$\\eta = {lr}$，alpha $= {alpha}$，"
            f"$\\epsilon = 10^{{-8}}${_twist(params, lang)}。PyTorch 约定："
            f"$v_t = \\alpha v_{{t-1}} + (1 - \\alpha) g_t^2$，不做偏差校正，$\\epsilon$ 加在 "
            f"$\\sqrt{{v_t}}$ 之外。依次得到梯度 {grads_text}。"
            f"求{what}（误差不超过 $10^{{-6}}$）。"
        )
    grads_text = ", then ".join(f"$g_{{{i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
    what = (f"the weight $\\theta_{{{k}}}$ after step {k}" if params["ask"] == "theta"
            else f"the running average of squared gradients $v_{{{k}}}$ (square_avg) after "
                 f"step {k}")
    return (
        f"torch.optim.RMSprop optimizes a scalar weight starting at "
        f"$\\theta_0 = {num(params['theta'])}$, with all state starting at 0. Hyper-parameters: "
        f"$\\eta = {lr}$, alpha $= {alpha}$, $\\epsilon = 10^{{-8}}${_twist(params, lang)}. "
        f"PyTorch's convention: $v_t = \\alpha v_{{t-1}} + (1 - \\alpha) g_t^2$, no bias "
        f"correction, $\\epsilon$ added outside $\\sqrt{{v_t}}$. The gradients are {grads_text}. "
        f"Compute {what} (to within $10^{{-6}}$)."
    )


def solution(params: dict, lang: str) -> list[str]:
    alpha, lr, mu = num(params["alpha"]), num(params["lr"]), num(params["momentum"])
    lines, theta_prev, v_prev, mean_prev, buf_prev = [], params["theta"], 0.0, 0.0, 0.0
    for t, (s, g) in enumerate(zip(run(params), params["grads"]), start=1):
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        v = s.square_avg.item()
        lines.append(head + f"$v_{{{t}}} = {alpha} \\cdot {num(v_prev, 10)} + (1 - {alpha}) "
                            f"\\cdot {par(g)}^2 = {num(v, 10)}$")
        if params["centered"]:
            mean = s.grad_avg.item()
            lines.append(f"$\\bar g_{{{t}}} = {alpha} \\cdot {par(mean_prev, 10)} + "
                         f"(1 - {alpha}) \\cdot {par(g)} = {num(mean, 10)}$, "
                         f"$\\sqrt{{v_{{{t}}} - \\bar g_{{{t}}}^2}} + \\epsilon "
                         f"= {num(s.avg.item(), 10)}$")
            mean_prev = mean
        else:
            lines.append(f"$\\sqrt{{v_{{{t}}}}} + \\epsilon = {num(s.avg.item(), 10)}$")
        if params["momentum"]:
            buf = s.momentum_buffer.item()
            lines.append(f"$b_{{{t}}} = {mu} \\cdot {par(buf_prev, 10)} + "
                         f"\\frac{{{par(g)}}}{{{num(s.avg.item(), 10)}}} = {num(buf, 10)}$")
            lines.append(f"$\\theta_{{{t}}} = {num(theta_prev, 10)} - {lr} \\cdot "
                         f"{par(buf, 10)} = {num(s.param.item(), 10)}$")
            buf_prev = buf
        else:
            lines.append(f"$\\theta_{{{t}}} = {num(theta_prev, 10)} - {lr} \\cdot "
                         f"\\frac{{{par(g)}}}{{{num(s.avg.item(), 10)}}} "
                         f"= {num(s.param.item(), 10)}$")
        theta_prev, v_prev = s.param.item(), v
    symbol = "\\theta" if params["ask"] == "theta" else "v"
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    return lines + [answer_line + f"${symbol}_{{{len(params['grads'])}}} = {answer_tex(params)}$"]


def _variant(params: dict, **changes) -> float:
    """The answer of a student who runs RMSprop with one rule done differently."""
    theta, lr, eps = params["theta"], params["lr"], params["eps"]
    alpha = KERAS_RHO if changes.get("keras_rho_0_9") else params["alpha"]
    mu = 0.0 if changes.get("no_momentum") else params["momentum"]
    centered = params["centered"] and not changes.get("not_centered")
    v = mean = buf = 0.0
    for t, g in enumerate(params["grads"], start=1):
        if changes.get("adagrad_sum"):
            v += g * g
        elif changes.get("weights_swapped"):
            v = (1 - alpha) * v + alpha * g * g
        else:
            v = alpha * v + (1 - alpha) * g * g
        mean = alpha * mean + (1 - alpha) * g
        second = v / (1 - alpha**t) if changes.get("bias_corrected") else v
        second = second - mean * mean if centered else second
        denom = second if changes.get("no_sqrt") else second**0.5 + eps
        if changes.get("momentum_on_gradient"):
            buf = mu * buf + g
            step = lr * buf / denom
        else:
            buf = mu * buf + g / denom
            step = lr * (buf if mu else g / denom)
        theta = theta + step if changes.get("wrong_sign") else theta - step
    return theta if params["ask"] == "theta" else v


FEEDBACK = {
    "keras_rho_0_9": {
        "en": "You used 0.9 (Hinton's lecture value and Keras's rho); torch.optim.RMSprop "
              "uses the alpha given here (its default is 0.99).",
        "zh": "你用了 0.9（Hinton 课件和 Keras 的 rho）；torch.optim.RMSprop 使用题目给出的 alpha"
              "（默认值是 0.99）。",
    },
    "bias_corrected": {
        "en": "RMSprop has no bias correction: it divides by sqrt(v_t) + eps with the raw "
              "average, which is why its first steps are large (about 10 lr for alpha = 0.99).",
        "zh": "RMSprop 没有偏差校正：直接用未校正的 v_t 计算 sqrt(v_t) + eps，所以最初几步很大"
              "（alpha = 0.99 时约为 10 倍学习率）。",
    },
    "no_sqrt": {
        "en": "The denominator is the square root of the average, sqrt(v_t) + eps, not v_t.",
        "zh": "分母是滑动平均的平方根 sqrt(v_t) + eps，而不是 v_t 本身。",
    },
    "wrong_sign": {
        "en": "You moved along the gradient; the update is subtracted.",
        "zh": "你沿着梯度方向走了；更新量应当被减去。",
    },
    "adagrad_sum": {
        "en": "You summed the squared gradients (that is Adagrad); RMSprop keeps an "
              "exponential moving average alpha v + (1 - alpha) g^2.",
        "zh": "你把梯度平方直接累加了（那是 Adagrad）；RMSprop 维护的是指数滑动平均 "
              "alpha v + (1 - alpha) g^2。",
    },
    "weights_swapped": {
        "en": "alpha weighs the old average: v_t = alpha v_{t-1} + (1 - alpha) g_t^2.",
        "zh": "alpha 乘的是旧的平均值：v_t = alpha v_{t-1} + (1 - alpha) g_t^2。",
    },
    "not_centered": {
        "en": "With centered=True the denominator is sqrt(v_t - mean_t^2) + eps, where mean_t "
              "is the running average of the gradients.",
        "zh": "centered=True 时分母是 sqrt(v_t - mean_t^2) + eps，其中 mean_t 是梯度的滑动平均。",
    },
    "no_momentum": {
        "en": "With momentum the weight moves by lr times the buffer b_t = mu b_{t-1} + "
              "g_t / (sqrt(v_t) + eps), which keeps part of the previous step.",
        "zh": "有动量时参数的更新量是学习率乘以缓冲区 b_t = mu b_{t-1} + g_t / (sqrt(v_t) + eps)，"
              "它保留了上一步的一部分。",
    },
    "momentum_on_gradient": {
        "en": "torch's buffer accumulates the normalized step g_t / (sqrt(v_t) + eps), not the "
              "raw gradient divided afterwards by the current denominator.",
        "zh": "PyTorch 的缓冲区累积的是归一化后的步长 g_t / (sqrt(v_t) + eps)，而不是先累积原始梯度"
              "再除以当前的分母。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params["ask"] == "square_avg":
        names = ["keras_rho_0_9", "adagrad_sum", "weights_swapped"]
    elif params["centered"]:
        names = ["not_centered", "keras_rho_0_9", "bias_corrected"]
    elif params["momentum"]:
        names = ["no_momentum", "momentum_on_gradient", "keras_rho_0_9"]
    else:
        names = ["keras_rho_0_9", "bias_corrected", "no_sqrt", "wrong_sign"]
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]
