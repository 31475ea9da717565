"""Expressions: equivalent forms are correct at random points, SymPy settles the rest in time."""

import pytest
import sympy

from quizgen.grading import check, symbolic

EQUIVALENT = [
    ("2/(a+b)", "2/(b+a)", ["a", "b"]),
    ("2*x", "2x", ["x"]),
    ("2*x", "x+x", ["x"]),
    ("(2/3)*x", "2/3x", ["x"]),
    ("a^2 - b^2", "(a+b)(a-b)", ["a", "b"]),
    ("sin(2*x)", "2 sin(x) cos(x)", ["x"]),
    ("sin(2*x)", r"2\sin x\cos x", ["x"]),
    ("1", "sin(x)^2 + cos(x)^2", ["x"]),
    ("1", "sin^2 x + cos^2 x", ["x"]),
    ("exp(x)", "e^{x}", ["x"]),
    ("exp(x)", r"\exp(x)", ["x"]),
    ("2*x*cos(y) + exp(x)", r"2x\cos(y) + e^x", ["x", "y"]),
    ("x^2", "x²", ["x"]),
    ("x^(-1)", "1/x", ["x"]),
    ("sqrt(x)", "x^(1/2)", ["x"]),
    ("sqrt(x)", r"\sqrt{x}", ["x"]),
    ("sqrt(x)", "√x", ["x"]),
    ("x/(1+x)", r"\frac{x}{1+x}", ["x"]),
    ("x/(1+x)", r"\dfrac{x}{x+1}", ["x"]),
    ("lr*g/(sqrt(v)+eps)", r"\frac{lr \cdot g}{\sqrt{v} + eps}", ["lr", "g", "v", "eps"]),
    ("alpha*x", "αx", ["alpha", "x"]),
    ("alpha*x", r"\alpha x", ["α", "x"]),
    ("2*beta_1", "2β₁", ["beta_1"]),
    ("2*x_in", "2 x_{in}", ["x_{in}"]),
    ("pi*r^2", "πr²", ["r"]),
    ("log(x)", "ln x", ["x"]),
    ("log(x)", r"\ln(x)", ["x"]),
    ("e*x", "ex", ["x"]),
    ("e^2", "e^2", ["e"]),  # a declared e is a variable, not Euler's number
    ("1/(1+exp(-x))", "1/(1+e^(-x))", ["x"]),
    ("tanh(x)", "(e^x - e^-x)/(e^x + e^-x)", ["x"]),
    ("abs(x)", "|x|", ["x"]),
    ("x*y", "xy", ["x", "y"]),
    ("x*sin(x)", "xsin(x)", ["x"]),
    ("2*x", "（2x）", ["x"]),
    ("2*x", "$2 x$", ["x"]),
]


@pytest.mark.parametrize("expected, answer, variables", EQUIVALENT)
def test_equivalent_forms_are_correct(expected, answer, variables):
    verdict = check(expected, answer, variables=variables)
    assert verdict.status == "correct", verdict
    assert verdict.method == "random-points"


WRONG = [
    ("2/(a+b)", "2/a+b", ["a", "b"]),
    ("2*x", "x^2", ["x"]),
    ("sin(2*x)", "2 sin(x)", ["x"]),
    ("exp(x)", "exp(-x)", ["x"]),
    ("x/(1+x)", "x/1+x", ["x"]),
    ("a^2 - b^2", "(a-b)^2", ["a", "b"]),
    ("x*y", "x+y", ["x", "y"]),
]


@pytest.mark.parametrize("expected, answer, variables", WRONG)
def test_wrong_forms_are_incorrect(expected, answer, variables):
    verdict = check(expected, answer, variables=variables)
    assert verdict.status == "incorrect", verdict
    assert verdict.score == 0.0
    assert "differ at" in verdict.feedback


def test_interpreted_shows_implicit_products_and_precedence():
    assert check("2*x/3", "2/3x", variables=["x"]).interpreted == "(2/3)*x"
    assert check("x", "2 sin x cos x", variables=["x"]).interpreted == "2*sin(x)*cos(x)"
    assert check("x", "sin^2 x", variables=["x"]).interpreted == "sin(x)^2"
    assert check("x", "-x^2", variables=["x"]).interpreted == "-x^2"
    assert check("x", "(-x)^2", variables=["x"]).interpreted == "(-x)^2"
    assert check("x", "xsin(x)", variables=["x"]).interpreted == "x*sin(x)"


def test_unknown_variable_is_named_with_its_position():
    verdict = check("2*x", "2*x + y", variables=["x"])
    assert verdict.status == "invalid"
    assert "'y'" in verdict.feedback and "position 7" in verdict.feedback
    assert "the variables are x" in verdict.feedback
    assert "变量" in check("2*x", "z", variables=["x"], lang="zh").feedback


def test_disagreement_at_a_minority_of_points_is_still_incorrect():
    # x and |x| agree at every positive point and differ at the negative ones
    verdict = check("x", "|x|", variables=["x"])
    assert verdict.status == "incorrect"
    assert "x = -" in verdict.feedback


def test_sympy_decides_when_too_few_points_are_usable():
    # exp(50000x) overflows (or vanishes) at every sample point (|x| >= 0.1): no point counts
    expected = "exp(50000*x)/exp(50000*x)"
    assert check(expected, "1", variables=["x"]).method == "sympy"
    assert check(expected, "1", variables=["x"]).status == "correct"
    wrong = check(expected, "2", variables=["x"])
    assert (wrong.status, wrong.method) == ("incorrect", "sympy")


def test_a_check_that_runs_out_of_time_is_invalid_not_a_hang(monkeypatch):
    # exp(50000x) overflows at every sample point: only SymPy can decide, and it gets 0.1 ms
    undecided = "exp(50000*x)*(sin(x)^2 + cos(x)^2)/exp(50000*x)"
    monkeypatch.setattr(symbolic, "TIME_LIMIT", 1e-4)
    verdict = check(undecided, "1", variables=["x"])
    assert verdict.status == "invalid"
    assert "in time" in verdict.feedback
    assert verdict.method == "timeout" and verdict.timed_out
    monkeypatch.undo()
    from quizgen.grading.workers import POOL

    assert POOL.ready(60)  # the overrun worker was killed and a fresh one started
    assert check(undecided, "1", variables=["x"]).status == "correct"


def test_named_expression_mistake_matches():
    mistakes = [{"name": "chain_rule", "value": "cos(x^2)",
                 "feedback": {"en": "Apply the chain rule.", "zh": "使用链式法则。"}}]
    verdict = check("2*x*cos(x^2)", "cos(x²)", variables=["x"], mistakes=mistakes, lang="zh")
    assert (verdict.status, verdict.mistake, verdict.feedback) == (
        "incorrect", "chain_rule", "使用链式法则。")


def test_sympy_conversion_matches_sympy_reading_of_the_same_trusted_text():
    from quizgen.grading.parser import parse

    x, y = sympy.symbols("x y")
    for text in ["2*x*cos(y) + exp(x)", "x^3 - 2/(x+y)", "sqrt(x)*log(y)", "tanh(x)/abs(y)"]:
        ours = symbolic.to_sympy(parse(text, ("x", "y")), {"x": x, "y": y})
        oracle = sympy.sympify(text.replace("^", "**"), locals={"x": x, "y": y})
        assert sympy.simplify(ours - oracle) == 0


def test_numeric_evaluation_matches_sympy_at_a_point():
    from quizgen.grading.numeric import evaluate_scalar
    from quizgen.grading.parser import parse

    x = sympy.Symbol("x")
    for text in ["sin(x)^2 + 3*x", "exp(-x)/(1+x^2)", "atan(x) + sinh(x)", "x^(1/3) + tan(x)"]:
        ours = evaluate_scalar(parse(text, ("x",)), {"x": 0.7})
        oracle = sympy.sympify(text.replace("^", "**"), locals={"x": x}).subs(x, 0.7).evalf()
        assert ours == pytest.approx(float(oracle), rel=1e-12)


def test_expected_expression_is_parsed_once_per_question():
    from quizgen.grading.reading import expected_expression

    expected_expression.cache_clear()
    for answer in ["2x", "x+x", "3x"]:
        check("2*x", answer, variables=["x"])
    info = expected_expression.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_an_answer_undefined_wherever_the_key_is_defined_is_incorrect_without_sympy():
    import time

    from quizgen.grading import check

    check("2*x", "x+x", kind="expression", variables=["x"])  # warm: numpy's first import
    for answer in ("1/0", "sqrt(-1)", "log(-1-x^2)"):
        start = time.perf_counter()
        verdict = check("2*x", answer, kind="expression", variables=["x"])
        assert verdict.status == "incorrect" and verdict.method == "random-points", answer
        assert time.perf_counter() - start < 0.5  # SymPy alone takes seconds for these
    # Equivalent where both are defined still counts.
    assert check("log(x^2)", "2*log(x)", kind="expression", variables=["x"]).status == "correct"
