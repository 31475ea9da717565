r"""The WGAN-GP gradient penalty (Gulrajani et al., 2017, Algorithm 1).

:math:`\hat x = \epsilon\,x_{real} + (1-\epsilon)\,x_{fake}` with one :math:`\epsilon` per sample,
and :math:`GP = \lambda\,\frac{1}{B}\sum_b(\lVert\nabla_{\hat x} D(\hat x_b)\rVert_2 - 1)^2`, the
norm per sample.

Difficulty 1: the interpolate :math:`\hat x` for a given :math:`\epsilon` (a vector), or the
penalty of one sample with a given gradient. 2: the penalty of a batch of 2 or 3 samples with
given gradients. 3: a small critic :math:`D(x) = w^\top x + c\,x_1^2` and two (real, fake) pairs
with given :math:`\epsilon`: interpolate, differentiate, penalize; half the time in parts: the
first coordinate of each interpolate, the critic's gradient and its norm at each (formulas in that
coordinate), and the penalty from the two norms.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _parts
from question_bank._format import nonzero, num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.gan import gradient_penalty

ID = "gan.wgan_gp_penalty"
TOPIC = "gan"
TITLE = {"en": "WGAN-GP gradient penalty", "zh": "WGAN-GP 梯度惩罚"}
KIND = "number"

EPSILONS = (0.1, 0.2, 0.25, 0.3, 0.4, 0.6, 0.7, 0.75, 0.8, 0.9)


def _vector(rng: random.Random, size: int = 2, low: float = -1.5, high: float = 1.5):
    while True:
        v = [round(rng.uniform(low, high), 1) for _ in range(size)]
        if any(v):
            return v


def sample(rng: random.Random, difficulty: int) -> dict:
    lam = 10
    if difficulty == 1 and rng.random() < 0.5:
        size = rng.choice([2, 3])
        return {"ask": "interpolate", "real": [_vector(rng, size, -1, 1)],
                "fake": [_vector(rng, size, -1, 1)], "eps": [rng.choice(EPSILONS)], "lam": lam}
    if difficulty < 3:
        batch = 1 if difficulty == 1 else rng.choice([2, 3])
        return {"ask": "penalty", "critic": "given", "grads": [_vector(rng) for _ in range(batch)],
                "lam": lam}
    in_parts = _parts.chosen(rng, difficulty)
    params = {"ask": "penalty", "critic": "quadratic",
              "w": [nonzero(rng, -1.5, 1.5, 1) for _ in range(2)],
              "c": rng.choice([-1, -0.5, 0.5, 1]),
              "real": [_vector(rng, 2, -1, 1) for _ in range(2)],
              "fake": [_vector(rng, 2, -1, 1) for _ in range(2)],
              "eps": [rng.choice(EPSILONS) for _ in range(2)], "lam": lam}
    return {**params, "parts": True} if in_parts else params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "interpolate" else "number"


def _critic(params: dict):
    """D as a function of a (B, d) batch: the given-gradient critic is linear per sample."""
    if params.get("critic") == "given":
        g = torch.tensor(params["grads"], dtype=torch.float64)
        return lambda x: (x * g).sum(dim=1)
    if params.get("critic") == "quadratic":
        w = torch.tensor(params["w"], dtype=torch.float64)
        return lambda x: x @ w + params["c"] * x[:, 0] ** 2
    return lambda x: x.sum(dim=1)  # any critic: only the interpolate is asked


def _inputs(params: dict):
    if "real" in params:
        real = torch.tensor(params["real"], dtype=torch.float64)
        fake = torch.tensor(params["fake"], dtype=torch.float64)
        eps = torch.tensor(params["eps"], dtype=torch.float64).reshape(-1, 1)
    else:  # with given gradients the points do not matter
        batch = len(params["grads"])
        real = torch.ones(batch, 2, dtype=torch.float64)
        fake = torch.zeros(batch, 2, dtype=torch.float64)
        eps = torch.full((batch, 1), 0.5, dtype=torch.float64)
    return real, fake, eps


@per_variant
def run(params: dict):
    real, fake, eps = _inputs(params)
    return gradient_penalty(_critic(params), real, fake, params["lam"], epsilon=eps)


def answer(params: dict):
    r = run(params)
    if params["ask"] == "interpolate":
        return r.interpolates.detach()[0].tolist()
    return r.penalty.item()


def oracle(params: dict):
    """torch.lerp for the interpolate, torch.autograd.grad and torch.linalg.vector_norm for
    the penalty."""
    real, fake, eps = _inputs(params)
    x_hat = torch.lerp(fake, real, eps)  # fake + eps (real - fake)
    if params["ask"] == "interpolate":
        return x_hat[0].tolist()
    x_hat.requires_grad_(True)
    scores = _critic(params)(x_hat)
    (grads,) = torch.autograd.grad(scores.sum(), x_hat)
    norms = torch.linalg.vector_norm(grads, dim=1)
    return (params["lam"] * ((norms - 1) ** 2).mean()).item()


def _exact_gradients(params: dict) -> list[list[sp.Expr]]:
    q = sp.Rational
    if params["critic"] == "given":
        return [[q(str(x)) for x in g] for g in params["grads"]]
    w, c = [q(str(x)) for x in params["w"]], q(str(params["c"]))
    out = []
    for xr, xf, e in zip(params["real"], params["fake"], params["eps"]):
        e = q(str(e))
        x1 = e * q(str(xr[0])) + (1 - e) * q(str(xf[0]))
        out.append([w[0] + 2 * c * x1, w[1]])  # dD/dx1, dD/dx2
    return out


def closed_form(params: dict):
    q = sp.Rational
    if params["ask"] == "interpolate":
        e = q(str(params["eps"][0]))
        return sp.Matrix([e * q(str(r)) + (1 - e) * q(str(f))
                          for r, f in zip(params["real"][0], params["fake"][0])])
    grads = _exact_gradients(params)
    lam = sp.Integer(params["lam"])
    return lam * sum((sp.sqrt(sum(x**2 for x in g)) - 1) ** 2 for g in grads) / len(grads)


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if params["ask"] == "interpolate" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


GP = ("GP = \\lambda \\cdot \\frac{1}{B} \\sum_b (\\lVert \\nabla_{\\hat x} D(\\hat x_b) "
      "\\rVert_2 - 1)^2")
MIX = "\\hat x = \\epsilon x_{\\text{real}} + (1 - \\epsilon) x_{\\text{fake}}"


def _polynomial(params: dict) -> str:
    """w1 x_1 + w2 x_2 + c x_1^2 with the signs folded in (no "+ (-0.5)")."""
    parts = []
    for coefficient, term in zip((*params["w"], params["c"]), ("x_1", "x_2", "x_1^2")):
        body = term if abs(coefficient) == 1 else f"{num(abs(coefficient))} {term}"
        if not parts:
            parts.append(f"-{body}" if coefficient < 0 else body)
        else:
            parts.append(f"{'-' if coefficient < 0 else '+'} {body}")
    return " ".join(parts)


def prompt(params: dict, lang: str) -> str:
    lam = params["lam"]
    if params["ask"] == "interpolate":
        xr, xf, e = row(params["real"][0]), row(params["fake"][0]), num(params["eps"][0])
        if lang == "zh":
            return (f"WGAN-GP 在真实样本与生成样本的连线上取点计算梯度惩罚：${MIX}$，每个样本一个 "
                    f"$\\epsilon \\sim U[0, 1]$。某个样本 $x_{{\\text{{real}}}} = {xr}$，"
                    f"$x_{{\\text{{fake}}}} = {xf}$，抽到 $\\epsilon = {e}$。求 $\\hat x$（向量）。")
        return (f"WGAN-GP evaluates its gradient penalty on points between real and generated "
                f"samples: ${MIX}$, one $\\epsilon \\sim U[0, 1]$ per sample. For a sample with "
                f"$x_{{\\text{{real}}}} = {xr}$ and $x_{{\\text{{fake}}}} = {xf}$ the draw is "
                f"$\\epsilon = {e}$. Compute $\\hat x$ (a vector).")
    if params["critic"] == "given":
        grads = params["grads"]
        listed = ("、" if lang == "zh" else ", ").join(f"${row(g)}$" for g in grads)
        if lang == "zh":
            which = (f"在 $\\hat x$ 处判别器（critic）的梯度为 {listed}" if len(grads) == 1 else
                     f"一个 batch 中 {len(grads)} 个样本在各自 $\\hat x_b$ 处的判别器梯度依次为 {listed}")
            return (f"WGAN-GP 的梯度惩罚为 ${GP}$，$\\lambda = {lam}$，范数对每个样本单独计算。"
                    f"{which}。求 $GP$（至少 5 位有效数字）。")
        which = (f"The critic's gradient at $\\hat x$ is {listed}" if len(grads) == 1 else
                 f"In a batch of {len(grads)} samples the critic's gradients at their "
                 f"$\\hat x_b$ are {listed}")
        return (f"The WGAN-GP gradient penalty is ${GP}$ with $\\lambda = {lam}$, the norm taken "
                f"per sample. {which}. Compute $GP$ (at least 5 significant figures).")
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 6, lang)
    critic = "D(x) = " + _polynomial(params)
    pairs = []
    for b in range(2):
        xr, xf, e = row(params["real"][b]), row(params["fake"][b]), num(params["eps"][b])
        pairs.append(f"$x_{{\\text{{real}},{b + 1}}} = {xr}$, $x_{{\\text{{fake}},{b + 1}}} = {xf}$"
                     f", $\\epsilon_{{{b + 1}}} = {e}$")
    if lang == "zh":
        return (f"WGAN-GP：判别器为 ${critic}$。一个 batch 有两个样本：{'；'.join(pairs)}。"
                f"按 ${MIX}$（每个样本用自己的 $\\epsilon$）取点，梯度惩罚为 ${GP}$，"
                f"$\\lambda = {lam}$。求 $GP$（至少 5 位有效数字）。")
    return (f"WGAN-GP with the critic ${critic}$. A batch holds two samples: "
            f"{'; '.join(pairs)}. With ${MIX}$ (each sample its own $\\epsilon$) the penalty "
            f"is ${GP}$, $\\lambda = {lam}$. Compute $GP$ (at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r = run(params)
    lines = []
    if "real" in params:
        for b, x in enumerate(r.interpolates.detach().tolist()):
            if params["ask"] == "interpolate" and b > 0:
                break
            e = num(params["eps"][b])
            lines.append(f"$\\hat x_{{{b + 1}}} = {e} \\cdot {row(params['real'][b])} + "
                         f"(1 - {e}) \\cdot {row(params['fake'][b])} = {row(x, 8)}$")
    if params["ask"] == "interpolate":
        head = "答案：" if lang == "zh" else "Answer: "
        return lines + [head + f"$\\hat x = {answer_tex(params)}$"]
    if params["critic"] == "quadratic":
        lines.append(f"$\\nabla D(x) = ({num(params['w'][0])} + {num(2 * params['c'])} x_1,\\ "
                     f"{num(params['w'][1])})$")
    for b, (g, n) in enumerate(zip(r.gradients.detach().tolist(),
                                   r.gradient_norms.detach().tolist())):
        lines.append(f"$\\nabla_{{\\hat x}} D(\\hat x_{{{b + 1}}}) = {row(g, 8)}$, "
                     f"$\\lVert \\cdot \\rVert_2 = {num(n, 8)}$, "
                     f"$(\\lVert \\cdot \\rVert_2 - 1)^2 = {num((n - 1) ** 2, 8)}$")
    batch = len(r.gradient_norms)
    lines.append(f"$GP = {params['lam']} \\cdot \\frac{{1}}{{{batch}}} \\sum_b "
                 f"(\\lVert g_b \\rVert_2 - 1)^2 = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"$GP = {answer_tex(params)}$"]


FEEDBACK = {
    "epsilon_swapped": {
        "en": "epsilon multiplies the real sample and 1 - epsilon the fake one: "
              "x_hat = eps x_real + (1 - eps) x_fake.",
        "zh": "epsilon 乘真实样本，1 - epsilon 乘生成样本：x_hat = eps x_real + (1 - eps) x_fake。",
    },
    "midpoint": {
        "en": "x_hat is not the midpoint; it uses the drawn epsilon: eps x_real + "
              "(1 - eps) x_fake.",
        "zh": "x_hat 不是中点；要用抽到的 epsilon：eps x_real + (1 - eps) x_fake。",
    },
    "squared_norm": {
        "en": "The penalty pushes the norm towards 1: (||g|| - 1)^2, not ||g||^2 (which "
              "would push the gradient to 0).",
        "zh": "惩罚是把范数推向 1：(||g|| - 1)^2，而不是 ||g||^2（那会把梯度推向 0）。",
    },
    "squared_norm_minus_one": {
        "en": "Take the L2 norm itself: (||g||_2 - 1)^2, not (||g||^2 - 1)^2.",
        "zh": "要用 L2 范数本身：(||g||_2 - 1)^2，而不是 (||g||^2 - 1)^2。",
    },
    "no_averaging": {
        "en": "The penalty is averaged over the batch (an expectation over x_hat); you summed.",
        "zh": "惩罚项要对 batch 取平均（对 x_hat 的期望）；你求了和。",
    },
    "batch_norm": {
        "en": "The gradient norm is taken per sample (over each sample's own dimensions), then "
              "the penalties are averaged; not one norm over the whole batch.",
        "zh": "梯度范数要对每个样本单独计算（在该样本自身的维度上），再对惩罚取平均；不是对整个 batch 求一个范数。",
    },
    "one_sided": {
        "en": "WGAN-GP's penalty is two-sided: norms below 1 are penalized too, "
              "(||g|| - 1)^2, not max(0, ||g|| - 1)^2.",
        "zh": "WGAN-GP 的惩罚是双侧的：范数小于 1 也要惩罚，(||g|| - 1)^2，而不是 max(0, ||g|| - 1)^2。",
    },
    "no_lambda": {
        "en": "Multiply by the penalty weight lambda (10 in the paper).",
        "zh": "还要乘以惩罚系数 lambda（论文中为 10）。",
    },
}


def _grads_float(params: dict, swap_eps: bool = False) -> list[list[float]]:
    if params["critic"] == "given":
        return [list(g) for g in params["grads"]]
    out = []
    for xr, xf, e in zip(params["real"], params["fake"], params["eps"]):
        if swap_eps:
            e = 1 - e
        x1 = e * xr[0] + (1 - e) * xf[0]
        out.append([params["w"][0] + 2 * params["c"] * x1, params["w"][1]])
    return out


def mistakes(params: dict) -> list[Mistake]:
    if params["ask"] == "interpolate":
        e = params["eps"][0]
        xr, xf = params["real"][0], params["fake"][0]
        found = [("epsilon_swapped", [e * f + (1 - e) * r for r, f in zip(xr, xf)]),
                 ("midpoint", [(r + f) / 2 for r, f in zip(xr, xf)])]
        return [Mistake(n, v, FEEDBACK[n]) for n, v in found]
    lam = params["lam"]
    grads = _grads_float(params)
    norms = [sum(x * x for x in g) ** 0.5 for g in grads]
    batch = len(grads)

    def mean(xs):
        return sum(xs) / len(xs)

    found = [("squared_norm", lam * mean([n * n for n in norms])),
             ("squared_norm_minus_one", lam * mean([(n * n - 1) ** 2 for n in norms])),
             ("one_sided", lam * mean([max(0.0, n - 1) ** 2 for n in norms])),
             ("no_lambda", mean([(n - 1) ** 2 for n in norms]))]
    if batch > 1:
        total = sum(n * n for n in norms) ** 0.5
        found += [("no_averaging", lam * sum((n - 1) ** 2 for n in norms)),
                  ("batch_norm", lam * (total - 1) ** 2)]
    if params["critic"] == "quadratic":
        swapped = [sum(x * x for x in g) ** 0.5 for g in _grads_float(params, swap_eps=True)]
        found.append(("epsilon_swapped", lam * mean([(n - 1) ** 2 for n in swapped])))
    return [Mistake(n, v, FEEDBACK[n]) for n, v in found]


# -- the variant in parts: x-hat_1's first coordinate, grad D and its norm there, the same for
# sample 2, and the penalty ------------------------------------------------------------------
def _parts_setup(params: dict) -> dict[str, str]:
    critic, lam = "D(x) = " + _polynomial(params), params["lam"]
    pairs = {lang: [] for lang in ("en", "zh")}
    for b in range(2):
        xr, xf, e = row(params["real"][b]), row(params["fake"][b]), num(params["eps"][b])
        for lang in pairs:
            pairs[lang].append(f"$x_{{\\text{{real}},{b + 1}}} = {xr}$, "
                               f"$x_{{\\text{{fake}},{b + 1}}} = {xf}$, "
                               f"$\\epsilon_{{{b + 1}}} = {e}$")
    return {
        "en": f"WGAN-GP with the critic ${critic}$. A batch holds two samples: "
              f"{'; '.join(pairs['en'])}. With ${MIX}$ (each sample its own $\\epsilon$) the "
              f"penalty is ${GP}$, $\\lambda = {lam}$, the norm taken per sample (as in "
              f"Gulrajani et al. and the usual PyTorch code with torch.autograd.grad). Give "
              f"every value to at least 5 significant figures.",
        "zh": f"WGAN-GP：判别器为 ${critic}$。一个 batch 有两个样本：{'；'.join(pairs['zh'])}。"
              f"按 ${MIX}$（每个样本用自己的 $\\epsilon$）取点，梯度惩罚为 ${GP}$，"
              f"$\\lambda = {lam}$，范数对每个样本单独计算（与 Gulrajani 等人及常见的 PyTorch "
              f"torch.autograd.grad 写法一致）。每个值保留至少 5 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """x-hat_{1,1}; grad D(x-hat_1) and its norm from (a); x-hat_{2,1}; the norm at x-hat_2
    from (d); the penalty from (c) and (e). Only x_1 enters grad D = (w_1 + 2c x_1, w_2)."""
    if not params.get("parts"):
        return None
    r, lit, mk, fb = run(params), _parts.lit, _parts.mistake, FEEDBACK
    x_hat = r.interpolates.detach().tolist()
    grads, norms = r.gradients.detach().tolist(), r.gradient_norms.detach().tolist()
    penalty, lam = r.penalty.item(), params["lam"]
    (w1, w2), c = params["w"], params["c"]
    tol = tolerance(params)
    slope = f"({lit(w1)} + {lit(2 * c)}*{{x}})"
    norm_formula = f"sqrt({slope}^2 + {lit(w2)}^2)"
    steps = solution(params, "en")

    def coordinate(index: int, b: int) -> _parts.Part:
        e, xr, xf = params["eps"][b], params["real"][b][0], params["fake"][b][0]
        tag = f"{b + 1},1"
        return _parts.part(
            index, {"en": f"the first coordinate $\\hat x_{{{tag}}}$ of "
                          f"$\\hat x_{b + 1}$.",
                    "zh": f"$\\hat x_{b + 1}$ 的第一个坐标 "
                          f"$\\hat x_{{{tag}}}$。"},
            x_hat[b][0], num(x_hat[b][0], 8), tol, _parts.both(steps[b]),
            [mk("epsilon_swapped", e * xf + (1 - e) * xr, fb["epsilon_swapped"]),
             mk("midpoint", (xr + xf) / 2, fb["midpoint"])])

    def norm(index: int, b: int, uses: str) -> _parts.Part:
        return _parts.part(
            index, {"en": f"the norm "
                          f"$\\lVert \\nabla_{{\\hat x}} D(\\hat x_{b + 1}) \\rVert_2$, "
                          f"from ({uses}).",
                    "zh": f"范数 "
                          f"$\\lVert \\nabla_{{\\hat x}} D(\\hat x_{b + 1}) \\rVert_2$"
                          f"（由 ({uses}) 得到）。"},
            norms[b], num(norms[b], 8), tol, _parts.both(steps[3 + b]),
            uses=[uses], formula=norm_formula.format(x=uses))

    def mean(xs):
        return sum(xs) / len(xs)

    return [
        coordinate(0, 0),
        _parts.part(1, {"en": "the critic's gradient $\\nabla_{\\hat x} D(\\hat x_1)$ "
                              "(a vector), from (a).",
                        "zh": "判别器在 $\\hat x_1$ 处的梯度 "
                              "$\\nabla_{\\hat x} D(\\hat x_1)$（向量，由 (a) 得到）。"},
                    grads[0], row(grads[0], 8), tol, _parts.both(steps[2], steps[3]),
                    uses=["a"], kind="vector", formula=f"[{slope.format(x='a')}, {lit(w2)}]"),
        norm(2, 0, "a"),
        coordinate(3, 1),
        norm(4, 1, "d"),
        _parts.part(5, {"en": "the penalty $GP$, from (c) and (e).",
                        "zh": "梯度惩罚 $GP$（由 (c)、(e) 得到）。"},
                    penalty, num(penalty, 8), tol, _parts.both(steps[-2]),
                    [mk("squared_norm", lam * mean([n * n for n in norms]), fb["squared_norm"]),
                     mk("one_sided", lam * mean([max(0.0, n - 1) ** 2 for n in norms]),
                        fb["one_sided"]),
                     mk("no_lambda", mean([(n - 1) ** 2 for n in norms]), fb["no_lambda"]),
                     mk("no_averaging", lam * sum((n - 1) ** 2 for n in norms),
                        fb["no_averaging"])],
                    uses=["c", "e"], formula=f"{lam}*((c - 1)^2 + (e - 1)^2)/2"),
    ]
