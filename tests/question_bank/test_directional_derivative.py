"""calculus.directional_derivative against torch.autograd on a hand-written torch function."""

import math

import pytest
import sympy as sp
import torch

from question_bank.calculus import directional_derivative as family
from quizgen.sampling import rng_for

TORCH_TERMS = {
    "x^2": lambda x, y: x**2, "y^2": lambda x, y: y**2, "xy": lambda x, y: x * y,
    "x^2y": lambda x, y: x**2 * y, "xy^2": lambda x, y: x * y**2, "x^3": lambda x, y: x**3,
    "y^3": lambda x, y: y**3, "x": lambda x, y: x, "y": lambda x, y: y,
    "sin x": lambda x, y: torch.sin(x), "cos y": lambda x, y: torch.cos(y),
    "sin(xy)": lambda x, y: torch.sin(x * y), "e^x": lambda x, y: torch.exp(x),
    "x e^y": lambda x, y: x * torch.exp(y), "cos(x+y)": lambda x, y: torch.cos(x + y),
    "e^(xy)": lambda x, y: torch.exp(x * y),
}


def autograd_directional(params, point):
    xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    f = sum(c * TORCH_TERMS[k](xy[0], xy[1]) for c, k in params["terms"])
    (grad,) = torch.autograd.grad(f, xy)
    d = params["direction"]
    if "angle" in d:
        a = math.pi * d["angle"][0] / d["angle"][1]
        u = [math.cos(a), math.sin(a)]
    else:
        v = d.get("vector") or d["unit"][:2]
        u = [c / math.hypot(*v) for c in v]
    return grad[0].item() * u[0] + grad[1].item() * u[1]


@pytest.mark.parametrize("seed", range(500))
def test_answer_matches_autograd(seed):
    params = family.sample(rng_for(seed, "dd-oracle"), 1 + seed % 3)
    if params["ask"] == "value":
        expected = autograd_directional(params, params["point"])
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        return
    x, y = sp.symbols("x y", real=True)
    expr = sp.sympify(family.answer(params), locals={"x": x, "y": y})  # our own string
    for point in ([0.3, -1.2], [1.7, 0.4], [-0.8, 2.1]):
        got = float(expr.subs({x: point[0], y: point[1]}))
        assert got == pytest.approx(autograd_directional(params, point), rel=1e-9, abs=1e-12)


def test_textbook_example_from_the_conventions():
    # f = x^2 + y^2 at (1, 1) along (3, 4): (2, 2) . (0.6, 0.8) = 2.8; the maximum is 2 sqrt 2.
    params = {"terms": [[1, "x^2"], [1, "y^2"]], "point": [1, 1],
              "direction": {"vector": [3, 4]}, "ask": "value"}
    assert family.answer(params) == pytest.approx(2.8, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["unnormalized"] == pytest.approx(14.0)
    assert wrong["max_rate"] == pytest.approx(2 * math.sqrt(2))
