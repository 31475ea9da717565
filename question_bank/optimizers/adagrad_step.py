"""Adagrad on a scalar weight, as torch.optim.Adagrad computes it.

Difficulty 1: the first step from an empty accumulator. 2: two or three steps from the start;
ask the weight or the accumulated sum of squared gradients. 3: one or two steps from a given
state (step count and sum) with lr_decay, where the decayed rate lr / (1 + (t - 1) lr_decay)
uses the new step count t. The convention stated is PyTorch's: the sum starts at 0
(initial_accumulator_value = 0), the current gradient enters the sum before dividing, and
eps = 1e-10 is added outside the square root.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import adagrad_step

ID = "optimizers.adagrad_step"
TOPIC = "optimizers"
TITLE = {"en": "Adagrad update", "zh": "Adagrad 更新"}
KIND = "number"

EPS = 1e-10  # torch's default
KERAS_INITIAL_ACCUMULATOR = 0.1


def sample(rng: random.Random, difficulty: int) -> dict:
    params = {
        "theta": nonzero(rng, -2, 2, 1),
        "lr": rng.choice([0.01, 0.05, 0.1, 0.5]),
        "lr_decay": 0.0,
        "eps": EPS,
        "t": 0,
        "sum": 0.0,
        "ask": "theta",
    }
    if difficulty == 1:
        params["grads"] = [nonzero(rng, -3, 3, 1)]
    elif difficulty == 2:
        params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(rng.randint(2, 3))]
        params["ask"] = rng.choice(["theta", "theta", "sum"])
    else:
        params["t"] = rng.randint(2, 9)
        params["sum"] = round(rng.uniform(1, 9), 1)
        params["lr_decay"] = rng.choice([0.05, 0.1, 0.5])
        params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(rng.randint(1, 2))]
    return params


def _state(params: dict) -> dict:
    if not params["t"]:
        return {}
    return {"step": params["t"], "sum": torch.tensor([params["sum"]], dtype=torch.float64)}


@per_variant
def run(params: dict):
    """Every step's intermediate values, from reference.optim.adagrad_step in float64."""
    param, state = torch.tensor([params["theta"]], dtype=torch.float64), _state(params)
    steps = []
    for g in params["grads"]:
        result = adagrad_step(param, torch.tensor([g], dtype=torch.float64), state,
                              lr=params["lr"], lr_decay=params["lr_decay"], eps=params["eps"])
        steps.append(result)
        param, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    last = run(params)[-1]
    return (last.param if params["ask"] == "theta" else last.sum).item()


def oracle(params: dict) -> float:
    """torch.optim.Adagrad itself, in float64, from the same state."""
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.Adagrad([p], lr=params["lr"], lr_decay=params["lr_decay"],
                              eps=params["eps"], foreach=False)
    if params["t"]:
        opt.state[p]["step"] = torch.tensor(float(params["t"]))
        opt.state[p]["sum"] = torch.tensor([params["sum"]], dtype=torch.float64)
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["sum"].item()


def closed_form(params: dict) -> sp.Expr:
    """Duchi, Hazan & Singer (2011), diagonal form, with torch's lr decay and eps."""
    q = sp.Rational
    theta, total, t = q(str(params["theta"])), q(str(params["sum"])), params["t"]
    lr, decay, eps = q(str(params["lr"])), q(str(params["lr_decay"])), q(str(params["eps"]))
    for g in params["grads"]:
        g, t = q(str(g)), t + 1
        total = total + g**2
        theta = theta - lr / (1 + (t - 1) * decay) * g / (sp.sqrt(total) + eps)
    return theta if params["ask"] == "theta" else total


def answer_tex(params: dict) -> str:
    return num(answer(params), 10)


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    t, grads = params["t"], params["grads"]
    final_t = t + len(grads)
    decay = params["lr_decay"]
    lr = f"$\\eta = {num(params['lr'])}$"
    if lang == "zh":
        grads_text = "，".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
        state = (
            "累加器从 0 开始（initial_accumulator_value = 0，尚未更新过）"
            if not t else
            f"已经更新过 $t = {t}$ 步，当前累加和 $G_{{{t}}} = {num(params['sum'])}$"
        )
        setting = (f"学习率 {lr}，lr_decay $d = {num(decay)}$（第 $t$ 步的学习率为 "
                   f"$\\eta / (1 + (t-1) d)$）" if decay
                   else f"学习率 {lr}")
        what = (f"更新后的参数 $\\theta_{{{final_t}}}$" if params["ask"] == "theta"
                else f"梯度平方的累加和 $G_{{{final_t}}}$")
        return (
            f"用 torch.optim.Adagrad 优化一个标量参数 $\\theta = {num(params['theta'])}$，"
            f"{setting}，$\\epsilon = 10^{{-10}}$（PyTorch 约定：当前梯度的平方先加入累加和 "
            f"$G_t$，再用 $\\sqrt{{G_t}} + \\epsilon$ 作分母，$\\epsilon$ 在根号外）。{state}。"
            f"接下来{'依次' if len(grads) > 1 else ''}得到梯度 {grads_text}。求{what}（误差不超过 $10^{{-6}}$）。"
        )
    grads_text = ", then ".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
    state = (
        "The accumulator starts at 0 (initial_accumulator_value = 0; no step taken yet)."
        if not t else
        f"It has already taken $t = {t}$ {'step' if t == 1 else 'steps'}, and its sum of "
        f"squared gradients is "
        f"$G_{{{t}}} = {num(params['sum'])}$."
    )
    setting = (f"lr {lr}, lr_decay $d = {num(decay)}$ (step $t$ uses the rate "
               f"$\\eta / (1 + (t-1) d)$)" if decay else f"lr {lr}")
    what = (f"the weight $\\theta_{{{final_t}}}$ after the update" if params["ask"] == "theta"
            else f"the accumulated sum of squared gradients $G_{{{final_t}}}$")
    arrive = (f"The gradient {grads_text} arrives" if len(grads) == 1
              else f"The gradients {grads_text} arrive")
    return (
        f"torch.optim.Adagrad with {setting} and $\\epsilon = 10^{{-10}}$ optimizes a scalar "
        f"weight $\\theta = {num(params['theta'])}$ (PyTorch's convention: the current "
        f"gradient's square is added to the sum $G_t$ first, then the step divides by "
        f"$\\sqrt{{G_t}} + \\epsilon$, with $\\epsilon$ outside the square root). {state} "
        f"{arrive}. Compute {what} (to within $10^{{-6}}$)."
    )


def solution(params: dict, lang: str) -> list[str]:
    lines, theta_prev, sum_prev = [], params["theta"], params["sum"]
    for s, g in zip(run(params), params["grads"]):
        t = s.step
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        lines.append(head + f"$G_{{{t}}} = {num(sum_prev, 10)} + {par(g)}^2 "
                            f"= {num(s.sum.item(), 10)}$")
        rate = num(params["lr"])
        if params["lr_decay"]:
            lines.append(f"$\\tilde\\eta_{{{t}}} = \\frac{{{rate}}}{{1 + {t - 1} \\cdot "
                         f"{num(params['lr_decay'])}}} = {num(s.clr, 10)}$")
            rate = f"\\tilde\\eta_{{{t}}}"
        lines.append(f"$\\theta_{{{t}}} = {num(theta_prev, 10)} - {rate} \\cdot "
                     f"\\frac{{{par(g)}}}{{\\sqrt{{{num(s.sum.item(), 10)}}} + 10^{{-10}}}} "
                     f"= {num(s.param.item(), 10)}$")
        theta_prev, sum_prev = s.param.item(), s.sum.item()
    symbol = "\\theta" if params["ask"] == "theta" else "G"
    final_t = params["t"] + len(params["grads"])
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    return lines + [answer_line + f"${symbol}_{{{final_t}}} = {answer_tex(params)}$"]


def _variant(params: dict, **changes) -> float:
    """The answer of a student who runs Adagrad with one rule done differently."""
    theta, total, t = params["theta"], params["sum"], params["t"]
    lr, decay, eps = params["lr"], params["lr_decay"], params["eps"]
    if changes.get("keras_initial_accumulator"):
        total += KERAS_INITIAL_ACCUMULATOR
    if changes.get("square_of_sum"):
        return sum(params["grads"]) ** 2
    for g in params["grads"]:
        t += 1
        total += g * g
        k = t if changes.get("decay_uses_new_step") else t - 1
        rate = lr if changes.get("no_lr_decay") else lr / (1 + k * decay)
        scale = total / t if changes.get("mean_not_sum") else total
        denom = scale if changes.get("no_sqrt") else scale**0.5 + eps
        step = rate * g / denom
        theta = theta + step if changes.get("wrong_sign") else theta - step
    return theta if params["ask"] == "theta" else total


FEEDBACK = {
    "keras_initial_accumulator": {
        "en": "You started the accumulator at 0.1 (Keras's default); torch.optim.Adagrad's "
              "initial_accumulator_value is 0.",
        "zh": "你让累加器从 0.1 开始（Keras 的默认值）；torch.optim.Adagrad 的 "
              "initial_accumulator_value 默认为 0。",
    },
    "no_sqrt": {
        "en": "Adagrad divides by the square root of the accumulated sum, sqrt(G) + eps, not "
              "by G itself.",
        "zh": "Adagrad 除以累加和的平方根 sqrt(G) + eps，而不是 G 本身。",
    },
    "wrong_sign": {
        "en": "You moved along the gradient; the update is subtracted.",
        "zh": "你沿着梯度方向走了；更新量应当被减去。",
    },
    "mean_not_sum": {
        "en": "Adagrad keeps the plain sum of all squared gradients, not their average (an "
              "average is what RMSprop approximates); that is why its steps keep shrinking.",
        "zh": "Adagrad 保存的是所有梯度平方的累加和，而不是平均值（求平均是 RMSprop 的思路）；"
              "正因如此它的步长会不断变小。",
    },
    "square_of_sum": {
        "en": "The state is the sum of the squares of the gradients, not the square of their "
              "sum.",
        "zh": "状态是各个梯度平方之和，而不是梯度之和的平方。",
    },
    "decay_uses_new_step": {
        "en": "torch decays the rate as lr / (1 + (t - 1) lr_decay) with the new step count t: "
              "the first step is undecayed.",
        "zh": "PyTorch 的衰减是 lr / (1 + (t - 1) lr_decay)，t 为新的步数：第一步不衰减。",
    },
    "no_lr_decay": {
        "en": "lr_decay shrinks the rate at step t to lr / (1 + (t - 1) lr_decay); you used "
              "lr unchanged.",
        "zh": "lr_decay 会让第 t 步的学习率变为 lr / (1 + (t - 1) lr_decay)；你直接用了原始学习率。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params["ask"] == "sum":
        names = ["square_of_sum", "keras_initial_accumulator"]
    elif params["lr_decay"]:
        names = ["decay_uses_new_step", "no_lr_decay", "no_sqrt"]
    else:
        names = ["keras_initial_accumulator", "no_sqrt", "wrong_sign"]
        if len(params["grads"]) > 1:
            names.append("mean_not_sum")
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]
