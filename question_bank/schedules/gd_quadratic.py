r"""Gradient descent on a quadratic: the iterate after k steps, for a given learning rate.

On :math:`f(x) = \tfrac{a}{2}x^2` a step is :math:`x \leftarrow x - \eta a x = (1 - \eta a)x`, so
:math:`x_k = (1 - \eta a)^k x_0`: monotone convergence for :math:`\eta < 1/a`, oscillating
convergence for :math:`1/a < \eta < 2/a`, constant oscillation at :math:`2/a`, divergence above
(conventions.md section 13; ``gd_regime`` asks for the regime itself).

Difficulty 1: one or two steps with :math:`\eta < 1/a`. 2: three to five steps with
:math:`1/a < \eta < 2/a` (the iterates change sign). 3: f written as :math:`c x^2` (so a = 2c),
three to six steps, any regime including divergence. The answer runs reference.optim.sgd_step
(plain SGD, torch.optim.SGD's defaults: no momentum, no weight decay).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from question_bank.schedules._lr import ANSWER, distinct_from
from quizgen.model import Mistake
from reference.optim import sgd_step

ID = "schedules.gd_quadratic"
TOPIC = "schedules"
TITLE = {"en": "Gradient descent on a quadratic", "zh": "二次函数上的梯度下降"}
KIND = "number"

CURVATURES = (0.5, 1, 2, 4, 5, 10)
LEARNING_RATES = (0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 1.0, 1.5)
REGIMES = {1: "monotone", 2: "oscillating"}


def regime(lr_times_a: float) -> str:
    if lr_times_a < 1:
        return "monotone"
    if lr_times_a < 2:
        return "oscillating"
    return "constant" if lr_times_a == 2 else "divergent"


def sample(rng: random.Random, difficulty: int) -> dict:
    while True:
        a, lr = rng.choice(CURVATURES), rng.choice(LEARNING_RATES)
        factor = 1 - lr * a
        # Keep |1 - lr a| away from 0 (one step to the minimum) and from huge growth.
        if not 0.05 <= abs(factor) <= 2.5:
            continue
        if difficulty < 3 and regime(lr * a) != REGIMES[difficulty]:
            continue
        break
    steps = {1: rng.randint(1, 2), 2: rng.randint(3, 5), 3: rng.randint(3, 6)}[difficulty]
    form = "c" if difficulty == 3 else "a"
    return {"a": a, "form": form, "lr": lr, "x0": nonzero(rng, -3, 3, 1), "steps": steps}


@per_variant
def run(params: dict) -> list[float]:
    """x_0, x_1, ..., x_k from reference.optim.sgd_step with the gradient f'(x) = a x."""
    x = torch.tensor([params["x0"]], dtype=torch.float64)
    xs = [x.item()]
    for _ in range(params["steps"]):
        x = sgd_step(x, params["a"] * x, lr=params["lr"]).param
        xs.append(x.item())
    return xs


def answer(params: dict) -> float:
    return run(params)[-1]


def oracle(params: dict) -> float:
    """torch.optim.SGD on f itself, the gradient from autograd."""
    x = torch.tensor([params["x0"]], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=params["lr"])
    for _ in range(params["steps"]):
        optimizer.zero_grad()
        (params["a"] / 2 * x**2).sum().backward()
        optimizer.step()
    return x.item()


def closed_form(params: dict) -> sp.Expr:
    q = sp.Rational
    return (1 - q(str(params["lr"])) * q(str(params["a"]))) ** params["steps"] * q(str(params["x0"]))


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-9}


def function_tex(params: dict, lang: str) -> str:
    joint = "，其中 " if lang == "zh" else " with "
    if params["form"] == "c":
        return f"f(x) = {num(params['a'] / 2)} x^2"
    return f"f(x) = \\frac{{a}}{{2}} x^2${joint}$a = {num(params['a'])}"


def prompt(params: dict, lang: str) -> str:
    f, lr, x0, k = function_tex(params, lang), num(params["lr"]), num(params["x0"]), params["steps"]
    if lang == "zh":
        return (f"用梯度下降（torch.optim.SGD，无动量、无权重衰减）最小化 ${f}$，学习率 "
                f"$\\eta = {lr}$，初始点 $x_0 = {x0}$，每步 $x_{{t+1}} = x_t - \\eta f'(x_t)$。"
                f"求 ${k}$ 步之后的 $x_{{{k}}}$（相对误差不超过 $10^{{-4}}$）。")
    return (f"Gradient descent (torch.optim.SGD without momentum or weight decay) minimizes "
            f"${f}$. It starts from $x_0 = {x0}$ with learning rate $\\eta = {lr}$, each step "
            f"being $x_{{t+1}} = x_t - \\eta f'(x_t)$. Find $x_{{{k}}}$ after ${k}$ steps (to a "
            f"relative error of $10^{{-4}}$).")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    a, lr = params["a"], params["lr"]
    factor = 1 - lr * a
    derivative = (f"2 \\cdot {num(a / 2)} x = {num(a)} x" if params["form"] == "c"
                  else f"{num(a)} x")
    lines = [
        f"$f'(x) = {derivative}$" + ("，所以每步 " if zh else ", so each step is ")
        + f"$x_{{t+1}} = x_t - {num(lr)} \\cdot {num(a)} x_t = {par(factor)} \\, x_t$",
    ]
    xs = run(params)
    lines.append(", ".join(f"$x_{{{t}}} = {num(x, 8)}$" for t, x in enumerate(xs)))
    lines.append(f"$x_{{{params['steps']}}} = ({num(factor)})^{{{params['steps']}}} \\cdot "
                 f"{par(params['x0'])} = {answer_tex(params)}$")
    return lines + [ANSWER[lang] + f"$x_{{{params['steps']}}} = {answer_tex(params)}$"]


FEEDBACK = {
    "gradient_ascent": {
        "en": "You added the gradient; gradient descent subtracts it: x - lr f'(x).",
        "zh": "你加上了梯度；梯度下降要减去梯度：x - lr f'(x)。",
    },
    "one_step_fewer": {
        "en": "You took one step too few: x_k is reached after k updates starting from x_0.",
        "zh": "你少走了一步：从 x_0 出发更新 k 次才得到 x_k。",
    },
    "curvature_left_out": {
        "en": "You used f'(x) = x; the derivative of a x^2 / 2 is a x, so each step multiplies "
              "x by 1 - lr a.",
        "zh": "你用了 f'(x) = x；a x^2 / 2 的导数是 a x，所以每步把 x 乘以 1 - lr a。",
    },
    "half_dropped": {
        "en": "You differentiated a x^2 as if the 1/2 were not there (f'(x) = 2 a x); the "
              "derivative of a x^2 / 2 is a x.",
        "zh": "你求导时丢掉了 1/2（得到 f'(x) = 2 a x）；a x^2 / 2 的导数是 a x。",
    },
    "factor_two_dropped": {
        "en": "You took the derivative of c x^2 as c x; it is 2 c x.",
        "zh": "你把 c x^2 的导数算成了 c x；正确的是 2 c x。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    a, lr, x0, k = params["a"], params["lr"], params["x0"], params["steps"]
    found = [("gradient_ascent", (1 + lr * a) ** k * x0),
             ("one_step_fewer", (1 - lr * a) ** (k - 1) * x0),
             ("curvature_left_out", (1 - lr) ** k * x0)]
    if params["form"] == "a":
        found.append(("half_dropped", (1 - 2 * lr * a) ** k * x0))
    else:
        found.append(("factor_two_dropped", (1 - lr * a / 2) ** k * x0))
    return [Mistake(n, v, FEEDBACK[n]) for n, v in distinct_from(answer(params), found)]
