"""A declarative family goes through the same pipeline as a Python one, with exact answers.

Oracles: Python's own Fraction arithmetic for label smoothing (independent of SymPy and of the
grader's parser), the grader for expression answers, and the built-in families' number format.
"""

from fractions import Fraction

import pytest
from bank_helpers import write

from question_bank import DIFFICULTIES
from question_bank._format import num
from quizgen.bank import load
from quizgen.batch import grade_answer
from quizgen.sampling import build_question, rng_for

SEEDS = range(200)


def _family(root, name, text):
    write(root, {f"course/{name}.toml": text})
    loaded = load([root])
    assert loaded.problems == [], loaded.problems
    (family,) = [f for f in loaded.families if f.id == f"course.{name}"]
    return family


def _question(family, seed):
    return build_question(family, rng_for(seed, family.id), DIFFICULTIES[seed % 3], "q1")


def test_label_smoothing_answers_equal_exact_fractions(bank):
    family = load([bank]).families[0]
    for seed in SEEDS:
        q = _question(family, seed)
        eps, k = Fraction(str(q.params["eps"])), q.params["K"]
        assert q.params["eps"] in (0.05, 0.1, 0.2) and 3 <= k <= 12
        exact = 1 - eps + eps / k
        assert q.answer == float(f"{float(exact):.12g}")
        assert q.params["p"] == float(exact)  # a derived parameter, stored as it is
        assert [m.value for m in q.mistakes] == [float(1 - eps), float(f"{float(eps / k):.12g}")]
        assert q.prompt["en"] == (f"With label smoothing ε = {num(float(eps))} over K = {k} "
                                  "classes, what is the true class's target?")
        assert q.solution["en"] == [rf"$1 - \varepsilon + \varepsilon/K = {num(float(exact), 8)}$"]
        assert q.origin["source"] == "bank" and q.origin["file"] == "course/label_smoothing.toml"


def test_decimals_are_exact_where_floats_are_not(tmp_path):
    """0.1 + 0.2 is 3/10 exactly, so the key is 0.3, not 0.30000000000000004."""
    family = _family(tmp_path / "b", "sum", """
[params]
a = 0.1
b = 0.2
n = { min = 0.1, max = 0.3, step = 0.1 }
[answer]
formula = "a + b + 0*n"
[prompt]
en = "{a} + {b}, with {n}?"
[[mistakes]]
name = "m1"
formula = "a"
feedback = "no"
[[mistakes]]
name = "m2"
formula = "b"
feedback = "no"
""")
    values = {_question(family, seed).params["n"] for seed in range(60)}
    assert values == {0.1, 0.2, 0.3}  # a grid of exact decimals, both ends included
    assert _question(family, 0).answer == 0.3 != 0.1 + 0.2


def test_a_mistake_that_equals_the_answer_is_resampled(tmp_path):
    """With a = 2 the mistake 2a is the answer a^2: every question built has a = 1 or 3."""
    family = _family(tmp_path / "b", "square", """
[params]
a = { choice = [1, 2, 3] }
[answer]
formula = "a^2"
[prompt]
en = "Square {a}."
[[mistakes]]
name = "doubled"
formula = "2*a"
feedback = "Squaring is not doubling."
[[mistakes]]
name = "plus"
formula = "a + 10"
feedback = "no"
""")
    seen = {_question(family, seed).params["a"] for seed in SEEDS}
    assert seen == {1, 3}


def test_placeholders_print_like_the_builtins_and_escape_braces(tmp_path):
    family = _family(tmp_path / "b", "tiny", r"""
[params]
lr = 0.00003
n = -2
[answer]
formula = "lr*n"
[prompt]
en = "Outside math lr = {lr}, n = {n}; inside $\\frac{{{lr}}}{{2}}$; braces {{x}}."
[[mistakes]]
name = "m1"
formula = "lr"
feedback = "no {answer}"
[[mistakes]]
name = "m2"
formula = "n"
feedback = "no"
""")
    q = _question(family, 0)
    assert q.prompt["en"] == (r"Outside math lr = $3 \times 10^{-5}$, n = -2; inside "
                              r"$\frac{3 \times 10^{-5}}{2}$; braces {x}.")
    assert q.mistakes[0].feedback["en"] == r"no $-6 \times 10^{-5}$"


def test_vector_and_matrix_answers(tmp_path):
    vector = _family(tmp_path / "b", "vec", """
kind = "vector"
[params]
K = { int = [3, 6] }
eps = 0.1
[answer]
formula = "[1 - eps + eps/K, eps/K]"
[prompt]
en = "Targets for K = {K}?"
[[mistakes]]
name = "m1"
formula = "[1 - eps, eps/K]"
feedback = "no"
[[mistakes]]
name = "m2"
formula = "[1, 0]"
feedback = "no"
""")
    q = _question(vector, 1)
    k = q.params["K"]
    assert q.answer == pytest.approx([0.9 + 0.1 / k, 0.1 / k], rel=1e-12)
    assert q.answer_tex.startswith("(") and grade_answer(q, repr(q.answer)).status == "correct"
    matrix = _family(tmp_path / "c", "mat", """
kind = "vector"
[params]
a = { int = [2, 5] }
[answer]
formula = "[[a, 1], [0, a]]"
[prompt]
en = "The matrix for {a}?"
[[mistakes]]
name = "m1"
formula = "[[1, a], [a, 0]]"
feedback = "no"
[[mistakes]]
name = "m2"
formula = "[[a, 0], [0, a]]"
feedback = "no"
""")
    q = _question(matrix, 2)
    a = q.params["a"]
    assert q.answer == [[a, 1], [0, a]] and q.answer_tex.startswith(r"\begin{pmatrix}")
    assert grade_answer(q, f"[[{a}, 1], [0, {a}]]").status == "correct"


SGD_STEP = """
kind = "expression"
variables = ["w:real", "g:real"]
[params]
lr = { choice = [0.1, 0.5] }
[answer]
formula = "w - lr*g"
[prompt]
en = "One SGD step with rate {lr}, in w and g?"
[[mistakes]]
name = "ascent"
formula = "w + lr*g"
feedback = "Descent subtracts."
[[mistakes]]
name = "no_lr"
formula = "w - g"
feedback = "Scale by the rate."
"""


def test_an_expression_answer_is_graded_symbolically(tmp_path):
    family = _family(tmp_path / "b", "sgd", SGD_STEP)
    q = _question(family, 0)
    lr = q.params["lr"]
    assert q.kind == "expression" and q.vars == ["w:real", "g:real"]  # as declared
    assert grade_answer(q, f"-(g*{lr} - w)").status == "correct"
    verdict = grade_answer(q, f"w + {lr} g")
    assert verdict.status == "incorrect" and verdict.mistake == "ascent"


def test_a_declarative_expression_family_validates_without_a_reference_hook(tmp_path):
    # a built-in expression family must compare itself with reference/ (evaluate); a course
    # bank's formula is its own definition, so validate asks no such hook of it
    from quizgen.validate import validate_family

    family = _family(tmp_path / "b", "sgd", SGD_STEP)
    report = validate_family(family, seeds=3, formats=[])
    assert not any("evaluate" in f for f in report.failures), report.failures


def test_a_formula_undefined_for_a_variant_names_file_key_and_values(tmp_path):
    family = _family(tmp_path / "b", "div", """
[params]
a = 3
[answer]
formula = "1/(a - 3)"
[prompt]
en = "{a}"
[[mistakes]]
name = "m1"
formula = "a"
feedback = "no"
[[mistakes]]
name = "m2"
formula = "a + 1"
feedback = "no"
""")
    from quizgen.bank import BankError

    with pytest.raises(BankError, match=r"div\.toml: answer\.formula: with a = 3, .*undefined"):
        _question(family, 0)


def test_declared_domains_reach_the_grader(tmp_path):
    """quiz.json holds "name:domain" as declared; on x > 0, |x| and x are the same answer."""
    family = _family(tmp_path / "b", "norm", """
kind = "expression"
variables = ["x:positive"]
[params]
c = { int = [2, 5] }
[answer]
formula = "c*sqrt(x^2)"
[prompt]
en = "Simplify {c} sqrt(x^2) for x > 0."
[[mistakes]]
name = "squared"
formula = "c*x^2"
feedback = "The root undoes the square."
[[mistakes]]
name = "no_c"
formula = "x"
feedback = "Keep the factor."
""")
    q = _question(family, 0)
    assert q.vars == ["x:positive"]
    assert grade_answer(q, f"{q.params['c']}*x").status == "correct"
    assert grade_answer(q, f"{q.params['c']}*abs(x)").status == "correct"
