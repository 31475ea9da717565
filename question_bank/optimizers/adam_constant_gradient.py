r"""Adam under a constant gradient, as formulas: the moments, the bias correction, the step size.

With the same gradient g at every step from zero state, Adam's moments are
:math:`m_t = g(1-\beta_1^t)` and :math:`v_t = g^2(1-\beta_2^t)`, so the bias-corrected
:math:`\hat m_t = g` exactly, and the update is :math:`\eta\,g/(|g|+\epsilon)`, about the learning
rate from the very first step. Kingma & Ba's efficient form folds both corrections into a step
size :math:`\alpha_t = \eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)` applied to :math:`m_t/\sqrt{v_t}`.

Difficulty 1: :math:`m_t` or :math:`v_t`. 2: :math:`\hat m_t` or :math:`\alpha_t`. 3: the update
:math:`\theta_{t-1}-\theta_t` with :math:`\epsilon` (for g > 0), or :math:`\alpha_t`. The
convention stated is PyTorch's: t counts from 1, the moments start at zero, and
:math:`\epsilon` is added to :math:`\sqrt{\hat v_t}`; every answer is checked against
reference.optim.adam_step run t times.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _formula
from quizgen.model import Mistake
from reference.optim import adam_step

ID = "optimizers.adam_constant_gradient"
TOPIC = "optimizers"
TITLE = {"en": "Adam under a constant gradient", "zh": "恒定梯度下的 Adam"}
KIND = "expression"

ASKS = {1: ("m", "v"), 2: ("m_hat", "step_size"), 3: ("update", "step_size")}
LR, G, B1, B2, T, EPS = _formula.symbols(
    "lr:positive", "g:real", "beta_1:unit_interval", "beta_2:unit_interval",
    "t:positive_integer", "epsilon:positive")
G_POSITIVE = _formula.symbols("g:positive")[0]
NAMES = {LR: r"\eta", EPS: r"\epsilon"}
SYMBOL = {"m": "m_t", "v": "v_t", "m_hat": r"\hat m_t", "step_size": r"\alpha_t",
          "update": r"\theta_{t-1} - \theta_t"}
WHAT = {
    "m": {"en": "the first moment $m_t$ (exp_avg)", "zh": "一阶矩 $m_t$（exp_avg）"},
    "v": {"en": "the second moment $v_t$ (exp_avg_sq)", "zh": "二阶矩 $v_t$（exp_avg_sq）"},
    "m_hat": {"en": "the bias-corrected first moment $\\hat m_t = m_t/(1-\\beta_1^t)$",
              "zh": "偏差校正后的一阶矩 $\\hat m_t = m_t/(1-\\beta_1^t)$"},
    "step_size": {"en": "the step size $\\alpha_t$ of Kingma & Ba's efficient form "
                        "$\\theta_t = \\theta_{t-1} - \\alpha_t m_t / (\\sqrt{v_t} + \\hat\\epsilon)$, "
                        "which equals PyTorch's update for $\\epsilon = \\hat\\epsilon = 0$",
                  "zh": "Kingma & Ba 的高效写法 $\\theta_t = \\theta_{t-1} - \\alpha_t m_t / "
                        "(\\sqrt{v_t} + \\hat\\epsilon)$ 中的步长 $\\alpha_t$（$\\epsilon = "
                        "\\hat\\epsilon = 0$ 时它与 PyTorch 的更新完全一致）"},
    "update": {"en": "the size of the $t$-th update, $\\theta_{t-1} - \\theta_t$ (here $g > 0$)",
               "zh": "第 $t$ 步的更新量 $\\theta_{t-1} - \\theta_t$（这里 $g > 0$）"},
}
NEEDS = {"m": "g, beta_1, t", "v": "g, beta_2, t", "m_hat": "g, beta_1, t",
         "step_size": "lr, beta_1, beta_2, t", "update": "lr, g, epsilon, beta_1, beta_2, t"}


def sample(rng: random.Random, difficulty: int) -> dict:
    return {"ask": rng.choice(ASKS[difficulty])}


def variables(params: dict) -> list[str]:
    g = "g:positive" if params["ask"] == "update" else "g:real"
    return ["lr:positive", g, "beta_1:unit_interval", "beta_2:unit_interval",
            "t:positive_integer", "epsilon:positive"]


def _g(params: dict) -> sp.Symbol:
    return G_POSITIVE if params["ask"] == "update" else G


def _moments(params: dict, t: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """m_t and v_t after t steps of g from zero: the EMA weights of t equal inputs sum to
    1 - beta^t."""
    g = _g(params)
    return g * (1 - B1**t), g**2 * (1 - B2**t)


def closed_form(params: dict) -> sp.Expr:
    m, v = _moments(params, T)
    ask = params["ask"]
    if ask in ("m", "v"):
        return m if ask == "m" else v
    if ask == "m_hat":
        return sp.simplify(m / (1 - B1**T))
    if ask == "step_size":
        return LR * sp.sqrt(1 - B2**T) / (1 - B1**T)
    return sp.simplify(LR * (m / (1 - B1**T)) / (sp.sqrt(v / (1 - B2**T)) + EPS))


def answer(params: dict) -> str:
    return _formula.text(closed_form(params))


def answer_tex(params: dict) -> str:
    return _formula.latex(closed_form(params), NAMES)


def evaluate(params: dict, values: dict) -> float:
    """reference.optim.adam_step run t times with the constant gradient, in float64. The step
    size is read off as the update over m_t / sqrt(v_t), with epsilon = 0."""
    ask = params["ask"]
    g = 1.0 if ask == "step_size" else values["g"]
    eps = values["epsilon"] if ask == "update" else 0.0
    param = torch.zeros(1, dtype=torch.float64)
    grad = torch.tensor([g], dtype=torch.float64)
    state: dict = {}
    for _ in range(int(values["t"])):
        result = adam_step(param, grad, state, lr=values["lr"],
                           betas=(values["beta_1"], values["beta_2"]), eps=eps)
        param, state = result.param, result.state
    if ask == "step_size":
        return (-result.update * result.exp_avg_sq.sqrt() / result.exp_avg).item()
    return {"m": result.exp_avg, "v": result.exp_avg_sq, "m_hat": result.exp_avg_hat,
            "update": -result.update}[ask].item()


def prompt(params: dict, lang: str) -> str:
    ask = params["ask"]
    if lang == "zh":
        return (f"用 torch.optim.Adam(lr=$\\eta$, betas=($\\beta_1$, $\\beta_2$), eps=$\\epsilon$) "
                f"优化一个标量参数（PyTorch 约定：$m_0 = v_0 = 0$，步数 $t$ 从 1 开始计，"
                f"$\\epsilon$ 加在 $\\sqrt{{\\hat v_t}}$ 之外；$0 < \\beta_1, \\beta_2 < 1$）。每一步的"
                f"梯度都是同一个值 $g$。写出 $t$ 步之后{WHAT[ask]['zh']}的表达式，"
                f"变量输入为 {NEEDS[ask]}（β₁ 也可写作 beta_1）。")
    return (f"torch.optim.Adam(lr=$\\eta$, betas=($\\beta_1$, $\\beta_2$), eps=$\\epsilon$) "
            f"optimizes a scalar weight (PyTorch's convention: $m_0 = v_0 = 0$, steps count "
            f"from $t = 1$, and $\\epsilon$ is added outside $\\sqrt{{\\hat v_t}}$; "
            f"$0 < \\beta_1, \\beta_2 < 1$). The gradient is the same value $g$ at every step. "
            f"Give {WHAT[ask]['en']} after $t$ steps as an expression; type the variables as "
            f"{NEEDS[ask]} (β₁ may be typed beta_1).")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    m, v = _moments(params, T)
    lines = [("$t$ 个相同输入的 EMA 权重之和为 $(1-\\beta)\\sum_{i<t}\\beta^i = 1 - \\beta^t$，所以 "
              if zh else "The EMA weights of $t$ equal inputs sum to "
              "$(1-\\beta)\\sum_{i<t}\\beta^i = 1 - \\beta^t$, so ")
             + f"$m_t = {_formula.latex(m)}$, $v_t = {_formula.latex(v)}$"]
    ask = params["ask"]
    if ask == "m_hat":
        lines.append(("偏差校正恰好除掉 $1 - \\beta_1^t$：" if zh
                      else "The bias correction divides out exactly $1 - \\beta_1^t$: ")
                     + f"$\\hat m_t = {answer_tex(params)}$")
    elif ask == "step_size":
        lines.append("$\\frac{\\hat m_t}{\\sqrt{\\hat v_t}} = \\frac{m_t}{1 - \\beta_1^t} \\cdot "
                     "\\frac{\\sqrt{1 - \\beta_2^t}}{\\sqrt{v_t}}$"
                     + ("，两个校正都并入步长：" if zh else ": both corrections go into the step: ")
                     + f"$\\alpha_t = {answer_tex(params)}$")
    elif ask == "update":
        lines.append("$\\hat m_t = g$, $\\sqrt{\\hat v_t} = g$" + ("，所以 " if zh else ", so ")
                     + f"$\\theta_{{t-1}} - \\theta_t = \\frac{{\\eta \\hat m_t}}"
                       f"{{\\sqrt{{\\hat v_t}} + \\epsilon}} = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${SYMBOL[ask]} = {answer_tex(params)}$"]


FEEDBACK = {
    "bias_corrected_unasked": {
        "en": "That is the bias-corrected moment; the raw moment starts at zero and has only "
              "reached a fraction 1 - beta^t of the gradient's value.",
        "zh": "这是偏差校正后的矩；原始的矩从零开始，只达到梯度值的 1 - beta^t 倍。",
    },
    "no_bias_correction": {
        "en": "You left out the bias correction: Adam divides m_t by 1 - beta_1^t and v_t by "
              "1 - beta_2^t, which undoes the zero start.",
        "zh": "你漏掉了偏差校正：Adam 把 m_t 除以 1 - beta_1^t、v_t 除以 1 - beta_2^t，"
              "以抵消从零开始的偏差。",
    },
    "t_minus_one": {
        "en": "After t steps the moments hold t gradients: the power is beta^t, not "
              "beta^(t-1) (PyTorch increments t before it corrects).",
        "zh": "t 步之后矩里累积了 t 个梯度：幂次是 beta^t，而不是 beta^(t-1)"
              "（PyTorch 先把 t 加一再做校正）。",
    },
    "swapped_beta": {
        "en": "You gave the new gradient the weight beta; Adam keeps beta of the old moment "
              "and gives the new gradient 1 - beta.",
        "zh": "你把权重 beta 给了新梯度；Adam 保留旧矩的 beta 倍，新梯度的权重是 1 - beta。",
    },
    "gradient_not_squared": {
        "en": "The second moment averages g^2, not g.",
        "zh": "二阶矩平均的是 g^2，而不是 g。",
    },
    "second_correction_not_rooted": {
        "en": "v_t enters through its square root, so its correction does too: "
              "sqrt(1 - beta_2^t), not 1 - beta_2^t.",
        "zh": "v_t 以平方根的形式进入更新，它的校正也要开方：sqrt(1 - beta_2^t)，"
              "而不是 1 - beta_2^t。",
    },
    "first_correction_only": {
        "en": "You corrected m_t only; the second moment's correction 1 - beta_2^t enters too, "
              "as sqrt(1 - beta_2^t) in the numerator.",
        "zh": "你只校正了 m_t；二阶矩的校正 1 - beta_2^t 也要计入，以 sqrt(1 - beta_2^t) "
              "出现在分子上。",
    },
    "corrections_inverted": {
        "en": "The corrections are upside down: m_t is divided by 1 - beta_1^t, so that factor "
              "goes in the denominator, and sqrt(1 - beta_2^t) in the numerator.",
        "zh": "两个校正放反了：m_t 要除以 1 - beta_1^t，所以它在分母上，"
              "sqrt(1 - beta_2^t) 在分子上。",
    },
    "epsilon_ignored": {
        "en": "Epsilon is part of the denominator, sqrt(v-hat) + epsilon = g + epsilon; it "
              "shrinks the step slightly.",
        "zh": "epsilon 是分母的一部分：sqrt(v-hat) + epsilon = g + epsilon，它会让步长略微变小。",
    },
    "epsilon_hat": {
        "en": "That is the efficient form with epsilon-hat added to sqrt(v_t) (as TensorFlow "
              "does); PyTorch adds epsilon to sqrt(v-hat), after the correction.",
        "zh": "这是把 epsilon-hat 加到 sqrt(v_t) 上的高效写法（TensorFlow 的做法）；"
              "PyTorch 是在校正之后把 epsilon 加到 sqrt(v-hat) 上。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    ask, g = params["ask"], _g(params)
    m, v = _moments(params, T)
    m_prev, v_prev = _moments(params, T - 1)
    found: list[tuple[str, sp.Expr]]
    if ask == "m":
        found = [("bias_corrected_unasked", g), ("t_minus_one", m_prev),
                 ("swapped_beta", g * (1 - (1 - B1) ** T))]
    elif ask == "v":
        found = [("bias_corrected_unasked", g**2), ("t_minus_one", v_prev),
                 ("gradient_not_squared", g * (1 - B2**T))]
    elif ask == "m_hat":
        found = [("no_bias_correction", m), ("t_minus_one", m / (1 - B1 ** (T - 1)))]
    elif ask == "step_size":
        found = [("no_bias_correction", LR),
                 ("second_correction_not_rooted", LR * (1 - B2**T) / (1 - B1**T)),
                 ("first_correction_only", LR / (1 - B1**T)),
                 ("corrections_inverted", LR * (1 - B1**T) / sp.sqrt(1 - B2**T)),
                 ("t_minus_one", LR * sp.sqrt(1 - B2 ** (T - 1)) / (1 - B1 ** (T - 1)))]
    else:
        found = [("epsilon_ignored", LR),
                 ("epsilon_hat", LR * g / (g + EPS / sp.sqrt(1 - B2**T))),
                 ("no_bias_correction", LR * m / (sp.sqrt(v) + EPS))]
    return _formula.mistakes(found, FEEDBACK)
