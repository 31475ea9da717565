"""Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ does it.

Difficulty 1: one gradient tensor, ask the clipped vector. 2: two tensors, ask the clip
coefficient or the global norm. 3: three tensors, ask one tensor's clipped gradient. Half the
time, difficulty 2 and 3 ask instead for the global norm or a tensor's clipped norm as a formula
in the per-tensor norms a, b and max_norm tau; and half of the rest of difficulty 3 is asked in
parts: the total norm, the coefficient from it, and the clipped last tensor from that. The
convention stated: the norm is taken over all tensors together, the coefficient is
max_norm / (norm + 1e-6) capped at 1, and every tensor is multiplied by it.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _formula, _parts
from question_bank._format import num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn.utils import clip_grad_norm

ID = "clipping.clip_grad_norm"
TOPIC = "clipping"
TITLE = {"en": "Clip gradients by global norm", "zh": "按全局范数裁剪梯度"}
KIND = "vector"
NAMES = ("a", "b", "c")
TORCH_EPS = 1e-6  # torch adds this to the norm before dividing


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty > 1 and rng.random() < 0.5:
        return {"formula": True, "ask": "total_norm" if difficulty == 2 else "clipped_norm"}
    in_parts = _parts.chosen(rng, difficulty)
    n_tensors = difficulty
    sizes = [rng.randint(2, 3) for _ in range(n_tensors)]
    grads = [[rng.randint(-6, 6) for _ in range(n)] for n in sizes]
    while not any(any(g) for g in grads[-1:]):
        grads[-1] = [rng.randint(-6, 6) for _ in range(sizes[-1])]
    ask = {1: "clipped", 2: rng.choice(["coef", "total_norm"]), 3: "clipped"}[difficulty]
    params = {"grads": grads, "max_norm": rng.choice([1.0, 2.0, 5.0, 10.0]), "ask": ask}
    return {**params, "parts": True} if in_parts else params


def kind(params: dict) -> str:
    if params.get("formula"):
        return "expression"
    return "vector" if params["ask"] == "clipped" else "number"


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


@per_variant
def _result(params: dict):
    grads = [torch.tensor(g, dtype=torch.float64) for g in params["grads"]]
    return clip_grad_norm(grads, params["max_norm"])


def answer(params: dict):
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    r = _result(params)
    if params["ask"] == "clipped":
        return r.grads[-1].tolist()
    return r.clip_coef_clamped if params["ask"] == "coef" else r.total_norm


def closed_form(params: dict):
    """Pascanu et al. (2013) with torch's epsilon, in exact arithmetic."""
    if params.get("formula"):
        return _formula_value(params)
    grads = [[sp.Integer(x) for x in g] for g in params["grads"]]
    norm = sp.sqrt(sum(x**2 for g in grads for x in g))
    max_norm = sp.Rational(str(params["max_norm"]))
    coef = sp.Min(1, max_norm / (norm + sp.Rational(str(TORCH_EPS))))
    if params["ask"] == "clipped":
        return sp.Matrix([coef * x for x in grads[-1]])
    return coef if params["ask"] == "coef" else norm


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params))
    value = answer(params)
    return row(value, 8) if params["ask"] == "clipped" else num(value, 8)


def tolerance(params: dict) -> dict:
    # Students may ignore torch's 1e-6, which moves the answer by about 1e-6 relative.
    return {"rtol": 1e-4, "atol": 1e-6}


def _tensors_tex(params: dict) -> str:
    names = NAMES[: len(params["grads"])]
    return ", ".join(f"$g_{n} = {row(g)}$" for n, g in zip(names, params["grads"]))


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    tensors, max_norm = _tensors_tex(params), num(params["max_norm"])
    last = NAMES[len(params["grads"]) - 1]
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 3, lang)
    if lang == "zh":
        what = {
            "clipped": f"裁剪后的 $g_{last}$（按分量写成向量）",
            "coef": "实际乘到梯度上的裁剪系数",
            "total_norm": "函数返回的总范数（裁剪前的全局 $L_2$ 范数）",
        }[params["ask"]]
        return (
            f"一个模型的参数梯度为 {tensors}。用 torch.nn.utils.clip_grad_norm_ 裁剪，"
            f"阈值 max_norm 为 $\\tau = {max_norm}$（PyTorch 约定：对所有张量一起计算全局 $L_2$ 范数 "
            f"$\\lVert g \\rVert$，系数为 $\\min(1, \\tau / (\\lVert g \\rVert + 10^{{-6}}))$，"
            f"每个张量都乘以该系数）。求{what}（保留至少 5 位有效数字）。"
        )
    what = {
        "clipped": f"the clipped gradient $g_{last}$ (as a vector)",
        "coef": "the coefficient the gradients are multiplied by",
        "total_norm": "the total norm the function returns (the global $L_2$ norm before clipping)",
    }[params["ask"]]
    return (
        f"A model's parameter gradients are {tensors}. They are clipped with "
        f"torch.nn.utils.clip_grad_norm_ and max_norm $\\tau = {max_norm}$ (PyTorch's "
        f"convention: one global $L_2$ norm "
        f"$\\lVert g \\rVert$ over all tensors together, coefficient "
        f"$\\min(1, \\tau / (\\lVert g \\rVert + 10^{{-6}}))$, applied to every tensor). "
        f"Compute {what}, to at least 5 significant figures."
    )


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    r = _result(params)
    squares = " + ".join(f"{num(x)}^2" if x >= 0 else f"({num(x)})^2"
                         for g in params["grads"] for x in g)
    clips = r.total_norm > params["max_norm"]
    lines = [
        f"$\\lVert g \\rVert_2 = \\sqrt{{{squares}}} = {num(r.total_norm, 8)}$",
        f"$c = \\min\\left(1, \\frac{{\\tau}}{{\\lVert g \\rVert + 10^{{-6}}}}\\right) = "
        f"\\min\\left(1, \\frac{{{num(params['max_norm'])}}}"
        f"{{{num(r.total_norm, 8)} + 10^{{-6}}}}\\right) = {num(r.clip_coef_clamped, 8)}$",
    ]
    if lang == "zh":
        lines.append("范数超过阈值，所有梯度按系数 $c$ 缩小。" if clips
                     else "范数没有超过阈值，系数为 1，梯度保持不变。")
    else:
        lines.append("The norm exceeds max_norm, so every gradient is scaled by $c$." if clips
                     else "The norm is within max_norm: the coefficient is 1 and nothing changes.")
    if params["ask"] == "clipped":
        last = NAMES[len(params["grads"]) - 1]
        lines.append(f"$c \\cdot g_{last} = {row(r.grads[-1].tolist(), 8)}$")
    return lines


def _norm(xs) -> float:
    return sum(x * x for x in xs) ** 0.5


FEEDBACK = {
    "per_tensor": {
        "en": "You clipped each tensor by its own norm; clip_grad_norm_ uses one global norm "
              "over all tensors together.",
        "zh": "你对每个张量分别按自己的范数裁剪了；clip_grad_norm_ 用的是所有张量合在一起的全局范数。",
    },
    "by_value": {
        "en": "You clamped each entry to [-max_norm, max_norm]; that is clip_grad_value_, "
              "not clipping by norm (which keeps the direction).",
        "zh": "你把每个分量截断到 [-max_norm, max_norm]，那是 clip_grad_value_；按范数裁剪会保持梯度方向。",
    },
    "always_rescale": {
        "en": "The norm is already below max_norm, so the coefficient is capped at 1 and the "
              "gradient is unchanged; you scaled it up.",
        "zh": "范数本来就小于 max_norm，系数被截到 1，梯度不变；你却把它放大了。",
    },
    "not_clipped": {
        "en": "The norm exceeds max_norm, so the gradient must be scaled down.",
        "zh": "范数超过了 max_norm，梯度必须按比例缩小。",
    },
    "inverted": {
        "en": "The coefficient is max_norm / norm (capped at 1), not norm / max_norm.",
        "zh": "系数是 max_norm / 范数（最大为 1），不是 范数 / max_norm。",
    },
    "sum_of_norms": {
        "en": "The total norm is the norm of all entries together (the 2-norm of the per-tensor "
              "norms), not the sum of the per-tensor norms.",
        "zh": "总范数是所有分量合在一起的范数（各张量范数的 2-范数），不是各张量范数之和。",
    },
    "one_tensor": {
        "en": "That is the norm of one tensor only; the total norm covers every tensor's entries.",
        "zh": "这只是一个张量的范数；总范数要把所有张量的分量都算进去。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    grads, max_norm = params["grads"], params["max_norm"]
    total = _norm([x for g in grads for x in g])
    last = grads[-1]
    found = []
    if params["ask"] == "clipped":
        if len(grads) > 1:
            own = min(1.0, max_norm / (_norm(last) + TORCH_EPS))
            found.append(("per_tensor", [own * x for x in last]))
        found.append(("by_value", [max(-max_norm, min(max_norm, x)) for x in last]))
        if total > max_norm:
            found.append(("not_clipped", [float(x) for x in last]))
        else:
            found.append(("always_rescale", [max_norm / total * x for x in last]))
    elif params["ask"] == "coef":
        found.append(("inverted", total / max_norm))
        found.append(("per_tensor", min(1.0, max_norm / (_norm(last) + TORCH_EPS))))
    else:
        found.append(("sum_of_norms", sum(_norm(g) for g in grads)))
        found.append(("one_tensor", _norm(last)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: in the per-tensor norms a, b and max_norm tau -------------------------
FORMULA_VARIABLES = ["a:positive", "b:positive", "tau:positive"]
A, B, TAU = _formula.symbols(*FORMULA_VARIABLES)
EPS = sp.Rational(1, 10**6)  # TORCH_EPS, exactly


def _clipped(norm: sp.Expr) -> sp.Expr:
    return A * sp.Min(1, TAU / (norm + EPS))


def _formula_value(params: dict) -> sp.Expr:
    total = sp.sqrt(A**2 + B**2)
    return total if params["ask"] == "total_norm" else _clipped(total)


def evaluate(params: dict, values: dict) -> float:
    """reference.nn.utils.clip_grad_norm on two one-entry gradients of norms a and b."""
    grads = [torch.tensor([values["a"]], dtype=torch.float64),
             torch.tensor([values["b"]], dtype=torch.float64)]
    result = clip_grad_norm(grads, values["tau"])
    return result.total_norm if params["ask"] == "total_norm" else result.grads[0].abs().item()


def _formula_prompt(params: dict, lang: str) -> str:
    convention = ("PyTorch 约定：对所有张量一起计算全局 $L_2$ 范数 $\\lVert g \\rVert$，系数为 "
                  "$\\min(1, \\tau / (\\lVert g \\rVert + 10^{-6}))$，每个张量都乘以该系数"
                  if lang == "zh" else
                  "PyTorch's convention: one global $L_2$ norm $\\lVert g \\rVert$ over all "
                  "tensors together, coefficient $\\min(1, \\tau / (\\lVert g \\rVert + "
                  "10^{-6}))$, applied to every tensor")
    if lang == "zh":
        what = ("函数返回的总范数（裁剪前的全局 $L_2$ 范数）" if params["ask"] == "total_norm"
                else "裁剪后 $g_a$ 的范数 $\\lVert g_a \\rVert$")
        return (f"一个模型有两个参数张量，梯度 $g_a$、$g_b$ 的 $L_2$ 范数分别为 $a$ 和 $b$。"
                f"用 torch.nn.utils.clip_grad_norm_ 裁剪，max_norm 为 $\\tau$（{convention}）。"
                f"写出{what}关于 $a, b, \\tau$ 的表达式，变量输入为 a、b、tau（可用 min）。")
    what = ("the total norm the function returns (the global $L_2$ norm before clipping)"
            if params["ask"] == "total_norm" else "the norm $\\lVert g_a \\rVert$ of $g_a$ "
            "after clipping")
    return (f"A model has two parameter tensors whose gradients $g_a$ and $g_b$ have $L_2$ "
            f"norms $a$ and $b$. They are clipped with torch.nn.utils.clip_grad_norm_ and "
            f"max_norm $\\tau$ ({convention}). Give {what} as an expression in $a$, $b$ and "
            f"$\\tau$; type them as a, b and tau (min is accepted).")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [("全局范数是各张量范数的 2-范数：" if zh
              else "The global norm is the 2-norm of the per-tensor norms: ")
             + "$\\lVert g \\rVert = \\sqrt{a^2 + b^2}$"]
    if params["ask"] == "clipped_norm":
        lines.append(("$g_a$ 乘以同一个系数，范数也乘以它：" if zh else
                      "$g_a$ is multiplied by the common coefficient, and so is its norm: ")
                     + f"$\\lVert g_a \\rVert = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    if params["ask"] == "total_norm":
        return [("sum_of_norms", A + B), ("one_tensor", B)]
    # Not always_rescale (no cap at 1): it differs from the key only where tau > the norm,
    # a corner of the domain the grader's 12 points miss about once in 150 verdicts.
    total = sp.sqrt(A**2 + B**2)
    return [("per_tensor", _clipped(A)), ("sum_of_norms", _clipped(A + B)),
            ("inverted", A * sp.Min(1, total / TAU))]


# -- the variant in parts: total norm, coefficient, clipped last tensor ------------------------
def _parts_setup(params: dict) -> dict[str, str]:
    tensors, max_norm = _tensors_tex(params), num(params["max_norm"])
    return {
        "en": f"A model's parameter gradients are {tensors}. They are clipped with "
              f"torch.nn.utils.clip_grad_norm_ and max_norm $\\tau = {max_norm}$ (PyTorch's "
              f"convention: one global $L_2$ norm $\\lVert g \\rVert$ over all tensors "
              f"together, coefficient $\\min(1, \\tau / (\\lVert g \\rVert + 10^{{-6}}))$, "
              f"applied to every tensor). Give every value to at least 5 significant figures.",
        "zh": f"一个模型的参数梯度为 {tensors}。用 torch.nn.utils.clip_grad_norm_ 裁剪，阈值 "
              f"max_norm 为 $\\tau = {max_norm}$（PyTorch 约定：对所有张量一起计算全局 $L_2$ "
              f"范数 $\\lVert g \\rVert$，系数为 "
              f"$\\min(1, \\tau / (\\lVert g \\rVert + 10^{{-6}}))$，每个张量都乘以该系数）。"
              f"每个值保留至少 5 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """The total norm, the coefficient from (a), the last tensor clipped by (b)."""
    if not params.get("parts"):
        return None
    r, lit = _result(params), _parts.lit
    last, name = params["grads"][-1], NAMES[len(params["grads"]) - 1]
    steps = {lang: solution(params, lang) for lang in ("en", "zh")}

    def wrong(ask: str) -> list[Mistake]:
        return mistakes({**params, "ask": ask})

    clipped = r.grads[-1].tolist()
    return [
        _parts.part(0, {"en": "the total norm $\\lVert g \\rVert$ (before clipping).",
                        "zh": "裁剪前的全局范数 $\\lVert g \\rVert$。"},
                    r.total_norm, num(r.total_norm, 8), tolerance(params),
                    {lang: lines[:1] for lang, lines in steps.items()}, wrong("total_norm")),
        _parts.part(1, {"en": "the clip coefficient the gradients are multiplied by, "
                              "from (a).",
                        "zh": "实际乘到梯度上的裁剪系数（由 (a) 得到）。"},
                    r.clip_coef_clamped, num(r.clip_coef_clamped, 8), tolerance(params),
                    {lang: lines[1:3] for lang, lines in steps.items()}, wrong("coef"),
                    uses=["a"],
                    formula=f"min(1, {lit(params['max_norm'])}/(a + {lit(TORCH_EPS)}))"),
        _parts.part(2, {"en": f"the clipped gradient $g_{name}$ (as a vector), from (b).",
                        "zh": f"裁剪后的 $g_{name}$（写成向量，由 (b) 得到）。"},
                    clipped, row(clipped, 8), tolerance(params),
                    _parts.both(f"$c \\cdot g_{name} = {row(clipped, 8)}$"), wrong("clipped"),
                    uses=["b"], formula="[" + ", ".join(f"{lit(x)}*b" for x in last) + "]",
                    kind="vector"),
    ]
