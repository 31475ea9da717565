"""Grading a class: a malformed key or cell is reported and the rest of the batch is graded."""

from pathlib import Path

from quizgen.batch import grade_submissions, read_submissions
from quizgen.model import Mistake, Question, Quiz


def _question(qid, answer, kind="number"):
    return Question(id=qid, family="demo", kind=kind, params={}, prompt={"en": "?", "zh": "？"},
                    answer=answer, answer_tex="", tolerance={"rtol": 1e-4, "atol": 1e-9},
                    points=1.0, solution={"en": [], "zh": []},
                    mistakes=[Mistake("half", 0.25, {"en": "Halved.", "zh": "减半了。"})])


def _quiz(*questions):
    return Quiz(seed=0, topic="demo", lang="en", questions=list(questions), created_with={})


def test_a_malformed_key_makes_that_question_invalid_and_grades_the_rest():
    quiz = _quiz(_question("q1", "1/("), _question("q2", 0.5))
    (result,) = grade_submissions(quiz, [("alice", {"q1": "1", "q2": "1/2"})])
    assert result.verdicts["q1"].status == "invalid"
    assert "question q1" in result.verdicts["q1"].feedback
    assert result.verdicts["q2"].status == "correct" and result.score == 1.0


def test_csv_with_bom_blank_lines_and_short_rows(tmp_path: Path):
    quiz = _quiz(_question("q1", 0.5), _question("q2", 0.5))
    path = tmp_path / "answers.csv"
    path.write_text("\ufeffStudent,q1,q2\r\nalice,0.5,0.25\r\n\r\nbob,½\r\n", encoding="utf-8")
    rows = read_submissions(path, quiz)
    assert [r[0] for r in rows] == ["alice", "bob"]
    alice, bob = grade_submissions(quiz, rows)
    assert alice.verdicts["q2"].mistake == "half" and alice.verdicts["q2"].feedback == "Halved."
    assert bob.verdicts["q1"].status == "correct" and bob.verdicts["q2"].status == "invalid"


def test_check_batch_streams_verdicts_and_reports_progress():
    import io

    from quizgen.batch import check_batch

    lines = io.StringIO('{"expected": 1, "answer": "1"}\n' * 2500)
    out, progress = io.StringIO(), io.StringIO()
    assert check_batch(lines, out, progress=progress) == 2500
    assert out.getvalue().count('"correct"') == 2500
    assert progress.getvalue().endswith("\r2500 answers graded\n")
