r"""The discriminator's binary cross-entropy with soft (smoothed) labels.

:math:`\ell = -[\,y\ln p + (1-y)\ln(1-p)\,]`, :math:`p = D(x)` or :math:`\sigma(z)` for a logit.
Two label rules, named by their source:

* Salimans et al. (2016), one-sided label smoothing: real targets become 0.9, fake targets stay
  0 (smoothing the fakes is harmful);
* soumith/ganhacks: real targets drawn from U[0.7, 1.2], fake from U[0, 0.3] (the drawn value is
  given). A target above 1 is legal only for ``BCEWithLogitsLoss``.

Difficulty 1: one real sample, D's probability, one-sided 0.9 (``F.binary_cross_entropy``).
2: one sample, D's logit, a ganhacks label (``BCEWithLogitsLoss``). 3: a mini-batch of real and
fake samples with one-sided smoothing, the mean loss. Half the time, difficulty 2 asks instead
for the loss of one logit, or its gradient sigma(z) - y, as a formula in z and y.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch
import torch.nn.functional as F

from question_bank import _formula
from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.gan import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    one_sided_smooth_labels,
)

ID = "gan.soft_label_bce"
TOPIC = "gan"
TITLE = {"en": "BCE with soft labels", "zh": "软标签的二元交叉熵"}
KIND = "number"

SMOOTH = 0.9  # Salimans et al.'s positive target in the examples


def _probability(rng: random.Random) -> float:
    return round(rng.uniform(0.05, 0.95), 2)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 2 and rng.random() < 0.5:
        return {"formula": True, "ask": rng.choice(["loss", "grad"])}
    if difficulty == 1:
        return {"scheme": "salimans", "input": "prob", "outputs": [_probability(rng)],
                "real": [True]}
    if difficulty == 2:
        real = rng.random() < 0.6
        target = (round(rng.uniform(0.7, 1.2), 2) if real else round(rng.uniform(0.01, 0.3), 2))
        logit = round(rng.choice([-1, 1]) * rng.uniform(0.2, 3.0), 1)
        return {"scheme": "ganhacks", "input": "logit", "outputs": [logit], "real": [real],
                "targets": [target]}
    n_real = rng.choice([1, 2])
    n_fake = rng.choice([1, 2]) if n_real == 2 else 2
    real = [True] * n_real + [False] * n_fake
    return {"scheme": "salimans", "input": "prob", "outputs": [_probability(rng) for _ in real],
            "real": real}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def targets(params: dict) -> list[float]:
    """The labels the loss uses: given (ganhacks) or from reference.gan's one-sided rule."""
    if params["scheme"] == "ganhacks":
        return list(params["targets"])
    hard = torch.tensor([1.0 if r else 0.0 for r in params["real"]], dtype=torch.float64)
    return one_sided_smooth_labels(hard, SMOOTH).tolist()


@per_variant
def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula_text(params)
    x = torch.tensor(params["outputs"], dtype=torch.float64)
    y = torch.tensor(targets(params), dtype=torch.float64)
    if params["input"] == "logit":
        return binary_cross_entropy_with_logits(x, y).item()
    return binary_cross_entropy(x, y).item()


def oracle(params: dict) -> float:
    x = torch.tensor(params["outputs"], dtype=torch.float64)
    hard = torch.tensor([1.0 if r else 0.0 for r in params["real"]], dtype=torch.float64)
    if params["input"] == "logit":
        y = torch.tensor(params["targets"], dtype=torch.float64)
        return torch.nn.BCEWithLogitsLoss()(x, y).item()
    return F.binary_cross_entropy(x, hard * SMOOTH).item()


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    q = sp.Rational
    ys = ([q(str(t)) for t in params["targets"]] if params["scheme"] == "ganhacks"
          else [q(9, 10) if r else sp.Integer(0) for r in params["real"]])
    total = 0
    for x, y in zip(params["outputs"], ys):
        x = q(str(x))
        p = 1 / (1 + sp.exp(-x)) if params["input"] == "logit" else x
        total += -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
    return total / len(ys)


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return KEYS[params["ask"]][1]
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    bce = "\\ell = -[y \\ln p + (1 - y) \\ln(1 - p)]"
    if params["scheme"] == "ganhacks":
        z, y = num(params["outputs"][0]), num(params["targets"][0])
        real = params["real"][0]
        if lang == "zh":
            kind_ = "真实" if real else "生成（假）"
            rule = ("真实样本的标签从 $[0.7, 1.2]$ 均匀抽取" if real
                    else "假样本的标签从 $[0, 0.3]$ 均匀抽取")
            return (f"按 ganhacks 的软标签技巧，{rule}；这次对一个{kind_}样本抽到 $y = {y}$。"
                    f"判别器输出 logit $z = {z}$，用 torch.nn.BCEWithLogitsLoss（$p = \\sigma(z)$，"
                    f"${bce}$，自然对数）。求该样本的损失（至少 5 位有效数字）。")
        kind_ = "real" if real else "generated (fake)"
        rule = ("real labels are drawn uniformly from $[0.7, 1.2]$" if real
                else "fake labels are drawn uniformly from $[0, 0.3]$")
        return (f"With ganhacks' soft-label trick, {rule}; for one {kind_} sample the draw is "
                f"$y = {y}$. The discriminator outputs the logit $z = {z}$ and the loss is "
                f"torch.nn.BCEWithLogitsLoss ($p = \\sigma(z)$, ${bce}$, natural log). Compute "
                f"this sample's loss (at least 5 significant figures).")
    outputs = params["outputs"]
    if len(outputs) == 1:
        p = num(outputs[0])
        if lang == "zh":
            return (f"用 Salimans 等人（2016）的单侧标签平滑训练 GAN 判别器：真实样本的目标从 1 改为 "
                    f"${SMOOTH}$，假样本的目标保持 0。判别器对一个真实图像输出概率 $D(x) = {p}$。"
                    f"用 F.binary_cross_entropy（${bce}$，自然对数）求该样本的损失（至少 5 位有效数字）。")
        return (f"A GAN discriminator is trained with one-sided label smoothing (Salimans et al., "
                f"2016): real targets become ${SMOOTH}$ instead of 1, fake targets stay 0. For "
                f"a real image it outputs the probability $D(x) = {p}$. Compute this sample's "
                f"F.binary_cross_entropy loss (${bce}$, natural log; at least 5 significant "
                f"figures).")
    reals = [num(p) for p, r in zip(outputs, params["real"]) if r]
    fakes = [num(p) for p, r in zip(outputs, params["real"]) if not r]
    if lang == "zh":
        return (f"用 Salimans 等人（2016）的单侧标签平滑训练 GAN 判别器（真实样本目标 ${SMOOTH}$，"
                f"假样本目标 0）。一个 mini-batch 中判别器对真实图像输出的概率为 ${', '.join(reals)}$，"
                f"对生成图像输出的概率为 ${', '.join(fakes)}$。用 F.binary_cross_entropy（${bce}$，"
                f"自然对数，reduction='mean'）求这个 batch 的损失（至少 5 位有效数字）。")
    return (f"A GAN discriminator is trained with one-sided label smoothing (Salimans et al., "
            f"2016): real targets ${SMOOTH}$, fake targets 0. On one mini-batch it outputs the "
            f"probabilities ${', '.join(reals)}$ for the real images and ${', '.join(fakes)}$ "
            f"for the generated ones. Compute the batch's F.binary_cross_entropy loss (${bce}$, "
            f"natural log, reduction='mean'; at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    ys = targets(params)
    lines = []
    if params["scheme"] == "salimans":
        lines.append(f"目标：真实 $y = {SMOOTH}$，假 $y = 0$（只平滑正类）" if lang == "zh"
                     else f"Targets: real $y = {SMOOTH}$, fake $y = 0$ (only positives are "
                     f"smoothed)")
    terms = []
    for x, y in zip(params["outputs"], ys):
        if params["input"] == "logit":
            p = 1 / (1 + math.exp(-x))
            lines.append(f"$p = \\sigma({num(x)}) = {num(p, 8)}$")
        else:
            p = x
        loss = -(y * math.log(p) + (1 - y) * math.log(1 - p))
        terms.append(loss)
        lines.append(f"$-[{num(y)} \\ln({num(p, 8)}) + {par(round(1 - y, 10))} "
                     f"\\ln(1 - {num(p, 8)})] = {num(loss, 8)}$")
    if len(terms) > 1:
        lines.append(f"$\\frac{{1}}{{{len(terms)}}} \\sum = {answer_tex(params)}$"
                     f"（${row([round(t, 6) for t in terms])}$ 的平均）" if lang == "zh" else
                     f"$\\frac{{1}}{{{len(terms)}}} \\sum = {answer_tex(params)}$ (the mean of "
                     f"${row([round(t, 6) for t in terms])}$)")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "hard_label": {
        "en": "With label smoothing the real target is the soft value (e.g. 0.9), not 1; you "
              "used the hard label.",
        "zh": "使用标签平滑时，真实样本的目标是软标签（例如 0.9），而不是 1；你用了硬标签。",
    },
    "hard_label_ganhacks": {
        "en": "ganhacks replaces the hard label by the drawn soft value; use the given y, not "
              "0 or 1.",
        "zh": "ganhacks 用抽到的软标签代替硬标签；要用题目给出的 y，而不是 0 或 1。",
    },
    "log10": {
        "en": "Cross-entropy in torch uses the natural logarithm, not log base 10.",
        "zh": "torch 的交叉熵用自然对数，而不是以 10 为底的对数。",
    },
    "sign_flipped": {
        "en": "BCE is the negative log-likelihood: -[y ln p + (1 - y) ln(1 - p)] is positive "
              "(for targets in [0, 1]).",
        "zh": "BCE 是负对数似然：-[y ln p + (1 - y) ln(1 - p)]（目标在 [0, 1] 内时）为正。",
    },
    "swapped_terms": {
        "en": "The target y multiplies ln p (the probability of 'real'), and 1 - y multiplies "
              "ln(1 - p); you swapped them.",
        "zh": "目标 y 乘的是 ln p（判为真的概率），1 - y 乘的是 ln(1 - p)；你把两项对调了。",
    },
    "smoothed_fake": {
        "en": "One-sided smoothing leaves fake targets at 0; Salimans et al. show that "
              "smoothing the negatives is harmful.",
        "zh": "单侧平滑只改真实样本的目标，假样本的目标仍为 0；Salimans 等人指出平滑负类是有害的。",
    },
    "summed": {
        "en": "reduction='mean' averages the per-sample losses over the batch; you added them.",
        "zh": "reduction='mean' 对 batch 中各样本的损失取平均；你把它们加起来了。",
    },
    "grad_wrt_p": {
        "en": "That is the derivative with respect to the probability p; the question asks for "
              "the logit z, and dp/dz = p (1 - p) cancels the denominator: sigma(z) - y.",
        "zh": "这是对概率 p 的导数；题目问的是对 logit z 的导数，dp/dz = p (1 - p) 正好约掉分母："
              "sigma(z) - y。",
    },
    "squared_error_gradient": {
        "en": "The extra factor sigma(z)(1 - sigma(z)) belongs to the squared error; with BCE "
              "the log cancels it, leaving sigma(z) - y.",
        "zh": "多出的因子 sigma(z)(1 - sigma(z)) 属于平方误差；BCE 中的对数把它约掉了，只剩 sigma(z) - y。",
    },
    "no_sigmoid": {
        "en": "BCEWithLogitsLoss applies the sigmoid itself: p = sigma(z), not the logit z.",
        "zh": "BCEWithLogitsLoss 内部会先做 sigmoid：p = sigma(z)，而不是直接用 logit z。",
    },
}


def _bce(params: dict, ys: list[float], log=math.log, mean: bool = True,
         swap: bool = False, sigmoid: bool = True) -> float:
    total = 0.0
    for x, y in zip(params["outputs"], ys):
        p = 1 / (1 + math.exp(-x)) if params["input"] == "logit" and sigmoid else x
        if swap:
            y = 1 - y
        total += -(y * log(p) + (1 - y) * log(1 - p))
    return total / len(ys) if mean else total


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return [Mistake(name, text, FEEDBACK[name]) for name, text in _formula_mistakes(params)]
    ys = targets(params)
    hard = [1.0 if r else 0.0 for r in params["real"]]
    value = _bce(params, ys)
    name = "hard_label_ganhacks" if params["scheme"] == "ganhacks" else "hard_label"
    found = [(name, _bce(params, hard)), ("log10", _bce(params, ys, log=math.log10)),
             ("sign_flipped", -value), ("swapped_terms", _bce(params, ys, swap=True))]
    if params["scheme"] == "salimans" and not all(params["real"]):
        found.append(("smoothed_fake", _bce(params, [SMOOTH if r else 1 - SMOOTH
                                                     for r in params["real"]])))
    if len(ys) > 1:
        found.append(("summed", _bce(params, ys, mean=False)))
    x = params["outputs"][0]
    if params["input"] == "logit" and 0 < x < 1:
        found.append(("no_sigmoid", _bce(params, ys, sigmoid=False)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: one logit's loss, or its gradient, in z and y -------------------------
FORMULA_VARIABLES = ["z:real", "y:unit_interval"]
Z, Y = _formula.symbols(*FORMULA_VARIABLES)
SIG = 1 / (1 + sp.exp(-Z))
NAMES = {}
# keys and mistakes in the field's notation (the closed form below is built from exp and log)
KEYS = {"loss": ("softplus(z) - y*z", r"\operatorname{softplus}(z) - y z"),
        "grad": ("sigmoid(z) - y", r"\sigma(z) - y")}


def _bce_formula(y: sp.Expr, sign: int = 1) -> sp.Expr:
    return -sign * (y * sp.log(SIG) + (1 - y) * sp.log(1 - SIG))


def _formula_value(params: dict) -> sp.Expr:
    loss = _bce_formula(Y)
    return loss if params["ask"] == "loss" else sp.simplify(sp.diff(loss, Z))


def evaluate(params: dict, values: dict) -> float:
    """reference.gan.binary_cross_entropy_with_logits at (z, y), its gradient by autograd."""
    z = torch.tensor([values["z"]], dtype=torch.float64, requires_grad=True)
    loss = binary_cross_entropy_with_logits(z, torch.tensor([values["y"]], dtype=torch.float64))
    if params["ask"] == "loss":
        return loss.item()
    loss.backward()
    return z.grad.item()


def _formula_text(params: dict) -> str:
    return KEYS[params["ask"]][0]


def _formula_prompt(params: dict, lang: str) -> str:
    bce = "\\ell = -[y \\ln p + (1 - y) \\ln(1 - p)]"
    if lang == "zh":
        what = ("这个样本的损失 $\\ell$" if params["ask"] == "loss"
                else "损失对 logit 的梯度 $\\partial \\ell / \\partial z$")
        return (f"判别器对一个样本输出 logit $z$，用 torch.nn.BCEWithLogitsLoss 和软标签 $y$"
                f"（$0 < y < 1$）计算 ${bce}$，其中 $p = \\sigma(z)$。写出{what}关于 $z$ 和 $y$ 的"
                f"表达式，变量输入为 z、y（可以用 sigmoid、softplus、exp、log）。")
    what = ("the sample's loss $\\ell$" if params["ask"] == "loss"
            else "the gradient of the loss with respect to the logit, "
                 "$\\partial \\ell / \\partial z$")
    return (f"A discriminator outputs the logit $z$ for one sample, and torch.nn.BCEWithLogitsLoss "
            f"with a soft label $y$ ($0 < y < 1$) computes ${bce}$ with $p = \\sigma(z)$. Give "
            f"{what} as an expression in $z$ and $y$; type them as z and y (sigmoid, softplus, "
            f"exp and log are accepted).")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = ["$\\ln \\sigma(z) = -\\operatorname{softplus}(-z)$, $\\ln(1 - \\sigma(z)) = "
             "-\\operatorname{softplus}(z)$, $\\operatorname{softplus}(z) - "
             "\\operatorname{softplus}(-z) = z$"
             + ("，所以 " if zh else ", so ")
             + "$\\ell = y \\operatorname{softplus}(-z) + (1 - y) \\operatorname{softplus}(z) = "
               "\\operatorname{softplus}(z) - y z$"]
    if params["ask"] == "grad":
        lines.append(("$\\operatorname{softplus}'(z) = \\sigma(z)$，所以 " if zh else
                      "$\\operatorname{softplus}'(z) = \\sigma(z)$, so ")
                     + "$\\frac{\\partial \\ell}{\\partial z} = \\sigma(z) - y$")
    return lines + [("答案：" if zh else "Answer: ") + f"${KEYS[params['ask']][1]}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, str]]:
    if params["ask"] == "loss":
        return [("sign_flipped", "y*z - softplus(z)"), ("hard_label", "softplus(-z)"),
                ("swapped_terms", "softplus(-z) + y*z")]
    return [("sign_flipped", "y - sigmoid(z)"),
            ("grad_wrt_p", "(sigmoid(z) - y)/(sigmoid(z)*(1 - sigmoid(z)))"),
            ("squared_error_gradient", "(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))"),
            ("hard_label", "sigmoid(z) - 1")]
