"""f(x, y) for the calculus families: the grammar of terms, their derivatives, a student's slips
of differentiation, and the same f written directly in torch for the oracles.

SymPy's differentiation and printing cost milliseconds per call, and every question prints and
differentiates the same f several times (prompt and solution in two languages, answer, mistakes,
and each rejected sample): the partials of each term and the LaTeX of each expression are
computed once and remembered. The partials of f are the sum of its terms' partials, which is
what ``sp.diff`` of the sum returns, term by term.
"""

from __future__ import annotations

import random
from functools import cache, lru_cache

import sympy as sp
import torch

x, y = sp.symbols("x y", real=True)
POLYNOMIAL = {"x^2": x**2, "y^2": y**2, "xy": x * y, "x^2y": x**2 * y, "xy^2": x * y**2,
              "x^3": x**3, "y^3": y**3, "x": x, "y": y}
TRANSCENDENTAL = {"sin x": sp.sin(x), "cos y": sp.cos(y), "sin(xy)": sp.sin(x * y),
                  "e^x": sp.exp(x), "x e^y": x * sp.exp(y), "cos(x+y)": sp.cos(x + y),
                  "e^(xy)": sp.exp(x * y)}
TERMS = {**POLYNOMIAL, **TRANSCENDENTAL}

COEFFICIENTS = (-3, -2, -1, 1, 2, 3, 4)

# Each term written with torch operations, independently of the SymPy grammar (the oracles).
TORCH_TERMS = {
    "x^2": lambda a, b: a**2, "y^2": lambda a, b: b**2, "xy": lambda a, b: a * b,
    "x^2y": lambda a, b: a**2 * b, "xy^2": lambda a, b: a * b**2, "x^3": lambda a, b: a**3,
    "y^3": lambda a, b: b**3, "x": lambda a, b: a, "y": lambda a, b: b,
    "sin x": lambda a, b: torch.sin(a), "cos y": lambda a, b: torch.cos(b),
    "sin(xy)": lambda a, b: torch.sin(a * b), "e^x": lambda a, b: torch.exp(a),
    "x e^y": lambda a, b: a * torch.exp(b), "cos(x+y)": lambda a, b: torch.cos(a + b),
    "e^(xy)": lambda a, b: torch.exp(a * b),
}

# The partials (d/dx, d/dy) a student gets who forgets the chain rule's inner derivative or
# the power rule's exponent, term by term; terms a slip does not touch keep their true partials.
CHAIN_RULE_MISSED = {
    "sin(xy)": (sp.cos(x * y), sp.cos(x * y)),
    "e^(xy)": (sp.exp(x * y), sp.exp(x * y)),
    "cos(x+y)": (sp.sin(x + y), sp.sin(x + y)),  # also the sign: -sin(u) * 1 read as sin(u)
}
POWER_RULE_MISSED = {
    "x^2": (x, 0), "y^2": (0, y), "x^2y": (x * y, x**2), "xy^2": (y**2, x * y),
    "x^3": (x**2, 0), "y^3": (0, y**2),
}
COS_SIGN_MISSED = {"cos y": (0, sp.sin(y)), "cos(x+y)": (sp.sin(x + y), sp.sin(x + y))}


def sample_terms(rng: random.Random, transcendental: bool, count: int | None = None,
                 pool: tuple[str, ...] | None = None) -> list[list]:
    """[coefficient, term] pairs: polynomial terms, or at least one transcendental term."""
    keys_pool = list(pool) if pool else (list(TERMS) if transcendental else list(POLYNOMIAL))
    keys = rng.sample(keys_pool, count or rng.randint(2, 3))
    if transcendental and not any(k in TRANSCENDENTAL for k in keys):
        keys[0] = rng.choice(list(TRANSCENDENTAL))
    return [[rng.choice(COEFFICIENTS), k] for k in keys]


def radians_note(terms: list[list], lang: str) -> str:
    """ "angles in radians; " when f has a trigonometric term, else nothing."""
    if not any(k in ("sin x", "cos y", "sin(xy)", "cos(x+y)") for _, k in terms):
        return ""
    return "三角函数用弧度，" if lang == "zh" else "angles in radians; "


def function(terms: list[list]) -> sp.Expr:
    return sum(c * TERMS[k] for c, k in terms)


@cache
def term_partials(key: str) -> tuple[sp.Expr, sp.Expr]:
    """(d/dx, d/dy) of one term of the grammar."""
    return sp.diff(TERMS[key], x), sp.diff(TERMS[key], y)


@cache
def _term_partials_at(key: str, x0: int, y0: int) -> tuple[sp.Expr, sp.Expr]:
    at = {x: sp.Rational(str(x0)), y: sp.Rational(str(y0))}
    return tuple(d.subs(at) for d in term_partials(key))


def partials(terms: list[list]) -> tuple[sp.Expr, sp.Expr]:
    """(f_x, f_y) of f = sum of c * term."""
    return tuple(sum(c * term_partials(k)[i] for c, k in terms) for i in (0, 1))


def exact_gradient(terms: list[list], point) -> list[sp.Expr]:
    """SymPy's partials at the point, exactly (the closed forms)."""
    return [sum(c * _term_partials_at(k, *point)[i] for c, k in terms) for i in (0, 1)]


def at_point(expr: sp.Expr, point) -> sp.Expr:
    """``expr`` at an integer point, exactly: ``xreplace`` builds the same expression as
    ``subs`` does for numbers, without its search for patterns (ten times faster)."""
    return expr.xreplace({x: sp.Integer(point[0]), y: sp.Integer(point[1])})


@lru_cache(maxsize=4096)
def tex(expr: sp.Expr) -> str:
    """``sp.latex(expr)`` of an exact expression, remembered."""
    return sp.latex(expr)


def slipped_gradient(terms: list[list], point, slips: dict) -> list[float] | None:
    """The gradient with `slips` (term -> wrong partials) applied; None if no term is affected."""
    if not any(k in slips for _, k in terms):
        return None
    partials = [sp.Integer(0), sp.Integer(0)]
    for c, k in terms:
        pair = slips.get(k) or term_partials(k)
        partials = [p + c * sp.S(d) for p, d in zip(partials, pair)]
    return [float(at_point(p, point)) for p in partials]


def torch_gradient(terms: list[list], point) -> list[float]:
    """grad f at the point by torch.autograd on f written with torch operations."""
    leaf = torch.tensor([float(v) for v in point], dtype=torch.float64, requires_grad=True)
    f = sum(c * TORCH_TERMS[k](leaf[0], leaf[1]) for c, k in terms)
    (grad,) = torch.autograd.grad(f, leaf)
    return grad.tolist()


def torch_function(terms: list[list]):
    """f as a callable on a length-2 tensor, for torch.optim oracles."""
    return lambda v: sum(c * TORCH_TERMS[k](v[0], v[1]) for c, k in terms)
