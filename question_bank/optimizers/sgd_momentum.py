"""SGD on a scalar weight: a plain step, heavy-ball momentum, Nesterov and weight decay.

Difficulty 1: one plain SGD step. 2: two or three steps with momentum (dampening 0); ask the
weight or the momentum buffer. 3: two or three steps with Nesterov momentum, L2 weight decay, or
both; ask the weight; or (half the time) the buffer or the weight after t steps of a constant
gradient, as a formula; or (half of the rest) two momentum steps in parts: b_1, theta_1, b_2,
theta_2, each later part following from the earlier ones. The convention stated is torch.optim.SGD's: the buffer starts as the first
gradient (b_1 = g_1), then b_t = mu b_{t-1} + g_t, lr multiplies the whole buffer, Nesterov steps
along g_t + mu b_t, and weight decay adds lambda theta_{t-1} to the gradient before all of that.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _formula, _parts
from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import sgd_step

ID = "optimizers.sgd_momentum"
TOPIC = "optimizers"
TITLE = {"en": "SGD with momentum", "zh": "带动量的 SGD"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "ask": rng.choice(["buf", "theta"])}
    if _parts.chosen(rng, difficulty):  # two heavy-ball steps, every value
        params = sample(rng, 2)
        return {**params, "grads": params["grads"][:2], "ask": "theta", "parts": True}
    params = {
        "theta": nonzero(rng, -2, 2, 1),
        "lr": rng.choice([0.01, 0.05, 0.1, 0.2]),
        "momentum": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
        "ask": "theta",
    }
    if difficulty == 1:
        params["grads"] = [nonzero(rng, -3, 3, 1)]
        return params
    params["momentum"] = rng.choice([0.9, 0.9, 0.8, 0.5])
    params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(rng.randint(2, 3))]
    if difficulty == 2:
        params["ask"] = rng.choice(["theta", "theta", "buf"])
        return params
    twist = rng.choice(["nesterov", "weight_decay", "both"])
    params["nesterov"] = twist != "weight_decay"
    if twist != "nesterov":
        params["weight_decay"] = rng.choice([0.01, 0.05, 0.1])
    return params


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def _hyper(params: dict) -> dict:
    return {k: params[k] for k in ("lr", "momentum", "nesterov", "weight_decay")}


@per_variant
def run(params: dict):
    """Every step's intermediate values, from reference.optim.sgd_step in float64."""
    param = torch.tensor([params["theta"]], dtype=torch.float64)
    state: dict = {}
    steps = []
    for g in params["grads"]:
        result = sgd_step(param, torch.tensor([g], dtype=torch.float64), state, **_hyper(params))
        steps.append(result)
        param, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    last = run(params)[-1]
    return (last.param if params["ask"] == "theta" else last.momentum_buffer).item()


def oracle(params: dict) -> float:
    """torch.optim.SGD itself, in float64."""
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.SGD([p], foreach=False, **_hyper(params))
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item() if params["ask"] == "theta" else opt.state[p]["momentum_buffer"].item()


def closed_form(params: dict) -> sp.Expr:
    """Sutskever et al. (2013) heavy ball in torch's form (lr outside the buffer), exactly."""
    if params.get("formula"):
        return _formula_value(params)
    q = sp.Rational
    theta, lr = q(str(params["theta"])), q(str(params["lr"]))
    mu, wd = q(str(params["momentum"])), q(str(params["weight_decay"]))
    buf = None
    for g in params["grads"]:
        g = q(str(g)) + wd * theta
        if mu == 0:
            direction = g
        else:
            buf = g if buf is None else mu * buf + g
            direction = g + mu * buf if params["nesterov"] else buf
        theta = theta - lr * direction
    return theta if params["ask"] == "theta" else buf


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 10)


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 1e-6}


def _used(params: dict) -> str:
    """The symbol of the gradient the buffer sees: the loss gradient g, or g + lambda theta."""
    return "\\tilde g" if params["weight_decay"] else "g"


def _setting(params: dict, lang: str) -> str:
    zh = lang == "zh"
    g = _used(params)
    parts = [f"$\\eta = {num(params['lr'])}$"]
    if params["momentum"]:
        parts.append(f"momentum $\\mu = {num(params['momentum'])}$, dampening = 0")
    if params["nesterov"]:
        parts.append("nesterov=True")
    if params["weight_decay"]:
        parts.append(f"weight_decay $\\lambda = {num(params['weight_decay'])}$")
    text = ("，" if zh else ", ").join(parts)
    if not params["momentum"]:
        return (f"用 torch.optim.SGD（{text}，不带动量）" if zh
                else f"torch.optim.SGD ({text}, no momentum)")
    rules = []
    if zh:
        if params["weight_decay"]:
            rules.append(f"先把 $\\lambda\\theta_{{t-1}}$ 加到梯度 $g_t$ 上得到 ${g}_t$")
        rules.append(f"动量缓冲区第一步直接取 $b_1 = {g}_1$，之后 $b_t = \\mu b_{{t-1}} + {g}_t$，"
                     "学习率乘在整个更新方向上")
        rules.append(f"更新方向为 ${g}_t + \\mu b_t$" if params["nesterov"]
                     else "更新方向为 $b_t$")
        return f"用 torch.optim.SGD（{text}；PyTorch 约定：{'，'.join(rules)}）"
    if params["weight_decay"]:
        rules.append(f"$\\lambda\\theta_{{t-1}}$ is first added to the gradient $g_t$, giving "
                     f"${g}_t$")
    rules.append(f"the buffer starts as $b_1 = {g}_1$, then $b_t = \\mu b_{{t-1}} + {g}_t$, and "
                 "the learning rate multiplies the whole step direction")
    rules.append(f"the step direction is ${g}_t + \\mu b_t$" if params["nesterov"]
                 else "the step direction is $b_t$")
    return f"torch.optim.SGD ({text}; PyTorch's convention: {'; '.join(rules)})"


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    grads, k = params["grads"], len(params["grads"])
    theta = num(params["theta"])
    accuracy = "10^{-6}"
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 4, lang)
    if lang == "zh":
        grads_text = "，".join(f"$g_{{{i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
        loss = "损失函数的梯度（不含权重衰减项）" if params["weight_decay"] else "梯度"
        what = (f"第 {k} 步之后的参数 $\\theta_{{{k}}}$" if params["ask"] == "theta"
                else f"第 {k} 步之后的动量缓冲区 $b_{{{k}}}$（即 momentum_buffer）")
        return (f"{_setting(params, lang)}优化一个标量参数，初值 $\\theta_0 = {theta}$。"
                f"{'依次' if k > 1 else ''}得到的{loss}为 {grads_text}。求{what}（误差不超过 ${accuracy}$）。")
    grads_text = ", then ".join(f"$g_{{{i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
    loss = "loss gradients (without the weight-decay term)" if params["weight_decay"] else (
        "gradients" if k > 1 else "gradient")
    what = (f"the weight $\\theta_{{{k}}}$ after step {k}" if params["ask"] == "theta"
            else f"the momentum buffer $b_{{{k}}}$ (momentum_buffer) after step {k}")
    return (f"{_setting(params, lang)} optimizes a scalar weight starting at "
            f"$\\theta_0 = {theta}$. The {loss} {'are' if k > 1 else 'is'} {grads_text}. "
            f"Compute {what} (to within ${accuracy}$).")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    lr, mu, wd = num(params["lr"]), num(params["momentum"]), num(params["weight_decay"])
    lines, theta_prev, buf_prev, u = [], params["theta"], None, _used(params)
    for t, (s, g) in enumerate(zip(run(params), params["grads"]), start=1):
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        used = s.grad.item()
        if params["weight_decay"]:
            lines.append(head + f"${u}_{{{t}}} = {par(g)} + {wd} \\cdot {par(theta_prev, 10)} "
                                f"= {num(used, 10)}$")
            head = ""
        if params["momentum"]:
            buf = s.momentum_buffer.item()
            rule = (f"b_{{{t}}} = {u}_{{{t}}} = {num(buf, 10)}" if buf_prev is None else
                    f"b_{{{t}}} = {mu} \\cdot {par(buf_prev, 10)} + {par(used, 10)} "
                    f"= {num(buf, 10)}")
            lines.append(head + f"${rule}$")
            head, buf_prev = "", buf
            if params["nesterov"]:
                lines.append(f"${u}_{{{t}}} + \\mu b_{{{t}}} = {par(used, 10)} + {mu} \\cdot "
                             f"{par(buf, 10)} = {num(s.direction.item(), 10)}$")
        lines.append(head + f"$\\theta_{{{t}}} = {num(theta_prev, 10)} - {lr} \\cdot "
                            f"{par(s.direction.item(), 10)} = {num(s.param.item(), 10)}$")
        theta_prev = s.param.item()
    symbol = "\\theta" if params["ask"] == "theta" else "b"
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    return lines + [answer_line + f"${symbol}_{{{len(params['grads'])}}} = {answer_tex(params)}$"]


def _variant(params: dict, **changes) -> float:
    """The answer of a student who runs SGD with one rule done differently."""
    theta, lr, mu, wd = params["theta"], params["lr"], params["momentum"], params["weight_decay"]
    nesterov = params["nesterov"] and not changes.get("nesterov_as_buffer")
    if changes.get("no_momentum"):
        mu = 0.0
    buf = None
    for g in params["grads"]:
        coupled = 0.0 if changes.get("decay_outside_momentum") else wd
        g = g + coupled * theta
        if mu == 0:
            direction = g
        elif changes.get("ema_momentum"):
            buf = (1 - mu) * g if buf is None else mu * buf + (1 - mu) * g
            direction = buf
        else:
            buf = g if buf is None else mu * buf + g
            direction = g + mu * buf if nesterov else buf
        if changes.get("decay_outside_momentum"):
            direction = direction + wd * theta
        step = direction if changes.get("lr_missing") else lr * direction
        theta = theta + step if changes.get("wrong_sign") else theta - step
    if params["ask"] == "buf":
        return -lr * buf if changes.get("classical_velocity") else buf
    return theta


FEEDBACK = {
    "wrong_sign": {
        "en": "You moved along the gradient; SGD subtracts lr times the step direction.",
        "zh": "你沿着梯度方向走了；SGD 要减去学习率乘以更新方向。",
    },
    "lr_missing": {
        "en": "The step is the learning rate times the gradient, not the raw gradient.",
        "zh": "更新量是学习率乘以梯度，而不是梯度本身。",
    },
    "ema_momentum": {
        "en": "torch.optim.SGD's buffer is b_t = mu b_{t-1} + g_t (with dampening 0, starting "
              "at b_1 = g_1); you used an average mu b + (1 - mu) g, which is Adam's first "
              "moment, not SGD momentum.",
        "zh": "torch.optim.SGD 的缓冲区是 b_t = mu b_{t-1} + g_t（dampening 为 0，且 b_1 = g_1）；"
              "你用的是平均 mu b + (1 - mu) g，那是 Adam 的一阶矩，不是 SGD 动量。",
    },
    "no_momentum": {
        "en": "You took plain gradient steps; with momentum each step moves along the buffer "
              "b_t, which keeps a fraction mu of the previous steps.",
        "zh": "你做的是普通梯度下降；有动量时每一步沿缓冲区 b_t 走，它保留了之前更新的 mu 倍。",
    },
    "classical_velocity": {
        "en": "That is the classical velocity v = mu v - lr g; torch keeps lr outside the "
              "buffer: b_t = mu b_{t-1} + g_t, and the step is -lr b_t.",
        "zh": "这是经典写法中的速度 v = mu v - lr g；PyTorch 把学习率放在缓冲区之外："
              "b_t = mu b_{t-1} + g_t，更新量为 -lr b_t。",
    },
    "terminal_velocity": {
        "en": "g / (1 - mu) is the buffer's limit as t grows; after t steps it has only reached "
              "g (1 + mu + ... + mu^(t-1)) = g (1 - mu^t) / (1 - mu).",
        "zh": "g / (1 - mu) 是 t 趋于无穷时缓冲区的极限；t 步之后它只有 "
              "g (1 + mu + ... + mu^(t-1)) = g (1 - mu^t) / (1 - mu)。",
    },
    "steps_off_by_one": {
        "en": "After t steps the buffer holds t gradients, g (1 + mu + ... + mu^(t-1)): the "
              "geometric sum has t terms, 1 - mu^t over 1 - mu.",
        "zh": "t 步之后缓冲区累积了 t 个梯度，g (1 + mu + ... + mu^(t-1))：几何级数有 t 项，"
              "即 (1 - mu^t) / (1 - mu)。",
    },
    "nesterov_as_buffer": {
        "en": "With nesterov=True torch steps along g_t + mu b_t, not along the buffer b_t "
              "alone.",
        "zh": "nesterov=True 时，PyTorch 沿 g_t + mu b_t 更新，而不是只沿缓冲区 b_t。",
    },
    "decay_outside_momentum": {
        "en": "torch.optim.SGD adds lambda theta to the gradient before the momentum buffer "
              "(L2 regularization), so the decay term is accumulated in the buffer too.",
        "zh": "torch.optim.SGD 在进入动量缓冲区之前就把 lambda theta 加到梯度上（L2 正则），"
              "所以衰减项也会在缓冲区中累积。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    if params["ask"] == "buf":
        names = ["ema_momentum", "classical_velocity"]
    elif not params["momentum"]:
        names = ["wrong_sign", "lr_missing"]
    else:
        names = ["ema_momentum", "no_momentum", "wrong_sign"]
        if params["nesterov"]:
            names.append("nesterov_as_buffer")
        if params["weight_decay"]:
            names.append("decay_outside_momentum")
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]


# -- the formula variant: t steps of a constant gradient g --------------------------------------
FORMULA_VARIABLES = ["g:real", "mu:unit_interval", "t:positive_integer", "lr:positive",
                     "theta_0:real"]
G, MU, T, LR, THETA_0 = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {LR: r"\eta", THETA_0: r"\theta_0"}


def _buffer(mu: sp.Expr, t: sp.Expr, ema: bool = False) -> sp.Expr:
    """b_t = g (1 + mu + ... + mu^(t-1)); Adam's average (1 - mu) b_{t-1}... gives g (1 - mu^t)."""
    return G * (1 - mu**t) if ema else G * (1 - mu**t) / (1 - mu)


def _travelled(ema: bool = False) -> sp.Expr:
    """sum of b_1 .. b_t: t g / (1 - mu) minus the geometric tail, or its EMA counterpart."""
    tail = MU * (1 - MU**T) / (1 - MU)
    return G * (T - tail) if ema else G * (T - tail) / (1 - MU)


def _formula_value(params: dict) -> sp.Expr:
    return _buffer(MU, T) if params["ask"] == "buf" else THETA_0 - LR * _travelled()


def evaluate(params: dict, values: dict) -> float:
    """reference.optim.sgd_step, t times with the same gradient, in float64."""
    param = torch.tensor([values["theta_0"]], dtype=torch.float64)
    grad = torch.tensor([values["g"]], dtype=torch.float64)
    state: dict = {}
    for _ in range(int(values["t"])):
        result = sgd_step(param, grad, state, lr=values["lr"], momentum=values["mu"])
        param, state = result.param, result.state
    return (param if params["ask"] == "theta" else result.momentum_buffer).item()


def _formula_prompt(params: dict, lang: str) -> str:
    theta = params["ask"] == "theta"
    if lang == "zh":
        what = ("$t$ 步之后的参数 $\\theta_t$" if theta
                else "$t$ 步之后的动量缓冲区 $b_t$（momentum_buffer）")
        return (f"用 torch.optim.SGD(lr=$\\eta$, momentum=$\\mu$)（dampening = 0，$0 < \\mu < 1$；"
                f"PyTorch 约定：$b_1 = g_1$，之后 $b_t = \\mu b_{{t-1}} + g_t$，"
                f"$\\theta_t = \\theta_{{t-1}} - \\eta b_t$）优化一个标量参数，初值为 $\\theta_0$。"
                f"每一步的梯度都是同一个值 $g$（线性损失）。写出{what}的表达式，变量输入为 "
                f"g、mu、t、lr、theta_0（用得到的即可）。")
    what = ("the weight $\\theta_t$ after $t$ steps" if theta
            else "the momentum buffer $b_t$ (momentum_buffer) after $t$ steps")
    return (f"torch.optim.SGD(lr=$\\eta$, momentum=$\\mu$) (dampening 0, $0 < \\mu < 1$; "
            f"PyTorch's convention: $b_1 = g_1$, then $b_t = \\mu b_{{t-1}} + g_t$, and "
            f"$\\theta_t = \\theta_{{t-1}} - \\eta b_t$) optimizes a scalar weight that starts "
            f"at $\\theta_0$. The gradient is the same value $g$ at every step (a linear loss). "
            f"Give {what} as an expression; type the variables as g, mu, t, lr and theta_0 "
            f"(those you need).")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [("缓冲区是几何级数：" if zh else "The buffer is a geometric sum: ")
             + "$b_t = g (1 + \\mu + \\dots + \\mu^{t-1}) = "
             + _formula.latex(_buffer(MU, T), NAMES) + "$"]
    if params["ask"] == "theta":
        lines.append(("参数每步减去 $\\eta b_i$：" if zh else "Each step subtracts $\\eta b_i$: ")
                     + "$\\theta_t = \\theta_0 - \\eta \\sum_{i=1}^{t} b_i = \\theta_0 - "
                       "\\frac{\\eta g}{1 - \\mu} \\sum_{i=1}^{t} (1 - \\mu^i)$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    if params["ask"] == "buf":
        return [("ema_momentum", _buffer(MU, T, ema=True)),
                ("classical_velocity", -LR * _buffer(MU, T)),
                ("terminal_velocity", G / (1 - MU)),
                ("steps_off_by_one", _buffer(MU, T - 1))]
    return [("ema_momentum", THETA_0 - LR * _travelled(ema=True)),
            ("no_momentum", THETA_0 - LR * G * T),
            ("wrong_sign", THETA_0 + LR * _travelled()),
            ("terminal_velocity", THETA_0 - LR * G * T / (1 - MU))]


# -- the variant in parts: b_1, theta_1, b_2, theta_2 ---------------------------------------------
def _parts_setup(params: dict) -> dict[str, str]:
    g1, g2 = (num(g) for g in params["grads"])
    theta = num(params["theta"])
    return {
        "en": f"{_setting(params, 'en')} optimizes a scalar weight starting at "
              f"$\\theta_0 = {theta}$. The gradients are $g_1 = {g1}$, then $g_2 = {g2}$. "
              f"Give every value to within $10^{{-6}}$.",
        "zh": f"{_setting(params, 'zh')}优化一个标量参数，初值 $\\theta_0 = {theta}$。"
              f"依次得到的梯度为 $g_1 = {g1}$，$g_2 = {g2}$。每个值的误差不超过 $10^{{-6}}$。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """b_1 (the first gradient itself), theta_1 from (a), b_2 from (a), theta_2 from (b), (c)."""
    if not params.get("parts"):
        return None
    first, second = run(params)
    (g1, g2), theta0, lit = params["grads"], params["theta"], _parts.lit
    lr, mu = params["lr"], params["momentum"]
    b1, th1 = first.momentum_buffer.item(), first.param.item()
    b2, th2 = second.momentum_buffer.item(), second.param.item()
    tol, mk = tolerance(params), _parts.mistake
    lrt, mut = num(lr), num(mu)
    return [
        _parts.part(0, {"en": "the momentum buffer $b_1$ after step 1.",
                        "zh": "第 1 步之后的动量缓冲区 $b_1$。"},
                    b1, num(b1, 10), tol, _parts.both(f"$b_1 = g_1 = {num(b1, 10)}$"),
                    [mk("ema_momentum", (1 - mu) * g1, FEEDBACK["ema_momentum"]),
                     mk("classical_velocity", -lr * g1, FEEDBACK["classical_velocity"])]),
        _parts.part(1, {"en": "the weight $\\theta_1$ after step 1, from (a).",
                        "zh": "第 1 步之后的参数 $\\theta_1$（由 (a) 得到）。"},
                    th1, num(th1, 10), tol,
                    _parts.both(f"$\\theta_1 = {num(theta0)} - {lrt} \\cdot b_1 = {num(th1, 10)}$"),
                    [mk("wrong_sign", theta0 + lr * b1, FEEDBACK["wrong_sign"]),
                     mk("lr_missing", theta0 - b1, FEEDBACK["lr_missing"])],
                    uses=["a"], formula=f"{lit(theta0)} - {lit(lr)}*a"),
        _parts.part(2, {"en": "the momentum buffer $b_2$ after step 2, from (a).",
                        "zh": "第 2 步之后的动量缓冲区 $b_2$（由 (a) 得到）。"},
                    b2, num(b2, 10), tol,
                    _parts.both(f"$b_2 = {mut} \\cdot b_1 + {par(g2)} = {num(b2, 10)}$"),
                    [mk("ema_momentum", mu * b1 + (1 - mu) * g2, FEEDBACK["ema_momentum"]),
                     mk("no_momentum", g2, FEEDBACK["no_momentum"])],
                    uses=["a"], formula=f"{lit(mu)}*a + {lit(g2)}"),
        _parts.part(3, {"en": "the weight $\\theta_2$ after step 2, from (b) and (c).",
                        "zh": "第 2 步之后的参数 $\\theta_2$（由 (b)、(c) 得到）。"},
                    th2, num(th2, 10), tol,
                    _parts.both(f"$\\theta_2 = \\theta_1 - {lrt} \\cdot b_2 = {num(th2, 10)}$"),
                    [mk("wrong_sign", th1 + lr * b2, FEEDBACK["wrong_sign"]),
                     mk("no_momentum", th1 - lr * g2, FEEDBACK["no_momentum"])],
                    uses=["b", "c"], formula=f"b - {lit(lr)}*c"),
    ]
