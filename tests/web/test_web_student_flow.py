"""A student's way through the web quiz, on SQLite and PostgreSQL: sign in, see their own
variant, preview, save a draft, submit once (or N times), see verdicts and, when allowed,
worked solutions. Verdicts are checked against the grader called directly on the same text."""

from __future__ import annotations

import threading

import pytest
from web_helpers import TOKENS, VARIANT, csrf_of, right_answers, sign_in

from quizgen.batch import grade_answer
from quizgen.grading.nodes import render
from quizgen.grading.parser import parse


def form(client, answers: dict[str, str], action: str) -> dict:
    data = {"csrf_token": csrf_of(client, "/quiz"), "action": action}
    for qid, text in answers.items():
        data[f"a_{qid}"] = text.split(", ") if qid == "q4" else text
    return data


def test_sign_in_shows_own_variant_in_mathml(make_app, db_url):
    app, room, _ = make_app(db_url)
    client = app.test_client()
    assert sign_in(client, TOKENS["s2"]).status_code == 303
    page = client.get("/quiz").get_data(as_text=True)
    assert "王小明 (s2)" in page  # the variant's title names the student
    assert "<math" in page and "<mfrac>" in page  # prompts' LaTeX as MathML, as in the export
    assert 'type="checkbox" name="a_q4"' in page  # "select all that apply": checkboxes
    assert 'name="a_q1"' in page and 'name="a_q2"' in page


def test_preview_is_the_parsers_reading(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    csrf = csrf_of(client, "/quiz")
    cases = [("q1", r"\frac{1}{2}"), ("q1", "1×10^-3"), ("q2", "2x^2 + 1"), ("q3", "[1, 2/4]")]
    for qid, text in cases:
        got = client.post("/preview", json={"question": qid, "text": text},
                          headers={"X-CSRF-Token": csrf}).get_json()
        variables = ("x",) if qid == "q2" else ()
        assert got["ok"] and got["read_as"] == render(parse(text, variables))
    half = client.post("/preview", json={"question": "q1", "text": r"\frac{1}{2}"},
                       headers={"X-CSRF-Token": csrf}).get_json()
    assert half["value"] == "0.5"
    bad = client.post("/preview", json={"question": "q2", "text": "2*(x"},
                      headers={"X-CSRF-Token": csrf}).get_json()
    assert not bad["ok"] and bad["error"]  # says where and why, never crashes
    unknown = client.post("/preview", json={"question": "q2", "text": "y+1"},
                          headers={"X-CSRF-Token": csrf}).get_json()
    assert not unknown["ok"] and "x" in unknown["error"]


def test_draft_is_saved_and_restored_with_server_side_preview(make_app, db_url):
    app, room, _ = make_app(db_url)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    r = client.post("/quiz", data=form(client, {"q1": r"\frac{1}{2}", "q4": "C"}, "save"))
    assert r.status_code == 303 and r.headers["Location"].endswith("/quiz?m=saved")
    assert room.draft("s1") == {"q1": r"\frac{1}{2}", "q4": "C"}
    page = client.get("/quiz?m=saved").get_data(as_text=True)
    assert 'value="\\frac{1}{2}"' in page
    assert '<span class="read-as-text">1/2</span>' in page  # the no-JS preview
    assert 'value="C" checked' in page
    assert room.store.count_attempts() == 0  # a draft is not a submission


def test_submit_grades_like_the_grader_and_only_once(make_app, db_url):
    app, room, _ = make_app(db_url, attempts=1)
    client = app.test_client()
    sign_in(client, TOKENS["s2"])
    answers = {**right_answers("s2"), "q1": "0.5"}  # q1 wrong
    r = client.post("/quiz", data=form(client, answers, "submit"))
    assert r.headers["Location"].endswith("?m=submitted")
    page = client.get("/quiz?m=submitted").get_data(as_text=True)
    questions = {q.id: q for q in VARIANT["s2"]}
    expected = {qid: grade_answer(questions[qid], text) for qid, text in answers.items()}
    assert [v.status for v in expected.values()] == ["incorrect", "correct", "correct",
                                                       "correct"]
    for qid, verdict in expected.items():
        block = page.split(f'id="q-{qid}"')[1].split("</li>")[0]
        assert f"status-{verdict.status}" in block
    points = sum(v.score * questions[q].points for q, v in expected.items())
    assert f"<strong>{points:g}</strong> / 5" in page
    # A second submit is refused and stores nothing.
    before = room.book.counts()
    r = client.post("/quiz", data=form(client, right_answers("s2"), "submit"))
    assert r.headers["Location"].endswith("?m=no_attempts")
    assert room.book.counts() == before and len(room.attempts("s2")) == 1
    assert 'name="action" value="submit"' not in client.get("/quiz").get_data(as_text=True)


def test_n_attempts_and_the_latest_attempt_counts(make_app, db_url):
    app, room, _ = make_app(db_url, attempts=3)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    right = right_answers("s1")
    for q1 in (right["q1"], "0.25", right["q1"]):  # right, wrong, right again (same text)
        client.post("/quiz", data=form(client, {**right, "q1": q1}, "submit"))
    assert [a.number for a in room.attempts("s1")] == [1, 2, 3]
    (row,) = [r for r in room.table() if r.student == "s1"]
    # The third attempt reuses the first's stored text; it is still the one that counts.
    assert row.answers["q1"].verdict.status == "correct" and row.points == 5
    r = client.post("/quiz", data=form(client, right, "submit"))
    assert r.headers["Location"].endswith("?m=no_attempts")


def test_concurrent_double_submit_is_stored_once(make_app, db_url):
    app, room, _ = make_app(db_url, attempts=1)
    clients = [app.test_client() for _ in range(6)]
    datas = []
    for c in clients:
        sign_in(c, TOKENS["s1"])
        datas.append(form(c, right_answers("s1"), "submit"))
    barrier = threading.Barrier(len(clients))
    results = []

    def go(c, data):
        barrier.wait()
        r = c.post("/quiz", data=data)
        # a 303 to the page's message, or 429 while the first submit is still being graded
        results.append(r.headers.get("Location", str(r.status_code)))

    threads = [threading.Thread(target=go, args=(c, d)) for c, d in zip(clients, datas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(loc.endswith("m=submitted") for loc in results) == 1
    assert all(r.endswith(("m=submitted", "m=already", "m=no_attempts")) or r == "429"
               for r in results), results
    assert len(room.attempts("s1")) == 1
    assert room.book.counts()["submissions"] == 4


def test_verdicts_hidden_until_the_teacher_releases_them(make_app):
    app, room, _ = make_app(show_verdicts=False)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    client.post("/quiz", data=form(client, right_answers("s1"), "submit"))
    page = client.get("/quiz?m=submitted").get_data(as_text=True)
    assert "status-correct" not in page and "Your teacher will release" in page
    room.settings.show_verdicts = True
    assert "status-correct" in client.get("/quiz").get_data(as_text=True)


def test_solutions_only_after_the_last_attempt_and_when_allowed(make_app):
    app, room, _ = make_app(attempts=2, show_solutions=True)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    client.post("/quiz", data=form(client, right_answers("s1"), "submit"))
    assert "SECRET-STEP-s1-q1" not in client.get("/quiz").get_data(as_text=True)
    client.post("/quiz", data=form(client, right_answers("s1"), "submit"))
    page = client.get("/quiz").get_data(as_text=True)
    assert "SECRET-STEP-s1-q1 first" in page and "<math" in page.split("SECRET-STEP-s1-q1")[1]
    assert "SECRET-STEP-s2" not in page  # never another student's


def test_chinese_page(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    page = client.get("/quiz?lang=zh").get_data(as_text=True)
    assert '<html lang="zh">' in page and "第 1 题" in page and "识别为" in page
    assert "计算" in page  # the prompt in Chinese
    csrf = csrf_of(client, "/quiz")
    bad = client.post("/preview", json={"question": "q1", "text": "2*("},
                      headers={"X-CSRF-Token": csrf}).get_json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in bad["error"])


@pytest.mark.parametrize("path", ["/quiz", "/admin", "/"])
def test_pages_fit_a_phone(make_app, path):
    app, _, _ = make_app()
    client = app.test_client()
    if path == "/quiz":
        sign_in(client, TOKENS["s1"])
    page = client.get(path).get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@media (max-width: 40rem)" in css
