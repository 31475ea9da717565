"""A multi-part question on the web: the stem, then a labelled box per part (answer id "q2.a"),
a "read as" preview per box, drafts per part, a verdict per part with follow-through, the
score as the points-weighted sum, the key per part. The quiz is tests/web_parts_quiz.py
(clip_grad_norm_ in four parts, its answers from torch); verdicts are checked against
quizgen.multipart called directly on the same texts."""

from __future__ import annotations

import re

import pytest
from web_helpers import ADMIN, csrf_of, sign_in
from web_parts_quiz import (
    CLIPPED,
    COEF,
    NORM,
    clip_question,
    right_answers,
    slipped_answers,
    write_parts_classroom,
)

from quizgen.grading.nodes import render
from quizgen.grading.parser import parse
from quizgen.multipart import grade_parts, question_score

TOKENS = {"s1": "tok-s1-AAAAAAAAAAAAAAAAAAAA", "s2": "tok-s2-BBBBBBBBBBBBBBBBBBBB"}
PARTS = ("q2.a", "q2.b", "q2.c", "q2.d")


@pytest.fixture
def parts_app(make_app, tmp_path):
    def make(db=None, *, follow_through="full", **settings):
        write_parts_classroom(tmp_path, TOKENS, follow_through=follow_through)
        return make_app(db, folder=tmp_path, **settings)
    return make


def form(client, answers: dict[str, str], action: str) -> dict:
    return {"csrf_token": csrf_of(client, "/quiz"), "action": action,
            **{f"a_{key}": text for key, text in answers.items()}}


def block(page: str, answer_id: str) -> str:
    """The HTML of one part, from its <li> to the next part's."""
    return page.split(f'id="p-{answer_id}"')[1].split('<li class="part ')[0]


def expected(answers: dict[str, str], follow_through: str = "full"):
    q = clip_question()
    texts = {key.split(".")[1]: text for key, text in answers.items() if key.startswith("q2.")}
    verdicts = grade_parts(q, texts, follow_through=follow_through)
    return verdicts, question_score(q, verdicts) * q.points


@pytest.mark.parametrize("lang, part, label", [("en", "Part ({})", "Answer to part ({})"),
                                               ("zh", "小题（{}）", "小题（{}）的答案")])
def test_each_part_has_a_heading_and_a_labelled_box_of_its_own(parts_app, lang, part, label):
    app, _, _ = parts_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    page = client.get(f"/quiz?lang={lang}").get_data(as_text=True)
    stem = page.split('id="q-q2"')[1].split('<ol class="parts">')[0]
    assert "<math" in stem and "(3, 4)" in stem  # the stem before the parts
    for key in PARTS:
        pid = key[-1]
        assert f'<h3 class="part-label">{part.format(pid)}</h3>' in block(page, key)
    for key in PARTS[:3]:  # a text box each, labelled, with its own "read as" line
        pid = key[-1]
        assert f'<label class="answer-label-web" for="a-{key}">{label.format(pid)}</label>' \
            in page
        assert f'id="a-{key}" name="a_{key}"' in page
        assert f'data-question="{key}" data-preview="read-{key}"' in page
        assert f'<output class="read-as" id="read-{key}" for="a-{key}"' in page
    assert page.count('type="radio" name="a_q2.d"') == 2  # the choice part's options
    assert 'name="a_q2"' not in page  # the stem itself takes no answer
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_each_box_is_previewed_as_the_parser_reads_it(parts_app):
    app, _, _ = parts_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    csrf = csrf_of(client, "/quiz")

    def ask(key, text):
        return client.post("/preview", json={"question": key, "text": text},
                           headers={"X-CSRF-Token": csrf})

    for key, text in [("q2.a", r"\frac{10}{2}"), ("q2.b", "1/(5 + 1e-6)"), ("q2.c", "[3/5, 0.8]"),
                      ("q1", "1/2")]:
        got = ask(key, text).get_json()
        assert got["ok"] and got["read_as"] == render(parse(text)), (key, got)
    assert ask("q2.a", r"\frac{10}{2}").get_json()["value"] == "5"
    bad = ask("q2.c", "[1, 2").get_json()
    assert not bad["ok"] and bad["error"]
    for missing in ("q2", "q2.z", "q2.a.b", "q3"):  # the stem, no such part, no such question
        assert ask(missing, "1").status_code == 404


def test_drafts_are_saved_per_part(parts_app, db_url):
    app, room, _ = parts_app(db_url)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    r = client.post("/quiz", data=form(client, {"q2.a": "7", "q2.c": "[1, 2/4]", "q2.d": "B",
                                                "q2.zz": "ignored"}, "save"))
    assert r.headers["Location"].endswith("?m=saved")
    assert room.draft("s1") == {"q2.a": "7", "q2.c": "[1, 2/4]", "q2.d": "B"}
    page = client.get("/quiz?m=saved").get_data(as_text=True)
    assert 'value="7"' in block(page, "q2.a")
    assert '<span class="read-as-text">[1, 2/4]</span>' in block(page, "q2.c")  # no-JS preview
    assert 'value="B" checked' in block(page, "q2.d")
    assert 'value=""' in block(page, "q2.b")
    assert room.store.count_attempts() == 0


def test_a_verdict_per_part_with_follow_through_and_the_weighted_score(parts_app, db_url):
    app, room, _ = parts_app(db_url, attempts=2)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    answers = slipped_answers(7.0)
    r = client.post("/quiz", data=form(client, answers, "submit"))
    assert r.headers["Location"].endswith("?m=submitted")
    (attempt,) = room.attempts("s1")
    assert set(attempt.answers) == {"q1", *PARTS}
    got = room.verdicts(attempt)
    want, points = expected(answers)
    assert [want[k].method for k in "bc"] == ["follow-through"] * 2  # the oracle agrees
    for key in PARTS:
        v, w = got[key].verdict, want[key[-1]]
        assert (v.status, v.score, v.method, v.feedback) == (w.status, w.score, w.method,
                                                             w.feedback), key
    assert [got[k].points for k in PARTS] == [0.0, 1.0, 2.0, 1.0]
    page = client.get("/quiz?m=submitted").get_data(as_text=True)
    assert "status-incorrect" in block(page, "q2.a")
    for key, uses in (("q2.b", "a"), ("q2.c", "b")):
        part = block(page, key)
        assert "status-correct" in part and 'class="badge follow-through"' in part
        assert f"Correct by follow-through: right for your answer to ({uses})." in part
    assert "follow-through" not in block(page, "q2.d")
    total = 2 + points  # q1 right (2 points) and the parts' points-weighted sum
    assert total == 6 and f"<strong>{total:g}</strong> / 7" in page
    assert room.score_of("s1") == (6.0, 7.0)
    # The class table and the teacher's page of the student: a row per part.
    (row,) = [r for r in room.table() if r.student == "s1"]
    assert row.points == 6 and row.answers["q2.b"].verdict.method == "follow-through"
    admin = app.test_client()
    sign_in(admin, ADMIN, admin=True)
    mine = admin.get("/admin/student/s1").get_data(as_text=True)
    assert all(f"<td>{key}</td>" in mine for key in PARTS)
    assert "Correct by follow-through" in mine


@pytest.mark.parametrize("mode, b_status, score", [("half", "correct", 4.5),
                                                   ("off", "incorrect", 3.0)])
def test_the_quiz_decides_what_follow_through_earns(parts_app, mode, b_status, score):
    app, room, _ = parts_app(follow_through=mode)
    client = app.test_client()
    sign_in(client, TOKENS["s2"])
    client.post("/quiz", data=form(client, slipped_answers(7.0), "submit"))
    got = room.verdicts(room.attempts("s2")[0])
    want, points = expected(slipped_answers(7.0), mode)
    assert got["q2.b"].verdict.status == b_status == want["b"].status
    assert got["q2.b"].verdict.method == "follow-through"
    assert room.score_of("s2") == (score, 7.0) and score == 2 + points
    page = client.get("/quiz").get_data(as_text=True)
    assert want["b"].feedback in block(page, "q2.b")


def test_a_named_mistake_and_a_bad_part_stay_in_their_own_part(parts_app):
    app, room, _ = parts_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    answers = {**right_answers(), "q2.a": str(NORM ** 2), "q2.c": "__import__('os')"}
    client.post("/quiz", data=form(client, answers, "submit"))
    got = room.verdicts(room.attempts("s1")[0])
    assert got["q2.a"].verdict.mistake == "squared_norm"
    assert got["q2.b"].verdict.status == "correct"  # right by the key, whatever (a) was
    assert got["q2.b"].verdict.method != "follow-through"
    assert got["q2.c"].verdict.status == "invalid" and got["q2.d"].verdict.status == "correct"
    page = client.get("/quiz").get_data(as_text=True)
    assert "That is the squared norm." in block(page, "q2.a")
    assert "status-invalid" in block(page, "q2.c")


def test_the_key_per_part_only_after_the_last_attempt(parts_app):
    app, _, _ = parts_app(attempts=1, show_solutions=True)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    before = client.get("/quiz").get_data(as_text=True)
    assert 'class="key-answer"' not in before and "Step for (a)" not in before
    client.post("/quiz", data=form(client, right_answers(), "submit"))
    page = client.get("/quiz").get_data(as_text=True)
    assert page.count('class="key-answer"') == 5  # q1 and each of the four parts
    for key in PARTS:
        assert f"Step for ({key[-1]})" in block(page, key)
    assert f'alttext="{COEF:.6g}"' in block(page, "q2.b")
    assert "[0.6, 0.8]" in block(page, "q2.c") and CLIPPED == pytest.approx([0.6, 0.8])
    assert "<strong>7</strong> / 7" in page


def test_the_teacher_gets_a_row_per_part_and_regrade_reaches_the_parts(parts_app):
    app, room, quiz_path = parts_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    client.post("/quiz", data=form(client, slipped_answers(7.0), "submit"))
    admin = app.test_client()
    sign_in(admin, ADMIN, admin=True)
    rows = admin.get("/admin/answers.csv").get_data(as_text=True).splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["q1", *PARTS]
    assert "Correct by follow-through: right for your answer to (a)." in rows[3]
    assert admin.get("/admin/scores.csv").get_data(as_text=True).splitlines()[1] \
        == "s1,,6,7,85.7"
    assert admin.get("/admin/report").status_code == 200
    table = admin.get("/admin").get_data(as_text=True)  # a column per part
    assert all(key in table for key in PARTS)
    # The teacher fixes part (a)'s key (say the norm was meant to be 7): Regrade grades every
    # stored part again; (b) and (c) now follow through from a right (a).
    data = quiz_path.read_text(encoding="utf-8").replace(f'"answer": {NORM!r}', '"answer": 7.0')
    assert data != quiz_path.read_text(encoding="utf-8")
    quiz_path.write_text(data, encoding="utf-8")
    assert room.regrade() >= 1
    got = room.verdicts(room.attempts("s1")[0])
    assert got["q2.a"].verdict.status == "correct" and got["q2.a"].points == 1
    assert room.score_of("s1") == (7.0, 7.0)
