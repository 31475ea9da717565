"""Item statistics against independent oracles: numpy's correlation for the point-biserial
discrimination and a direct computation of Kelley's upper-lower index."""

import numpy as np
import pytest

from quizgen.gradebook import Answer
from quizgen.grading import Verdict
from quizgen.model import Question, Quiz
from quizgen.report import build_report, pearson, terminal_table, upper_lower_index


def test_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 2, 40).astype(float)
        y = rng.normal(size=40) + x
        assert pearson(list(x), list(y)) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_upper_lower_index_by_hand():
    totals = list(range(100))
    item = [1.0 if t >= 50 else 0.0 for t in totals]
    assert upper_lower_index(item, totals) == 1.0  # 27 best all right, 27 worst all wrong
    item = [1.0 if t % 2 else 0.0 for t in totals]
    k = round(0.27 * 100)
    expected = np.mean(item[-k:]) - np.mean(item[:k])
    assert upper_lower_index(item, totals) == pytest.approx(expected)
    assert upper_lower_index([1.0], [1.0]) is None


def question(qid, points):
    return Question(id=qid, family=f"fam.{qid}", kind="number", params={}, prompt={"en": ""},
                    answer=1.0, answer_tex="1", tolerance={}, points=points,
                    solution={"en": []}, mistakes=[])


def test_report_counts_mistakes_wrong_answers_and_pending():
    quiz = Quiz(0, "t", "en", [question("q1", 1.0), question("q2", 2.0)], {})
    right = Verdict("correct", 1.0, "", "1")
    answers = []
    for i in range(10):
        good = i % 3 != 0
        wrong = Verdict("incorrect", 0.0, "", "0.5", "numeric", "halved" if i % 2 else None)
        answers.append(Answer(f"s{i}", "q1", "1" if good else "0.5", right if good else wrong,
                              1.0 if good else 0.0, 1.0))
        answers.append(Answer(f"s{i}", "q2", "2", right if i > 4 else None,
                              2.0 if i > 4 else 0.0, 2.0))
    report = build_report(quiz, answers)
    q1, q2 = report.items
    assert q1.difficulty == pytest.approx(6 / 10)
    assert q1.wrong_answers[0].text == "0.5" and q1.wrong_answers[0].count == 4
    assert q1.mistakes == [("halved", 2)]
    assert q2.n == 5 and report.pending == 5 and q2.discrimination is None
    scores = {s.student: s.points for s in report.students}
    assert scores["s8"] == 3.0 and scores["s9"] == 2.0 and scores["s0"] == 0.0
    assert "5 answers await" in terminal_table(report)
