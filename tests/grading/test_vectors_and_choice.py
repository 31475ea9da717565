"""Vectors and matrices entry by entry with partial credit; choices and true/false."""

import pytest

from quizgen.grading import check, infer_kind


@pytest.mark.parametrize("answer", ["[1, 0.5]", "(1, 1/2)", "1, 0.5", "[1，½]", "（1，0．5）",
                                    r"\begin{pmatrix}1 & \frac12\end{pmatrix}", "[[1],[0.5]]"])
def test_vector_notations_are_correct(answer):
    verdict = check([1, 0.5], answer)
    assert (verdict.status, verdict.method) == ("correct", "entrywise"), verdict


def test_partial_credit_is_the_fraction_of_correct_entries():
    verdict = check([1.0, 2.0, 3.0, 4.0], "[1, 2, 0, 0]")
    assert verdict.status == "incorrect"
    assert verdict.score == 0.5
    assert "2 of 4" in verdict.feedback and "3, 4" in verdict.feedback


def test_wrong_length_is_incorrect_with_both_shapes_named():
    verdict = check([1, 2, 3], "[1, 2]")
    assert (verdict.status, verdict.score) == ("incorrect", 0.0)
    assert "3 entries" in verdict.feedback and "2 entries" in verdict.feedback


def test_matrices_compare_entry_by_entry():
    expected = [[1, 2], [3, 4]]
    assert check(expected, "[[1, 2], [3, 4]]").status == "correct"
    assert check(expected, "[1, 2; 3, 4]").status == "correct"
    assert check(expected, r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}").status == "correct"
    verdict = check(expected, "[[1, 2], [3, 5]]")
    assert verdict.score == 0.75 and "(2, 2)" in verdict.feedback
    wrong_shape = check(expected, "[[1, 2, 3], [3, 4, 5]]")
    assert wrong_shape.score == 0.0 and "2×2" in wrong_shape.feedback


def test_ragged_matrix_is_invalid():
    assert check([[1, 2], [3, 4]], "[[1, 2], [3]]").status == "invalid"


def test_vector_entries_use_the_tolerance():
    assert check([1.0, 2.0], "[1.00001, 2]").status == "correct"
    assert check([1.0, 2.0], "[1.1, 2]", rtol=0.2).status == "correct"


def test_vector_mistake_matches_whole_vector():
    mistakes = [{"name": "swapped", "value": [2, 1], "feedback": {"en": "Order!", "zh": "顺序！"}}]
    verdict = check([1, 2], "[2, 1]", mistakes=mistakes)
    assert (verdict.mistake, verdict.feedback) == ("swapped", "Order!")


def test_expected_vector_may_be_text():
    assert check("[1, 2]", "(1, 2)").status == "correct"
    assert infer_kind("[1, 2]") == "vector"


def test_vector_of_expressions_compares_each_entry_symbolically():
    verdict = check(["2*x", "cos(y)"], "[x+x, cos(-y)]", kind="vector", variables=["x", "y"])
    assert verdict.status == "correct"
    partial = check(["2*x", "cos(y)"], "[2x, sin(y)]", kind="vector", variables=["x", "y"])
    assert partial.score == 0.5


def test_infer_kind_follows_the_documented_rules():
    assert infer_kind("2*x", ["x"]) == "expression"
    assert infer_kind([1, 2]) == "vector"
    assert infer_kind(0.5) == "number"
    assert infer_kind("2*sqrt(2)") == "number"
    assert infer_kind(True) == "choice"


@pytest.mark.parametrize("answer", ["B", "b", "(B)", "B.", "Ｂ", " b "])
def test_single_choice_accepts_label_spellings(answer):
    assert check("B", answer, kind="choice").status == "correct"


def test_single_choice_wrong_label_is_incorrect_with_mistake_feedback():
    mistakes = [{"name": "A", "value": "A", "feedback": {"en": "A ignores momentum.", "zh": "A"}}]
    verdict = check("B", "A", kind="choice", mistakes=mistakes)
    assert (verdict.status, verdict.score, verdict.mistake) == ("incorrect", 0.0, "A")


def test_multiple_choice_partial_credit_subtracts_wrong_picks():
    assert check(["A", "C"], "A, C", kind="choice").status == "correct"
    assert check(["A", "C"], "AC", kind="choice").status == "correct"
    assert check("A,C", "c、a", kind="choice").status == "correct"
    assert check(["A", "C"], "A", kind="choice").score == 0.5
    assert check(["A", "C"], "A, B", kind="choice").score == 0.0
    assert check(["A", "B", "C"], "A, B, D", kind="choice").score == pytest.approx(1 / 3)


@pytest.mark.parametrize("answer", ["true", "T", "yes", "对", "正确", "√"])
def test_true_false_synonyms(answer):
    assert check(True, answer).status == "correct"
    assert check(False, answer).status == "incorrect"


def test_empty_choice_is_invalid():
    assert check("B", "  ", kind="choice").status == "invalid"


@pytest.mark.parametrize("answer", ["(1, 2", "[1, 2)", "1, 2]", "(1, 2]"])
def test_unbalanced_brackets_around_a_plain_list_are_invalid(answer):
    assert check([1, 2], answer).status == "invalid"


def test_a_choice_answer_that_names_no_option_is_invalid_not_incorrect():
    from quizgen.grading import check

    verdict = check("B", "E", kind="choice", choices=["A", "B", "C", "D"])
    assert verdict.status == "invalid"
    assert "E" in verdict.feedback and "A, B, C, D" in verdict.feedback
    assert check("B", "c", kind="choice", choices=["A", "B", "C", "D"]).status == "incorrect"
    assert check("T", "对", kind="choice", choices=["T", "F"]).status == "correct"
