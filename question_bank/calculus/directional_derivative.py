"""The directional derivative of f(x, y) at a point, along a vector or an angle.

f is a sum of two or three terms drawn from a small grammar (polynomials at difficulty 1,
trigonometric and exponential terms above). The direction is a unit vector, an un-normalized
vector the student must normalize, or an angle with the +x axis. Difficulty 3 may ask for the
directional derivative as an expression in x and y.
"""

from __future__ import annotations

import random
from functools import cache

import sympy as sp

from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.calculus._functions import (
    POLYNOMIAL,
    TERMS,
    TRANSCENDENTAL,
    at_point,
    exact_gradient,
    partials,
    term_partials,
    tex,
    x,
    y,
)
from quizgen.model import Mistake
from reference.calculus import direction_from_angle, directional_derivative

ID = "calculus.directional_derivative"
TOPIC = "calculus"
TITLE = {"en": "Directional derivative", "zh": "方向导数"}
KIND = "number"

# (a, b, n): the unit vector (a/n, b/n)
UNIT_VECTORS = ([3, 4, 5], [4, 3, 5], [-3, 4, 5], [3, -4, 5], [5, 12, 13], [12, -5, 13],
                [1, 0, 1], [0, 1, 1], [0, -1, 1])
ANGLES = ([1, 6], [1, 4], [1, 3], [1, 2], [2, 3], [3, 4], [5, 6], [1, 1], [5, 4], [3, 2],
          [7, 4])


def sample(rng: random.Random, difficulty: int) -> dict:
    pool = list(POLYNOMIAL) if difficulty == 1 else list(TERMS)
    keys = rng.sample(pool, rng.randint(2, 3))
    if difficulty > 1 and not any(k in TRANSCENDENTAL for k in keys):
        keys[0] = rng.choice(list(TRANSCENDENTAL))
    terms = [[rng.choice([-3, -2, -1, 1, 2, 3, 4]), k] for k in keys]
    point = [rng.randint(-2, 2), rng.randint(-2, 2)]
    if difficulty == 1:
        direction = {"unit": rng.choice(UNIT_VECTORS)}
    elif rng.random() < 0.5:
        direction = {"angle": rng.choice(ANGLES)}
    else:
        direction = {"vector": _non_unit_vector(rng)}
    ask = "expression" if difficulty == 3 and rng.random() < 0.5 else "value"
    if ask == "expression" and "angle" in direction:
        direction = {"vector": _non_unit_vector(rng)}
    return {"terms": terms, "point": point, "direction": direction, "ask": ask}


def _non_unit_vector(rng: random.Random) -> list[int]:
    """Both components nonzero, so its length exceeds 1 and must be normalized."""
    return [rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(2)]


def kind(params: dict) -> str:
    return "expression" if params["ask"] == "expression" else "number"


def variables(params: dict) -> list[str]:
    return ["x:real", "y:real"] if params["ask"] == "expression" else []


def evaluate(params: dict, values: dict) -> float:
    """The expression variant at (x, y), from reference.calculus (torch autograd)."""
    direction = [float(c) for c in _direction_vector(params)]
    return directional_derivative(function(params), (x, y), [values["x"], values["y"]],
                                  direction).value


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def function(params: dict) -> sp.Expr:
    return sum(c * TERMS[k] for c, k in params["terms"])


def _direction_vector(params: dict) -> list:
    """The direction as given: a vector (normalized or not), or (cos a, sin a) exactly."""
    d = params["direction"]
    if "angle" in d:
        p, q = d["angle"]
        return [sp.cos(sp.pi * p / q), sp.sin(sp.pi * p / q)]
    if "unit" in d:
        a, b, n = d["unit"]
        return [sp.Rational(a, n), sp.Rational(b, n)]
    return [sp.Integer(c) for c in d["vector"]]


def _angle(params: dict) -> float:
    p, q = params["direction"]["angle"]
    return float(sp.pi * p / q)


def answer(params: dict):
    if params["ask"] == "expression":
        return str(_expression(params))
    return _derivative(params).value


@per_variant
def _derivative(params: dict):
    """reference.calculus.directional_derivative at the point, along the direction as floats."""
    d = params["direction"]
    direction = (direction_from_angle(_angle(params)) if "angle" in d
                 else [float(c) for c in _direction_vector(params)])
    return directional_derivative(function(params), (x, y), params["point"], direction)


def _along(params: dict, normalize: bool, swap: bool) -> tuple[sp.Expr, sp.Expr, sp.Expr | int]:
    """(a, b, norm): the direction's components, swapped by the slip, and what divides them."""
    a, b = _direction_vector(params)
    if swap:
        a, b = b, a
    return a, b, sp.sqrt(a**2 + b**2) if normalize else 1


@per_variant
def _expression(params: dict, normalize: bool = True, swap: bool = False) -> sp.Expr:
    """expand(f_x u_1 + f_y u_2), summed term by term (expand distributes over the sum)."""
    a, b, norm = _along(params, normalize, swap)
    return sum(c * _term_expression(k, a, b, norm) for c, k in params["terms"])


def _value(params: dict, normalize: bool = True, swap: bool = False) -> float:
    """:func:`_expression` at the point, summed from each term's exact value there."""
    a, b, norm = _along(params, normalize, swap)
    point = tuple(params["point"])
    return float(sum(c * _term_value(k, a, b, norm, point) for c, k in params["terms"]))


@cache
def _term_expression(key: str, a: sp.Expr, b: sp.Expr, norm: sp.Expr | int) -> sp.Expr:
    """One term's expanded directional derivative along (a, b) / norm: the terms and the
    directions come from small pools, so each is expanded once."""
    dx, dy = term_partials(key)
    return sp.expand(dx * a / norm + dy * b / norm)


@cache
def _term_value(key: str, a: sp.Expr, b: sp.Expr, norm: sp.Expr | int, point: tuple) -> sp.Expr:
    return at_point(_term_expression(key, a, b, norm), point)


def closed_form(params: dict) -> sp.Expr:
    """grad f . d / |d|, exactly, from SymPy's derivatives."""
    expr = _expression(params)
    if params["ask"] == "expression":
        return expr
    x0, y0 = params["point"]
    return expr.subs({x: x0, y: y0})


def answer_tex(params: dict) -> str:
    if params["ask"] == "expression":
        return tex(_expression(params))
    return num(answer(params), 8)


def _direction_text(params: dict, lang: str) -> str:
    d = params["direction"]
    if "angle" in d:
        p, q = d["angle"]
        angle = tex(sp.pi * p / q)
        return (f"与 $x$ 轴正方向夹角为 $\\alpha = {angle}$ 的方向" if lang == "zh"
                else f"the direction at angle $\\alpha = {angle}$ from the positive $x$-axis")
    vector = "(" + ",\\ ".join(tex(c) for c in _direction_vector(params)) + ")"
    if "unit" in d:
        return f"单位向量 $u = {vector}$ 方向" if lang == "zh" else f"the unit vector $u = {vector}$"
    return (f"向量 $v = {vector}$ 方向" if lang == "zh"
            else f"the direction of the vector $v = {vector}$")


def prompt(params: dict, lang: str) -> str:
    f = tex(function(params))
    x0, y0 = params["point"]
    along = _direction_text(params, lang)
    if params["ask"] == "expression":
        if lang == "zh":
            return (f"设 $f(x, y) = {f}$。求 $f$ 沿{along}的方向导数 $D_u f(x, y)$，"
                    f"写成关于 $x, y$ 的表达式（方向先归一化为单位向量）。")
        return (f"Let $f(x, y) = {f}$. Give the directional derivative $D_u f(x, y)$ along "
                f"{along} as an expression in $x$ and $y$ (normalize the direction first).")
    # Only a plain vector needs normalizing; the radians note only where f has a trig term
    # (_functions.radians_note would be a circular import: it imports this module's grammar).
    normalize = "vector" in params["direction"]
    trig = any(k in ("sin x", "cos y", "sin(xy)", "cos(x+y)") for _, k in params["terms"])
    radians = ("三角函数用弧度，" if lang == "zh" else "angles in radians; ") if trig else ""
    if lang == "zh":
        note = ("方向先归一化为单位向量；" if normalize else "") + radians
        return (f"设 $f(x, y) = {f}$。求 $f$ 在点 $({x0}, {y0})$ 处沿{along}的方向导数"
                f"（{note}保留至少 6 位有效数字）。")
    note = ("normalize the direction to unit length; " if normalize else "") + radians
    return (f"Let $f(x, y) = {f}$. Compute the directional derivative of $f$ at "
            f"$({x0}, {y0})$ along {along} ({note}at least 6 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    fx, fy = partials(params["terms"])
    lines = [f"$\\frac{{\\partial f}}{{\\partial x}} = {tex(fx)}$, "
             f"$\\frac{{\\partial f}}{{\\partial y}} = {tex(fy)}$",
             ("$u = (\\cos\\alpha, \\sin\\alpha) = " if "angle" in params["direction"]
              else "$u = \\frac{v}{\\lVert v \\rVert} = ")
             + _unit_direction_tex(params["direction"])]
    if params["ask"] == "expression":
        lines.append(f"$D_u f = f_x u_1 + f_y u_2 = {tex(_expression(params))}$")
        return lines
    x0, y0 = params["point"]
    r = _derivative(params)
    label = "在该点" if lang == "zh" else "At the point"
    lines += [
        f"{label} $({x0}, {y0})$: $\\nabla f = {row(r.gradient, 8)}$",
        f"$D_u f = \\nabla f \\cdot u = {row(r.gradient, 6)} \\cdot {row(r.unit_direction, 6)} "
        f"= {num(r.value, 8)}$",
    ]
    return lines


@per_variant
def _unit_direction_tex(direction: dict) -> str:
    """``(u_1,\\ u_2)$``, the direction divided by its length, exactly (a small pool)."""
    a, b = _direction_vector({"direction": direction})
    norm = sp.sqrt(a**2 + b**2)
    return f"({sp.latex(sp.nsimplify(a / norm))},\\ {sp.latex(sp.nsimplify(b / norm))})$"


FEEDBACK = {
    "unnormalized": {
        "en": "You used the direction vector without normalizing it; divide by its length "
              "first, otherwise the result scales with |v|.",
        "zh": "你没有把方向向量归一化；要先除以它的长度，否则结果会随 |v| 缩放。",
    },
    "max_rate": {
        "en": "That is |grad f|, the largest directional derivative (along the gradient), not "
              "the derivative along the given direction.",
        "zh": "这是 |grad f|，即沿梯度方向的最大方向导数，而不是沿给定方向的导数。",
    },
    "swapped": {
        "en": "You paired the components the wrong way round (e.g. sin with x, cos with y); "
              "u = (cos alpha, sin alpha) for an angle alpha from the x-axis.",
        "zh": "分量配错了（例如 sin 配了 x、cos 配了 y）；与 x 轴夹角为 alpha 时 u = (cos alpha, sin alpha)。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    found = []
    variants = [("swapped", {"swap": True})]
    if "vector" in params["direction"]:
        variants.insert(0, ("unnormalized", {"normalize": False}))
    for name, change in variants:
        value = (str(_expression(params, **change)) if params["ask"] == "expression"
                 else _value(params, **change))
        found.append((name, value))
    if params["ask"] == "value":
        grad = exact_gradient(params["terms"], params["point"])
        found.append(("max_rate", float(sp.sqrt(grad[0] ** 2 + grad[1] ** 2))))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
