r"""Gradient clipping by value, as torch.nn.utils.clip_grad_value_ does it.

Every entry of every gradient is clamped to :math:`[-v, v]` on its own; unlike clipping by norm
this changes the gradient's direction. Difficulty 1: one gradient tensor, ask the clipped
vector. 2: two tensors, ask the second one clipped (each entry is clamped independently of the
other tensor). 3: one or two tensors, ask the global :math:`L_2` norm after clipping.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank._format import num, row
from quizgen.model import Mistake
from reference.nn.utils import clip_grad_norm, clip_grad_value_

ID = "clipping.clip_grad_value"
TOPIC = "clipping"
TITLE = {"en": "Clip gradients by value", "zh": "按数值裁剪梯度"}
KIND = "vector"
NAMES = ("a", "b")
CLIP_VALUES = (0.5, 1.0, 2.0, 3.0, 5.0)


def sample(rng: random.Random, difficulty: int) -> dict:
    n_tensors = 1 if difficulty == 1 else (2 if difficulty == 2 else rng.choice([1, 2]))
    ask = "norm" if difficulty == 3 else "clipped"
    while True:
        v = rng.choice(CLIP_VALUES)
        scale = 2 * v  # entries up to twice the clip value, in steps a student can add up
        grads = [[round(rng.uniform(-scale, scale), 1) for _ in range(rng.randint(2, 3))]
                 for _ in range(n_tensors)]
        flat = [g for t in grads for g in t]
        last = grads[-1]
        # Some entries above v and some within it, none exactly at the boundary.
        if (any(abs(g) > v for g in last) and any(0 < abs(g) < v for g in flat)
                and all(abs(abs(g) - v) > 0.05 for g in flat)):
            return {"grads": grads, "clip_value": v, "ask": ask}


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "clipped" else "number"


def _clipped(params: dict) -> list[list[float]]:
    """clip_grad_value_ on parameters whose .grad holds the given gradients."""
    tensors = [torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
               for g in params["grads"]]
    for t, g in zip(tensors, params["grads"]):
        t.grad = torch.tensor(g, dtype=torch.float64)
    clip_grad_value_(tensors, params["clip_value"])
    return [t.grad.tolist() for t in tensors]


def answer(params: dict):
    clipped = _clipped(params)
    if params["ask"] == "clipped":
        return clipped[-1]
    return torch.linalg.vector_norm(torch.tensor([g for t in clipped for g in t],
                                                 dtype=torch.float64)).item()


def oracle(params: dict):
    tensors = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64))
               for g in params["grads"]]
    for t, g in zip(tensors, params["grads"]):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_value_(tensors, params["clip_value"], foreach=False)
    if params["ask"] == "clipped":
        return tensors[-1].grad.tolist()
    return math.sqrt(sum(float(x) ** 2 for t in tensors for x in t.grad))


def closed_form(params: dict):
    """max(-v, min(v, g)) entry by entry, in exact arithmetic."""
    v = sp.Rational(str(params["clip_value"]))
    clamp = [[sp.Max(-v, sp.Min(v, sp.Rational(str(g)))) for g in t] for t in params["grads"]]
    if params["ask"] == "clipped":
        return sp.Matrix(clamp[-1])
    return sp.sqrt(sum(c**2 for t in clamp for c in t))


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "clipped" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _tensors_tex(params: dict) -> str:
    names = NAMES[: len(params["grads"])]
    return ", ".join(f"$g_{n} = {row(g)}$" for n, g in zip(names, params["grads"]))


def prompt(params: dict, lang: str) -> str:
    tensors, v = _tensors_tex(params), num(params["clip_value"])
    last = NAMES[len(params["grads"]) - 1]
    several = len(params["grads"]) > 1
    if lang == "zh":
        what = (f"裁剪后的 $g_{last}$（写成向量）" if params["ask"] == "clipped"
                else "裁剪后全部梯度合在一起的 $L_2$ 范数（保留至少 6 位有效数字）")
        grads = "各参数的梯度为" if several else "参数的梯度为"
        return (f"{grads} {tensors}。调用 torch.nn.utils.clip_grad_value_，clip_value 为 "
                f"$v = {v}$。求{what}。")
    what = (f"the clipped gradient $g_{last}$ (as a vector)" if params["ask"] == "clipped"
            else "the global $L_2$ norm of all the gradients after clipping (at least 6 "
                 "significant figures)")
    grads = ("The parameters' gradients are" if several else "A parameter's gradient is")
    they = "They are" if several else "It is"
    return (f"{grads} {tensors}. {they} clipped with torch.nn.utils.clip_grad_value_ and "
            f"clip_value $v = {v}$. Compute {what}.")


def solution(params: dict, lang: str) -> list[str]:
    v = num(params["clip_value"])
    clipped = _clipped(params)
    names = NAMES[: len(params["grads"])]
    lines = [("每个分量各自截断到区间 " if lang == "zh" else "Each entry is clamped on its own to ")
             + f"$[-{v}, {v}]$" + ("：" if lang == "zh" else ": ") + f"$g_i \\leftarrow \\max(-{v}, \\min({v}, g_i))$"]
    lines += [f"$g_{n} = {row(g)} \\rightarrow {row(c)}$"
              for n, g, c in zip(names, params["grads"], clipped)]
    if params["ask"] == "norm":
        squares = " + ".join(f"({num(c)})^2" if c < 0 else f"{num(c)}^2"
                             for t in clipped for c in t)
        lines.append(f"$\\lVert g \\rVert_2 = \\sqrt{{{squares}}} = {num(answer(params), 8)}$")
    return lines


FEEDBACK = {
    "by_norm": {
        "en": "You rescaled the gradients to norm v (clip_grad_norm_); clip_grad_value_ clamps "
              "each entry to [-v, v] separately, which can change the direction.",
        "zh": "你把梯度按比例缩放到（全局）范数 v（那是 clip_grad_norm_）；clip_grad_value_ 是把每个分量"
              "分别截断到 [-v, v]，梯度方向可能因此改变。",
    },
    "scaled_to_max": {
        "en": "You scaled the whole vector so that its largest entry becomes v (clipping by the "
              "max-norm); clip_grad_value_ only clamps the entries that exceed v and leaves the "
              "others unchanged.",
        "zh": "你把整个向量按比例缩放，使最大分量等于 v（按最大范数裁剪）；clip_grad_value_ 只截断"
              "超出 v 的分量，其余分量不变。",
    },
    "upper_only": {
        "en": "Negative entries are clamped too: the interval is [-v, v], so an entry below -v "
              "becomes -v.",
        "zh": "负的分量也要截断：区间是 [-v, v]，小于 -v 的分量变成 -v。",
    },
    "sign_lost": {
        "en": "Clamping keeps the sign: an entry below -v becomes -v, not +v.",
        "zh": "截断保留符号：小于 -v 的分量变成 -v，而不是 +v。",
    },
    "norm_before_clipping": {
        "en": "That is the norm before clipping; clamp the entries first, then take the norm.",
        "zh": "这是裁剪之前的范数；要先截断各分量，再求范数。",
    },
    "norm_clip_norm": {
        "en": "min(norm, v) is the norm after clipping by norm; clipping by value clamps the "
              "entries, so compute the norm of the clamped vector.",
        "zh": "min(范数, v) 是按范数裁剪后的范数；按数值裁剪是截断各分量，要计算截断后向量的范数。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    grads, v = params["grads"], params["clip_value"]
    found = []
    if params["ask"] == "clipped":
        last = grads[-1]
        tensors = [torch.tensor(g, dtype=torch.float64) for g in grads]
        found.append(("by_norm", clip_grad_norm(tensors, v).grads[-1].tolist()))
        largest = max(abs(g) for g in last)
        found.append(("scaled_to_max", [g * v / largest for g in last]))
        if any(g < -v for g in last):
            found.append(("upper_only", [min(g, v) for g in last]))
            found.append(("sign_lost", [min(abs(g), v) if g < -v else max(-v, min(v, g))
                                        for g in last]))
    else:
        norm = math.sqrt(sum(g * g for t in grads for g in t))
        found.append(("norm_before_clipping", norm))
        found.append(("norm_clip_norm", min(norm, v)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
