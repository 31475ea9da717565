"""Killing `quizgen grade --db` mid-batch (SIGKILL: no cleanup, no atexit) loses nothing it had
reported: every student line it printed is in the gradebook with the printed score, the
database passes SQLite's integrity check, and running the same command again completes the
batch without a duplicate."""

import csv
import os
import signal
import subprocess
import sys

import pytest

from quizgen.gradebook import Gradebook
from quizgen.model import Quiz

N_STUDENTS = 4000
QUIZGEN = [sys.executable, "-m", "quizgen.cli"]


@pytest.fixture(scope="module")
def quiz_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("durable")
    made = subprocess.run([*QUIZGEN, "make", "--topic", "optimizers", "--count", "3", "--seed",
                           "4", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    return out


def test_sigkill_mid_batch_loses_nothing_reported_and_rerun_completes(quiz_dir):
    quiz = Quiz.load(quiz_dir / "quiz.json")
    answers = quiz_dir / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *(q.id for q in quiz.questions)])
        for i in range(N_STUDENTS):  # distinct texts: every answer is a new submission row
            w.writerow([f"u{i:05d}", *(f"{i % 7}.{i}" for _ in quiz.questions)])
    db = quiz_dir / "gradebook.sqlite"
    command = [*QUIZGEN, "grade", str(quiz_dir / "quiz.json"), str(answers), "--db", str(db)]

    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    reported = []
    for line in child.stdout:
        reported.append(line)
        if len(reported) >= 60:
            break
    # The pipe fills and blocks the grader long before it finishes: it is mid-batch here.
    os.kill(child.pid, signal.SIGKILL)
    reported += child.stdout.readlines()  # what it had printed before it died
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    scores = {}
    for line in reported:
        if line.startswith("u"):
            student, score, _, total = line.split()
            scores[student] = float(score)
    assert 60 <= len(scores) < N_STUDENTS

    with Gradebook(db, create=False) as book:
        assert book.integrity_ok()
        record = book.load_record(quiz)
        stored: dict[str, float] = {}
        count: dict[str, int] = {}
        for a in book.answers(record):
            stored[a.student] = stored.get(a.student, 0.0) + a.points
            count[a.student] = count.get(a.student, 0) + 1
        for student, score in scores.items():
            assert count[student] == len(quiz.questions)
            assert stored[student] == pytest.approx(score)
        assert len(stored) < N_STUDENTS  # the kill did interrupt the batch

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with Gradebook(db, create=False) as book:
        assert book.integrity_ok()
        counts = book.counts()
        assert counts["submissions"] == counts["verdicts"] == N_STUDENTS * len(quiz.questions)
        assert counts["students"] == N_STUDENTS
        again = {}
        for a in book.answers(book.load_record(quiz)):
            again[a.student] = again.get(a.student, 0.0) + a.points
        for student, score in scores.items():
            assert again[student] == pytest.approx(score)


def test_an_earlier_answer_sent_again_is_the_latest_answer(tmp_path):
    from quizgen.batch import Submission
    from quizgen.gradebook import Gradebook
    from quizgen.sampling import make_quiz

    quiz = make_quiz("clipping.clip_grad_value", count=1, seed=3)
    qid = quiz.questions[0].id

    def send(book, record, text):
        book.grade(record, [Submission("ann", {qid: text}, "line 2")], source="a.csv")
        return {a.question_id: a.raw for a in book.answers(record)}[qid]

    with Gradebook(tmp_path / "book.sqlite") as book:
        record = book.register(quiz)
        assert send(book, record, "[1, 2]") == "[1, 2]"
        assert send(book, record, "[3, 4]") == "[3, 4]"
        assert send(book, record, "[1, 2]") == "[1, 2]"  # a, b, a: the last one counts
        before = book.dump()
        assert send(book, record, "[1, 2]") == "[1, 2]"
        assert book.dump() == before  # sending the latest again changes nothing
