"""reference.calculus (torch.autograd) against sympy.diff evaluated exactly at the point."""

import math

import pytest
import sympy
import torch

from reference.calculus import (
    direction_from_angle,
    directional_derivative,
    gradient,
    partial_derivatives,
    steepest_ascent,
)

x, y, z = sympy.symbols("x y z", real=True)

CASES = [
    (x**2 + y**2, (x, y), (1, 1)),
    (x**2 * y - 3 * x * y**3, (x, y), (sympy.Rational(3, 2), -2)),
    (sympy.sin(x) * sympy.exp(y), (x, y), (0.7, -0.3)),
    (sympy.log(x * y) + sympy.sqrt(x + y), (x, y), (2, 3)),
    (sympy.sqrt(2) * x + sympy.exp(3) * y + sympy.pi, (x, y), (0.5, 0.25)),
    (x / (1 + y**2) + sympy.atan(y), (x, y), (1.3, 0.4)),
    (x * y * z + sympy.cos(x * z) - sympy.tanh(y), (x, y, z), (0.2, -1.1, 2.5)),
    (2**x + x ** sympy.Rational(3, 2) + sympy.Abs(y - 5), (x, y), (1.7, 2)),
    (sympy.asin(x / 2) + sympy.acos(y / 3) + sympy.sinh(x) * sympy.cosh(y), (x, y), (0.5, 1)),
    (sympy.tan(x) + sympy.sec(y) + sympy.cot(x + y) + sympy.csc(y), (x, y), (0.4, 0.9)),
    (sympy.log(x, 2) + sympy.exp(-(x**2) - y**2), (x, y), (3, 0.5)),
    (sympy.Integer(7) * y, (x, y), (1, 2)),
]


@pytest.mark.parametrize(("f", "variables", "point"), CASES, ids=lambda v: str(v))
def test_autograd_gradient_equals_sympy_diff(f, variables, point):
    at = dict(zip(variables, [sympy.nsimplify(p) for p in point], strict=True))
    expected = [float(sympy.diff(f, v).subs(at).evalf(30)) for v in variables]
    result = gradient(f, variables, point)
    assert result.dtype == torch.float64
    for got, want in zip(result.tolist(), expected, strict=True):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_gradient_runs_on_the_requested_device(device):
    result = gradient(x**3 * y, (x, y), (2, 5), device=device)
    assert result.device.type == device.type
    assert result.cpu().tolist() == [60.0, 8.0]


def test_constant_function_has_zero_gradient():
    assert gradient(sympy.Integer(4) + sympy.pi, (x, y), (1, 2)).tolist() == [0.0, 0.0]


def test_partial_derivatives_are_sympys():
    f = x**2 * sympy.sin(y)
    assert partial_derivatives(f, (x, y)) == [2 * x * sympy.sin(y), x**2 * sympy.cos(y)]


def test_directional_derivative_of_the_conventions_example():
    """f = x^2 + y^2 at (1, 1) toward (3, 4): (2, 2)·(0.6, 0.8) = 2.8 (conventions §7)."""
    result = directional_derivative(x**2 + y**2, (x, y), (1, 1), (3, 4))
    assert result.gradient == [2.0, 2.0]
    assert result.direction == (3, 4)
    assert result.unit_direction == pytest.approx([0.6, 0.8], rel=1e-15)
    assert result.direction_norm == 5.0
    assert result.value == pytest.approx(2.8, rel=1e-15)


@pytest.mark.parametrize("alpha", [0.0, math.pi / 6, 2.0, -math.pi / 4])
def test_directional_derivative_along_an_angle_equals_the_sympy_closed_form(alpha):
    f = x**2 * y + sympy.exp(x - y)
    point = (sympy.Rational(1, 2), sympy.Rational(3, 2))
    a = sympy.nsimplify(alpha, [sympy.pi])
    at = dict(zip((x, y), point, strict=True))
    closed = (sympy.diff(f, x) * sympy.cos(a) + sympy.diff(f, y) * sympy.sin(a)).subs(at)
    result = directional_derivative(
        f, (x, y), [float(p) for p in point], direction_from_angle(alpha)
    )
    assert result.value == pytest.approx(float(closed.evalf(30)), rel=1e-12)
    assert result.direction_norm == pytest.approx(1.0, rel=1e-15)


def test_steepest_ascent_is_the_normalized_gradient_with_rate_its_norm():
    f = 3 * x**2 + x * y * z + z
    direction, rate = steepest_ascent(f, (x, y, z), (1, 2, -1))
    grad = [sympy.diff(f, v).subs({x: 1, y: 2, z: -1}) for v in (x, y, z)]  # (4, -1, 3)
    norm = sympy.sqrt(sum(g**2 for g in grad))
    assert rate == pytest.approx(float(norm), rel=1e-15)
    assert direction == pytest.approx([float(g / norm) for g in grad], rel=1e-15)
    # No direction beats the steepest-ascent rate.
    for d in [(1, 0, 0), (0, 1, 0), (1, 1, 1), (4, -1, 3.01)]:
        assert directional_derivative(f, (x, y, z), (1, 2, -1), d).value <= rate


def test_zero_direction_and_critical_points_are_rejected():
    with pytest.raises(ValueError, match="zero vector"):
        directional_derivative(x * y, (x, y), (1, 1), (0, 0))
    with pytest.raises(ValueError, match="gradient is zero"):
        steepest_ascent(x**2 + y**2, (x, y), (0, 0))


def test_mismatched_lengths_and_unsupported_functions_are_rejected():
    with pytest.raises(ValueError, match="point has 1 values for 2 variables"):
        gradient(x * y, (x, y), (1,))
    with pytest.raises(ValueError, match="direction has 3 entries for 2 variables"):
        directional_derivative(x * y, (x, y), (1, 1), (1, 0, 0))
    with pytest.raises(ValueError, match="unsupported operation"):
        gradient(sympy.gamma(x), (x,), (1.5,))
    with pytest.raises(ValueError, match="unknown symbols"):
        gradient(x * z + sympy.sin(z), (x, y), (1, 1))
