r"""The spectral norm (largest singular value) of a small integer matrix, exactly.

Difficulty 1: a 2x2 matrix with entries 0..3. 2: a 2x2 matrix with negative entries, asked its
spectral norm or the L2 Lipschitz constant of the layer :math:`x \mapsto Wx + b` (the bias is a
distractor). 3: a 2x3 matrix (the student should use the 2x2 Gram matrix :math:`WW^\top`), same
two asks. The answer is :math:`\sigma_{max} = \sqrt{\lambda_{max}(W^\top W)}`, what
``torch.linalg.matrix_norm(W, ord=2)`` returns; exact answers such as
:math:`\sqrt{(15 + \sqrt{221})/2}` are accepted.
"""

from __future__ import annotations

import cmath
import random

import sympy as sp
import torch

from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.spectral._matrices import (
    exact_sigma,
    frobenius,
    gram,
    gram_eigenvalues,
    matrix_tex,
    max_abs_entry,
    sample_matrix,
    tensor,
)
from quizgen.model import Mistake
from reference.spectral import exact_spectral_norm, lipschitz_constant_linear

ID = "spectral.exact_sigma"
TOPIC = "spectral"
TITLE = {"en": "Exact spectral norm", "zh": "精确谱范数"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        return {"W": sample_matrix(rng, 2, 2, 0, 3), "ask": "sigma"}
    cols = 2 if difficulty == 2 else 3
    w = sample_matrix(rng, 2, cols, -3, 3)
    while not any(x < 0 for r in w for x in r):  # signs are what makes these harder
        w = sample_matrix(rng, 2, cols, -3, 3)
    params = {"W": w, "ask": rng.choice(["sigma", "lipschitz"])}
    if params["ask"] == "lipschitz":
        params["b"] = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(2)]
    return params


@per_variant
def answer(params: dict) -> float:
    w = tensor(params["W"])
    if params["ask"] == "lipschitz":
        return lipschitz_constant_linear(w).item()
    return exact_spectral_norm(w).item()


def oracle(params: dict) -> float:
    return torch.linalg.matrix_norm(tensor(params["W"]), ord=2).item()


def closed_form(params: dict) -> sp.Expr:
    """:math:`\\sqrt{\\lambda_+}` of the Gram matrix, from its trace and determinant."""
    return exact_sigma(params["W"])


@per_variant
def answer_tex(params: dict) -> str:
    exact = closed_form(params)
    if exact.is_Integer:
        return sp.latex(exact)
    return f"{sp.latex(exact)} \\approx {num(answer(params), 8)}"


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-9}


def prompt(params: dict, lang: str) -> str:
    w = f"W = {matrix_tex(params['W'])}"
    if params["ask"] == "lipschitz":
        b = row(params["b"])
        if lang == "zh":
            return (f"一个全连接层计算 $f(x) = Wx + b$，其中 ${w}$，$b = {b}$。求 $f$ 关于 "
                    f"$L_2$ 范数的（最小）Lipschitz 常数 $K$，即使 "
                    f"$\\lVert f(x) - f(y) \\rVert_2 \\le K \\lVert x - y \\rVert_2$ 恒成立的最小 "
                    f"$K$。给出精确值或至少 5 位有效数字。")
        return (f"A linear layer computes $f(x) = Wx + b$ with ${w}$ and $b = {b}$. Find the "
                f"smallest constant $K$ with $\\lVert f(x) - f(y) \\rVert_2 \\le K \\lVert x - y "
                f"\\rVert_2$ for all $x, y$ (its $L_2$ Lipschitz constant). Give the exact value "
                f"or at least 5 significant figures.")
    if lang == "zh":
        return (f"设 ${w}$。求它的谱范数 $\\sigma_{{\\max}}(W)$，即最大奇异值 "
                f"$\\sqrt{{\\lambda_{{\\max}}(W^T W)}}$（torch.linalg.matrix_norm(W, ord=2) "
                f"的返回值）。给出精确值或至少 5 位有效数字。")
    return (f"Let ${w}$. Compute its spectral norm $\\sigma_{{\\max}}(W)$, the largest singular "
            f"value $\\sqrt{{\\lambda_{{\\max}}(W^T W)}}$ (what torch.linalg.matrix_norm(W, "
            f"ord=2) returns). Give the exact value or at least 5 significant figures.")


def solution(params: dict, lang: str) -> list[str]:
    w = params["W"]
    wide = len(w[0]) == 3
    lines = []
    if params["ask"] == "lipschitz":
        lines.append("平移 $b$ 不改变差 $f(x) - f(y) = W(x - y)$，所以 $K = \\sigma_{\\max}(W)$。"
                     if lang == "zh" else
                     "The bias cancels in $f(x) - f(y) = W(x - y)$, so $K = \\sigma_{\\max}(W)$.")
    if wide:
        lines.append("$W^T W$ 是 $3 \\times 3$ 的，但它的非零特征值与 $2 \\times 2$ 的 $W W^T$ 相同。"
                     if lang == "zh" else
                     "$W^T W$ is $3 \\times 3$, but its nonzero eigenvalues are those of the "
                     "$2 \\times 2$ matrix $W W^T$.")
    lines += _eigenvalue_lines(w)
    symbol = "K" if params["ask"] == "lipschitz" else "\\sigma_{\\max}"
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${symbol} = \\sqrt{{\\lambda_{{\\max}}}} = {answer_tex(params)}$"]


@per_variant
def _eigenvalue_lines(w: list[list[int]]) -> tuple[str, str]:
    """The solution's formulas (the same in both languages): the Gram matrix, its trace and
    determinant, and the larger eigenvalue."""
    g = gram(w)
    tr, det = g.trace(), g.det()
    lam_plus, _ = gram_eigenvalues(w)
    wide = len(w[0]) == 3
    name = "W W^T" if wide else "W^T W"
    g_shown = g if wide else (sp.Matrix(w).T * sp.Matrix(w))
    return (
        f"${name} = {matrix_tex(g_shown.tolist())}$, "
        f"$\\operatorname{{tr}} = {tr}$, $\\det = {det}$",
        f"$\\lambda_{{\\max}} = \\frac{{\\operatorname{{tr}} + \\sqrt{{\\operatorname{{tr}}^2 - "
        f"4\\det}}}}{{2}} = \\frac{{{tr} + \\sqrt{{{tr**2 - 4 * det}}}}}{{2}} = "
        f"{sp.latex(lam_plus)}"
        + ("$" if lam_plus.is_Integer else f" \\approx {num(float(lam_plus), 8)}$"),
    )


FEEDBACK = {
    "max_abs_entry": {
        "en": "The largest |entry| is only a lower bound; the spectral norm is the largest "
              "singular value, the square root of the largest eigenvalue of W^T W.",
        "zh": "最大元素的绝对值只是一个下界；谱范数是最大奇异值，即 W^T W 最大特征值的平方根。",
    },
    "frobenius": {
        "en": "That is the Frobenius norm (root of the sum of all squared entries), an upper "
              "bound; the spectral norm takes only the largest eigenvalue of W^T W.",
        "zh": "这是 Frobenius 范数（所有元素平方和的平方根），只是上界；谱范数只取 W^T W 的最大特征值。",
    },
    "no_sqrt": {
        "en": "You stopped at the largest eigenvalue of W^T W; its square root is the "
              "singular value.",
        "zh": "你停在了 W^T W 的最大特征值；还要开平方才是奇异值。",
    },
    "eigenvalue_of_w": {
        "en": "The eigenvalues of W itself do not give its norm unless W is symmetric; use the "
              "eigenvalues of W^T W and take the square root.",
        "zh": "W 本身的特征值一般不等于它的范数（除非 W 对称）；要用 W^T W 的特征值再开平方。",
    },
    "smaller_root": {
        "en": "You took the smaller eigenvalue (the minus sign in the quadratic formula); "
              "sigma_max uses the larger one.",
        "zh": "你取了较小的特征值（求根公式里的减号）；sigma_max 用的是较大的那个。",
    },
    "bias_added": {
        "en": "The bias shifts every output equally and cancels in f(x) - f(y); it does not "
              "change the Lipschitz constant.",
        "zh": "偏置对所有输出做同样的平移，在 f(x) - f(y) 中抵消，不影响 Lipschitz 常数。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    w = params["W"]
    lam_plus, lam_minus = (float(v) for v in gram_eigenvalues(w))
    sigma = lam_plus**0.5
    found = [("max_abs_entry", max_abs_entry(w)), ("frobenius", frobenius(w)),
             ("no_sqrt", lam_plus), ("smaller_root", max(lam_minus, 0.0) ** 0.5)]
    if len(w[0]) == 2:
        (a, b), (c, d) = w
        disc = cmath.sqrt((a + d) ** 2 - 4 * (a * d - b * c))
        if disc.imag == 0:  # real eigenvalues of W: the student reports the largest
            found.append(("eigenvalue_of_w", ((a + d) + disc.real) / 2))
    if params["ask"] == "lipschitz":
        found.append(("bias_added", sigma + sum(x * x for x in params["b"]) ** 0.5))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
