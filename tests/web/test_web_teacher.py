"""The teacher's side, on SQLite and PostgreSQL: the live table, a student's answers, the class
report, CSV downloads, regrade after a key fix, what students may see, and recovery of an
attempt a crash left ungraded."""

from __future__ import annotations

import csv
import io
import re

from web_helpers import ADMIN, TOKENS, csrf_of, fix_key, right_answers, sign_in

from quizgen.web import Classroom


def submit(client, answers):
    data = {"csrf_token": csrf_of(client, "/quiz"), "action": "submit"}
    data.update({f"a_{q}": v.split(", ") if q == "q4" else v for q, v in answers.items()})
    return client.post("/quiz", data=data)


def teacher(app):
    client = app.test_client()
    assert sign_in(client, ADMIN, admin=True).status_code == 303
    return client


def test_live_table_shows_each_submission(make_app, db_url):
    app, room, _ = make_app(db_url)
    t = teacher(app)
    page = t.get("/admin").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page  # updated in place by web.js (WCAG 2.2.1)
    assert 'data-url="/admin/table"' in page and 'data-seconds="5"' in page
    assert page.count("not yet") == 2
    s1 = app.test_client()
    sign_in(s1, TOKENS["s1"])
    submit(s1, {**right_answers("s1"), "q3": "[0.4444447, 0]"})  # q3 half right
    page = t.get("/admin").get_data(as_text=True)
    row = page.split('data-student="s1"')[1].split("</tr>")[0]
    assert "4.5 / 5" in row and row.count("status-correct") == 3
    assert row.count("status-incorrect") == 1 and "not yet" in page  # s2 has not submitted
    assert "Submissions: 1" in page
    fragment = t.get("/admin/table").get_data(as_text=True)  # what web.js puts in place
    assert fragment.split('data-student="s1"')[1].split("</tr>")[0] == row
    assert 'id="submitted-count">Submissions: 1<' in fragment and "<form" not in fragment
    assert app.test_client().get("/admin/table").status_code == 401
    detail = t.get("/admin/student/s1").get_data(as_text=True)
    assert "[0.4444447, 0]" in detail and "1 of 2" in detail  # entries right, as graded
    assert t.get("/admin/student/nobody").status_code == 404
    assert t.get("/admin/status.json").get_json() == {"students": 2, "attempts": 1}


def test_report_and_csv_downloads(make_app, db_url):
    app, _, _ = make_app(db_url)
    for sid, q1 in (("s1", right_answers("s1")["q1"]), ("s2", "0.001")):
        c = app.test_client()
        sign_in(c, TOKENS[sid])
        submit(c, {**right_answers(sid), "q1": q1})
    t = teacher(app)
    scores = list(csv.DictReader(io.StringIO(t.get("/admin/scores.csv").get_data(
        as_text=True))))
    assert [(r["student"], r["points"], r["max_points"]) for r in scores] == [
        ("s1", "5", "5"), ("s2", "3", "5")]
    assert scores[1]["name"] == "王小明"
    r = t.get("/admin/scores.csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="scores.csv"'
    report = t.get("/admin/report")
    html = report.get_data(as_text=True)
    # q1: one of two right -> difficulty 0.500; q2 everyone right -> 1.000.
    q1 = html.split('id="item-q1"')[1].split("</tr>")[0]
    q2 = html.split('id="item-q2"')[1].split("</tr>")[0]
    assert "0.500" in q1 and "1.000" in q2
    assert "data:image/png;base64," in html  # the plots
    assert "unsafe-inline" in report.headers["Content-Security-Policy"]
    assert "script-src" not in report.headers["Content-Security-Policy"]  # so: no script
    answers = list(csv.DictReader(io.StringIO(t.get("/admin/answers.csv").get_data(
        as_text=True))))
    assert len(answers) == 8
    assert {(a["student"], a["question"], a["status"]) for a in answers if a["question"] ==
            "q1"} == {("s1", "q1", "correct"), ("s2", "q1", "incorrect")}


def test_regrade_after_a_key_fix(make_app, db_url):
    app, room, quiz_path = make_app(db_url)
    s1 = app.test_client()
    sign_in(s1, TOKENS["s1"])
    submit(s1, {**right_answers("s1"), "q1": "0.625"})
    t = teacher(app)
    before = t.get("/admin").get_data(as_text=True).split('data-student="s1"')[1]
    assert "3 / 5" in before.split("</tr>")[0]  # q1 (2 points) wrong under the first key
    fix_key(quiz_path, "s1", "q1", 0.625)  # the key said 0.5; the teacher fixes it
    r = t.post("/admin/regrade", data={"csrf_token": csrf_of(t, "/admin")})
    assert re.search(r"m=regraded&n=1$", r.headers["Location"])
    page = t.get(r.headers["Location"].split("localhost")[-1]).get_data(as_text=True)
    assert "Regraded: 1 verdict(s) changed." in page
    row = page.split('data-student="s1"')[1].split("</tr>")[0]
    assert "5 / 5" in row
    # The student sees the new verdict too; regrading again changes nothing.
    assert "status-incorrect" not in s1.get("/quiz").get_data(as_text=True)
    assert room.regrade() == 0


def test_teacher_releases_verdicts_and_solutions(make_app):
    app, room, _ = make_app(show_verdicts=False)
    t = teacher(app)
    t.post("/admin/settings", data={"csrf_token": csrf_of(t, "/admin"), "show_verdicts": "on",
                                    "show_solutions": "on"})
    assert room.settings.show_verdicts and room.settings.show_solutions
    t.post("/admin/settings", data={"csrf_token": csrf_of(t, "/admin")})
    assert not room.settings.show_verdicts and not room.settings.show_solutions


def test_an_attempt_left_ungraded_by_a_crash_is_graded_at_the_next_start(make_app, db_url):
    app, room, quiz_path = make_app(db_url)
    room.store.reserve("s2", 1, right_answers("s2"))  # reserved, then the process died
    assert room.book.counts()["verdicts"] == 0
    restarted = Classroom(quiz_path, db=db_url)
    try:
        assert restarted.store.ungraded()  # nothing is graded before the server listens
        for done in restarted.recover():  # serve calls this once it listens
            done.result(timeout=30)
        assert restarted.recovered == 1 and restarted.store.ungraded() == []
        (row,) = [r for r in restarted.table() if r.student == "s2"]
        assert row.points == 5 and row.attempts == 1
    finally:
        restarted.close()


def test_regrade_refuses_a_quiz_json_that_became_another_quiz(make_app):
    import json

    app, room, quiz_path = make_app()
    data = json.loads(quiz_path.read_text(encoding="utf-8"))
    data["seed"] = 8
    quiz_path.write_text(json.dumps(data), encoding="utf-8")
    quiz_path.with_name("variants.json").unlink()  # (else: "variants made for another quiz")
    before = room.book.counts()
    t = teacher(app)
    r = t.post("/admin/regrade", data={"csrf_token": csrf_of(t, "/admin")})
    assert r.headers["Location"].endswith("?m=error")
    page = t.get("/admin?m=error").get_data(as_text=True)
    assert "now describes another quiz" in page and room.quiz.seed == 7
    assert room.book.counts() == before  # nothing registered
