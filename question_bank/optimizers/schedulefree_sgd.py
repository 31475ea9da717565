r"""Schedule-free SGD iterates y, z and x on a scalar weight, as the schedulefree package runs them.

Difficulty 1: one step with a given gradient; ask x_1 or y_1 (with c = 1 on the first step the
average forgets the start: x_1 = y_1 = z_1). 2: two steps on f(w) = a w^2 / 2, the gradient taken
at y; ask y, z or x. 3: the same over three steps. The convention stated is the package's
SGDScheduleFree with constant lr, warmup_steps = 0, r = 0 and weight_lr_power = 2, for which
c_{t+1} = 1/(t+1) with t counted from 0: z_{t+1} = z_t - lr grad f(y_t),
x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}, y_{t+1} = (1 - beta) z_{t+1} + beta x_{t+1}.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import sgd_schedulefree_step

ID = "optimizers.schedulefree_sgd"
TOPIC = "optimizers"
TITLE = {"en": "Schedule-free SGD iterates", "zh": "Schedule-free SGD 的迭代序列"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    params = {
        "w0": nonzero(rng, -2, 2, 1),
        "lr": rng.choice([0.1, 0.2, 0.5]),
        "beta": rng.choice([0.9, 0.9, 0.8, 0.5]),
        "a": None,
        "grads": None,
    }
    if difficulty == 1:
        params.update(steps=1, grads=[nonzero(rng, -3, 3, 1)], ask=rng.choice(["x", "y"]))
    else:
        params.update(steps=difficulty, a=rng.choice([0.5, 1, 2]), ask=rng.choice(["y", "z", "x"]))
    return params


def _gradient(params: dict, t: int, point: float) -> float:
    return params["grads"][t] if params["grads"] else params["a"] * point


@per_variant
def run(params: dict):
    """Each step of reference.optim.sgd_schedulefree_step in float64."""
    y, state, steps = torch.tensor([params["w0"]], dtype=torch.float64), {}, []
    for t in range(params["steps"]):
        g = torch.tensor([_gradient(params, t, y.item())], dtype=torch.float64)
        result = sgd_schedulefree_step(y, g, state, lr=params["lr"], momentum=params["beta"])
        steps.append(result)
        y, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    last = run(params)[-1]
    return {"y": last.param, "z": last.z, "x": last.x}[params["ask"]].item()


def oracle(params: dict) -> float:
    """The schedulefree package's own SGDScheduleFree, in float64 (train mode holds y).

    schedulefree is a development dependency: imported here, so the family works without it.
    """
    import schedulefree

    p = torch.nn.Parameter(torch.tensor([params["w0"]], dtype=torch.float64))
    opt = schedulefree.SGDScheduleFree([p], lr=params["lr"], momentum=params["beta"],
                                       foreach=False)
    opt.train()
    for t in range(params["steps"]):
        p.grad = torch.tensor([_gradient(params, t, p.item())], dtype=torch.float64)
        opt.step()
    if params["ask"] == "y":
        return p.item()
    if params["ask"] == "z":
        return opt.state[p]["z"].item()
    opt.eval()  # puts x in the parameter
    return p.item()


def closed_form(params: dict) -> sp.Expr:
    """Defazio et al. (2024), eq. (1)-(3), with c_{t+1} = 1/(t+1), t from 0, exactly."""
    q = sp.Rational
    x = z = y = q(str(params["w0"]))
    lr, beta = q(str(params["lr"])), q(str(params["beta"]))
    for t in range(params["steps"]):
        g = q(str(params["grads"][t])) if params["grads"] else q(str(params["a"])) * y
        z = z - lr * g
        c = sp.Integer(1) / (t + 1)
        x = (1 - c) * x + c * z
        y = (1 - beta) * z + beta * x
    return {"x": x, "y": y, "z": z}[params["ask"]]


def answer_tex(params: dict) -> str:
    return num(answer(params), 10)


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 1e-5}


def prompt(params: dict, lang: str) -> str:
    k, ask = params["steps"], params["ask"]
    w0, lr, beta = num(params["w0"]), num(params["lr"]), num(params["beta"])
    rules = ("$z_{t+1} = z_t - \\gamma \\nabla f(y_t)$，"
             "$x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}$，"
             "$y_{t+1} = (1 - \\beta) z_{t+1} + \\beta x_{t+1}$")
    target = f"${ask}_{{{k}}}$"
    if lang == "zh":
        if params["grads"]:
            given = f"在 $y_0$ 处得到的梯度为 $\\nabla f(y_0) = {num(params['grads'][0])}$"
        else:
            given = (f"损失函数为 $f(w) = \\frac{{a}}{{2}} w^2$，其中 $a = {num(params['a'])}$，"
                     f"梯度总是在 $y_t$ 处计算")
        return (
            f"用 schedulefree 包的 SGDScheduleFree 优化一个标量参数，学习率 $\\gamma = {lr}$"
            f"（恒定，warmup_steps = 0，r = 0，weight_lr_power = 2），momentum "
            f"$\\beta = {beta}$，初值 $x_0 = z_0 = y_0 = {w0}$。该实现中步数 $t$ 从 0 开始计，"
            f"$c_{{t+1}} = 1/(t+1)$，每一步：{rules}。{given}。"
            f"求 {k} 步之后的 {target}（保留 5 位小数）。"
        )
    rules = rules.replace("，", ", ")
    if params["grads"]:
        given = f"The gradient at $y_0$ is $\\nabla f(y_0) = {num(params['grads'][0])}$."
    else:
        given = (f"The loss is $f(w) = \\frac{{a}}{{2}} w^2$ with $a = {num(params['a'])}$, its "
                 f"gradient always taken at $y_t$.")
    return (
        f"The schedulefree package's SGDScheduleFree optimizes a scalar weight with "
        f"learning rate $\\gamma = {lr}$ (constant: warmup_steps = 0, r = 0, weight_lr_power = 2) "
        f"and momentum $\\beta = {beta}$, starting from $x_0 = z_0 = y_0 = {w0}$. In this "
        f"implementation steps count from $t = 0$ and $c_{{t+1}} = 1/(t+1)$; each step does "
        f"{rules}. {given} Compute {target} after {k} step{'s' if k > 1 else ''}, "
        f"to 5 decimal places."
    )


def solution(params: dict, lang: str) -> list[str]:
    lr, beta = num(params["lr"]), num(params["beta"])
    lines, x_prev, z_prev = [], params["w0"], params["w0"]
    y_prev = params["w0"]
    for t, s in enumerate(run(params)):
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        g = s.grad.item()
        grad_text = (f"\\nabla f(y_{{{t}}}) = {num(g, 10)}" if params["grads"] else
                     f"\\nabla f(y_{{{t}}}) = {num(params['a'])} \\cdot {par(y_prev, 10)} "
                     f"= {num(g, 10)}")
        c = s.weight.ckp1
        lines += [
            head + f"${grad_text}$",
            f"$z_{{{t + 1}}} = {num(z_prev, 10)} - {lr} \\cdot {par(g, 10)} "
            f"= {num(s.z.item(), 10)}$",
            f"$c_{{{t + 1}}} = 1/{t + 1} = {num(c, 6)}$, $x_{{{t + 1}}} = (1 - c_{{{t + 1}}}) "
            f"\\cdot {par(x_prev, 10)} + c_{{{t + 1}}} \\cdot {par(s.z.item(), 10)} "
            f"= {num(s.x.item(), 10)}$",
            f"$y_{{{t + 1}}} = (1 - {beta}) \\cdot {par(s.z.item(), 10)} + {beta} \\cdot "
            f"{par(s.x.item(), 10)} = {num(s.param.item(), 10)}$",
        ]
        x_prev, z_prev, y_prev = s.x.item(), s.z.item(), s.param.item()
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    return lines + [answer_line + f"${params['ask']}_{{{params['steps']}}} = "
                                  f"{answer_tex(params)}$"]


def _variant(params: dict, **changes) -> float:
    """The iterates of a student who runs schedule-free SGD with one rule done differently."""
    lr, beta = params["lr"], params["beta"]
    x = z = y = params["w0"]
    m = 0.0
    for t in range(params["steps"]):
        point = x if changes.get("gradient_at_x") or changes.get("beta_as_ema") else y
        g = _gradient(params, t, point)
        if changes.get("beta_as_ema"):
            m = beta * m + (1 - beta) * g
            g = m
        z = z - lr * g
        c = 1 / (t + 2) if changes.get("one_indexed") else 1 / (t + 1)
        x = (1 - c) * x + c * z
        if changes.get("swapped_interpolation"):
            y = beta * z + (1 - beta) * x
        else:
            y = (1 - beta) * z + beta * x
    return {"x": x, "y": y, "z": z}[params["ask"]]


FEEDBACK = {
    "one_indexed": {
        "en": "The package counts steps from t = 0, so c = 1/(t+1) is 1 on the first step (the "
              "starting point gets no weight in x); you used c = 1/2 there, as if t started at 1.",
        "zh": "该实现的步数从 t = 0 开始，所以第一步 c = 1/(t+1) = 1（初始点在 x 中的权重为 0）；"
              "你在第一步用了 c = 1/2，相当于把 t 从 1 开始计。",
    },
    "beta_as_ema": {
        "en": "beta is not a gradient moving average: it is the interpolation weight on x, "
              "y = (1 - beta) z + beta x, and z takes plain gradient steps.",
        "zh": "beta 不是梯度的滑动平均系数，而是插值权重：y = (1 - beta) z + beta x，"
              "z 做的是普通的梯度步。",
    },
    "gradient_at_x": {
        "en": "Schedule-free SGD takes the gradient at y (the interpolated point the parameter "
              "holds in train mode), not at the average x.",
        "zh": "Schedule-free SGD 在 y 处计算梯度（训练模式下参数中存的就是 y），而不是在平均点 x 处。",
    },
    "swapped_interpolation": {
        "en": "beta weighs the average x: y = (1 - beta) z + beta x, so with beta = 0.9 y stays "
              "close to x.",
        "zh": "beta 乘的是平均点 x：y = (1 - beta) z + beta x，所以 beta = 0.9 时 y 更靠近 x。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    names = ["one_indexed", "beta_as_ema"]
    # After one step x_1 = y_1 = z_1: the second gradient is the same at x_1 and y_1, and the
    # interpolation weights first matter for y_2 (for x and z, from step 3 on).
    if params["steps"] >= 3 or (params["steps"] == 2 and params["ask"] == "y"):
        names.append("swapped_interpolation")
    if params["steps"] >= 3:
        names.append("gradient_at_x")
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]
