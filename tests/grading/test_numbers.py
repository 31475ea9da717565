"""Numbers: every notation students type reads as the same value; tolerance and sigfigs decide."""

import pytest

from quizgen.grading import Verdict, check

MILLI = [
    "0.001", "1e-3", "1E-3", ".001", "1×10^-3", "1*10**-3", "10^{-3}", "10^(-3)", "1·10⁻³",
    "10⁻³", r"$10^{-3}$", r"1 \times 10^{-3}", r"\frac{1}{1000}", "1/1000", "１ｅ－３",
    "０．００１", "0。001", "1 × 10−3".replace("10−3", "10^−3"), "0.1%",
]


@pytest.mark.parametrize("answer", MILLI)
def test_every_notation_of_one_thousandth_is_correct(answer):
    verdict = check(0.001, answer)
    assert verdict.status == "correct", verdict
    assert verdict.score == 1.0
    assert verdict.method == "numeric"


@pytest.mark.parametrize(
    "expected, answer",
    [
        (0.5, r"\frac{1}{2}"), (0.5, r"\dfrac{1}{2}"), (0.5, r"\tfrac12"), (0.5, "½"),
        (3, "（1＋2）"), (3, "(1+2)"), (0.00316, "3.16·10⁻³"), (2.0, r"\sqrt{4}"),
        (2.0, "√4"), (2.0, r"\sqrt[3]{8}"), (-2.0, r"\sqrt[3]{-8}"), (3.14159265, "π"),
        (3.14159265, r"\pi"), (6.2831853, "2pi"), (2.718281828, "e"), (1.0, r"e^{0}"),
        (1.0, r"\left( \frac{1}{2} \right) \cdot 2"), (6.0, "3!"), (-1.0, "−1"), (1.0, "cos 0"),
        (1.0, r"\ln e"), (1.0, "log(e)"), (2.0, "lg 100"), (8.0, "2³"), (0.25, "2^-2"),
        (2.8284271247, "2*sqrt(2)"), ("2*sqrt(2)", "√8"), (0.75, "¾"), (12.0, "(2)(6)"),
        (5.0, "|−5|"), (2.0, "4 ÷ 2"), (-4.0, "-2^2"), (512.0, "2^3^2"),
    ],
)
def test_equivalent_number_forms_are_correct(expected, answer):
    assert check(expected, answer).status == "correct", check(expected, answer)


def test_default_tolerance_is_relative_1e_4():
    assert check(100.0, "100.009").status == "correct"
    assert check(100.0, "100.011").status == "incorrect"
    assert check(0.0, "1e-10").status == "correct"  # atol 1e-9
    assert check(0.0, "1e-8").status == "incorrect"


def test_explicit_tolerances_are_used():
    assert check(1.0, "1.05", rtol=0.1).status == "correct"
    assert check(1.0, "1.05", rtol=0.0, atol=0.01).status == "incorrect"
    assert check(1.0, "1.005", rtol=0.0, atol=0.01).status == "correct"


def test_significant_figures_compare_rounded_values():
    assert check(0.333333, "0.333", sigfigs=3).status == "correct"
    assert check(0.333333, "0.3333333", sigfigs=3).status == "correct"
    assert check(0.333333, "0.33", sigfigs=3).status == "incorrect"
    verdict = check(1234.5, "1230", sigfigs=3)
    assert (verdict.status, verdict.method) == ("correct", "sigfigs")


@pytest.mark.parametrize("answer", ["0.002", "1e-2", "-0.001", "10^3"])
def test_wrong_numbers_are_incorrect(answer):
    verdict = check(0.001, answer)
    assert verdict.status == "incorrect"
    assert verdict.score == 0.0
    assert answer.replace("^", "^") in verdict.feedback or verdict.interpreted in verdict.feedback


def test_named_mistake_gives_its_feedback_in_the_quiz_language():
    mistakes = [
        {"name": "forgot_bias_correction", "value": 0.01,
         "feedback": {"en": "Divide by 1 - beta^t.", "zh": "要除以 1 - beta^t。"}},
        {"name": "sign", "value": -0.1, "feedback": {"en": "Check the sign.", "zh": "检查符号。"}},
    ]
    verdict = check(0.1, "-1/10", mistakes=mistakes, lang="zh")
    assert verdict.status == "incorrect"
    assert verdict.mistake == "sign"
    assert verdict.feedback == "检查符号。"
    assert check(0.1, "0.01", mistakes=mistakes).feedback == "Divide by 1 - beta^t."
    assert check(0.1, "0.5", mistakes=mistakes).mistake is None


def test_model_mistake_objects_are_accepted():
    from quizgen.model import Mistake

    mistake = Mistake("squared", 4.0, {"en": "Do not square.", "zh": "不要平方。"})
    verdict = check(2.0, "2^2", mistakes=[mistake])
    assert (verdict.mistake, verdict.feedback) == ("squared", "Do not square.")


def test_unreadable_mistake_values_are_skipped():
    bad = {"name": "broken", "value": "__import__('os')", "feedback": {"en": "x"}}
    good = {"name": "half", "value": 0.5, "feedback": {"en": "Half.", "zh": "一半。"}}
    assert check(1.0, "0.5", mistakes=[bad, good]).mistake == "half"


def test_interpreted_shows_how_the_input_was_read():
    assert check(0.001, "1×10^-3").interpreted == "1*10^(-3)"
    assert check(0.001, "  1e-3 ").interpreted == "1e-3"


def test_verdict_to_dict_is_the_documented_json_shape():
    import json

    verdict = check(1.0, "1")
    assert isinstance(verdict, Verdict)
    data = verdict.to_dict()
    assert set(data) == {"status", "score", "feedback", "interpreted", "method", "mistake"}
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    "answer, words",
    [
        ("1/0", ["Division by zero", "position 2"]),
        ("sqrt(-1)", ["not a real number"]),
        ("", ["empty"]),
        ("1 2", ["Two numbers", "position 3"]),
        ("2 +", ["ends too early"]),
        ("(1+2", ["never closed", "position 1"]),
        ("x + 1", ["Unknown name 'x'", "position 1"]),
        ("1, 2", ["single value", "2 values"]),
        ("x = 1", ["equation"]),
        ("log(0)", ["log", "undefined"]),
    ],
)
def test_invalid_numbers_say_where_and_why(answer, words):
    verdict = check(1.0, answer)
    assert verdict.status == "invalid"
    assert verdict.score == 0.0
    for word in words:
        assert word in verdict.feedback, verdict.feedback


def test_invalid_messages_are_translated():
    verdict = check(1.0, "1/0", lang="zh")
    assert verdict.feedback == "第 2 个字符处除数为零。"
    assert check(1.0, "2", lang="zh").feedback.startswith("不正确")
    assert check(1.0, "1", lang="zh").feedback == "正确。"


def test_position_points_into_the_text_as_typed_even_after_full_width_folding():
    # '＠' is not accepted; it is the 4th character of what the student typed
    verdict = check(3.0, "（1＠2）")
    assert verdict.status == "invalid"
    assert "position 3" in verdict.feedback


def test_trusted_expected_strings_are_parsed_safely():
    from quizgen.grading import ExpectedError

    assert check("2*sqrt(2)", "2.828427").status == "correct"
    with pytest.raises(ExpectedError):
        check("__import__('os')", "1")
