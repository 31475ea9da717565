"""Expression answers: symbols with domains, keys spelled as the grader reads them, and the
points at which `quizgen validate` compares a closed form with the reference.

A family that asks for a formula declares its variables as ``"name:domain"`` strings (the
grader's domains: real, positive, nonnegative, integer, positive_integer, unit_interval), builds
its closed form from :func:`symbols` (SymPy symbols with the same assumptions the grader's SymPy
fallback gives them), stores :func:`text` of it as the key, and defines
``evaluate(params, values) -> float``: the same quantity computed by ``reference/`` at given
values of the variables (run the optimizer for t steps, build the layer and count its
parameters, ...). Sizes the reference can only build whole (fans, channels) are drawn at whole
numbers there: ``REFERENCE_DOMAINS = {"fan_in": "positive_integer"}`` narrows a declared domain
for that comparison only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

import sympy as sp
from sympy.printing.str import StrPrinter

from quizgen.grading import DOMAINS, parse_variables
from quizgen.grading.symbolic import symbol

# domain -> the domains inside it, for REFERENCE_DOMAINS
SUBDOMAINS = {
    "real": set(DOMAINS),
    "positive": {"positive", "positive_integer", "unit_interval"},
    "nonnegative": {"nonnegative", "positive", "positive_integer", "unit_interval"},
    "integer": {"integer", "positive_integer"},
    "positive_integer": {"positive_integer"},
    "unit_interval": {"unit_interval"},
}


def split(spec: str) -> tuple[str, str]:
    """``"beta_1:unit_interval"`` -> ``("beta_1", "unit_interval")``; no domain means real."""
    name, _, domain = spec.partition(":")
    return name, domain or "real"


def symbols(*specs: str) -> tuple[sp.Symbol, ...]:
    """One SymPy symbol per ``"name:domain"`` spec, with the assumptions the grader's SymPy
    fallback gives that domain."""
    return tuple(symbol(v) for v in parse_variables(specs))


class _GraderPrinter(StrPrinter):
    """SymPy's str(), with the functions the grader spells differently in lower case."""

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"


def text(expr: sp.Expr) -> str:
    """The expression as a key or a mistake's value: exact, in the grader's notation."""
    return _GraderPrinter().doprint(expr)


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


# the grader's vocabulary, for reading back our own (trusted) key strings with SymPy
VOCABULARY = {"min": sp.Min, "max": sp.Max, "sigmoid": _sigmoid,
              "relu": lambda x: sp.Max(0, x), "softplus": lambda x: sp.log(1 + sp.exp(x))}


def parse(key: str, free: Iterable[sp.Symbol]) -> sp.Expr:
    """A key string of this bank read back by SymPy, with the closed form's own symbols."""
    return sp.sympify(key, locals={**VOCABULARY, **{s.name: s for s in free}})


def draw(domain: str, rng: random.Random) -> float:
    """One value inside ``domain``: magnitudes log-uniform on [0.1, 20], both signs where
    allowed, whole numbers up to 30, unit-interval values half close to 1 (betas)."""
    if domain == "positive_integer":
        return float(rng.randint(1, 30))
    if domain == "integer":
        return float(rng.randint(-12, 12))
    if domain == "unit_interval":
        return rng.uniform(0.02, 0.98) if rng.random() < 0.5 else 1 - 10 ** rng.uniform(-3, -1)
    if domain == "nonnegative" and rng.random() < 0.125:
        return 0.0
    magnitude = 10 ** rng.uniform(-1, math.log10(20))
    return -magnitude if domain == "real" and rng.random() < 0.5 else magnitude


def reference_domains(module, specs: Iterable[str]) -> dict[str, str]:
    """name -> the domain the reference comparison draws it from (narrowed where the family's
    REFERENCE_DOMAINS says so; a narrowing outside the declared domain is a bank bug)."""
    narrowed = getattr(module, "REFERENCE_DOMAINS", {})
    domains = {}
    for name, declared in map(split, specs):
        domain = narrowed.get(name, declared)
        if domain not in SUBDOMAINS[declared]:
            raise ValueError(f"REFERENCE_DOMAINS: {name} is {declared}, not {domain}")
        domains[name] = domain
    return domains


def latex(expr: sp.Expr, names: dict[sp.Symbol, str] | None = None) -> str:
    """The expression as LaTeX for a key or a worked step, with the family's symbol names."""
    return sp.latex(expr, symbol_names=names or {})


def mistakes(found: Iterable[tuple[str, sp.Expr]], feedback: dict[str, dict[str, str]]):
    """Named wrong expressions as the bank's Mistake objects (values in the grader's notation)."""
    from quizgen.model import Mistake

    return [Mistake(name, text(expr), feedback[name]) for name, expr in found]
