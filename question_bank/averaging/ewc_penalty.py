r"""The elastic weight consolidation penalty (Kirkpatrick et al., 2017).

:math:`\Omega(\theta) = \frac{\lambda}{2}\sum_i F_i(\theta_i - \theta^*_i)^2`, added to the new
task's loss; :math:`\theta^*` are the weights after the old task and :math:`F` the diagonal
(empirical) Fisher there.

Difficulty 1: two parameters, F given, ask the penalty. 2: three parameters, ask the penalty or
its gradient :math:`\partial\Omega/\partial\theta_i = \lambda F_i(\theta_i - \theta^*_i)` (a
vector). 3: F must first be estimated from per-sample gradients of :math:`\log p(y|x)` at
:math:`\theta^*` (square each sample's gradient, then average), then the penalty.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.averaging import empirical_fisher_diagonal, ewc_penalty

ID = "averaging.ewc_penalty"
TOPIC = "averaging"
TITLE = {"en": "EWC penalty", "zh": "EWC 惩罚项"}
KIND = "number"

LAMBDAS = (1, 2, 5, 10, 100)


def sample(rng: random.Random, difficulty: int) -> dict:
    size = 3 if difficulty == 2 else 2
    anchor = [nonzero(rng, -1.5, 1.5, 1) for _ in range(size)]
    theta = []
    for a in anchor:
        delta = nonzero(rng, -0.8, 0.8, 1)  # every parameter has moved
        theta.append(round(a + delta, 1))
    params = {"theta": theta, "anchor": anchor, "lam": rng.choice(LAMBDAS), "ask": "penalty"}
    if difficulty == 3:
        samples = rng.choice([2, 3])
        params["sample_grads"] = [[nonzero(rng, -2, 2, 1) for _ in range(size)]
                                  for _ in range(samples)]
    else:
        params["fisher"] = [round(rng.uniform(0.1, 3.0), 1) for _ in range(size)]
        if difficulty == 2 and rng.random() < 0.5:
            params["ask"] = "gradient"
    return params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "gradient" else "number"


class _LogLikelihoodProbe(torch.nn.Module):
    """A model whose per-sample log-likelihood gradient is the given vector: x . theta."""

    def __init__(self, theta: torch.Tensor):
        super().__init__()
        self.theta = torch.nn.Parameter(theta.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.theta).sum(dim=-1)


def fisher(params: dict) -> list[float]:
    """F from the question, or reference.averaging.empirical_fisher_diagonal over the samples."""
    if "fisher" in params:
        return list(params["fisher"])
    probe = _LogLikelihoodProbe(torch.tensor(params["anchor"], dtype=torch.float64))
    grads = torch.tensor(params["sample_grads"], dtype=torch.float64)
    targets = torch.zeros(len(params["sample_grads"]), dtype=torch.long)
    f = empirical_fisher_diagonal(probe, grads, targets, log_likelihood=lambda out, y: out.sum())
    return f["theta"].tolist()


def _penalty(params: dict, theta: torch.Tensor) -> torch.Tensor:
    anchor = {"theta": torch.tensor(params["anchor"], dtype=torch.float64)}
    f = {"theta": torch.tensor(fisher(params), dtype=torch.float64)}
    return ewc_penalty({"theta": theta}, anchor, f, params["lam"])


@per_variant
def answer(params: dict):
    theta = torch.tensor(params["theta"], dtype=torch.float64, requires_grad=True)
    penalty = _penalty(params, theta)
    if params["ask"] == "gradient":
        (grad,) = torch.autograd.grad(penalty, theta)
        return grad.tolist()
    return penalty.item()


def oracle(params: dict):
    """torch.func.grad for the gradient, torch's weighted MSE for the penalty; the Fisher from
    torch.func.vmap'd per-sample gradients of x . theta."""
    theta = torch.tensor(params["theta"], dtype=torch.float64)
    anchor = torch.tensor(params["anchor"], dtype=torch.float64)
    if "fisher" in params:
        f = torch.tensor(params["fisher"], dtype=torch.float64)
    else:
        xs = torch.tensor(params["sample_grads"], dtype=torch.float64)
        per_sample = torch.func.vmap(torch.func.grad(lambda t, x: (x * t).sum()),
                                     in_dims=(None, 0))(anchor, xs)
        f = per_sample.square().mean(dim=0)

    def penalty(t):
        squared = torch.nn.functional.mse_loss(t, anchor, reduction="none")
        return params["lam"] / 2 * (f * squared).sum()

    if params["ask"] == "gradient":
        return torch.func.grad(penalty)(theta).tolist()
    return penalty(theta).item()


def closed_form(params: dict):
    q = sp.Rational
    lam = sp.Integer(params["lam"])
    theta = [q(str(x)) for x in params["theta"]]
    anchor = [q(str(x)) for x in params["anchor"]]
    if "fisher" in params:
        f = [q(str(x)) for x in params["fisher"]]
    else:
        rows = [[q(str(x)) for x in g] for g in params["sample_grads"]]
        f = [sum(r[i] ** 2 for r in rows) / len(rows) for i in range(len(theta))]
    if params["ask"] == "gradient":
        return sp.Matrix([lam * fi * (t - a) for fi, t, a in zip(f, theta, anchor)])
    return lam / 2 * sum(fi * (t - a) ** 2 for fi, t, a in zip(f, theta, anchor))


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "gradient" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-8}


def prompt(params: dict, lang: str) -> str:
    lam = params["lam"]
    theta, anchor = row(params["theta"]), row(params["anchor"])
    rule = ("\\Omega(\\theta) = \\frac{\\lambda}{2} \\sum_i F_i (\\theta_i - "
            "\\theta^*_{A,i})^2")
    if "fisher" in params:
        source = (f"对角 Fisher 信息为 $F = {row(params['fisher'])}$" if lang == "zh"
                  else f"the diagonal Fisher information is $F = {row(params['fisher'])}$")
    else:
        grads = ("、" if lang == "zh" else ", ").join(f"${row(g)}$" for g in params["sample_grads"])
        n = len(params["sample_grads"])
        source = (f"对角 Fisher 要用经验 Fisher 估计：在 $\\theta^*_A$ 处，{n} 个旧任务样本的 "
                  f"$\\nabla_\\theta \\log p(y_n \\mid x_n)$ 分别为 {grads}" if lang == "zh" else
                  f"the diagonal Fisher is to be estimated as the empirical Fisher: at "
                  f"$\\theta^*_A$ the per-sample gradients $\\nabla_\\theta \\log p(y_n \\mid x_n)$ "
                  f"of the {n} old-task samples are {grads}")
    if lang == "zh":
        what = ("惩罚项对 $\\theta$ 的梯度 $\\nabla_\\theta \\Omega$（向量）"
                if params["ask"] == "gradient" else "惩罚项 $\\Omega(\\theta)$ 的值")
        return (f"用 EWC 做持续学习，惩罚项为 ${rule}$，$\\lambda = {lam}$。任务 A 结束时参数为 "
                f"$\\theta^*_A = {anchor}$，{source}。学习任务 B 时当前参数为 $\\theta = {theta}$。"
                f"求{what}，保留至少 5 位有效数字。")
    what = ("the gradient of the penalty $\\nabla_\\theta \\Omega$ (a vector)"
            if params["ask"] == "gradient" else "the value of the penalty $\\Omega(\\theta)$")
    return (f"Continual learning with EWC adds the penalty ${rule}$ with $\\lambda = {lam}$. "
            f"After task A the parameters were $\\theta^*_A = {anchor}$, and {source}. While "
            f"learning task B the current parameters are $\\theta = {theta}$. Compute {what}, "
            f"to at least 5 significant figures.")


def solution(params: dict, lang: str) -> list[str]:
    f = fisher(params)
    lines = []
    if "sample_grads" in params:
        n = len(params["sample_grads"])
        for i in range(len(f)):
            squares = " + ".join(f"{par(g[i])}^2" for g in params["sample_grads"])
            lines.append(f"$F_{{{i + 1}}} = \\frac{{1}}{{{n}}}({squares}) = {num(f[i], 8)}$")
    deltas = [t - a for t, a in zip(params["theta"], params["anchor"])]
    lines.append(f"$\\theta - \\theta^*_A = {row([round(d, 10) for d in deltas])}$")
    lam = params["lam"]
    if params["ask"] == "gradient":
        lines.append(f"$\\frac{{\\partial \\Omega}}{{\\partial \\theta_i}} = \\lambda F_i "
                     f"(\\theta_i - \\theta^*_{{A,i}}) = {answer_tex(params)}$")
    else:
        terms = " + ".join(f"{num(fi)} \\cdot {par(round(d, 10))}^2" for fi, d in zip(f, deltas))
        lines.append(f"$\\Omega = \\frac{{{lam}}}{{2}} ({terms}) = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "no_half": {
        "en": "The EWC penalty is (lambda / 2) * sum F_i (theta_i - theta*_i)^2; you dropped "
              "the 1/2.",
        "zh": "EWC 惩罚项是 (lambda / 2) * sum F_i (theta_i - theta*_i)^2；你漏掉了 1/2。",
    },
    "no_square": {
        "en": "The penalty is quadratic: square each difference theta_i - theta*_i.",
        "zh": "惩罚项是二次的：每个差 theta_i - theta*_i 都要平方。",
    },
    "unweighted": {
        "en": "Each squared difference is weighted by its Fisher value F_i; that weighting is "
              "what makes EWC elastic per parameter.",
        "zh": "每个平方差都要乘以对应的 Fisher 值 F_i；正是这个权重让 EWC 对不同参数有不同的“弹性”。",
    },
    "kept_half": {
        "en": "The derivative of (lambda / 2) F (theta - theta*)^2 is lambda F (theta - theta*): "
              "the 2 from the square cancels the 1/2.",
        "zh": "(lambda / 2) F (theta - theta*)^2 的导数是 lambda F (theta - theta*)：平方求导得到的 2 "
              "与 1/2 抵消。",
    },
    "wrong_sign": {
        "en": "The gradient points away from theta*: lambda F_i (theta_i - theta*_i), so a "
              "descent step pulls theta back towards theta*.",
        "zh": "梯度方向背离 theta*：lambda F_i (theta_i - theta*_i)，这样下降一步才会把 theta 拉回 theta*。",
    },
    "squared_mean_gradient": {
        "en": "The empirical Fisher squares each sample's gradient and then averages; you "
              "squared the batch-mean gradient, which is smaller.",
        "zh": "经验 Fisher 要先把每个样本的梯度平方，再取平均；你把 batch 平均梯度平方了，这个值更小。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    lam = params["lam"]
    deltas = [t - a for t, a in zip(params["theta"], params["anchor"])]
    f = fisher(params)

    def penalty(weights, power=2, scale=0.5):
        return scale * lam * sum(w * abs(d) ** power for w, d in zip(weights, deltas))

    found = []
    if params["ask"] == "gradient":
        found += [("kept_half", [lam / 2 * w * d for w, d in zip(f, deltas)]),
                  ("wrong_sign", [-lam * w * d for w, d in zip(f, deltas)])]
    else:
        found += [("no_half", penalty(f, scale=1.0)), ("no_square", penalty(f, power=1)),
                  ("unweighted", penalty([1.0] * len(f)))]
        if "sample_grads" in params:
            rows = params["sample_grads"]
            mean_sq = [(sum(g[i] for g in rows) / len(rows)) ** 2 for i in range(len(f))]
            found.append(("squared_mean_gradient", penalty(mean_sq)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
