"""The web backend with a multi-part question (quizgen.web.classroom): answers posted one
field per part, keyed by answer id (``q1.a``), verdicts read back keyed the same way, each
attempt's later parts graded with that attempt's own earlier ones, question scores the
points-weighted sum of the parts, and a key fix reaching them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from parts_quiz import answers_from, coef, parts_quiz, typed

from quizgen.web.classroom import Classroom, Settings

TOKENS = {"s1": "tok-parts-s1-AAAAAAAAAAAAAAAA", "s2": "tok-parts-s2-BBBBBBBBBBBBBBBB"}


@pytest.fixture
def room(tmp_path, db_url):
    parts_quiz(norm=6.0).save(tmp_path / "quiz.json")  # a key to fix: the norm read as 6
    (tmp_path / "tokens.csv").write_text(
        "student,token\n" + "".join(f"{s},{t}\n" for s, t in TOKENS.items()), encoding="utf-8")
    made = Classroom(tmp_path / "quiz.json", db=db_url, settings=Settings(attempts=2))
    yield made
    made.close()


def test_answers_and_verdicts_are_keyed_by_answer_id(room):
    assert room.answer_ids("s1") == ["q1.a", "q1.b", "q1.c", "q2"]
    sent = {**answers_from(7.0), "q1": "not an answer id", "q9": "nor this"}
    del sent["q1.c"]  # a box left out: stored empty, and it spoils nothing else
    attempt, done = room.submit("s1", sent)
    assert done and set(attempt.answers) == {"q1.a", "q1.b", "q1.c", "q2"}
    assert attempt.answers["q1.c"] == ""
    verdicts = room.verdicts(attempt)
    assert set(verdicts) == {"q1.a", "q1.b", "q1.c", "q2"}
    assert verdicts["q1.a"].verdict.status == "incorrect"
    assert (verdicts["q1.b"].verdict.status, verdicts["q1.b"].verdict.method) == (
        "correct", "follow-through")
    assert verdicts["q1.c"].verdict.status == "invalid"
    assert verdicts["q2"].verdict.status == "correct"
    # q1: (a) 0 + (b) 1 + (c) 0 of 1 + 1 + 2
    assert room.question_scores("s1", verdicts) == {"q1": (1.0, 4.0), "q2": (1.0, 1.0)}
    assert room.score_of("s1") == (2.0, 5.0)


def test_each_attempt_keeps_the_verdicts_of_its_own_earlier_parts(room):
    first, _ = room.submit("s1", answers_from(7.0))
    second, _ = room.submit("s1", {**answers_from(7.0), "q1.a": "6"})  # (b), (c) as before
    old, new = room.verdicts(first), room.verdicts(second)
    assert old["q1.b"].verdict.method == "follow-through" and old["q1.b"].points == 1.0
    assert new["q1.a"].verdict.status == "correct"  # the key says 6
    assert new["q1.b"].verdict.status == "incorrect"  # right for 7, which he no longer gives
    assert new["q1.c"].verdict.method == "follow-through"  # from his (b), unchanged
    (row,) = [r for r in room.table() if r.student == "s1"]
    assert set(row.answers) == {"q1.a", "q1.b", "q1.c", "q2"}
    assert row.answers["q1.a"].raw == "6" and row.points == 1.0 + 0.0 + 2.0 + 1.0


def test_a_key_fix_reaches_the_parts_on_regrade(room):
    room.submit("s2", answers_from(5.0))
    assert room.score_of("s2") == (4.0, 5.0)  # (a) wrong by the key 6; (b), (c) follow
    data = json.loads(parts_quiz(norm=5.0).to_json())
    room.quiz_path.write_text(json.dumps(data), encoding="utf-8")
    changed = room.regrade()
    assert changed == 3  # (a) right now; (b), (c) right by the key, no longer by follow-through
    verdicts = room.verdicts(room.attempts("s2")[-1])
    assert verdicts["q1.b"].verdict.method != "follow-through"  # right by the key now
    assert verdicts["q1.b"].raw == typed(coef(5.0))
    assert room.score_of("s2") == (5.0, 5.0)
