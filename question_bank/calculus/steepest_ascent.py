r"""The steepest rate of change of f(x, y) at a point and the direction it is taken in.

The directional derivative :math:`D_u f = \nabla f \cdot u` is largest, :math:`\lVert\nabla f\rVert`,
along :math:`u = \nabla f / \lVert\nabla f\rVert` and smallest, :math:`-\lVert\nabla f\rVert`, along
the opposite direction. Difficulty 1: polynomial f, ask the maximum rate. 2: polynomial f, ask
the unit direction of steepest ascent. 3: f with a trigonometric or exponential term, ask the
maximum rate, the steepest-ascent or the steepest-descent unit direction. Answers come from
``reference.calculus.steepest_ascent`` (torch.autograd).
"""

from __future__ import annotations

import math
import random

import sympy as sp

from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.calculus._functions import (
    exact_gradient,
    function,
    partials,
    radians_note,
    sample_terms,
    tex,
    torch_gradient,
    x,
    y,
)
from quizgen.model import Mistake
from reference.calculus import steepest_ascent

ID = "calculus.steepest_ascent"
TOPIC = "calculus"
TITLE = {"en": "Steepest ascent: maximum rate and direction", "zh": "最速上升：最大变化率与方向"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    ask = {1: "rate", 2: "ascent", 3: rng.choice(["rate", "ascent", "descent"])}[difficulty]
    while True:
        terms = sample_terms(rng, transcendental=difficulty == 3)
        point = [rng.randint(-2, 2), rng.randint(-2, 2)]
        fx, fy = exact_gradient(terms, point)
        # Both partials nonzero: otherwise the direction is an axis and the slips coincide.
        if fx != 0 and fy != 0 and abs(float(fx)) != abs(float(fy)):
            return {"terms": terms, "point": point, "ask": ask}


def kind(params: dict) -> str:
    return "number" if params["ask"] == "rate" else "vector"


def _result(params: dict) -> tuple[list[float], float]:
    return _steepest_ascent(params["terms"], params["point"])


@per_variant
def _steepest_ascent(terms: list[list], point: list[int]) -> tuple[list[float], float]:
    return steepest_ascent(function(terms), (x, y), point)


def answer(params: dict):
    direction, rate = _result(params)
    if params["ask"] == "rate":
        return rate
    return direction if params["ask"] == "ascent" else [-c for c in direction]


def oracle(params: dict):
    g = torch_gradient(params["terms"], params["point"])
    norm = math.hypot(*g)
    sign = -1 if params["ask"] == "descent" else 1
    return norm if params["ask"] == "rate" else [sign * c / norm for c in g]


def closed_form(params: dict):
    """|grad f| and grad f / |grad f| from SymPy's exact partials."""
    g = sp.Matrix(exact_gradient(params["terms"], params["point"]))
    norm = sp.sqrt(g.dot(g))
    if params["ask"] == "rate":
        return norm
    return g / norm if params["ask"] == "ascent" else -g / norm


def answer_tex(params: dict) -> str:
    value = answer(params)
    return num(value, 8) if params["ask"] == "rate" else row(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


QUESTION = {
    "rate": {"en": "the maximum rate of change of $f$ at this point (the largest directional "
                   "derivative $D_u f$ over all unit vectors $u$)",
             "zh": "$f$ 在该点的最大变化率（所有单位向量 $u$ 中方向导数 $D_u f$ 的最大值）"},
    "ascent": {"en": "the unit vector $u$ along which $f$ increases fastest at this point",
               "zh": "$f$ 在该点增长最快的方向，写成单位向量 $u$"},
    "descent": {"en": "the unit vector $u$ along which $f$ decreases fastest at this point",
                "zh": "$f$ 在该点下降最快的方向，写成单位向量 $u$"},
}


def prompt(params: dict, lang: str) -> str:
    f = tex(function(params["terms"]))
    x0, y0 = params["point"]
    what = QUESTION[params["ask"]][lang]
    if lang == "zh":
        return (f"设 $f(x, y) = {f}$，考虑点 $({x0}, {y0})$。求 {what}，"
                f"{radians_note(params['terms'], lang)}保留至少 6 位有效数字。")
    radians = " (angles in radians)" if radians_note(params["terms"], lang) else ""
    return (f"Let $f(x, y) = {f}$ and consider the point $({x0}, {y0})$. Compute {what}"
            f"{radians}, to at least 6 significant figures.")


def solution(params: dict, lang: str) -> list[str]:
    fx, fy = partials(params["terms"])
    x0, y0 = params["point"]
    direction, rate = _result(params)
    g = [c * rate for c in direction]
    zh = lang == "zh"
    lines = [
        f"$\\frac{{\\partial f}}{{\\partial x}} = {tex(fx)}$, "
        f"$\\frac{{\\partial f}}{{\\partial y}} = {tex(fy)}$",
        ("代入" if zh else "At") + f" $({x0}, {y0})$: $\\nabla f = {row(g, 8)}$",
        f"$\\lVert \\nabla f \\rVert = \\sqrt{{{par_sq(g[0])} + {par_sq(g[1])}}} = {num(rate, 8)}$",
    ]
    if params["ask"] == "rate":
        lines.append(("沿梯度方向的方向导数最大，等于梯度的模：" if zh else
                      "The directional derivative is largest along the gradient, where it "
                      "equals the gradient's length: ") + f"${num(rate, 8)}$")
    elif params["ask"] == "ascent":
        lines.append(("最速上升方向是归一化的梯度：" if zh else
                      "Steepest ascent is along the normalized gradient: ")
                     + f"$u = \\frac{{\\nabla f}}{{\\lVert \\nabla f \\rVert}} = {row(direction, 8)}$")
    else:
        lines.append(("最速下降方向是归一化梯度的反方向：" if zh else
                      "Steepest descent is opposite to the normalized gradient: ")
                     + f"$u = -\\frac{{\\nabla f}}{{\\lVert \\nabla f \\rVert}} = "
                       f"{row([-c for c in direction], 8)}$")
    return lines


def par_sq(v: float) -> str:
    text = num(v, 8)
    return f"({text})^2" if text.startswith("-") else f"{text}^2"


FEEDBACK = {
    "squared_norm": {
        "en": "That is |grad f|^2; the maximum rate is the length |grad f| itself (take the "
              "square root).",
        "zh": "这是 |grad f|^2；最大变化率是梯度的模 |grad f| 本身（要开平方根）。",
    },
    "l1_norm": {
        "en": "You added |f_x| + |f_y|; the maximum rate is the Euclidean length "
              "sqrt(f_x^2 + f_y^2).",
        "zh": "你算的是 |f_x| + |f_y|；最大变化率是欧氏长度 sqrt(f_x^2 + f_y^2)。",
    },
    "sum_of_partials": {
        "en": "f_x + f_y is the derivative along (1, 1) unnormalized, not the maximum rate "
              "|grad f|.",
        "zh": "f_x + f_y 只是沿 (1, 1)（且未归一化）的导数，不是最大变化率 |grad f|。",
    },
    "unnormalized": {
        "en": "The gradient gives the direction, but the answer must be a unit vector: divide "
              "by |grad f|.",
        "zh": "梯度给出了方向，但答案要求单位向量：要除以 |grad f|。",
    },
    "opposite": {
        "en": "f increases fastest along +grad f and decreases fastest along -grad f; you took "
              "the opposite one.",
        "zh": "f 沿 +grad f 增长最快，沿 -grad f 下降最快；你取反了方向。",
    },
    "swapped": {
        "en": "The components are in the wrong order: the first is the x-component, from "
              "df/dx.",
        "zh": "分量顺序写反了：第一个分量是 x 方向的，来自 df/dx。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    direction, rate = _result(params)
    g = [c * rate for c in direction]
    if params["ask"] == "rate":
        found = [("squared_norm", rate**2), ("l1_norm", abs(g[0]) + abs(g[1])),
                 ("sum_of_partials", g[0] + g[1])]
    else:
        sign = 1 if params["ask"] == "ascent" else -1
        found = [("unnormalized", [sign * c for c in g]),
                 ("opposite", [-sign * c for c in direction]),
                 ("swapped", [sign * direction[1], sign * direction[0]])]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
