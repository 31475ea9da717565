r"""Which clipping rule produced this result? Global norm, per-tensor norm, or value.

The prompt names one rule and a threshold c; the options are the gradients after each rule
(and the unclipped gradient), computed by ``reference.nn.utils``:

* ``clip_grad_norm_(params, c)``: one global :math:`L_2` norm over all tensors, every tensor
  scaled by :math:`\min(1, c / (\lVert g \rVert + 10^{-6}))`; the direction is kept.
* per-tensor norm clipping (``clip_grad_norm_`` called on each tensor separately).
* ``clip_grad_value_(params, c)``: every entry clamped to :math:`[-c, c]`.
* ``clip_grad_norm_(params, c, norm_type=inf)``: scaled so the largest entry is c.

Difficulty 1: one gradient tensor; options global norm, max-norm, value, unclipped.
2: two tensors, asked global norm or value; options global norm, per-tensor norm, value,
unclipped. 3: two tensors, one of them already within c on its own, asked any of the three
rules (per-tensor clipping leaves that tensor unchanged).
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank._format import num, row
from quizgen.model import Mistake
from reference.nn.utils import clip_grad_norm, clip_grad_value_

ID = "clipping.norm_vs_value"
TOPIC = "clipping"
TITLE = {"en": "Clip by norm or by value?", "zh": "按范数裁剪还是按数值裁剪？"}
KIND = "choice"
NAMES = ("a", "b")
LETTERS = "ABCD"
THRESHOLDS = (1.0, 2.0, 3.0, 5.0)
SHOWN_DIGITS = 4  # the options show 4 significant figures


def sample(rng: random.Random, difficulty: int) -> dict:
    n_tensors = 1 if difficulty == 1 else 2
    methods = (["global", "max_norm", "value", "none"] if n_tensors == 1
               else ["global", "per_tensor", "value", "none"])
    ask = {1: rng.choice(["global", "value"]), 2: rng.choice(["global", "value"]),
           3: rng.choice(["global", "per_tensor", "value"])}[difficulty]
    while True:
        c = rng.choice(THRESHOLDS)
        grads = [[rng.randint(-4, 4) * c / 2 for _ in range(rng.randint(2, 3))]
                 for _ in range(n_tensors)]
        params = {"grads": grads, "max_norm": c, "ask": ask, "methods": methods}
        if difficulty == 3 and not any(_norm(g) < c for g in grads):
            continue
        shown = [tuple(_texts(params, m)["en"]) for m in methods]
        flat = [x for g in grads for x in g]
        if len(set(shown)) == len(methods) and any(x != 0 for x in flat):
            order = list(range(len(methods)))
            rng.shuffle(order)
            params["order"] = order
            return params


def _norm(g: list[float]) -> float:
    return math.sqrt(sum(x * x for x in g))


def clipped(params: dict, method: str) -> list[list[float]]:
    """The gradients after `method`, from the reference implementations."""
    tensors = [torch.tensor(g, dtype=torch.float64) for g in params["grads"]]
    c = params["max_norm"]
    if method == "global":
        return [t.tolist() for t in clip_grad_norm(tensors, c).grads]
    if method == "per_tensor":
        return [clip_grad_norm([t], c).grads[0].tolist() for t in tensors]
    if method == "max_norm":
        return [t.tolist() for t in clip_grad_norm(tensors, c, norm_type=math.inf).grads]
    if method == "value":
        leaves = [torch.zeros_like(t, requires_grad=True) for t in tensors]
        for leaf, t in zip(leaves, tensors):
            leaf.grad = t.clone()
        clip_grad_value_(leaves, c)
        return [leaf.grad.tolist() for leaf in leaves]
    return [list(g) for g in params["grads"]]


def _texts(params: dict, method: str) -> dict[str, str]:
    names = NAMES[: len(params["grads"])]
    body = ", ".join(f"$g_{n} = {row(g, SHOWN_DIGITS)}$"
                     for n, g in zip(names, clipped(params, method)))
    return {"en": body, "zh": body}


def _display(params: dict) -> list[str]:
    """The methods in display order (option A first)."""
    return [params["methods"][i] for i in params["order"]]


def choices(params: dict) -> list[dict]:
    return [{"id": LETTERS[k], "text": _texts(params, m)} for k, m in enumerate(_display(params))]


def answer(params: dict) -> str:
    return LETTERS[_display(params).index(params["ask"])]


def oracle_clipped(params: dict) -> list[list[float]]:
    """torch.nn.utils's own result for the asked rule (for the tests)."""
    c = params["max_norm"]
    tensors = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64))
               for g in params["grads"]]
    for t, g in zip(tensors, params["grads"]):
        t.grad = torch.tensor(g, dtype=torch.float64)
    if params["ask"] == "global":
        torch.nn.utils.clip_grad_norm_(tensors, c, foreach=False)
    elif params["ask"] == "per_tensor":
        for t in tensors:
            torch.nn.utils.clip_grad_norm_([t], c, foreach=False)
    else:
        torch.nn.utils.clip_grad_value_(tensors, c, foreach=False)
    return [t.grad.tolist() for t in tensors]


def closed_form(params: dict) -> sp.Matrix:
    """The asked rule's result, all tensors flattened, in exact arithmetic (with torch's 1e-6)."""
    c = sp.Rational(str(params["max_norm"]))
    grads = [[sp.Rational(str(x)) for x in g] for g in params["grads"]]
    eps = sp.Rational(1, 10**6)
    if params["ask"] == "value":
        out = [[sp.Max(-c, sp.Min(c, x)) for x in g] for g in grads]
    elif params["ask"] == "global":
        total = sp.sqrt(sum(x**2 for g in grads for x in g))
        out = [[sp.Min(1, c / (total + eps)) * x for x in g] for g in grads]
    else:
        out = [[sp.Min(1, c / (sp.sqrt(sum(x**2 for x in g)) + eps)) * x for x in g]
               for g in grads]
    return sp.Matrix([x for g in out for x in g])


def answer_tex(params: dict) -> str:
    return "\\text{" + answer(params) + "}"


def tolerance(params: dict) -> dict:
    return {}  # a letter: graded exactly, like the conceptual items


RULE = {
    "global": {"en": "torch.nn.utils.clip_grad_norm_ with max_norm $c = {c}$ (one global $L_2$ "
                     "norm over all the tensors)",
               "zh": "torch.nn.utils.clip_grad_norm_，max_norm 为 $c = {c}$（对所有张量一起计算"
                     "一个全局 $L_2$ 范数）"},
    "per_tensor": {"en": "clip_grad_norm_ called on each tensor separately, max_norm $c = {c}$ "
                         "(each tensor clipped by its own $L_2$ norm)",
                   "zh": "对每个张量分别调用 clip_grad_norm_，max_norm 为 $c = {c}$（每个张量按"
                         "自己的 $L_2$ 范数裁剪）"},
    "value": {"en": "torch.nn.utils.clip_grad_value_ with clip_value $c = {c}$",
              "zh": "torch.nn.utils.clip_grad_value_，clip_value 为 $c = {c}$"},
}


def prompt(params: dict, lang: str) -> str:
    names = NAMES[: len(params["grads"])]
    grads = ", ".join(f"$g_{n} = {row(g)}$" for n, g in zip(names, params["grads"]))
    rule = RULE[params["ask"]][lang].format(c=num(params["max_norm"]))
    several = len(names) > 1
    if lang == "zh":
        return (f"{'各参数的梯度' if several else '参数的梯度'}为 {grads}。用 {rule} 裁剪之后，"
                f"结果是下面哪一个？（选项保留 4 位有效数字；PyTorch 在范数上加的 $10^{{-6}}$ "
                f"在这个精度下看不出来。）")
    subject = "The parameters' gradients are" if several else "A parameter's gradient is"
    return (f"{subject} {grads}. Which option shows the result of clipping with {rule}? "
            f"(Options to 4 significant figures; torch's $10^{{-6}}$ added to the norm does not "
            f"show at this precision.)")


def solution(params: dict, lang: str) -> list[str]:
    c = num(params["max_norm"])
    zh = lang == "zh"
    names = NAMES[: len(params["grads"])]
    norms = [_norm(g) for g in params["grads"]]
    total = math.sqrt(sum(n * n for n in norms))
    lines = []
    if params["ask"] == "value":
        lines.append(("每个分量分别截断到 " if zh else "Each entry is clamped on its own to ")
                     + f"$[-{c}, {c}]$" + ("；方向可能改变。" if zh else "; the direction may "
                                           "change."))
    elif params["ask"] == "global":
        coef = min(1.0, params["max_norm"] / (total + 1e-6))
        lines.append(f"$\\lVert g \\rVert_2 = {num(total, 6)}$, "
                     f"$\\min(1, {c} / \\lVert g \\rVert) = {num(coef, 6)}$"
                     + ("，所有张量乘以同一个系数。" if zh else
                        ": every tensor is multiplied by this one factor."))
    else:
        for n, norm in zip(names, norms):
            coef = min(1.0, params["max_norm"] / (norm + 1e-6))
            lines.append(f"$\\lVert g_{n} \\rVert_2 = {num(norm, 6)}$, "
                         f"{'系数' if zh else 'factor'} $\\min(1, {c} / {num(norm, 6)}) "
                         f"= {num(coef, 6)}$")
    result = ", ".join(f"$g_{n} = {row(g, SHOWN_DIGITS)}$"
                       for n, g in zip(names, clipped(params, params["ask"])))
    lines.append(("结果：" if zh else "Result: ") + result)
    lines.append(("答案：" if zh else "Answer: ") + answer(params))
    return lines


FEEDBACK = {
    "global": {
        "en": "This option is clip_grad_norm_: every tensor scaled by one factor from the global "
              "norm, so the direction is kept. {rule}",
        "zh": "这个选项是 clip_grad_norm_ 的结果：所有张量乘以由全局范数得到的同一个系数，方向不变。"
              "{rule}",
    },
    "per_tensor": {
        "en": "This option clips each tensor by its own norm; clip_grad_norm_ uses one global "
              "norm over all tensors. {rule}",
        "zh": "这个选项是每个张量按自己的范数分别裁剪的结果；clip_grad_norm_ 用的是所有张量的全局范数。"
              "{rule}",
    },
    "value": {
        "en": "This option is clip_grad_value_: each entry clamped to [-c, c] separately, which "
              "changes the direction. {rule}",
        "zh": "这个选项是 clip_grad_value_ 的结果：每个分量分别截断到 [-c, c]，方向会改变。{rule}",
    },
    "max_norm": {
        "en": "This option scales the gradient so its largest entry is c (norm_type=inf), not "
              "the L2 norm and not an entry-wise clamp. {rule}",
        "zh": "这个选项是把梯度按比例缩放，使最大分量等于 c（norm_type=inf），既不是 L2 范数裁剪，"
              "也不是逐分量截断。{rule}",
    },
    "none": {
        "en": "This option is the gradient unchanged, but the rule does change it here. {rule}",
        "zh": "这个选项是未裁剪的原梯度，但在这里该规则确实会改变梯度。{rule}",
    },
}

ASKED = {
    "global": {"en": "The asked rule scales all tensors by min(1, c/||g||) with the global norm.",
               "zh": "题目要求的规则用全局范数，所有张量乘以 min(1, c/||g||)。"},
    "per_tensor": {"en": "The asked rule scales each tensor by min(1, c/||g_i||), its own norm.",
                   "zh": "题目要求的规则让每个张量乘以 min(1, c/||g_i||)，用它自己的范数。"},
    "value": {"en": "The asked rule clamps every entry to [-c, c].",
              "zh": "题目要求的规则把每个分量截断到 [-c, c]。"},
}


def mistakes(params: dict) -> list[Mistake]:
    found = []
    for k, method in enumerate(_display(params)):
        if method == params["ask"]:
            continue
        feedback = {lang: FEEDBACK[method][lang].format(rule=ASKED[params["ask"]][lang])
                    for lang in ("en", "zh")}
        found.append(Mistake(f"chose_{method}", LETTERS[k], feedback))
    return found
