"""Multi-part questions in the gradebook, on SQLite and PostgreSQL: each part is an answer of
its own (``q1.a``) with its own spec; a dependent part is graded with the student's own
earlier answers (follow-through), stored per context, and graded again when an earlier part
changes, when a key is fixed, or when the quiz's follow-through credit changes. The expected
values come from tests/parts_quiz.py (clip_grad_norm_'s definition), not from the grader."""

from __future__ import annotations

import json

import pytest
from parts_quiz import answers_from, clipped, coef, parts_quiz, typed
from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    insert,
    select,
)

from quizgen.batch import Submission
from quizgen.gradebook import Gradebook, metadata, specs, verdicts

FOLLOWED = "follow-through"


def grade(book, record, rows: dict[str, dict[str, str]], source="answers.csv"):
    return {g.student: g for g in book.grade(
        record, [Submission(s, a, f"line {i}") for i, (s, a) in enumerate(rows.items(), 2)],
        source=source)}


def current(book, record) -> dict[tuple[str, str], object]:
    return {(a.student, a.question_id): a for a in book.answers(record)}


def test_each_part_is_stored_and_graded_with_its_own_spec(db_url):
    quiz = parts_quiz()
    with Gradebook(db_url) as book:
        record = book.register(quiz)
        assert record.question_ids == ["q1.a", "q1.b", "q1.c", "q2"]
        graded = grade(book, record, {
            "ann": answers_from(5.0),
            "bob": answers_from(7.0),  # a slip in (a), carried through correctly
            "cat": {"q1.a": "__import__('os')", "q1.b": typed(coef(5.0)), "q1.c": "",
                    "q2": "0.5"},
        })
        with book.engine.connect() as conn:
            stored = {json.loads(r.spec)["part"]: json.loads(r.spec)
                      for r in conn.execute(specs.select()) if "part" in json.loads(r.spec)}
    assert stored["a"]["answer"] == 5.0 and "uses" not in stored["a"]
    assert stored["b"]["uses"] == {"a": "number"} and stored["c"]["uses"] == {"b": "number"}
    assert stored["c"]["points"] == 2.0 and stored["b"]["follow_through"] == "full"
    ann, bob, cat = graded["ann"], graded["bob"], graded["cat"]
    assert all(a.verdict.status == "correct" and a.verdict.method != FOLLOWED
               for a in ann.answers.values())
    assert ann.points == 5.0
    assert bob.answers["q1.a"].verdict.status == "incorrect"
    for aid in ("q1.b", "q1.c"):
        assert (bob.answers[aid].verdict.status, bob.answers[aid].verdict.method) == (
            "correct", FOLLOWED)
    assert bob.points == 4.0  # (b) 1 + (c) 2 by follow-through, q2 1
    # A bad or empty part never spoils another: (b) is right by the key whatever (a) was.
    assert [cat.answers[k].verdict.status for k in ("q1.a", "q1.b", "q1.c", "q2")] == [
        "invalid", "correct", "invalid", "correct"]
    assert cat.points == 2.0


def test_a_changed_earlier_part_regrades_the_later_one(db_url):
    with Gradebook(db_url) as book:
        record = book.register(parts_quiz())
        grade(book, record, {"bob": answers_from(7.0)})
        assert current(book, record)[("bob", "q1.b")].verdict.method == FOLLOWED
        # A second file holds only (a): bob's stored (b) and (c) stand, (b) in a new context.
        (g,) = grade(book, record, {"bob": {"q1.a": "5"}}, "fix.csv").values()
        assert list(g.answers) == ["q1.a"]  # what the row held
        now = current(book, record)
        assert now[("bob", "q1.a")].verdict.status == "correct"
        assert now[("bob", "q1.b")].raw == typed(coef(7.0))
        assert now[("bob", "q1.b")].verdict.status == "incorrect"  # right for no answer of his
        # (c) follows from (b), which did not change: still right by follow-through
        assert now[("bob", "q1.c")].verdict.method == FOLLOWED
        rows = book.counts()["verdicts"]
        # (a) back to 7: the verdict of (b) in that context is still there, nothing regraded
        grade(book, record, {"bob": {"q1.a": typed(7.0)}}, "again.csv")
        assert current(book, record)[("bob", "q1.b")].verdict.method == FOLLOWED
        assert book.counts()["verdicts"] == rows
        assert book.regrade(record, book.answers(record)) == []


@pytest.mark.parametrize("mode, before", [("half", 0.5), ("full", 1.0)])
def test_a_key_fix_in_an_earlier_part_changes_the_later_ones_on_regrade(db_url, mode, before):
    wrong = parts_quiz(norm=6.0, follow_through=mode)  # the key read the norm as 6
    with Gradebook(db_url) as book:
        record = book.register(wrong)
        grade(book, record, {"ann": answers_from(5.0), "bob": answers_from(6.0)})
        old = book.answers(record)
        was = {(a.student, a.question_id): a for a in old}
        assert was[("ann", "q1.a")].verdict.status == "incorrect"
        assert was[("ann", "q1.b")].verdict.method == FOLLOWED
        assert was[("ann", "q1.b")].points == before
        fixed = book.register(parts_quiz(norm=5.0, follow_through=mode))
        changes = {(c.student, c.question_id): c for c in book.regrade(fixed, old)}
        now = current(book, fixed)
    assert now[("ann", "q1.a")].verdict.status == "correct"
    assert now[("ann", "q1.b")].verdict.method != FOLLOWED  # right by the key now
    assert now[("ann", "q1.b")].points == 1.0 and now[("ann", "q1.c")].points == 2.0
    # bob followed the wrong key: now (a) is wrong and (b), (c) follow through from it
    assert now[("bob", "q1.a")].verdict.status == "incorrect"
    assert now[("bob", "q1.b")].verdict.method == FOLLOWED
    expected = {("ann", "q1.a"), ("ann", "q1.b"), ("ann", "q1.c"), ("bob", "q1.a"),
                ("bob", "q1.b"), ("bob", "q1.c")}
    assert set(changes) == expected  # q2 kept its key: unchanged
    assert changes[("ann", "q1.b")].points_before == before


def test_the_quiz_follow_through_credit_is_part_of_the_key(db_url):
    with Gradebook(db_url) as book:
        record = book.register(parts_quiz())
        grade(book, record, {"bob": answers_from(7.0)})
        old = book.answers(record)
        off = book.register(parts_quiz(follow_through="off"))
        changes = book.regrade(off, old)
        assert {c.question_id for c in changes} == {"q1.b", "q1.c"}
        now = current(book, off)
    assert now[("bob", "q1.b")].verdict.status == "incorrect"
    assert now[("bob", "q1.b")].verdict.method == FOLLOWED  # still told it was consistent
    assert now[("bob", "q1.b")].points == 0.0 and now[("bob", "q1.a")].points == 0.0


def test_grading_twice_adds_nothing_and_regrade_finds_nothing(db_url):
    rows = {"ann": answers_from(5.0), "bob": answers_from(7.0), "cy": answers_from(25.0)}
    with Gradebook(db_url) as book:
        record = book.register(parts_quiz())
        first = grade(book, record, rows)
        counts = book.counts()
        again = grade(book, record, rows)
        assert book.counts() == counts
        assert {s: g.points for s, g in first.items()} == {s: g.points for s, g in again.items()}
        assert book.regrade(record, book.answers(record)) == []
        cy = current(book, record)
    assert cy[("cy", "q1.a")].verdict.mistake == "squared_norm"  # a part's named mistake
    assert cy[("cy", "q1.b")].verdict.method == FOLLOWED


def _old_schema(url: str) -> None:
    """The tables as quizgen wrote them before multi-part questions (verdicts without a
    context, unique on submission, spec and grader version), holding one graded answer."""
    old = MetaData()
    for table in metadata.sorted_tables:
        if table.name != "verdicts":
            table.to_metadata(old)
    Table("verdicts", old,
          Column("id", Integer, primary_key=True),
          Column("submission_id", ForeignKey("submissions.id"), nullable=False),
          Column("spec_hash", ForeignKey("specs.hash"), nullable=False),
          Column("grader_version", String, nullable=False),
          Column("status", String(16), nullable=False),
          Column("score", Float, nullable=False),
          Column("points", Float, nullable=False),
          Column("feedback", Text, nullable=False),
          Column("interpreted", Text, nullable=False),
          Column("method", String, nullable=False),
          Column("mistake", String),
          Column("graded_at", String, nullable=False),
          UniqueConstraint("submission_id", "spec_hash", "grader_version"))
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    old.create_all(engine)
    t = old.tables
    with engine.begin() as conn:  # ids drawn by the database, as quizgen's own rows are
        conn.execute(insert(t["quizzes"]).values(
            identity="old", topic="t", seed=1, title="", lang="en", question_ids="[]",
            created_at="2026-01-01"))
        quiz_id = conn.execute(select(t["quizzes"].c.id)).scalar_one()
        conn.execute(insert(t["specs"]).values(hash="h" * 64, spec="{}"))
        conn.execute(insert(t["submissions"]).values(
            quiz_id=quiz_id, student="old", question_id="q1", raw="1", raw_hash="r" * 64,
            source="old.csv", received_at="2026-01-01", seq=1))
        sub_id = conn.execute(select(t["submissions"].c.id)).scalar_one()
        conn.execute(insert(t["verdicts"]).values(
            submission_id=sub_id, spec_hash="h" * 64, grader_version="quizgen 0",
            status="correct", score=1.0, points=1.0, feedback="ok", interpreted="1",
            method="numeric", graded_at="2026-01-01"))
    engine.dispose()


def test_a_gradebook_from_before_parts_is_upgraded_in_place(db_url):
    _old_schema(db_url)
    quiz = parts_quiz()
    with Gradebook(db_url) as book:
        with book.engine.connect() as conn:  # the verdict graded before is kept, graded alone
            (kept,) = conn.execute(select(verdicts)).all()
        assert (kept.status, kept.feedback, kept.context) == ("correct", "ok", "")
        record = book.register(quiz)
        grade(book, record, {"bob": {"q2": "0.5"}})
    with Gradebook(db_url) as book:  # opened again: nothing left to upgrade
        record = book.register(quiz)
        assert current(book, record)[("bob", "q2")].verdict.status == "correct"
        # the same (b) in two contexts: two verdicts of one submission, one key, one version
        grade(book, record, {"bob": answers_from(7.0)})
        grade(book, record, {"bob": {"q1.a": "5"}})
        grade(book, record, {"bob": {"q1.a": typed(7.0)}})
        now = current(book, record)
    assert now[("bob", "q1.b")].verdict.method == FOLLOWED
    assert now[("bob", "q1.c")].raw == typed(clipped(7.0))


def test_a_timed_out_part_is_stored_as_such_and_retried_alone(tmp_path, monkeypatch):
    from dataclasses import replace

    from quizgen.grading import symbolic
    from quizgen.grading.workers import POOL

    quiz = parts_quiz()
    undecided = "exp(50000*x)*(sin(x)^2 + cos(x)^2)/exp(50000*x)"  # only SymPy can decide
    first = replace(quiz.questions[0].parts[0], kind="expression", answer=undecided,
                    vars=["x"], mistakes=[], tolerance={})
    quiz.questions[0] = replace(quiz.questions[0], parts=[
        replace(first, id="z"), *quiz.questions[0].parts])  # an extra part (z) before (a)
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record = book.register(quiz)
        monkeypatch.setattr(symbolic, "TIME_LIMIT", 1e-4)
        (g,) = grade(book, record, {"bob": {**answers_from(7.0), "q1.z": "1"}}).values()
        assert g.answers["q1.z"].verdict.method == "timeout"
        assert g.answers["q1.b"].verdict.method == FOLLOWED  # the other parts are graded
        monkeypatch.undo()
        POOL.ready(60)
        changes = book.regrade(record, book.answers(record))
    assert [(c.question_id, c.after.status) for c in changes] == [("q1.z", "correct")]
