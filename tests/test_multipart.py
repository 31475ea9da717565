"""Multi-part questions: a verdict per part, follow-through from the student's own earlier
answers, quiz.json quizgen/2, answer columns "q1.b"."""

import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from quizgen.batch import answer_ids, grade_submissions
from quizgen.model import Mistake, Part, Question, Quiz, QuizFileError
from quizgen.multipart import follow_through_value, grade_parts, question_score

# clip_grad_norm_ on g = (3, 4) with max_norm 1: the total norm, the coefficient, the result
B = 1 / (5 + 1e-6)


def clip_question() -> Question:
    def part(pid, kind, answer, points, uses=(), formula="", mistakes=()):
        return Part(pid, {"en": f"({pid})", "zh": f"（{pid}）"}, kind, answer, str(answer),
                    {"rtol": 1e-6, "atol": 1e-9}, points, {"en": ["…"], "zh": ["…"]},
                    list(mistakes), uses=list(uses), formula=formula)

    squared = Mistake("squared_norm", 25.0, {"en": "That is the squared norm.",
                                              "zh": "这是范数的平方。"})
    parts = [part("a", "number", 5.0, 1.0, mistakes=[squared]),
             part("b", "number", B, 1.0, ["a"], "min(1, 1/(a + 1e-6))"),
             part("c", "vector", [3 * B, 4 * B], 2.0, ["b"], "[3*b, 4*b]")]
    return Question("q1", "clipping.clip_grad_norm", "parts", {}, {"en": "Clip g = (3, 4).",
                    "zh": "裁剪 g = (3, 4)。"}, [p.answer for p in parts], "", {}, 4.0,
                    {"en": [], "zh": []}, [], parts=parts)


def test_each_part_gets_its_own_verdict():
    q = clip_question()
    verdicts = grade_parts(q, {"a": "5", "b": "0.25", "c": "[0.6, 1]"})  # c fits neither
    assert [verdicts[p].status for p in "abc"] == ["correct", "incorrect", "incorrect"]
    right = grade_parts(q, {"a": "5", "b": repr(B), "c": f"[{3 * B!r}, {4 * B!r}]"})
    assert all(v.status == "correct" and v.method != "follow-through" for v in right.values())
    assert question_score(q, right) == 1.0


def test_a_later_part_right_for_a_wrong_earlier_one_follows_through():
    q = clip_question()
    b = 1 / (7 + 1e-6)  # the student read the norm as 7
    verdicts = grade_parts(q, {"a": "7", "b": repr(b), "c": f"[{3 * b!r}, {4 * b!r}]"})
    assert verdicts["a"].status == "incorrect"
    for pid in "bc":
        v = verdicts[pid]
        assert (v.status, v.method, v.score) == ("correct", "follow-through", 1.0)
        assert "follow-through" in v.feedback
    assert question_score(q, verdicts) == pytest.approx(3 / 4)


@pytest.mark.parametrize("mode, status, score", [("full", "correct", 1.0),
                                                 ("half", "correct", 0.5),
                                                 ("off", "incorrect", 0.0)])
def test_the_quiz_decides_the_credit_for_follow_through(mode, status, score):
    b = 1 / (7 + 1e-6)
    verdict = grade_parts(clip_question(), {"a": "7", "b": repr(b)}, follow_through=mode)["b"]
    assert (verdict.status, verdict.score, verdict.method) == (status, score, "follow-through")


def test_a_named_mistake_in_a_part_keeps_its_feedback_and_is_followed_through():
    verdicts = grade_parts(clip_question(), {"a": "25", "b": repr(1 / (25 + 1e-6))}, lang="zh")
    assert (verdicts["a"].mistake, verdicts["a"].feedback) == ("squared_norm", "这是范数的平方。")
    assert verdicts["b"].method == "follow-through" and "（a）" in verdicts["b"].feedback


def test_a_bad_or_empty_part_never_spoils_another():
    q = clip_question()
    verdicts = grade_parts(q, {"a": "__import__('os')", "b": repr(B), "c": ""})
    assert verdicts["a"].status == "invalid"
    assert verdicts["b"].status == "correct"  # right by the key, whatever (a) was
    assert verdicts["c"].status == "invalid"  # empty
    # nothing to follow through from an unreadable (a): (b) wrong stays wrong
    assert grade_parts(q, {"a": "x!", "b": "0.3"})["b"].method != "follow-through"


def test_follow_through_values_come_from_the_formula_at_the_students_values():
    part = clip_question().parts[2]
    assert follow_through_value(part, {"b": 0.5}) == [1.5, 2.0]
    assert follow_through_value(part, {"b": None}) is None
    assert follow_through_value(part, {}) is None


def _quiz(follow_through="full") -> Quiz:
    plain = Question("q2", "f", "number", {}, {"en": "?"}, 0.5, "", {}, 1.0,
                     {"en": []}, [])
    return Quiz(seed=3, topic="clipping", lang="en", questions=[clip_question(), plain],
                created_with={}, follow_through=follow_through)


def test_quiz_json_with_parts_is_quizgen_2_and_reads_back(tmp_path: Path):
    quiz = _quiz("half")
    quiz.save(tmp_path / "quiz.json")
    data = json.loads((tmp_path / "quiz.json").read_text(encoding="utf-8"))
    assert data["format"] == "quizgen/2" and data["follow_through"] == "half"
    assert [p["id"] for p in data["questions"][0]["parts"]] == ["a", "b", "c"]
    assert "parts" not in data["questions"][1]
    again = Quiz.load(tmp_path / "quiz.json")
    assert again == quiz
    assert answer_ids(again) == ["q1.a", "q1.b", "q1.c", "q2"]


def test_a_quiz_without_parts_is_still_quizgen_1(tmp_path: Path):
    quiz = replace(_quiz(), questions=_quiz().questions[1:])
    data = json.loads(quiz.to_json())
    assert data["format"] == "quizgen/1" and "follow_through" not in data


@pytest.mark.parametrize("change, field", [
    (lambda p: p[1].update(uses=["z"]), "uses"),  # uses a part that does not come earlier
    (lambda p: p[1].update(formula=""), "formula"),  # uses without a formula
    (lambda p: p[2].update(id="a"), "id"),  # two parts with one id
    (lambda p: p[0].update(kind="essay"), "kind"),
])
def test_a_malformed_part_is_named(tmp_path: Path, change, field):
    data = json.loads(_quiz().to_json())
    change(data["questions"][0]["parts"])
    with pytest.raises(QuizFileError, match=f"question 1 \\(q1\\), part \\d.*'{field}'"):
        Quiz.from_dict(data)


def test_answer_columns_name_the_parts_and_results_have_a_row_per_part(tmp_path: Path):
    quiz = _quiz()
    quiz.save(tmp_path / "quiz.json")
    b = 1 / (7 + 1e-6)
    rows = [["student", "q1.a", "q1.b", "q1.c", "q2"],
            ["ann", "5", repr(B), f"[{3 * B!r}, {4 * B!r}]", "0.5"],
            ["bob", "7", repr(b), f"[{3 * b!r}, {4 * b!r}]", "1/2"]]
    with (tmp_path / "answers.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    result = subprocess.run([sys.executable, "-m", "quizgen.cli", "grade", "quiz.json",
                             "answers.csv", "--out", "results.csv"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with (tmp_path / "results.csv").open(encoding="utf-8") as f:
        out = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    assert {q for _, q in out} == {"q1.a", "q1.b", "q1.c", "q2"}
    assert out[("bob", "q1.c")]["status"] == "correct"
    assert "follow-through" in out[("bob", "q1.c")]["feedback"]
    graded = grade_submissions(quiz, [("bob", dict(zip(rows[0][1:], rows[2][1:])))])
    assert graded[0].score == pytest.approx(3 + 1)  # 3 of q1's 4 points, and q2
