r"""One or two power-iteration steps of PyTorch's spectral normalization, by hand.

Two torch orders (``reference.spectral``):

* ``torch.nn.utils.spectral_norm`` (Miyato's Algorithm 1), from the stored u:
  :math:`v \leftarrow \mathrm{normalize}(W^\top u)`, then :math:`u \leftarrow
  \mathrm{normalize}(Wv)`;
* ``torch.nn.utils.parametrizations.spectral_norm``, from the stored v, u first:
  :math:`u \leftarrow \mathrm{normalize}(Wv)`, then :math:`v \leftarrow
  \mathrm{normalize}(W^\top u)`;

and in both :math:`\sigma \approx u^\top W v` with the final vectors.

Difficulty 1: the original API, a 2x2 matrix, one step, ask sigma. 2: the original API, 2x2 or
2x3, one step, ask sigma, u or v. 3: two steps of the original API, or one or two of the
parametrization (u first), ask sigma or a vector; or (half the time) one step of the original
API in parts: the norm of W^T u, v, the norm of W v, u, and sigma, each from the earlier parts.
"""

from __future__ import annotations

import random

import sympy as sp
import torch
from torch.nn.utils import parametrizations

from question_bank import _parts
from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.spectral._matrices import (
    exact_sigma,
    matrix_tex,
    matvec,
    sample_matrix,
    tensor,
    transpose,
)
from quizgen.model import Mistake
from reference.spectral import spectral_norm_parametrized, spectral_norm_power_iteration

ID = "spectral.power_iteration"
TOPIC = "spectral"
TITLE = {"en": "Spectral norm by power iteration", "zh": "幂迭代估计谱范数"}
KIND = "number"

UNIT_2 = ([1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6], [-0.6, 0.8], [0.8, -0.6])
UNIT_3 = ([1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0, 0.8], [0, 0.8, 0.6], [0.48, 0.6, 0.64])
API = {
    "original": "torch.nn.utils.spectral_norm",
    "parametrized": "torch.nn.utils.parametrizations.spectral_norm",
}


def sample(rng: random.Random, difficulty: int) -> dict:
    if _parts.chosen(rng, difficulty):  # one step of the original API, every value
        return {**sample(rng, 2), "ask": "sigma", "parts": True}
    order, steps, cols = "original", 1, 2
    ask = "sigma"
    if difficulty == 2:
        cols = rng.choice([2, 3])
        ask = rng.choice(["sigma", "u", "v"])
    elif difficulty == 3:
        order = rng.choice(["original", "parametrized"])
        steps = 2 if order == "original" else rng.choice([1, 2])
        cols = rng.choice([2, 3])
        ask = rng.choice(["sigma", "u", "v"])
    low = 0 if difficulty == 1 else -3
    while True:
        w = sample_matrix(rng, 2, cols, low, 3)
        start = list(rng.choice(UNIT_2 if order == "original" else (UNIT_2, UNIT_3)[cols - 2]))
        first = matvec(transpose(w), start) if order == "original" else matvec(w, start)
        if sum(x * x for x in first) >= 0.25:  # the first product must not (nearly) vanish
            return {"W": w, "order": order, "start": start, "steps": steps, "ask": ask}


def kind(params: dict) -> str:
    return "number" if params["ask"] == "sigma" else "vector"


@per_variant
def run(params: dict):
    w = tensor(params["W"])
    start = torch.tensor(params["start"], dtype=torch.float64)
    if params["order"] == "original":
        return spectral_norm_power_iteration(w, start, params["steps"])
    return spectral_norm_parametrized(w, start, params["steps"])


def answer(params: dict):
    r = run(params)
    return {"sigma": r.sigma.item(), "u": r.u.tolist(), "v": r.v.tolist()}[params["ask"]]


def oracle(params: dict):
    """The same steps done by torch's own spectral-norm module on an nn.Linear."""
    rows, cols = len(params["W"]), len(params["W"][0])
    layer = torch.nn.Linear(cols, rows, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(tensor(params["W"]))
    start = torch.tensor(params["start"], dtype=torch.float64)
    x = torch.zeros(1, cols, dtype=torch.float64)
    if params["order"] == "original":
        layer = torch.nn.utils.spectral_norm(layer, n_power_iterations=params["steps"])
        layer.weight_u.copy_(start)
        layer(x)  # training-mode forward: one call runs n_power_iterations steps
        u, v, normalized = layer.weight_u, layer.weight_v, layer.weight
    else:
        layer = parametrizations.spectral_norm(layer, n_power_iterations=params["steps"])
        sn = layer.parametrizations.weight[0]
        with torch.no_grad():
            sn._v.copy_(start)
        layer(x)
        layer.eval()  # no more iterations: the weight is W / sigma from the stored u, v
        u, v, normalized = sn._u, sn._v, layer.weight
    w = tensor(params["W"])
    k = int(w.abs().argmax())
    sigma = (w.flatten()[k] / normalized.detach().flatten()[k]).item()
    return {"sigma": sigma, "u": u.tolist(), "v": v.tolist()}[params["ask"]]


def closed_form(params: dict):
    """Miyato's iteration in exact arithmetic (square roots kept symbolic)."""
    w = sp.Matrix([[sp.Integer(x) for x in r] for r in params["W"]])
    x = sp.Matrix([sp.Rational(str(c)) for c in params["start"]])
    u = v = None

    def unit(y: sp.Matrix) -> sp.Matrix:
        return y / sp.sqrt(y.dot(y))  # real entries: no Abs() as in Matrix.norm()

    for _ in range(params["steps"]):
        if params["order"] == "original":
            v = unit(w.T * x)
            u = x = unit(w * v)
        else:
            u = unit(w * x)
            v = x = unit(w.T * u)
    if params["ask"] == "sigma":
        return (u.T * w * v)[0, 0]
    return u if params["ask"] == "u" else v


def answer_tex(params: dict) -> str:
    value = answer(params)
    return num(value, 8) if params["ask"] == "sigma" else row(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


SYMBOL = {"sigma": "\\sigma", "u": "u", "v": "v"}


def prompt(params: dict, lang: str) -> str:
    w, start = matrix_tex(params["W"]), row(params["start"])
    steps, api = params["steps"], API[params["order"]]
    original = params["order"] == "original"
    given = f"u_0 = {start}" if original else f"v_0 = {start}"
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 5, lang)
    if lang == "zh":
        rule = ("先 $v \\leftarrow \\frac{W^T u}{\\lVert W^T u \\rVert}$，再 "
                "$u \\leftarrow \\frac{W v}{\\lVert W v \\rVert}$" if original else
                "先更新 $u$：$u \\leftarrow \\frac{W v}{\\lVert W v \\rVert}$，再 "
                "$v \\leftarrow \\frac{W^T u}{\\lVert W^T u \\rVert}$")
        what = {"sigma": "谱范数的估计 $\\sigma = u^T W v$",
                "u": "最后的向量 $u$", "v": "最后的向量 $v$"}[params["ask"]]
        return (f"用 {api} 对权重 $W = {w}$ 做谱归一化。已存储的向量为 ${given}$。"
                f"该实现每次迭代{rule}（$L_2$ 归一化），迭代后 $\\sigma = u^T W v$。"
                f"从 ${given}$ 出发做 ${steps}$ 次幂迭代，求{what}（至少 5 位有效数字）。")
    rule = ("first $v \\leftarrow \\frac{W^T u}{\\lVert W^T u \\rVert}$, then "
            "$u \\leftarrow \\frac{W v}{\\lVert W v \\rVert}$" if original else
            "u first: $u \\leftarrow \\frac{W v}{\\lVert W v \\rVert}$, then "
            "$v \\leftarrow \\frac{W^T u}{\\lVert W^T u \\rVert}$")
    what = {"sigma": "the spectral-norm estimate $\\sigma = u^T W v$",
            "u": "the final vector $u$", "v": "the final vector $v$"}[params["ask"]]
    times = "one power iteration" if steps == 1 else f"{steps} power iterations"
    return (f"{api} normalizes the weight $W = {w}$; its stored vector is ${given}$. Each "
            f"iteration of this implementation does {rule} ($L_2$ normalization), and then "
            f"$\\sigma = u^T W v$. Starting from ${given}$, run {times} and compute {what} "
            f"(at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r = run(params)
    lines = []
    for i, (u, v) in enumerate(r.iterations, start=1):
        head = f"第 {i} 次迭代：" if lang == "zh" else f"Iteration {i}: "
        first = (f"$v_{{{i}}} = {row(v.tolist(), 6)}$", f"$u_{{{i}}} = {row(u.tolist(), 6)}$")
        if params["order"] == "parametrized":
            first = first[::-1]
        lines.append(head + ", ".join(first))
    lines.append(f"$\\sigma = u^T W v = {num(r.sigma.item(), 8)}$")
    exact = float(exact_sigma(params["W"]))
    lines.append(f"精确值 $\\sigma_{{\\max}} = {num(exact, 8)}$，幂迭代给出的是不超过它的估计。"
                 if lang == "zh" else
                 f"The exact $\\sigma_{{\\max}} = {num(exact, 8)}$; power iteration "
                 f"approaches it from below.")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${SYMBOL[params['ask']]} = {answer_tex(params)}$"]


def _scale(x: list[float], how: str) -> list[float]:
    if how == "none":
        return list(x)
    size = max(abs(c) for c in x) if how == "max" else sum(c * c for c in x) ** 0.5
    return [c / size for c in x]


def _variant(params: dict, how: str = "l2", steps: int | None = None, order: str | None = None,
             transposed: bool = False) -> dict:
    """The iteration a student runs with one rule changed (plain floats, no reference/)."""
    w = params["W"]
    wt = transpose(w)
    if transposed:
        w, wt = wt, w
    order = order or params["order"]
    x = list(params["start"])
    trace = []
    for _ in range(steps or params["steps"]):
        if order == "original":
            v = _scale(matvec(wt, x), how)
            u = x = _scale(matvec(w, v), how)
        else:
            u = _scale(matvec(w, x), how)
            v = x = _scale(matvec(wt, u), how)
        trace.append((u, v))
    u, v = trace[-1]
    prev = trace[-2] if len(trace) > 1 else (
        (params["start"], None) if order == "original" else (None, params["start"]))
    sigma = sum(a * b for a, b in zip(u, matvec(w, v)))
    if order == "original":
        stale = sum(a * b for a, b in zip(prev[0], matvec(w, v)))
    else:
        stale = sum(a * b for a, b in zip(u, matvec(w, prev[1])))
    return {"sigma": sigma, "u": u, "v": v, "stale": stale}


FEEDBACK = {
    "no_normalization": {
        "en": "Each step divides the new vector by its L2 length; without it the vectors grow "
              "and u^T W v is no longer an estimate of sigma.",
        "zh": "每一步都要把新向量除以它的 L2 长度；不归一化，向量会越来越大，u^T W v 也不再是 sigma 的估计。",
    },
    "max_entry_scaling": {
        "en": "You scaled by the largest entry, as in the eigenvalue power method; spectral "
              "normalization divides by the L2 norm (F.normalize).",
        "zh": "你按最大分量缩放（求特征值的幂法那样）；谱归一化除以的是 L2 范数（F.normalize）。",
    },
    "stale_vector": {
        "en": "sigma = u^T W v uses both vectors after the update; you used the vector from "
              "before its last update.",
        "zh": "sigma = u^T W v 要用更新之后的两个向量；你用了最后一次更新之前的向量。",
    },
    "converged_value": {
        "en": "That is the exact sigma_max; the question asks for the estimate after the given "
              "number of iterations, which is at most sigma_max.",
        "zh": "这是精确的 sigma_max；题目要的是给定迭代次数之后的估计值，它不超过 sigma_max。",
    },
    "one_step_only": {
        "en": "You stopped after one iteration; the question runs two (the second starts from "
              "the vector the first produced).",
        "zh": "你只做了一次迭代；题目要求两次（第二次从第一次得到的向量出发）。",
    },
    "wrong_order": {
        "en": "The two torch APIs update in opposite orders; this one updates "
              "{first} first, from the stored vector.",
        "zh": "两个 torch 接口的更新顺序相反；这个接口先用已存储的向量更新 {first}。",
    },
    "transposed": {
        "en": "W^T multiplies u (giving v, the input-side vector) and W multiplies v; you "
              "swapped W and W^T.",
        "zh": "W^T 乘 u 得到 v（输入侧向量），W 乘 v 得到 u；你把 W 和 W^T 用反了。",
    },
}


def _feedback(name: str, params: dict) -> dict:
    first = "v" if params["order"] == "original" else "u"
    return {lang: text.replace("{first}", first) for lang, text in FEEDBACK[name].items()}


def mistakes(params: dict) -> list[Mistake]:
    ask = params["ask"]
    square = len(params["W"]) == len(params["W"][0])
    found = [("no_normalization", _variant(params, how="none")[ask]),
             ("max_entry_scaling", _variant(params, how="max")[ask])]
    if ask == "sigma":
        found += [("stale_vector", _variant(params)["stale"]),
                  ("converged_value", float(exact_sigma(params["W"])))]
    if params["steps"] == 2:
        found.append(("one_step_only", _variant(params, steps=1)[ask]))
    if square:
        other = "parametrized" if params["order"] == "original" else "original"
        found += [("wrong_order", _variant(params, order=other)[ask]),
                  ("transposed", _variant(params, transposed=True)[ask])]
    return [Mistake(name, value, _feedback(name, params)) for name, value in found]


# -- the variant in parts: |W^T u_0|, v, |W v|, u, sigma (one step of the original API) ----------
def _parts_setup(params: dict) -> dict[str, str]:
    w, start, api = matrix_tex(params["W"]), row(params["start"]), API["original"]
    return {
        "en": f"{api} normalizes the weight $W = {w}$; its stored vector is $u_0 = {start}$. One "
              f"power iteration of this implementation (PyTorch's order) does "
              f"$v = \\frac{{W^T u_0}}{{\\lVert W^T u_0 \\rVert}}$, then "
              f"$u = \\frac{{W v}}{{\\lVert W v \\rVert}}$ ($L_2$ norms), and then "
              f"$\\sigma = u^T W v$. Run one iteration; give every value to at least 5 "
              f"significant figures.",
        "zh": f"用 {api} 对权重 $W = {w}$ 做谱归一化，已存储的向量为 $u_0 = {start}$。该实现"
              f"（PyTorch 的顺序）一次幂迭代先算 $v = \\frac{{W^T u_0}}{{\\lVert W^T u_0 "
              f"\\rVert}}$，再算 $u = \\frac{{W v}}{{\\lVert W v \\rVert}}$（$L_2$ 范数），"
              f"然后 $\\sigma = u^T W v$。做一次迭代；每个值保留至少 5 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """|W^T u_0|; v from (a); |W v| from (a) (W v = W W^T u_0 / (a)); u from (a), (c); sigma
    from (c) (after one step sigma = u^T W v = |W v|)."""
    if not params.get("parts"):
        return None
    r, lit, mk = run(params), _parts.lit, _parts.mistake
    w, u0 = tensor(params["W"]), torch.tensor(params["start"], dtype=torch.float64)
    back = w.T @ u0  # W^T u_0, and W W^T u_0: integers and the unit start, exact enough
    there = w @ back
    a, c = torch.linalg.vector_norm(back).item(), torch.linalg.vector_norm(w @ r.v).item()
    v, u, sigma = r.v.tolist(), r.u.tolist(), r.sigma.item()
    tol = tolerance(params)
    stale = _variant(params)["stale"]
    fb = {name: _feedback(name, params) for name in FEEDBACK}
    squared = {"en": "That is the squared length; normalizing divides by the L2 norm, its "
                     "square root.",
               "zh": "这是长度的平方；归一化除以的是 L2 范数，即它的平方根。"}
    return [
        _parts.part(0, {"en": "the norm $\\lVert W^T u_0 \\rVert$.",
                        "zh": "范数 $\\lVert W^T u_0 \\rVert$。"},
                    a, num(a, 8), tol,
                    _parts.both(f"$W^T u_0 = {row(back.tolist(), 8)}$, "
                                f"$\\lVert W^T u_0 \\rVert = {num(a, 8)}$"),
                    [mk("squared_norm", a * a, squared)]),
        _parts.part(1, {"en": "the vector $v$, from (a).",
                        "zh": "向量 $v$（由 (a) 得到）。"},
                    v, row(v, 8), tol, _parts.both(f"$v = W^T u_0 / {num(a, 8)} = {row(v, 8)}$"),
                    [mk("no_normalization", back.tolist(), fb["no_normalization"]),
                     mk("max_entry_scaling", _scale(back.tolist(), "max"),
                        fb["max_entry_scaling"])],
                    uses=["a"], kind="vector",
                    formula="[" + ", ".join(f"{lit(x)}/a" for x in back.tolist()) + "]"),
        _parts.part(2, {"en": "the norm $\\lVert W v \\rVert$, from (a).",
                        "zh": "范数 $\\lVert W v \\rVert$（由 (a) 得到）。"},
                    c, num(c, 8), tol,
                    _parts.both(f"$W v = W W^T u_0 / {num(a, 8)}$, "
                                f"$\\lVert W v \\rVert = {num(c, 8)}$"),
                    [mk("squared_norm", c * c, squared)],
                    uses=["a"], formula=f"{lit(torch.linalg.vector_norm(there).item())}/a"),
        _parts.part(3, {"en": "the vector $u$, from (a) and (c).",
                        "zh": "向量 $u$（由 (a)、(c) 得到）。"},
                    u, row(u, 8), tol, _parts.both(f"$u = W v / {num(c, 8)} = {row(u, 8)}$"),
                    [mk("no_normalization", (there / a).tolist(), fb["no_normalization"])],
                    uses=["a", "c"], kind="vector",
                    formula="[" + ", ".join(f"{lit(x)}/(a*c)" for x in there.tolist()) + "]"),
        _parts.part(4, {"en": "the estimate $\\sigma = u^T W v$, from (c).",
                        "zh": "估计值 $\\sigma = u^T W v$（由 (c) 得到）。"},
                    sigma, num(sigma, 8), tol,
                    _parts.both(f"$\\sigma = u^T W v = \\frac{{(W v)^T (W v)}}"
                                f"{{\\lVert W v \\rVert}} = \\lVert W v \\rVert = "
                                f"{num(sigma, 8)}$"),
                    [mk("stale_vector", stale, fb["stale_vector"]),
                     mk("converged_value", float(exact_sigma(params["W"])),
                        fb["converged_value"])],
                    uses=["c"], formula="c"),
    ]
