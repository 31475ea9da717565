r"""Gradient, directional derivative and steepest ascent of a SymPy-defined f, via torch.autograd.

For a unit vector :math:`u` (a direction normalized here),

.. math::
   D_u f(p) = \nabla f(p)\cdot u = \sum_i \frac{\partial f}{\partial x_i}(p)\,u_i,

which is largest, :math:`\|\nabla f(p)\|`, along :math:`\nabla f/\|\nabla f\|`. In 2-D a
direction at angle :math:`\alpha` from the +x axis is :math:`(\cos\alpha, \sin\alpha)`.

``f`` is a trusted SymPy expression from the question bank; it is translated node by node into
torch operations (no ``eval``/``lambdify``), evaluated at float64 leaves, and differentiated with
``torch.autograd``. :func:`partial_derivatives` gives the symbolic partials for worked solutions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy
import torch
from torch import Tensor

__all__ = [
    "DirectionalDerivative",
    "direction_from_angle",
    "directional_derivative",
    "gradient",
    "partial_derivatives",
    "steepest_ascent",
]

_UNARY_FUNCTIONS: dict[type, Callable[[Tensor], Tensor]] = {
    sympy.sin: torch.sin,
    sympy.cos: torch.cos,
    sympy.tan: torch.tan,
    sympy.asin: torch.asin,
    sympy.acos: torch.acos,
    sympy.atan: torch.atan,
    sympy.sinh: torch.sinh,
    sympy.cosh: torch.cosh,
    sympy.tanh: torch.tanh,
    sympy.exp: torch.exp,
    sympy.log: torch.log,
    sympy.Abs: torch.abs,
    sympy.sec: lambda t: 1 / torch.cos(t),
    sympy.csc: lambda t: 1 / torch.sin(t),
    sympy.cot: lambda t: 1 / torch.tan(t),
}


@dataclass(frozen=True)
class DirectionalDerivative:
    r"""The pieces of :math:`D_u f(p) = \nabla f(p)\cdot u`.

    Attributes:
        gradient: :math:`\nabla f(p)`.
        direction: the direction as given (not normalized).
        unit_direction: :math:`u = d/\|d\|`.
        direction_norm: :math:`\|d\|`.
        value: :math:`\nabla f(p)\cdot u`.
    """

    gradient: list[float]
    direction: Sequence[float]
    unit_direction: list[float]
    direction_norm: float
    value: float


def gradient(
    f: sympy.Expr,
    variables: Sequence[sympy.Symbol],
    point: Sequence[float],
    *,
    device: torch.device | str | None = None,
) -> Tensor:
    r""":math:`\nabla f(p)` as a float64 tensor, by torch.autograd on f translated to torch ops.

    Args:
        f: a SymPy expression in ``variables`` (Add, Mul, Pow, exp, log, trig, hyperbolic, Abs).
        variables: the symbols, in the order of the gradient's entries.
        point: one value per variable.
        device: where to evaluate (default: the CPU).
    """
    variables = list(variables)
    if not isinstance(f, sympy.Basic):
        raise TypeError(f"f must be a SymPy expression, got {type(f).__name__}")
    if not variables:
        raise ValueError("gradient needs at least one variable")
    if len(point) != len(variables):
        raise ValueError(f"point has {len(point)} values for {len(variables)} variables")
    leaves = [
        torch.tensor(float(value), dtype=torch.float64, device=device, requires_grad=True)
        for value in point
    ]
    value = _to_torch(f, dict(zip(variables, leaves, strict=True)), leaves[0])
    if not value.requires_grad:  # f does not depend on any variable
        return torch.zeros(len(leaves), dtype=torch.float64, device=device)
    partials = torch.autograd.grad(value, leaves, allow_unused=True)
    return torch.stack(
        [
            torch.zeros_like(leaf) if d is None else d
            for leaf, d in zip(leaves, partials, strict=True)
        ]
    ).detach()


def partial_derivatives(f: sympy.Expr, variables: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    r"""The symbolic partials :math:`\partial f/\partial x_i` (for worked solutions)."""
    return [sympy.diff(f, v) for v in variables]


def direction_from_angle(alpha: float) -> list[float]:
    r"""The unit direction :math:`(\cos\alpha, \sin\alpha)` at angle alpha (radians) from +x."""
    return [math.cos(alpha), math.sin(alpha)]


def directional_derivative(
    f: sympy.Expr,
    variables: Sequence[sympy.Symbol],
    point: Sequence[float],
    direction: Sequence[float],
) -> DirectionalDerivative:
    r""":math:`D_u f(p) = \nabla f(p)\cdot d/\|d\|` for any non-zero direction d.

    Raises:
        ValueError: d is the zero vector, or its length differs from the number of variables.
    """
    if len(direction) != len(variables):
        raise ValueError(f"direction has {len(direction)} entries for {len(variables)} variables")
    d = torch.tensor([float(c) for c in direction], dtype=torch.float64)
    norm = d.square().sum().sqrt()
    if norm.item() == 0.0:
        raise ValueError("the direction is the zero vector; it has no unit direction")
    unit = d / norm
    grad = gradient(f, variables, point).cpu()
    return DirectionalDerivative(
        gradient=grad.tolist(),
        direction=direction,
        unit_direction=unit.tolist(),
        direction_norm=norm.item(),
        value=(grad * unit).sum().item(),
    )


def steepest_ascent(
    f: sympy.Expr, variables: Sequence[sympy.Symbol], point: Sequence[float]
) -> tuple[list[float], float]:
    r"""The steepest-ascent unit direction :math:`\nabla f/\|\nabla f\|` and its rate
    :math:`\|\nabla f\|` (steepest descent is the opposite direction, rate :math:`-\|\nabla f\|`).

    Raises:
        ValueError: the gradient is zero at the point (every direction has rate 0).
    """
    grad = gradient(f, variables, point).cpu()
    rate = grad.square().sum().sqrt()
    if rate.item() == 0.0:
        raise ValueError("the gradient is zero at this point; no direction of steepest ascent")
    return (grad / rate).tolist(), rate.item()


def _to_torch(expr: sympy.Basic, leaves: dict[sympy.Symbol, Tensor], like: Tensor) -> Tensor:
    """Evaluate a SymPy expression tree as torch operations on the given leaf tensors."""
    if not (expr.free_symbols & leaves.keys()):
        # A constant subtree (sqrt(2), exp(3), pi/4): SymPy evaluates it exactly, then rounds once.
        if expr.free_symbols:
            raise ValueError(f"unknown symbols {sorted(map(str, expr.free_symbols))} in f")
        return torch.tensor(float(sympy.N(expr, 30)), dtype=like.dtype, device=like.device)
    if isinstance(expr, sympy.Symbol):
        return leaves[expr]
    args = [_to_torch(arg, leaves, like) for arg in expr.args]
    if isinstance(expr, sympy.Add):
        return _fold(args, torch.add)
    if isinstance(expr, sympy.Mul):
        return _fold(args, torch.mul)
    if isinstance(expr, sympy.Pow):
        base, exponent = args
        if expr.exp == sympy.Rational(1, 2):
            return torch.sqrt(base)
        return torch.pow(base, exponent)
    if isinstance(expr, sympy.log) and len(args) == 2:
        return torch.log(args[0]) / torch.log(args[1])
    for function, torch_function in _UNARY_FUNCTIONS.items():
        if isinstance(expr, function) and len(args) == 1:
            return torch_function(args[0])
    raise ValueError(f"unsupported operation {type(expr).__name__} in f")


def _fold(args: list[Tensor], op: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
    result = args[0]
    for arg in args[1:]:
        result = op(result, arg)
    return result
