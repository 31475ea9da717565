r"""The spectrally normalized weight :math:`W_{SN} = W/\sigma(W)` and its Lipschitz constant.

Difficulty 1: a symmetric 2x2 matrix with a whole or half-integer :math:`\sigma_{max}`; ask one
entry of :math:`W/\sigma_{max}`. 2: a 2x2 or 2x3 matrix; ask the whole :math:`W_{SN}` (a
matrix answer, typed row by row) or the Lipschitz constant of :math:`x \mapsto W_{SN}x + b`,
which is exactly 1.
3: ``torch.nn.utils.spectral_norm`` with one power iteration from a given u: ask an entry of
:math:`W/\tilde\sigma` or the Lipschitz constant :math:`\sigma_{max}/\tilde\sigma \ge 1` of the
layer it produces (one step does not make the layer exactly 1-Lipschitz).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.spectral._matrices import (
    exact_sigma,
    frobenius,
    gram_eigenvalues,
    matrix_tex,
    matvec,
    max_abs_entry,
    sample_matrix,
    tensor,
    transpose,
)
from quizgen.model import Mistake
from reference.spectral import (
    exact_spectral_norm,
    lipschitz_constant_linear,
    spectral_norm_power_iteration,
)

ID = "spectral.normalized_weight"
TOPIC = "spectral"
TITLE = {"en": "Spectrally normalized weight", "zh": "谱归一化后的权重"}
KIND = "number"

UNIT_2 = ([1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6], [-0.6, 0.8], [0.8, -0.6])
# Symmetric [[a, b], [b, c]] whose eigenvalues (a + c +- sqrt((a - c)^2 + 4b^2))/2 are exact.
NICE_SYMMETRIC = [
    [[a, b], [b, c]]
    for a in range(-3, 5) for b in range(1, 5) for c in range(-3, 5)
    if int(((a - c) ** 2 + 4 * b * b) ** 0.5) ** 2 == (a - c) ** 2 + 4 * b * b and a * c != b * b
]


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        w = rng.choice(NICE_SYMMETRIC)
        return {"W": w, "sigma": "exact", "ask": "entry", "entry": _entry(rng, w)}
    if difficulty == 2:
        w = sample_matrix(rng, 2, rng.choice([2, 3]), -3, 3)
        params = {"W": w, "sigma": "exact", "ask": rng.choice(["matrix", "matrix", "lipschitz"])}
        if params["ask"] == "lipschitz":
            params["b"] = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(2)]
        return params
    while True:
        w = sample_matrix(rng, 2, rng.choice([2, 3]), -3, 3)
        u0 = list(rng.choice(UNIT_2))
        if sum(x * x for x in matvec(transpose(w), u0)) >= 0.25:
            params = {"W": w, "sigma": "one_step", "u0": u0,
                      "ask": rng.choice(["entry", "lipschitz"])}
            if params["ask"] == "entry":
                params["entry"] = _entry(rng, w)
            return params


def _entry(rng: random.Random, w) -> list[int]:
    """A (row, column) position, 1-based, of a nonzero entry."""
    return rng.choice([[i + 1, j + 1] for i, r in enumerate(w) for j, x in enumerate(r) if x])


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "matrix" else "number"


@per_variant
def normalized(params: dict) -> tuple[torch.Tensor, float]:
    """(W / sigma, sigma) from reference.spectral, sigma exact or after one torch step."""
    w = tensor(params["W"])
    if params["sigma"] == "exact":
        sigma = exact_spectral_norm(w)
        return w / sigma, sigma.item()
    r = spectral_norm_power_iteration(w, torch.tensor(params["u0"], dtype=torch.float64), 1)
    return r.weight_sn, r.sigma.item()


def answer(params: dict):
    w_sn, _ = normalized(params)
    if params["ask"] == "matrix":
        return w_sn.tolist()
    if params["ask"] == "lipschitz":
        return lipschitz_constant_linear(w_sn).item()
    i, j = params["entry"]
    return w_sn[i - 1, j - 1].item()


def oracle(params: dict):
    """torch.linalg.matrix_norm for sigma, or torch.nn.utils.spectral_norm's own weight."""
    w = tensor(params["W"])
    if params["sigma"] == "exact":
        w_sn = w / torch.linalg.matrix_norm(w, ord=2)
    else:
        layer = torch.nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(w)
        layer = torch.nn.utils.spectral_norm(layer)  # n_power_iterations=1
        layer.weight_u.copy_(torch.tensor(params["u0"], dtype=torch.float64))
        layer(torch.zeros(1, w.shape[1], dtype=torch.float64))
        w_sn = layer.weight.detach()
    if params["ask"] == "matrix":
        return w_sn.tolist()
    if params["ask"] == "lipschitz":
        return torch.linalg.matrix_norm(w_sn, ord=2).item()
    i, j = params["entry"]
    return w_sn[i - 1, j - 1].item()


def _sigma_exact(params: dict) -> sp.Expr:
    """The divisor: sigma_max, or u1^T W v1 after one step of Miyato's Algorithm 1."""
    if params["sigma"] == "exact":
        return exact_sigma(params["W"])
    w = sp.Matrix(params["W"])
    v = w.T * sp.Matrix([sp.Rational(str(c)) for c in params["u0"]])
    v = v / sp.sqrt(v.dot(v))
    u = w * v
    u = u / sp.sqrt(u.dot(u))
    return (u.T * w * v)[0, 0]


def closed_form(params: dict):
    sigma = _sigma_exact(params)
    if params["ask"] == "lipschitz":
        return exact_sigma(params["W"]) / sigma
    if params["ask"] == "matrix":
        return sp.Matrix([[sp.Integer(x) / sigma for x in r] for r in params["W"]])
    i, j = params["entry"]
    return sp.Integer(params["W"][i - 1][j - 1]) / sigma


def answer_tex(params: dict) -> str:
    value = answer(params)
    if params["ask"] == "matrix":
        return matrix_tex(value, 8)
    return num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _target(params: dict, lang: str) -> str:
    if params["ask"] == "entry":
        i, j = params["entry"]
        return (f"$W_{{SN}}$ 第 {i} 行第 {j} 列的元素" if lang == "zh"
                else f"the entry of $W_{{SN}}$ in row {i}, column {j}")
    if params["ask"] == "matrix":
        return ("整个矩阵 $W_{SN}$（逐行写出，如 [[a, b], [c, d]]）" if lang == "zh"
                else "the whole matrix $W_{SN}$ (row by row, as in [[a, b], [c, d]])")
    if "b" not in params:
        return ("层 $x \\mapsto W_{SN} x$ 关于 $L_2$ 范数的最小 Lipschitz 常数" if lang == "zh"
                else "the smallest $L_2$ Lipschitz constant of the layer $x \\mapsto W_{SN} x$")
    b = row(params["b"])
    if lang == "zh":
        return f"层 $x \\mapsto W_{{SN}} x + b$（$b = {b}$）关于 $L_2$ 范数的最小 Lipschitz 常数"
    return (f"the smallest $L_2$ Lipschitz constant of the layer $x \\mapsto W_{{SN}} x + b$ "
            f"with $b = {b}$")


def prompt(params: dict, lang: str) -> str:
    w = matrix_tex(params["W"])
    what = _target(params, lang)
    if params["sigma"] == "exact":
        if lang == "zh":
            return (f"对权重 $W = {w}$ 做谱归一化，$W_{{SN}} = W / \\sigma_{{\\max}}(W)$，其中 "
                    f"$\\sigma_{{\\max}}$ 取精确的最大奇异值（torch.linalg.matrix_norm(W, ord=2)，"
                    f"相当于幂迭代已收敛）。求{what}（至少 5 位有效数字）。")
        return (f"The weight $W = {w}$ is spectrally normalized, $W_{{SN}} = W / "
                f"\\sigma_{{\\max}}(W)$, with the exact largest singular value "
                f"(torch.linalg.matrix_norm(W, ord=2), i.e. power iteration run to convergence). "
                f"Compute {what} (at least 5 significant figures).")
    u0 = row(params["u0"])
    if lang == "zh":
        return (f"torch.nn.utils.spectral_norm（n_power_iterations=1）作用于权重 $W = {w}$，"
                f"已存储的向量为 $u = {u0}$。一次训练前向先做一次幂迭代 "
                f"$v = \\frac{{W^T u}}{{\\lVert W^T u \\rVert}}$，"
                f"$u' = \\frac{{W v}}{{\\lVert W v \\rVert}}$，再令 $\\tilde\\sigma = u'^T W v$，"
                f"$W_{{SN}} = W / \\tilde\\sigma$。求{what}（至少 5 位有效数字）。")
    return (f"torch.nn.utils.spectral_norm (n_power_iterations=1) wraps the weight $W = {w}$; "
            f"its stored vector is $u = {u0}$. A training forward pass runs one power "
            f"iteration, $v = \\frac{{W^T u}}{{\\lVert W^T u \\rVert}}$, "
            f"$u' = \\frac{{W v}}{{\\lVert W v \\rVert}}$, then sets "
            f"$\\tilde\\sigma = u'^T W v$ and $W_{{SN}} = W / \\tilde\\sigma$. Compute {what} "
            f"(at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    w_sn, sigma = normalized(params)
    exact = float(exact_sigma(params["W"]))
    lines = []
    if params["sigma"] == "exact":
        lam = float(gram_eigenvalues(params["W"])[0])
        lines.append(f"$\\lambda_{{\\max}}(W^T W) = {num(lam, 8)}$, "
                     f"$\\sigma_{{\\max}} = \\sqrt{{\\lambda_{{\\max}}}} = {num(sigma, 8)}$")
    else:
        r = spectral_norm_power_iteration(tensor(params["W"]),
                                          torch.tensor(params["u0"], dtype=torch.float64), 1)
        lines.append(f"$v = {row(r.v.tolist(), 6)}$, $u' = {row(r.u.tolist(), 6)}$, "
                     f"$\\tilde\\sigma = u'^T W v = {num(sigma, 8)}$")
    lines.append(f"$W_{{SN}} = W / {num(sigma, 8)} = {matrix_tex(w_sn.tolist(), 6)}$")
    if params["ask"] == "lipschitz":
        if params["sigma"] == "exact":
            lines.append("偏置不影响 Lipschitz 常数；$\\sigma_{\\max}(W_{SN}) = "
                         "\\sigma_{\\max}(W)/\\sigma_{\\max}(W) = 1$。" if lang == "zh" else
                         "The bias does not matter; $\\sigma_{\\max}(W_{SN}) = "
                         "\\sigma_{\\max}(W)/\\sigma_{\\max}(W) = 1$.")
        else:
            lines.append(f"$\\sigma_{{\\max}}(W_{{SN}}) = \\sigma_{{\\max}}(W) / \\tilde\\sigma = "
                         f"{num(exact, 8)} / {num(sigma, 8)}$" +
                         ("：一次迭代的估计偏小，所以该层并不严格 1-Lipschitz。" if lang == "zh"
                          else ": one step underestimates $\\sigma_{\\max}$, so the layer is "
                          "not exactly 1-Lipschitz."))
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "frobenius": {
        "en": "You divided by the Frobenius norm; spectral normalization divides by the largest "
              "singular value sigma_max, which is smaller.",
        "zh": "你除以了 Frobenius 范数；谱归一化除以的是最大奇异值 sigma_max，它更小。",
    },
    "max_abs_entry": {
        "en": "You divided by the largest |entry|; the divisor is the spectral norm sigma_max "
              "(the largest singular value).",
        "zh": "你除以了绝对值最大的元素；除数应是谱范数 sigma_max（最大奇异值）。",
    },
    "no_sqrt": {
        "en": "You divided by the largest eigenvalue of W^T W; sigma_max is its square root.",
        "zh": "你除以了 W^T W 的最大特征值；sigma_max 是它的平方根。",
    },
    "converged_value": {
        "en": "torch divides by the one-step estimate u'^T W v, not by the exact sigma_max; "
              "with one iteration the two differ.",
        "zh": "torch 除以的是一次迭代的估计 u'^T W v，而不是精确的 sigma_max；只迭代一次时两者不同。",
    },
    "unnormalized": {
        "en": "That is the Lipschitz constant of W itself; dividing by sigma makes the "
              "normalized layer's constant sigma_max(W) / sigma.",
        "zh": "这是 W 本身的 Lipschitz 常数；除以 sigma 之后，归一化层的常数是 sigma_max(W) / sigma。",
    },
    "frobenius_of_normalized": {
        "en": "The Frobenius norm of W_SN only bounds the Lipschitz constant from above; the "
              "constant is its largest singular value.",
        "zh": "W_SN 的 Frobenius 范数只是 Lipschitz 常数的上界；常数本身是它的最大奇异值。",
    },
    "bias_added": {
        "en": "The bias cancels in f(x) - f(y); it does not change the Lipschitz constant.",
        "zh": "偏置在 f(x) - f(y) 中抵消，不影响 Lipschitz 常数。",
    },
    "assumed_exact": {
        "en": "After a single power iteration sigma is underestimated, so W / sigma has a "
              "spectral norm sigma_max / sigma above 1, not exactly 1.",
        "zh": "只迭代一次时 sigma 被低估，所以 W / sigma 的谱范数是 sigma_max / sigma，大于 1，而不是正好 1。",
    },
    "inverted": {
        "en": "The normalized layer's constant is sigma_max(W) / sigma (at least 1), not its "
              "reciprocal.",
        "zh": "归一化层的常数是 sigma_max(W) / sigma（不小于 1），不是它的倒数。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    w = params["W"]
    _, sigma = normalized(params)
    exact = float(exact_sigma(w))
    lam = float(gram_eigenvalues(w)[0])
    found = []
    if params["ask"] == "lipschitz":
        if params["sigma"] == "exact":
            found += [("unnormalized", exact), ("frobenius_of_normalized", frobenius(w) / exact)]
            found.append(("bias_added", 1 + sum(x * x for x in params["b"]) ** 0.5))
        else:
            found += [("assumed_exact", 1.0), ("unnormalized", exact),
                      ("inverted", sigma / exact)]
        return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
    divisors = [("frobenius", frobenius(w)), ("max_abs_entry", max_abs_entry(w)), ("no_sqrt", lam)]
    if params["sigma"] == "one_step":
        divisors.append(("converged_value", exact))
    for name, d in divisors:
        if params["ask"] == "matrix":
            found.append((name, [[x / d for x in r] for r in w]))
        else:
            i, j = params["entry"]
            found.append((name, w[i - 1][j - 1] / d))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
