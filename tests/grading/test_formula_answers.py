"""Formula answers: exact equivalence over each variable's real domain, the field's vocabulary,
significant figures rounded as typed, tolerance edges. Rows read as STACK's answer-test tables:
(teacher's answer, student's answer, variables, expected status, why)."""

import json
import subprocess
import sys

import pytest
import sympy

from quizgen.grading import check, parse_variables
from quizgen.grading.nodes import render
from quizgen.grading.numeric import evaluate_scalar
from quizgen.grading.parser import parse
from quizgen.grading.symbolic import decide, symbol, to_sympy

ISSUE_TABLE = [
    ("sqrt(2/(fan_in+fan_out))", "sqrt(2)/sqrt(fan_in+fan_out)",
     ["fan_in:positive", "fan_out:positive"], "correct", "a square root split"),
    ("2*log(a)+log(b)", "log(a^2*b)", ["a:positive", "b:positive"], "correct", "log rules"),
    ("-log(p)", "log(1/p)", ["p:unit_interval"], "correct", "log of a reciprocal"),
    ("cos(pi*n)", "(-1)^n", ["n:integer"], "correct", "true at integers only"),
    ("x", "x + 10^-9", ["x"], "incorrect", "a near miss is a miss"),
    ("lr", "1.0001*lr", ["lr:positive"], "incorrect", "a near miss is a miss"),
    ("1/(1+exp(-x))", "sigmoid(x)", ["x"], "correct", "the field's vocabulary"),
    ("max(0, x)", "relu(x)", ["x"], "correct", "the field's vocabulary"),
]

FIELD_TABLE = [
    ("1/(1+exp(-x))", "σ(x)", ["x"], "correct", "σ is sigmoid when not a variable"),
    ("sigma*x", "σx", ["sigma", "x"], "correct", "σ is a variable when declared"),
    ("log(1+exp(x))", "softplus(x)", ["x"], "correct", ""),
    ("log(1+exp(x))", "x + log(1+exp(-x))", ["x"], "correct", "a stable rewrite"),
    ("min(a, b, c)", "-max(-a, -b, -c)", ["a", "b", "c"], "correct", "any arity"),
    ("max(a, b)", "(a + b + |a - b|)/2", ["a", "b"], "correct", ""),
    ("abs(x)", "x*sign(x)", ["x"], "correct", ""),
    ("floor(x)", "-ceil(-x)", ["x"], "correct", ""),
    ("log(1+x)", "log1p(x)", ["x:positive"], "correct", ""),
    ("exp(x) - 1", "expm1(x)", ["x"], "correct", ""),
    ("x*(1+erf(x/sqrt(2)))/2", "0.5x(1+erf(x/√2))", ["x"], "correct", "GELU, exact 0.5"),
    ("x*(1+erf(x/sqrt(2)))/2", "x*(1+erf(x))/2", ["x"], "incorrect", ""),
    ("sigmoid(x)*(1-sigmoid(x))", "1/(2+exp(x)+exp(-x))", ["x"], "correct",
     "18 digits cancel at x = 20: settled in high precision"),
    ("lr*sqrt(1-b2^t)/(1-b1^t)", "lr*sqrt(1-b2^(t-1))/(1-b1^(t-1))",
     ["lr:positive", "b1:unit_interval", "b2:unit_interval", "t:positive_integer"],
     "incorrect", "t - 1 for t"),
    ("log(1/2)/log(beta)", "log(0.5)/ln(beta)", ["beta:unit_interval"], "correct",
     "a typed decimal is its exact value"),
    ("x^2/3", "0.333333333333333*x^2", ["x"], "incorrect",
     "a 15-digit decimal is not 1/3: confirmed in high precision"),
    ("x", "sqrt(x^2)", ["x"], "incorrect", "|x| differs at negative x"),
    ("x", "sqrt(x^2)", ["x:positive"], "correct", "not for positive x"),
    ("1", "sqrt(k/m)*sqrt(m/k)", ["k", "m"], "correct",
     "undefined over the reals where k/m < 0, equal elsewhere"),
    ("((x-2)^3)^k", "(x-2)^(3k)", ["x", "k"], "correct",
     "both real only where x > 2: a larger sample decides"),
    ("n*(n+1)/2", "(n^2+n)/2", ["n:positive_integer"], "correct", ""),
]


@pytest.mark.parametrize("expected, answer, variables, status, why", ISSUE_TABLE + FIELD_TABLE)
def test_formula_table(expected, answer, variables, status, why):
    verdict = check(expected, answer, variables=variables)
    assert verdict.status == status, (why, verdict)
    assert verdict.method in ("random-points", "sympy")


@pytest.mark.parametrize("text, read_as", [
    ("sigmoid(x)", "sigmoid(x)"), ("σ(x)", "sigmoid(x)"), (r"\sigma(x)", "sigmoid(x)"),
    ("softplus x", "softplus(x)"), ("ReLU(x)", "relu(x)"), ("max(0,x)", "max(0, x)"),
    ("min(1, 2, x)", "min(1, 2, x)"), ("sgn(x)", "sign(x)"), ("floor(x)", "floor(x)"),
    ("ceil(x)", "ceil(x)"), ("log1p(x)", "log1p(x)"), ("expm1(x)", "expm1(x)"),
    ("erf(x)", "erf(x)"), (r"\max(x, 1)", "max(x, 1)"),
])
def test_the_vocabulary_reads_back(text, read_as):
    assert render(parse(text, ("x",))) == read_as


@pytest.mark.parametrize("text, value", [
    ("sigmoid(0)", 0.5), ("softplus(0)", 0.6931471805599453), ("relu(-2)", 0.0),
    ("max(1, 3, 2)", 3.0), ("min(1, 3, 2)", 1.0), ("sign(-2)", -1.0), ("floor(2.5)", 2.0),
    ("ceil(2.1)", 3.0), ("log1p(1)", 0.6931471805599453), ("expm1(0)", 0.0),
    ("erf(0.5)", 0.5204998778130465), ("sigmoid(-800)", 0.0), ("softplus(800)", 800.0),
])
def test_the_vocabulary_evaluates(text, value):
    assert evaluate_scalar(parse(text)) == pytest.approx(value, rel=1e-15, abs=1e-300)


def test_the_vocabulary_converts_to_sympy():
    x, y = sympy.symbols("x y", real=True)
    oracle = {
        "sigmoid(x)": 1 / (1 + sympy.exp(-x)), "softplus(x)": sympy.log(1 + sympy.exp(x)),
        "relu(x)": sympy.Max(0, x), "max(x, y, 1)": sympy.Max(x, y, 1),
        "min(x, y)": sympy.Min(x, y), "sign(x)": sympy.sign(x), "floor(x)": sympy.floor(x),
        "ceil(x)": sympy.ceiling(x), "log1p(x)": sympy.log(1 + x),
        "expm1(x)": sympy.exp(x) - 1, "erf(x)": sympy.erf(x),
    }
    for text, expected in oracle.items():
        assert to_sympy(parse(text, ("x", "y")), {"x": x, "y": y}) == expected, text


def test_sympy_symbols_carry_the_domains():
    variables = parse_variables(["n:positive_integer", "b:unit_interval", "x", "k:integer"])
    n, b, x, k = (symbol(v) for v in variables)
    assert n.is_integer and n.is_positive and b.is_positive and x.is_real and k.is_integer
    # true for positive a only: SymPy proves it with the assumptions, not without
    a_pos = parse_variables(["a:positive"])
    assert decide(parse("log(a^2)", ("a",)), parse("2*log(a)", ("a",)), a_pos) == "equivalent"


def test_an_unknown_domain_is_the_callers_error():
    from quizgen.grading import ExpectedError

    with pytest.raises(ExpectedError, match="unknown domain 'positve'"):
        check("x", "x", variables=["x:positve"])


def test_an_unknown_domain_on_the_command_line_is_bad_usage():
    result = subprocess.run([sys.executable, "-m", "quizgen.cli", "check", "x", "x", "--vars",
                             "x:positve"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown domain 'positve'" in result.stderr and "Traceback" not in result.stderr
    ok = subprocess.run([sys.executable, "-m", "quizgen.cli", "check", "2*log(a)+log(b)",
                         "log(a^2*b)", "--vars", "a:positive,b:positive"],
                        capture_output=True, text=True)
    assert json.loads(ok.stdout)["status"] == "correct"


def test_a_batch_line_declares_domains():
    from io import StringIO

    from quizgen.batch import check_batch

    lines = [{"expected": "-log(p)", "answer": "log(1/p)", "vars": ["p:unit_interval"]},
             {"expected": "x", "answer": "x", "vars": ["x:bogus"]}]
    out = StringIO()
    check_batch(StringIO("\n".join(json.dumps(c) for c in lines)), out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["status"] == "correct"
    assert second["status"] == "invalid" and "line 2: unknown domain 'bogus'" in second["feedback"]


@pytest.mark.parametrize("expected, answer, sigfigs, status", [
    (0.04985, "0.0499", 3, "correct"),  # half up, as typed: the float 0.04985 is below
    (0.04985, "0.0498", 3, "incorrect"),
    (61250, "61300", 3, "correct"),
    (61250, "61200", 3, "incorrect"),
    (0.04985, "0.049849", 3, "incorrect"),  # the student's decimal is rounded too
    (2.5, "3", 1, "correct"),
    (1 / 3, "0.333", 3, "correct"),
    (1 / 3, "0.33", 3, "incorrect"),
])
def test_significant_figures_round_the_decimal_as_typed_half_up(expected, answer, sigfigs,
                                                                status):
    assert check(expected, answer, sigfigs=sigfigs).status == status


@pytest.mark.parametrize("expected, answer, rtol, atol, status", [
    (1, "1.05", 0.05, 0, "correct"),  # exactly on the boundary: inside
    (1, "0.95", 0.05, 0, "correct"),
    (1, "1.0500001", 0.05, 0, "incorrect"),
    (0.1, "0.3", 0, 0.2, "correct"),  # 0.3 - 0.1 is 0.19999999999999998 in binary, 0.2 here
    (0.1, "0.30000001", 0, 0.2, "incorrect"),
    (100, "101", 0.01, 0, "correct"),
])
def test_a_value_on_the_tolerance_boundary_is_inside(expected, answer, rtol, atol, status):
    assert check(expected, answer, rtol=rtol, atol=atol).status == status


def test_tolerances_do_not_loosen_an_expression():
    # an expression answer is exact, whatever tolerance the question carries for numbers
    assert check("x", "1.0001*x", variables=["x"], rtol=1e-2).status == "incorrect"


def test_a_named_expression_mistake_in_the_fields_terms():
    mistakes = [{"name": "no_bias_correction", "value": "lr",
                 "feedback": {"en": "Divide by 1 - beta1^t.", "zh": "要除以 1 - β1^t。"}}]
    variables = ["lr:positive", "b1:unit_interval", "b2:unit_interval", "t:positive_integer"]
    verdict = check("lr*sqrt(1-b2^t)/(1-b1^t)", "lr", variables=variables, mistakes=mistakes)
    assert (verdict.status, verdict.mistake) == ("incorrect", "no_bias_correction")


@pytest.mark.parametrize("answer", ['"D"', "'D'", "“D”", '["D"]'])
def test_a_quoted_choice_label_is_read_as_the_label(answer):
    # key.csv of earlier versions wrote JSON; a teacher pasting it back gets the option
    assert check("D", answer, kind="choice", choices=["A", "B", "C", "D"]).status == "correct"


def test_quoted_labels_of_a_multiple_choice_key():
    verdict = check(["A", "B", "C"], '["A", "B", "C"]', kind="choice",
                    choices=["A", "B", "C", "D"])
    assert verdict.status == "correct"


def test_a_floor_that_differs_at_few_integer_points_is_caught_every_time():
    # floor((e+1)/s) differs from floor(e/s) only where s divides e+1 (~15% of the points):
    # 12 points let it through about one time in five; piecewise functions get 128
    variables = ["lr:positive", "gamma:unit_interval", "e:positive_integer",
                 "s:positive_integer"]
    for _ in range(100):
        verdict = check("lr*gamma^floor(e/s)", "lr*gamma^floor((e+1)/s)", variables=variables)
        assert verdict.status == "incorrect"


def test_an_answer_wrong_on_part_of_the_domain_is_caught_every_time():
    variables = ["eta_0:positive", "s:unit_interval", "W:positive_integer", "t:positive_integer"]
    for _ in range(300):
        assert check("eta_0*(s + (1 - s)*min(W, t)/W)", "eta_0*min(W, t)/W",
                     variables=variables).status == "incorrect"


def test_constant_answers_are_compared_at_every_point():
    mistakes = [{"name": "constant", "value": "2", "feedback": {"en": "Not a constant."}}]
    verdict = check("2*m*n/(m + n)", "2", variables=["m:positive", "n:positive"],
                    mistakes=mistakes)
    assert (verdict.status, verdict.mistake) == ("incorrect", "constant")
    assert check("2", "1 + 1", variables=["x"]).method == "random-points"  # no SymPy


@pytest.mark.parametrize("text", ["⌊t/s⌋", r"\lfloor t/s \rfloor",
                                  r"\left\lfloor t/s \right\rfloor"])
def test_floor_brackets(text):
    variables = ["t:positive_integer", "s:positive_integer"]
    assert check("floor(t/s)", text, variables=variables).status == "correct"
    assert render(parse("⌈x⌉", ("x",))) == "ceil(x)"
