r"""One or two gradient-descent steps on f(x, y): :math:`p \leftarrow p - \eta\,\nabla f(p)`.

Difficulty 1: a quadratic f, one step. 2: f from the full grammar (trigonometric and
exponential terms too), one step. 3: a quadratic f, two steps, the gradient re-evaluated at the
new point before the second; half the time asked in parts: the coordinates of p_1, the partials
at p_1 (formulas in those coordinates), then p_2 from all four. The gradient is ``reference.calculus.gradient`` (torch.autograd)
and the update ``reference.optim.sgd_step`` (plain SGD: no momentum, no weight decay).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _formula, _parts
from question_bank._format import num, row
from question_bank._memo import per_variant
from question_bank.calculus._functions import (
    exact_gradient,
    function,
    partials,
    radians_note,
    sample_terms,
    tex,
    torch_function,
    x,
    y,
)
from quizgen.model import Mistake
from reference.calculus import gradient
from reference.optim import sgd_step

ID = "calculus.gradient_descent_step"
TOPIC = "calculus"
TITLE = {"en": "Gradient descent step", "zh": "梯度下降一步"}
KIND = "vector"

QUADRATIC = ("x^2", "y^2", "xy", "x", "y")
LEARNING_RATES = (0.05, 0.1, 0.1, 0.2, 0.25, 0.5)


def sample(rng: random.Random, difficulty: int) -> dict:
    steps = 2 if difficulty == 3 else 1
    in_parts = _parts.chosen(rng, difficulty)
    while True:
        if difficulty == 2:
            terms = sample_terms(rng, transcendental=True)
        else:
            terms = sample_terms(rng, transcendental=False, pool=QUADRATIC)
        point = [rng.randint(-2, 2), rng.randint(-2, 2)]
        if any(g != 0 for g in exact_gradient(terms, point)):
            params = {"terms": terms, "point": point, "lr": rng.choice(LEARNING_RATES),
                      "steps": steps}
            return {**params, "parts": True} if in_parts else params


@per_variant
def run(params: dict) -> tuple:
    """Each step's SGDStep (its grad is the gradient at the point the step starts from)."""
    f = function(params["terms"])
    p = torch.tensor([float(v) for v in params["point"]], dtype=torch.float64)
    steps = []
    for _ in range(params["steps"]):
        step = sgd_step(p, gradient(f, (x, y), p.tolist()), lr=params["lr"])
        steps.append(step)
        p = step.param
    return tuple(steps)


@per_variant
def _gradient(terms: list[list], point: list[float]) -> list[float]:
    return gradient(function(terms), (x, y), point).tolist()


def answer(params: dict) -> list[float]:
    return run(params)[-1].param.tolist()


def oracle(params: dict) -> list[float]:
    """torch.optim.SGD on the point as a parameter, f written with torch operations."""
    p = torch.tensor([float(v) for v in params["point"]], dtype=torch.float64,
                     requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=params["lr"])
    f = torch_function(params["terms"])
    for _ in range(params["steps"]):
        optimizer.zero_grad()
        f(p).backward()
        optimizer.step()
    return p.detach().tolist()


def closed_form(params: dict) -> sp.Matrix:
    """Iterate p - eta * grad f(p) with SymPy's exact partials."""
    f = function(params["terms"])
    lr = sp.Rational(str(params["lr"]))
    p = sp.Matrix(params["point"])
    for _ in range(params["steps"]):
        g = sp.Matrix([sp.diff(f, v).subs({x: p[0], y: p[1]}) for v in (x, y)])
        p = p - lr * g
    return p


def answer_tex(params: dict) -> str:
    return row(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    f = tex(function(params["terms"]))
    x0, y0 = params["point"]
    lr, k = num(params["lr"]), params["steps"]
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 5, lang)
    if lang == "zh":
        steps = "一步" if k == 1 else "两步（每一步都在当前点重新计算梯度）"
        target = "$p_1$" if k == 1 else "$p_2$"
        return (f"用梯度下降最小化 $f(x, y) = {f}$：$p_{{t+1}} = p_t - \\eta \\nabla f(p_t)$，"
                f"学习率 $\\eta = {lr}$，起点 $p_0 = ({x0}, {y0})$。执行{steps}后，求 {target}"
                f"（写成向量；{radians_note(params['terms'], lang)}保留至少 6 位有效数字）。")
    steps = "one step" if k == 1 else ("two steps (the gradient recomputed at the current point "
                                       "before each step)")
    target = "$p_1$" if k == 1 else "$p_2$"
    return (f"Gradient descent minimizes $f(x, y) = {f}$ with "
            f"$p_{{t+1}} = p_t - \\eta \\nabla f(p_t)$, learning rate $\\eta = {lr}$, from "
            f"$p_0 = ({x0}, {y0})$. After {steps}, what is {target}? (A vector; "
            f"{radians_note(params['terms'], lang)}at least 6 significant figures.)")


def solution(params: dict, lang: str) -> list[str]:
    fx, fy = partials(params["terms"])
    lr = num(params["lr"])
    lines = [f"$\\nabla f = ({tex(fx)},\\ {tex(fy)})$"]
    start = [float(v) for v in params["point"]]
    for t, step in enumerate(run(params)):
        g, new = step.grad.tolist(), step.param.tolist()
        lines.append(f"$\\nabla f(p_{{{t}}}) = \\nabla f{row(start, 8)} = {row(g, 8)}$")
        lines.append(f"$p_{{{t + 1}}} = {row(start, 8)} - {lr} \\cdot {row(g, 8)} = "
                     f"{row(new, 8)}$")
        start = new
    return lines


FEEDBACK = {
    "ascent": {
        "en": "You added the gradient: that is gradient ascent. Descent moves against the "
              "gradient, p - eta * grad f(p).",
        "zh": "你加上了梯度，那是梯度上升；梯度下降要沿梯度的反方向走：p - eta * grad f(p)。",
    },
    "no_learning_rate": {
        "en": "You subtracted the whole gradient; the step is the gradient times the learning "
              "rate eta.",
        "zh": "你减去了整个梯度；每一步的步长是梯度乘以学习率 eta。",
    },
    "swapped": {
        "en": "The gradient's components are in the wrong order: x moves by -eta * df/dx, "
              "y by -eta * df/dy.",
        "zh": "梯度分量的顺序弄反了：x 按 -eta * df/dx 移动，y 按 -eta * df/dy 移动。",
    },
    "stale_gradient": {
        "en": "You reused the first gradient for the second step; the gradient must be "
              "recomputed at the new point p_1.",
        "zh": "第二步沿用了第一步的梯度；梯度必须在新的点 p_1 处重新计算。",
    },
    "one_step_only": {
        "en": "That is p_1; the question asks for the point after two steps.",
        "zh": "这是 p_1；题目要求的是两步之后的点。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    def descend(sign: float = -1.0, rate: float = params["lr"], swap: bool = False,
                stale: bool = False) -> list[float]:
        """The iterate a student gets who updates p by sign * rate * g with one slip."""
        p = [float(v) for v in params["point"]]
        first = None
        for _ in range(params["steps"]):
            g = first if stale and first else _gradient(params["terms"], p)
            first = first or g
            if swap:
                g = g[::-1]
            p = [a + sign * rate * b for a, b in zip(p, g)]
        return p

    found = [("ascent", descend(sign=1.0)), ("no_learning_rate", descend(rate=1.0)),
             ("swapped", descend(swap=True))]
    if params["steps"] == 2:
        found += [("stale_gradient", descend(stale=True)),
                  ("one_step_only", run(params)[0].param.tolist())]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the variant in parts: x_1, y_1, the partials at p_1, p_2 -------------------------------------
A, B = sp.symbols("a b", real=True)


def _parts_setup(params: dict) -> dict[str, str]:
    f, (x0, y0), lr = tex(function(params["terms"])), params["point"], num(params["lr"])
    return {
        "en": f"Gradient descent (torch.optim.SGD without momentum) minimizes "
              f"$f(x, y) = {f}$ with $p_{{t+1}} = p_t - \\eta \\nabla f(p_t)$ (PyTorch's "
              f"convention: the gradient recomputed at the current point before each step), "
              f"learning rate $\\eta = {lr}$, from "
              f"$p_0 = ({x0}, {y0})$. Give every value to at least 6 significant figures.",
        "zh": f"用梯度下降（torch.optim.SGD，不带动量）最小化 $f(x, y) = {f}$："
              f"$p_{{t+1}} = p_t - \\eta \\nabla f(p_t)$（PyTorch 约定：每一步都在当前点重新计算"
              f"梯度），学习率 $\\eta = {lr}$，起点 "
              f"$p_0 = ({x0}, {y0})$。每个值保留至少 6 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """x_1 and y_1; df/dx and df/dy at p_1, each a formula in (a), (b); p_2 from all four."""
    if not params.get("parts"):
        return None
    first, second = run(params)
    (x1, y1), (gx, gy), p2 = first.param.tolist(), second.grad.tolist(), second.param.tolist()
    g0, lr, lit = first.grad.tolist(), params["lr"], _parts.lit
    tol, mk, fb = tolerance(params), _parts.mistake, FEEDBACK
    lines = solution(params, "en")
    fx, fy = partials(params["terms"])

    def at_p1(expr: sp.Expr) -> tuple[list[str], str]:
        """The partial in the earlier parts' ids, and those ids (none for a constant)."""
        expr = sp.expand(expr.xreplace({x: A, y: B}))
        uses = [s.name for s in (A, B) if s in expr.free_symbols]
        return uses, _formula.text(expr) if uses else ""

    def coordinate(i: int, name: str, value: float, zh: str) -> _parts.Part:
        start = params["point"][i]
        return _parts.part(
            i, {"en": f"the coordinate ${name}_1$ of $p_1$.",
                "zh": f"$p_1$ 的{zh}坐标 ${name}_1$。"},
            value, num(value, 8), tol, _parts.both(*lines[:3]),
            [mk("ascent", start + lr * g0[i], fb["ascent"]),
             mk("no_learning_rate", start - g0[i], fb["no_learning_rate"])])

    def partial(i: int, name: str, value: float, expr: sp.Expr) -> _parts.Part:
        uses, formula = at_p1(expr)
        ids = {"en": " and ".join(f"({u})" for u in uses), "zh": "、".join(f"({u})" for u in uses)}
        return _parts.part(
            i + 2, {"en": f"the partial derivative "
                          f"$\\partial f / \\partial {name}$ at $p_1$"
                          + (f", from {ids['en']}." if uses else "."),
                    "zh": f"$p_1$ 处的偏导数 "
                          f"$\\partial f / \\partial {name}$"
                          + (f"（由 {ids['zh']} 得到）。" if uses else "。")},
            value, num(value, 8), tol,
            _parts.both(f"$\\partial f / \\partial {name} = {tex(expr)}$", lines[3]),
            [mk("stale_gradient", g0[i], fb["stale_gradient"])], uses=uses, formula=formula)

    return [
        coordinate(0, "x", x1, " x "), coordinate(1, "y", y1, " y "),
        partial(0, "x", gx, fx), partial(1, "y", gy, fy),
        _parts.part(4, {"en": "the point $p_2$ (as a vector), from (a)–(d).",
                        "zh": "点 $p_2$（写成向量，由 (a)–(d) 得到）。"},
                    p2, row(p2, 8), tol, _parts.both(lines[4]),
                    [mk("stale_gradient", [x1 - lr * g0[0], y1 - lr * g0[1]],
                        fb["stale_gradient"]),
                     mk("ascent", [x1 + lr * gx, y1 + lr * gy], fb["ascent"]),
                     mk("one_step_only", [x1, y1], fb["one_step_only"])],
                    uses=["a", "b", "c", "d"], kind="vector",
                    formula=f"[a - {lit(lr)}*c, b - {lit(lr)}*d]"),
    ]
