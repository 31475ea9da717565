"""Any answer of at most 2,000 characters costs a bounded time, whatever its shape.

Hypothesis generates answers from the grader's own grammar and from mutations of the shapes
that once hung it (repeated separators, nested brackets, long digit runs, stacked operators and
exponents, repeated postfix operators, huge literals, function powers). A verdict must come
back, never raise, and take at most its budget: a fraction of a second unless the time-limited
SymPy fallback had to decide (then at most the verdict's time limit).
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.grading import check
from quizgen.grading.context import VERDICT_TIME_LIMIT
from quizgen.grading.normalize import MAX_LENGTH
from quizgen.web.preview import preview

FAST = 0.5  # CPU seconds of this process for a verdict; typical is < 5 ms
WALL = VERDICT_TIME_LIMIT + 2.0  # wall seconds, whatever the machine's load
KINDS = [("number", 1.0, ()), ("vector", [1, 2], ()), ("expression", "x*y", ("x", "y")),
         ("vector", ["x", "2*y"], ("x:real", "y:positive"))]

atoms = st.sampled_from(["1", "0", "2.5", "1e-3", "9" * 40, ".5", "x", "y", "pi", "e", "π",
                         "√2", "½", "10^-3", "x_1", r"\alpha", "1111111111"])
functions = st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "sigmoid", "relu", "max",
                             "min", "floor", "erf", "tanh", "abs", r"\sqrt", r"\frac"])


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**", " ", ",", ";"]),
                  children).map("".join),
        st.tuples(functions, st.sampled_from(["(", "{", " ", "^2 ", "^(", "["]), children,
                  st.sampled_from([")", "}", "", ", 1)", "]"])).map("".join),
        children.map(lambda c: f"({c})"), children.map(lambda c: f"[{c}]"),
        children.map(lambda c: f"{c}!"), children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"|{c}|"),
    )


grammar = st.recursive(atoms, _combine, max_leaves=60)


@st.composite
def mutated_shapes(draw):
    """The shapes of the inputs that hung the grader once, repeated to the length limit."""
    unit = draw(st.sampled_from([
        "1111,", "1,", "[1,", "(", "[", "1^", "^1", "!", "-", "+-", "sin^", "x", "9", "1e",
        "2**", r"\frac{", r"\sqrt{", "sin^(3!)", "1" * 20 + ",", "√", "x_{", "|", "e^",
        "max(1,", "((1)", "1.", "..", "=", "\\", "π", "²", "⁻", "ab",
    ]))
    head = draw(st.sampled_from(["", "[", "(", "x", "1", "-"]))
    tail = draw(st.sampled_from(["", "x", "]", ")", "1", "!", ",", "x]", "1!"]))
    times = draw(st.integers(1, MAX_LENGTH // len(unit)))
    text = head + unit * times + tail
    return text[:MAX_LENGTH]


def _assert_bounded(answer: str) -> None:
    for kind, expected, variables in KINDS:
        start, cpu = time.perf_counter(), time.thread_time()
        verdict = check(expected, answer, kind=kind, variables=variables)
        elapsed, used = time.perf_counter() - start, time.thread_time() - cpu
        assert verdict.status in ("correct", "incorrect", "invalid")
        # SymPy works in another process, under the verdict's deadline: wall time bounds it
        assert used < FAST, (answer[:80], len(answer), kind, used, verdict)
        assert elapsed < WALL, (answer[:80], len(answer), kind, elapsed, verdict)


@pytest.fixture(scope="module", autouse=True)
def _warm():
    # numpy's first import and the first SymPy worker are not an answer's cost
    check("exp(50000*x)/exp(50000*x)", "1", variables=["x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grammar)
def test_answers_from_the_grammar_cost_a_bounded_time(answer):
    _assert_bounded(answer)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_shapes())
def test_mutations_of_known_bad_shapes_cost_a_bounded_time(answer):
    _assert_bounded(answer)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(grammar, mutated_shapes()))
def test_a_preview_costs_a_bounded_time(answer):
    from quizgen.model import Question

    question = Question("q1", "f", "expression", {}, {"en": ""}, "x", "x", {}, 1.0, {}, [],
                        vars=["x", "y"])
    start = time.thread_time()
    preview(question, answer)
    assert time.thread_time() - start < FAST, answer[:80]


ISSUE_ROWS = [  # each row of the hostile-input issue's table
    ("[1,2]", "1111," * 12 + "x", ()),
    ("[1,2]", "[" + ",".join(["1" * 20] * 5) + "x]", ()),
    ("1", "^".join(["1"] * 24), ()),
    ("1", "1" + "!" * 20, ()),
    ("1", "sin^(3000000!) 1", ()),
    ("[1,2]", "[" + "1" * 20 + "," + "1" * 20 + "," * 100 + "x]", ()),
    ("[1,2]", ("1111," * 400)[:1999] + "x", ()),  # the list shape at the length limit
    ("1", "^".join(["1"] * 999), ()),
    ("1", "1" + "!" * 1999, ()),
]


@pytest.mark.parametrize("expected, answer, variables", ISSUE_ROWS)
def test_each_shape_that_hung_the_grader_is_fast(expected, answer, variables):
    start = time.thread_time()
    verdict = check(expected, answer, variables=variables)
    assert time.thread_time() - start < FAST, verdict
    assert verdict.status in ("correct", "incorrect", "invalid")


def test_points_no_one_can_predict_catch_a_term_that_vanishes_for_positive_x():
    # sqrt(x^2) - x is 0 for x > 0: with fixed, all-positive points this was "correct"
    answer = "2*x*cos(y) + (sqrt(x^2)-x)*(x+y+1)^60"
    for _ in range(20):
        assert check("2*x*cos(y)", answer, variables=["x", "y"]).status == "incorrect"


def test_points_are_reproducible_with_the_same_secret_and_differ_without_it():
    from quizgen.grading.points import sample_points, seed_for
    from quizgen.grading.variables import parse_variables

    variables = parse_variables(["x", "n:positive_integer", "b:unit_interval", "k:integer"])
    one = sample_points(variables, seed_for(b"s" * 32, variables, "2x"))
    again = sample_points(variables, seed_for(b"s" * 32, variables, "2x"))
    other = sample_points(variables, seed_for(b"t" * 32, variables, "2x"))
    assert all((one[v] == again[v]).all() for v in one)
    assert any((one[v] != other[v]).any() for v in one)
    x, n, b, k = (one[name].real for name in ("x", "n", "b", "k"))
    assert (x < 0).sum() >= 3 and (x > 0).sum() >= 3  # real variables take both signs
    assert (n >= 1).all() and (n == n.round()).all()
    assert ((0 < b) & (b < 1)).all() and (b > 0.9).sum() >= 3  # betas near 1 too
    assert (k == k.round()).all() and (k < 0).any() and (k > 0).any()
