r"""The gradient vector of f(x, y) at a point.

f is a sum of two or three terms from the directional-derivative grammar. Difficulty 1:
polynomial terms at an integer point. 2: at least one trigonometric or exponential term.
3: three terms, at least one with an inner function (sin(xy), e^(xy), cos(x+y)) where the chain
rule matters. The answer is :math:`\nabla f(p) = (f_x(p), f_y(p))`, by torch.autograd in
``reference.calculus.gradient``.
"""

from __future__ import annotations

import random

import sympy as sp

from question_bank._format import row
from question_bank._memo import per_variant
from question_bank.calculus._functions import (
    CHAIN_RULE_MISSED,
    COS_SIGN_MISSED,
    POWER_RULE_MISSED,
    exact_gradient,
    function,
    partials,
    radians_note,
    sample_terms,
    slipped_gradient,
    tex,
    torch_gradient,
    x,
    y,
)
from quizgen.model import Mistake
from reference.calculus import gradient

ID = "calculus.gradient_vector"
TOPIC = "calculus"
TITLE = {"en": "Gradient vector", "zh": "梯度向量"}
KIND = "vector"

INNER = ("sin(xy)", "e^(xy)", "cos(x+y)")


def sample(rng: random.Random, difficulty: int) -> dict:
    while True:
        terms = sample_terms(rng, transcendental=difficulty > 1,
                             count=3 if difficulty == 3 else None)
        if difficulty == 3 and not any(k in INNER for _, k in terms):
            terms[0][1] = rng.choice([k for k in INNER if k not in {t for _, t in terms}])
        point = [rng.randint(-2, 2), rng.randint(-2, 2)]
        if any(g != 0 for g in exact_gradient(terms, point)):  # a zero gradient is degenerate
            return {"terms": terms, "point": point}


@per_variant
def _gradient(terms: list[list], point: list[int]) -> list[float]:
    return gradient(function(terms), (x, y), point).tolist()


def answer(params: dict) -> list[float]:
    return _gradient(params["terms"], params["point"])


def oracle(params: dict) -> list[float]:
    return torch_gradient(params["terms"], params["point"])


def closed_form(params: dict) -> sp.Matrix:
    """SymPy's exact partial derivatives at the point."""
    return sp.Matrix(exact_gradient(params["terms"], params["point"]))


def answer_tex(params: dict) -> str:
    return row(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    f = tex(function(params["terms"]))
    x0, y0 = params["point"]
    if lang == "zh":
        return (f"设 $f(x, y) = {f}$。求 $f$ 在点 $({x0}, {y0})$ 处的梯度 "
                f"$\\nabla f = (\\frac{{\\partial f}}{{\\partial x}}, "
                f"\\frac{{\\partial f}}{{\\partial y}})$，写成向量（{radians_note(params['terms'], lang)}保留至少 6 位有效数字）。")
    return (f"Let $f(x, y) = {f}$. Compute the gradient "
            f"$\\nabla f = (\\frac{{\\partial f}}{{\\partial x}}, \\frac{{\\partial f}}{{\\partial y}})$ "
            f"at the point $({x0}, {y0})$, as a vector ({radians_note(params['terms'], lang)}at least "
            f"6 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    fx, fy = partials(params["terms"])
    x0, y0 = params["point"]
    grad = answer(params)
    at = "代入" if lang == "zh" else "At"
    return [
        f"$\\frac{{\\partial f}}{{\\partial x}} = {tex(fx)}$",
        f"$\\frac{{\\partial f}}{{\\partial y}} = {tex(fy)}$",
        f"{at} $({x0}, {y0})$: $\\nabla f = {row(grad, 8)}$",
    ]


FEEDBACK = {
    "swapped": {
        "en": "You wrote the partials in the wrong order; the gradient lists df/dx first, then "
              "df/dy.",
        "zh": "两个偏导数的顺序写反了；梯度先写 df/dx，再写 df/dy。",
    },
    "chain_rule_missed": {
        "en": "You differentiated the outer function but dropped the inner derivative: "
              "d/dx sin(xy) = y cos(xy), d/dx e^(xy) = y e^(xy), d/dx cos(x+y) = -sin(x+y).",
        "zh": "你只对外层函数求了导，漏掉了内层函数的导数（链式法则）：d/dx sin(xy) = y cos(xy)，"
              "d/dx e^(xy) = y e^(xy)，d/dx cos(x+y) = -sin(x+y)。",
    },
    "power_rule_missed": {
        "en": "You lowered the power but did not multiply by the exponent: d/dx x^n = n x^(n-1).",
        "zh": "你把指数减了一，却没有乘上原来的指数：d/dx x^n = n x^(n-1)。",
    },
    "point_swapped": {
        "en": "You evaluated the partials at (y, x) instead of (x, y); substitute x = x0 and "
              "y = y0.",
        "zh": "你把点的坐标代反了（代入了 (y, x)）；应当令 x = x0、y = y0。",
    },
    "cos_sign": {
        "en": "The derivative of cos is -sin; you dropped the minus sign.",
        "zh": "cos 的导数是 -sin，你漏掉了负号。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    terms, point = params["terms"], params["point"]
    grad = answer(params)
    found = [("swapped", [grad[1], grad[0]])]
    for name, slips in (("chain_rule_missed", CHAIN_RULE_MISSED),
                        ("power_rule_missed", POWER_RULE_MISSED), ("cos_sign", COS_SIGN_MISSED)):
        value = slipped_gradient(terms, point, slips)
        if value is not None:
            found.append((name, value))
    if point[0] != point[1]:
        found.append(("point_swapped", _gradient(terms, point[::-1])))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
