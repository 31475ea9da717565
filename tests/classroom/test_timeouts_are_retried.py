"""A verdict that ran out of time is stored as such, never memoized, and regrade tries it
again; the gradebook draws its sample points from its own secret, so regrade reproduces the
verdicts it does not retry."""

from quizgen.batch import Submission
from quizgen.gradebook import Gradebook
from quizgen.grading import symbolic
from quizgen.grading.workers import POOL
from quizgen.model import Question, Quiz

UNDECIDED = "exp(50000*x)*(sin(x)^2 + cos(x)^2)/exp(50000*x)"  # only SymPy can decide


def _quiz() -> Quiz:
    q = Question("q1", "f", "expression", {}, {"en": "?"}, UNDECIDED, "", {}, 2.0, {}, [],
                 vars=["x"])
    n = Question("q2", "f", "expression", {}, {"en": "?"}, "x^2", "", {}, 1.0, {}, [],
                 vars=["x"])
    return Quiz(seed=1, topic="t", lang="en", questions=[q, n], created_with={})


def test_a_timed_out_verdict_is_stored_and_regraded(tmp_path, monkeypatch):
    quiz = _quiz()
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record = book.register(quiz)
        monkeypatch.setattr(symbolic, "TIME_LIMIT", 1e-4)
        (graded,) = book.grade(record, [Submission("s1", {"q1": "1", "q2": "x*x"}, "row 1")])
        assert graded.answers["q1"].verdict.method == "timeout"
        assert graded.answers["q1"].verdict.status == "invalid"
        assert graded.answers["q2"].verdict.status == "correct"
        monkeypatch.undo()
        POOL.ready(60)  # the overrun worker was replaced: wait for the new one, as time passes
        before = book.answers(record)
        changes = book.regrade(record, before)
        assert [(c.question_id, c.after.status, c.points_after) for c in changes] == [
            ("q1", "correct", 2.0)]
        assert book.regrade(record, book.answers(record)) == []  # nothing left to retry


def test_every_quiz_gets_its_own_secret_and_keeps_it(tmp_path):
    quiz = _quiz()
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        first = book.register(quiz).secret
        assert first and len(first) == 32
        assert book.register(quiz).secret == first == book.load_record(quiz).secret
    other = Quiz(seed=2, topic="t", lang="en", questions=quiz.questions, created_with={})
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        assert book.register(other).secret != first
