"""Properties: random expressions in every rendering are correct, perturbations are incorrect,
random bytes never raise. SymPy's own printers are the independent oracle for the renderings."""

import re
import time

import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizgen.grading import check, symbolic

X, Y = sympy.symbols("x y")
VARIABLES = ["x", "y"]

leaves = st.sampled_from([X, Y, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2), sympy.pi])


def _combine(children):
    unary = st.tuples(st.sampled_from([sympy.sin, sympy.cos, sympy.exp, sympy.sqrt, sympy.Abs,
                                       sympy.tanh]), children).map(lambda t: t[0](t[1]))
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children).map(
        lambda t: {"+": t[1] + t[2], "-": t[1] - t[2], "*": t[1] * t[2], "/": t[1] / t[2]}[t[0]])
    power = st.tuples(children, st.sampled_from([2, 3, -1])).map(lambda t: t[0] ** t[1])
    return st.one_of(unary, binary, power)


expressions = st.recursive(leaves, _combine, max_leaves=6)


ALLOWED = {sympy.sin, sympy.cos, sympy.exp, sympy.Abs, sympy.tanh}


def _well_behaved(expr) -> bool:
    """Finite, not constant, small, and written with whitelisted functions only (SymPy may
    rewrite Abs(exp(x)) as exp(re(x)))."""
    functions = {type(f) for f in expr.atoms(sympy.Function)}
    # sqrt(-1) folds to I, which is no real expression (and no notation the grader reads)
    return (not expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)) and bool(
        expr.free_symbols) and sympy.count_ops(expr) < 25 and functions <= ALLOWED


def _unicode(expr) -> str:
    text = str(expr).replace("**", "^").replace("*", "·").replace("pi", "π")
    return text.replace("-", "−").replace("(", "（").replace(")", "）")


def _spaced(expr) -> str:
    return re.sub(r"([-+*/()^])", r"  \1 ", str(expr).replace("**", "^"))


RENDERINGS = [str, sympy.latex, _unicode, _spaced, lambda e: f"${sympy.latex(e)}$"]

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(expressions, st.sampled_from(RENDERINGS))
def test_any_rendering_of_the_expected_expression_is_correct(expr, rendering):
    assume(_well_behaved(expr))
    verdict = check(str(expr), rendering(expr), variables=VARIABLES)
    assert verdict.status == "correct", (str(expr), rendering(expr), verdict)


@FAST
@given(expressions, st.sampled_from([lambda e: e + 1, lambda e: 2 * e + X, lambda e: e * (1 + Y)]),
       st.sampled_from([str, sympy.latex]))
def test_a_perturbed_expression_is_incorrect(expr, perturb, rendering):
    assume(_well_behaved(expr))
    wrong = perturb(expr)
    assume(sympy.simplify(wrong - expr) != 0)
    # +1 on exp(exp(3)) ~ 5e8 is below any relative tolerance: keep perturbations visible
    assume(abs(complex(expr.subs({X: 0.7, Y: 1.3}).evalf())) < 1e4)
    verdict = check(str(expr), rendering(wrong), variables=VARIABLES)
    assert verdict.status == "incorrect", (str(expr), rendering(wrong), verdict)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace")),
                 st.text(max_size=300),
                 st.text(alphabet="0123456789+-*/^()[]{},.xye\\sqrtfacpi| ", max_size=80)))
def test_random_text_never_raises_and_is_fast(answer):
    # the SymPy worker starts once per process (not counted): warm it before timing anything
    check("exp(5000*x)/exp(5000*x)", "1", variables=["x"])
    for kind, expected, variables in [("number", 1.0, ()), ("expression", "x*y", VARIABLES),
                                      ("vector", [1, 2], ())]:
        start = time.perf_counter()
        verdict = check(expected, answer, kind=kind, variables=variables)
        elapsed = time.perf_counter() - start
        assert verdict.status in ("correct", "incorrect", "invalid")
        assert 0.0 <= verdict.score <= 1.0
        # a fraction of a second, unless the time-limited SymPy fallback had to decide
        limit = symbolic.TIME_LIMIT + 0.5 if verdict.method == "sympy" else 0.5
        assert elapsed < limit, (answer, elapsed, verdict)


@FAST
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-6))
def test_a_number_printed_any_way_is_correct(value):
    mantissa, exponent = f"{value:.12e}".split("e")
    power = int(exponent)
    for text in [repr(value), f"{value:.12e}", f"{mantissa}×10^{power}",
                 f"{mantissa}*10^{{{power}}}", f"{mantissa} \\times 10^{{{power}}}"]:
        assert check(value, text).status == "correct", text
    assert check(value, repr(value * 1.01)).status == "incorrect"
