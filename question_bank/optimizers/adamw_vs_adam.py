"""Weight decay in Adam (an L2 term in the gradient) against AdamW (decoupled decay).

Difficulty 1: AdamW's first step on a scalar weight from zero state. 2: one step from a given
state (t, m, v); ask AdamW's weight or the difference between AdamW's and Adam's. 3: two steps
from zero state; the same two questions. The convention stated is PyTorch's: torch.optim.Adam
with weight_decay adds lambda theta to the gradient before the moments; torch.optim.AdamW first
multiplies the weight by (1 - lr lambda), then takes an ordinary Adam step.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import adam_step

ID = "optimizers.adamw_vs_adam"
TOPIC = "optimizers"
TITLE = {"en": "Adam vs AdamW weight decay", "zh": "Adam 与 AdamW 的权重衰减"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    params = {
        "theta": nonzero(rng, -2, 2, 1),
        "lr": rng.choice([0.01, 0.05, 0.1]),
        "beta1": 0.9,
        "beta2": rng.choice([0.999, 0.99]),
        "eps": 1e-8,
        "weight_decay": rng.choice([0.1, 0.2, 0.5]),
        "t": 0,
        "m": 0.0,
        "v": 0.0,
        "ask": "adamw",
    }
    if difficulty == 1:
        params["grads"] = [nonzero(rng, -3, 3, 1)]
        return params
    params["ask"] = rng.choice(["adamw", "difference"])
    if difficulty == 2:
        params["t"] = rng.randint(1, 9)
        params["m"] = nonzero(rng, -1, 1, 2)
        params["v"] = round(rng.uniform(0.1, 2), 2)
        params["grads"] = [nonzero(rng, -3, 3, 1)]
    else:
        params["grads"] = [nonzero(rng, -3, 3, 1) for _ in range(2)]
    return params


@per_variant
def run(params: dict, decoupled: bool):
    """Every step of AdamW (decoupled) or Adam with L2 decay, from reference.optim.adam_step."""
    param = torch.tensor([params["theta"]], dtype=torch.float64)
    state = {"step": params["t"]}
    if params["t"]:
        state["exp_avg"] = torch.tensor([params["m"]], dtype=torch.float64)
        state["exp_avg_sq"] = torch.tensor([params["v"]], dtype=torch.float64)
    steps = []
    for g in params["grads"]:
        result = adam_step(param, torch.tensor([g], dtype=torch.float64), state,
                           lr=params["lr"], betas=(params["beta1"], params["beta2"]),
                           eps=params["eps"], weight_decay=params["weight_decay"],
                           decoupled_weight_decay=decoupled)
        steps.append(result)
        param, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    adamw = run(params, decoupled=True)[-1].param.item()
    if params["ask"] == "adamw":
        return adamw
    return adamw - run(params, decoupled=False)[-1].param.item()


def _torch_final(params: dict, optimizer_class) -> float:
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = optimizer_class([p], lr=params["lr"], betas=(params["beta1"], params["beta2"]),
                          eps=params["eps"], weight_decay=params["weight_decay"], foreach=False)
    if params["t"]:
        opt.state[p] = {
            "step": torch.tensor(float(params["t"])),
            "exp_avg": torch.tensor([params["m"]], dtype=torch.float64),
            "exp_avg_sq": torch.tensor([params["v"]], dtype=torch.float64),
        }
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return p.item()


def oracle(params: dict) -> float:
    """torch.optim.AdamW and torch.optim.Adam(weight_decay=...) themselves, in float64."""
    adamw = _torch_final(params, torch.optim.AdamW)
    if params["ask"] == "adamw":
        return adamw
    return adamw - _torch_final(params, torch.optim.Adam)


def _closed_theta(params: dict, decoupled: bool) -> sp.Expr:
    q = sp.Rational
    theta, m, v, t = q(str(params["theta"])), q(str(params["m"])), q(str(params["v"])), params["t"]
    lr, b1, b2, eps, wd = (q(str(params[k]))
                           for k in ("lr", "beta1", "beta2", "eps", "weight_decay"))
    for g in params["grads"]:
        g, t = q(str(g)), t + 1
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (sp.sqrt(v / (1 - b2**t)) + eps)
    return theta


def closed_form(params: dict) -> sp.Expr:
    """Loshchilov & Hutter (2019), Algorithm 2, with torch's lr-scaled decay, exactly."""
    adamw = _closed_theta(params, decoupled=True)
    if params["ask"] == "adamw":
        return adamw
    return adamw - _closed_theta(params, decoupled=False)


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    if params["ask"] == "adamw":
        # A thousandth of one decay step lr * lambda (per unit of weight).
        return {"rtol": 0.0, "atol": params["lr"] * params["weight_decay"] * 1e-3}
    return {"rtol": 1e-3, "atol": 1e-9}


def _accuracy(params: dict) -> str:
    tol = tolerance(params)
    return num(tol["atol"]) if params["ask"] == "adamw" else "0.1\\%"


def prompt(params: dict, lang: str) -> str:
    t, grads = params["t"], params["grads"]
    final_t = t + len(grads)
    hyper = (f"$\\eta = {num(params['lr'])}$, $\\beta_1 = {num(params['beta1'])}$, "
             f"$\\beta_2 = {num(params['beta2'])}$, $\\epsilon = 10^{{-8}}$, "
             f"weight_decay $\\lambda = {num(params['weight_decay'])}$")
    theta, accuracy = num(params["theta"]), _accuracy(params)
    if lang == "zh":
        state = ("两者的状态都从零开始（$m_0 = v_0 = 0$）" if not t else
                 f"两者都已更新过 $t = {t}$ 步，当前状态相同：$m_{{{t}}} = {num(params['m'])}$，"
                 f"$v_{{{t}}} = {num(params['v'])}$")
        grads_text = "，".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
        what = (f" AdamW 更新后的参数 $\\theta_{{{final_t}}}$" if params["ask"] == "adamw" else
                f"两者更新后参数之差 $\\theta^{{\\text{{AdamW}}}}_{{{final_t}}} - "
                f"\\theta^{{\\text{{Adam}}}}_{{{final_t}}}$")
        return (
            f"同一个标量参数 $\\theta = {theta}$ 分别用 torch.optim.Adam 和 torch.optim.AdamW "
            f"优化，超参数相同：{hyper}。PyTorch 约定：Adam 的 weight_decay 是 L2 正则，"
            f"先把 $\\lambda\\theta$ 加到梯度上再更新矩估计；AdamW 是解耦的权重衰减，先令 "
            f"$\\theta \\leftarrow \\theta(1 - \\eta\\lambda)$，再做普通的 Adam 更新"
            f"（步数从 $t = 1$ 开始，$\\epsilon$ 加在 $\\sqrt{{\\hat v_t}}$ 之外）。{state}。"
            f"损失函数的梯度（不含衰减项）{'依次' if len(grads) > 1 else ''}为 {grads_text}，两者相同。"
            f"求{what}（误差不超过 ${accuracy}$）。"
        )
    state = ("Both start from zero state ($m_0 = v_0 = 0$)." if not t else
             f"Both have already taken $t = {t}$ {'step' if t == 1 else 'steps'} and share "
             f"the state "
             f"$m_{{{t}}} = {num(params['m'])}$, $v_{{{t}}} = {num(params['v'])}$.")
    grads_text = ", then ".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
    what = (f"AdamW's weight $\\theta_{{{final_t}}}$ after the update" if params["ask"] == "adamw"
            else f"the difference $\\theta^{{\\text{{AdamW}}}}_{{{final_t}}} - "
                 f"\\theta^{{\\text{{Adam}}}}_{{{final_t}}}$ between the two weights")
    return (
        f"The same scalar weight $\\theta = {theta}$ is optimized once with torch.optim.Adam and "
        f"once with torch.optim.AdamW, with the same hyper-parameters: {hyper}. PyTorch's "
        f"convention: Adam's weight_decay is L2 regularization, adding $\\lambda\\theta$ to the "
        f"gradient before the moments; AdamW decouples it, first setting "
        f"$\\theta \\leftarrow \\theta(1 - \\eta\\lambda)$ and then taking a plain Adam step "
        f"(steps count from $t = 1$; $\\epsilon$ is added outside $\\sqrt{{\\hat v_t}}$). "
        f"{state} The loss {'gradient' if len(grads) == 1 else 'gradients'} (without the decay "
        f"term) {'is' if len(grads) == 1 else 'are'} {grads_text} for both. "
        f"Compute {what} (to within ${accuracy}$)."
    )


def _run_lines(params: dict, decoupled: bool, lang: str) -> list[str]:
    b1, b2, lr, wd = (num(params[k]) for k in ("beta1", "beta2", "lr", "weight_decay"))
    name = "AdamW" if decoupled else "Adam"
    lines, theta_prev, m_prev, v_prev = [], params["theta"], params["m"], params["v"]
    for s, g in zip(run(params, decoupled), params["grads"]):
        t = s.step
        head = f"{name}，第 $t = {t}$ 步：" if lang == "zh" else f"{name}, step $t = {t}$: "
        if decoupled:
            decayed = theta_prev * (1 - params["lr"] * params["weight_decay"])
            lines.append(head + f"$\\tilde\\theta_{{{t - 1}}} = {par(theta_prev, 10)} \\cdot "
                                f"(1 - {lr} \\cdot {wd}) = {num(decayed, 10)}$, "
                                f"$g_{{{t}}} = {num(g)}$")
        else:
            decayed = theta_prev
            lines.append(head + f"$g_{{{t}}} = {par(g)} + {wd} \\cdot {par(theta_prev, 10)} "
                                f"= {num(s.grad.item(), 10)}$")
        used = s.grad.item()
        lines += [
            f"$m_{{{t}}} = {b1} \\cdot {par(m_prev, 10)} + (1 - {b1}) \\cdot {par(used, 10)} "
            f"= {num(s.exp_avg.item(), 10)}$, "
            f"$v_{{{t}}} = {b2} \\cdot {num(v_prev, 10)} + (1 - {b2}) \\cdot {par(used, 10)}^2 "
            f"= {num(s.exp_avg_sq.item(), 10)}$",
            f"$\\hat m_{{{t}}} = {num(s.exp_avg_hat.item(), 10)}$, "
            f"$\\hat v_{{{t}}} = {num(s.exp_avg_sq_hat.item(), 10)}$",
            f"$\\theta_{{{t}}} = {num(decayed, 10)} - {lr} \\cdot "
            f"\\frac{{\\hat m_{{{t}}}}}{{\\sqrt{{\\hat v_{{{t}}}}} + \\epsilon}} "
            f"= {num(s.param.item(), 10)}$",
        ]
        theta_prev, m_prev, v_prev = s.param.item(), s.exp_avg.item(), s.exp_avg_sq.item()
    return lines


def solution(params: dict, lang: str) -> list[str]:
    lines = _run_lines(params, True, lang)
    final_t = params["t"] + len(params["grads"])
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    if params["ask"] == "adamw":
        return lines + [answer_line + f"$\\theta_{{{final_t}}} = {answer_tex(params)}$"]
    lines += _run_lines(params, False, lang)
    adamw = run(params, True)[-1].param.item()
    adam = run(params, False)[-1].param.item()
    return lines + [answer_line + f"$\\theta^{{\\text{{AdamW}}}}_{{{final_t}}} - "
                                  f"\\theta^{{\\text{{Adam}}}}_{{{final_t}}} = {num(adamw, 10)} - "
                                  f"{par(adam, 10)} = {answer_tex(params)}$"]


def _adam(params: dict, mode: str) -> float:
    """A scalar Adam run in plain floats with the decay applied as `mode` says."""
    theta, m, v, t = params["theta"], params["m"], params["v"], params["t"]
    lr, b1, b2, eps, wd = (params[k] for k in ("lr", "beta1", "beta2", "eps", "weight_decay"))
    for g in params["grads"]:
        t += 1
        if mode == "decoupled":
            theta *= 1 - lr * wd
        elif mode == "no_lr":
            theta *= 1 - wd
        elif mode == "l2":
            g = g + wd * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)) ** 0.5 + eps)
        if mode == "after":
            theta *= 1 - lr * wd
    return theta


FEEDBACK = {
    "l2_instead_of_decoupled": {
        "en": "That is Adam with L2 (lambda theta added to the gradient, so Adam's "
              "normalization rescales it); AdamW instead shrinks the weight directly by "
              "(1 - lr lambda) and leaves the moments alone.",
        "zh": "这是带 L2 正则的 Adam（把 lambda theta 加进梯度，会被 Adam 的归一化缩放）；"
              "AdamW 直接把参数乘以 (1 - lr lambda)，不影响矩估计。",
    },
    "decay_without_lr": {
        "en": "torch.optim.AdamW multiplies the weight by (1 - lr * lambda): the decay is "
              "scaled by the learning rate.",
        "zh": "torch.optim.AdamW 把参数乘以 (1 - lr * lambda)：衰减量要乘以学习率。",
    },
    "decay_after_update": {
        "en": "torch applies the decay to theta_{t-1}, before the Adam step, not to the "
              "already-updated weight.",
        "zh": "PyTorch 在 Adam 更新之前对 theta_{t-1} 做衰减，而不是对更新后的参数做衰减。",
    },
    "no_decay": {
        "en": "You left out the weight decay; AdamW first multiplies theta by (1 - lr lambda).",
        "zh": "你漏掉了权重衰减；AdamW 先把 theta 乘以 (1 - lr lambda)。",
    },
    "sign_flipped": {
        "en": "The question asks for AdamW's weight minus Adam's, not the other way round.",
        "zh": "题目要求的是 AdamW 的参数减去 Adam 的参数，顺序不要反。",
    },
    "same_update": {
        "en": "The two are not the same: Adam's L2 term passes through the moments and is "
              "divided by sqrt(v-hat), while AdamW's decay is not.",
        "zh": "两者并不相同：Adam 的 L2 项经过矩估计并被 sqrt(v-hat) 归一化，而 AdamW 的衰减不会。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    l2 = _adam(params, "l2")
    if params["ask"] == "adamw":
        found = [("l2_instead_of_decoupled", l2), ("decay_without_lr", _adam(params, "no_lr")),
                 ("decay_after_update", _adam(params, "after")),
                 ("no_decay", _adam(params, "none"))]
    else:
        diff = _adam(params, "decoupled") - l2
        found = [("sign_flipped", -diff), ("same_update", 0.0),
                 ("decay_without_lr", _adam(params, "no_lr") - l2)]
    return [Mistake(n, value, FEEDBACK[n]) for n, value in found]
