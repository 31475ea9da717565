"""What the issue's safety section asks, each shown to fail the attack it names: another
student's token cannot read or submit, a POST without the CSRF token is refused, student text is
escaped on the teacher pages, a 10 MB body is refused, the key never reaches a student, tokens
are rate limited, and every page carries the security headers."""

from __future__ import annotations

import csv
import io

import pytest
from web_helpers import ADMIN, TOKENS, csrf_of, right_answers, secrets_of, sign_in

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def submit(client, answers, action="submit"):
    data = {"csrf_token": csrf_of(client, "/quiz"), "action": action}
    data.update({f"a_{q}": v for q, v in answers.items()})
    return client.post("/quiz", data=data)


def test_a_token_opens_only_its_own_sheet(make_app, db_url):
    app, room, _ = make_app(db_url)
    s1, s2 = app.test_client(), app.test_client()
    sign_in(s1, TOKENS["s1"])
    sign_in(s2, TOKENS["s2"])
    submit(s1, {**right_answers("s1"), "q2": "x^3/11 - 17x"})
    page2 = s2.get("/quiz").get_data(as_text=True)
    assert "Ann Lee" not in page2 and "x^3/11" not in page2  # s1's name and answers
    assert "王小明 (s2)" in page2
    # No route takes a student id: naming s1 anywhere in s2's requests changes nothing.
    for path in ("/quiz?student=s1", "/admin/student/s1", "/admin/answers.csv",
                 "/admin/scores.csv", "/admin/report", "/admin/status.json"):
        body = s2.get(path).get_data(as_text=True)
        assert "x^3/11" not in body and "Ann Lee" not in body, path
    for path in ("/admin/student/s1", "/admin/answers.csv", "/admin/report"):
        assert s2.get(path).status_code == 401
    data = {"csrf_token": csrf_of(s2, "/quiz"), "action": "submit", "student": "s1",
            "a_q1": "1"}
    s2.post("/quiz", data=data)
    assert [a.number for a in room.attempts("s1")] == [1]  # s1 untouched
    assert room.attempts("s2")[0].answers["q1"] == "1"  # it was s2's own submit


def test_wrong_and_missing_tokens_are_refused(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    assert sign_in(client, TOKENS["s1"][:-1] + "Z").status_code == 401
    assert sign_in(client, "").status_code == 401
    assert client.get("/quiz").status_code == 303  # back to sign-in
    assert client.post("/preview", json={"question": "q1", "text": "1"},
                       headers={"X-CSRF-Token": csrf_of(client)}).status_code == 401
    assert sign_in(client, TOKENS["s1"], admin=True).status_code == 401  # not the admin token
    assert client.get("/admin/answers.csv").status_code == 401


@pytest.mark.parametrize("path,data", [
    ("/login", {"token": TOKENS["s1"]}),
    ("/quiz", {"action": "submit", "a_q1": "1"}),
    ("/admin/login", {"token": ADMIN}),
    ("/admin/regrade", {}),
    ("/logout", {}),
])
def test_a_post_without_the_csrf_token_is_refused(make_app, path, data):
    app, room, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    for bad in ({}, {"csrf_token": "forged"}):
        r = client.post(path, data={**data, **bad})
        assert r.status_code == 403
    assert room.store.count_attempts() == 0
    assert client.post("/preview", json={"question": "q1", "text": "1"}).status_code == 403
    # A token from another session is no better than none.
    other = app.test_client()
    stolen = csrf_of(other)
    assert client.post(path, data={**data, "csrf_token": stolen}).status_code == 403


def test_student_text_is_escaped_on_every_teacher_page(make_app, db_url):
    app, _, _ = make_app(db_url)
    student, teacher = app.test_client(), app.test_client()
    sign_in(student, TOKENS["s1"])
    submit(student, {"q1": XSS, "q2": XSS, "q3": '"><svg onload=alert(1)>', "q4": "A"})
    sign_in(teacher, ADMIN, admin=True)
    for path in ("/admin", "/admin/table", "/admin/student/s1", "/admin/report"):
        page = teacher.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "<svg" not in page, path
    table = teacher.get("/admin").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in table  # shown, as text
    detail = teacher.get("/admin/student/s1").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in detail
    rows = list(csv.DictReader(io.StringIO(teacher.get("/admin/answers.csv").get_data(
        as_text=True))))
    assert rows[0]["answer"] == XSS  # the download keeps the text exactly (it is not HTML)


def test_a_formula_answer_cannot_run_in_a_spreadsheet(make_app):
    app, _, _ = make_app()
    student, teacher = app.test_client(), app.test_client()
    sign_in(student, TOKENS["s1"])
    submit(student, {"q1": "=HYPERLINK(\"http://evil\")", "q2": "-x", "q3": "-0.5"})
    sign_in(teacher, ADMIN, admin=True)
    csv_text = teacher.get("/admin/answers.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and ",'-x," in csv_text and ",-0.5," in csv_text


def test_every_teacher_download_is_formula_safe(make_app, tmp_path):
    """Roster names reach scores.csv and answers.csv: both go through the one helper."""
    from web_helpers import write_classroom

    from quizgen.spreadsheet import safe_cell

    write_classroom(tmp_path)
    tokens = tmp_path / "tokens.csv"
    tokens.write_text(tokens.read_text(encoding="utf-8").replace("Ann Lee", "=cmd|'/C calc'!A0")
                      .replace("王小明", "@SUM(1)"), encoding="utf-8")
    app, _, _ = make_app(folder=tmp_path)
    for sid in ("s1", "s2"):
        student = app.test_client()
        sign_in(student, TOKENS[sid])
        submit(student, {"q1": "+1+cmd", "q2": "-x"})
    teacher = app.test_client()
    sign_in(teacher, ADMIN, admin=True)
    for path in ("/admin/scores.csv", "/admin/answers.csv"):
        rows = list(csv.reader(io.StringIO(teacher.get(path).get_data(as_text=True))))
        cells = [c for row in rows for c in row]
        assert "'=cmd|'/C calc'!A0" in cells and "'@SUM(1)" in cells, path
        assert all(safe_cell(c) == c for c in cells), path  # nothing left to neutralize


def test_a_10_mb_body_is_refused(make_app):
    app, room, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    csrf = csrf_of(client, "/quiz")
    huge = "1" * (10 * 1024 * 1024)
    r = client.post("/quiz", data={"csrf_token": csrf, "action": "submit", "a_q1": huge})
    assert r.status_code == 413
    r = client.post("/preview", json={"question": "q1", "text": huge},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413 and r.get_json()["ok"] is False
    assert room.store.count_attempts() == 0 and room.draft("s1") == {}


def test_the_key_never_reaches_a_student(make_app, db_url):
    """Every response a signed-in student can fetch, through a whole attempt, holds none of
    the key's values, worked steps or mistake feedback (solutions not released)."""
    app, _, _ = make_app(db_url, attempts=2, show_solutions=True)
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    csrf = csrf_of(client, "/quiz")
    bodies = [client.get(p).get_data(as_text=True)
              for p in ("/", "/quiz", "/quiz?lang=zh", "/quiz?lang=en", "/static/app.css",
                        "/static/web.js", "/nowhere", "/admin")]
    for qid in ("q1", "q2", "q3", "q4", "q9"):
        # (texts other than the right answers: a preview echoes the student's own reading)
        for text in ("0.3", "x^2 + 1", "[1, 2]", "B", "", "2*("):
            bodies.append(client.post("/preview", json={"question": qid, "text": text},
                                      headers={"X-CSRF-Token": csrf}).get_data(as_text=True))
    wrong = {"q1": "0.3", "q2": "x", "q3": "[1, 2]", "q4": "B"}
    bodies.append(submit(client, wrong, "save").get_data(as_text=True))
    bodies.append(client.get("/quiz?m=saved").get_data(as_text=True))
    bodies.append(submit(client, wrong).get_data(as_text=True))  # attempt 1 of 2
    bodies.append(client.get("/quiz?m=submitted").get_data(as_text=True))
    assert "status-incorrect" in bodies[-1]  # verdicts are shown ...
    everything = "\n".join(bodies)
    for secret in secrets_of("s1") + secrets_of("s2"):
        assert secret not in everything, secret  # ... but never the key


def test_rate_limits_preview_and_submit_per_token(make_app):
    app, room, _ = make_app(limits={"preview": (5, 0.001), "submit": (3, 0.001)})
    s1, s2 = app.test_client(), app.test_client()
    sign_in(s1, TOKENS["s1"])
    sign_in(s2, TOKENS["s2"])
    csrf1, csrf2 = csrf_of(s1, "/quiz"), csrf_of(s2, "/quiz")
    codes = [s1.post("/preview", json={"question": "q1", "text": "1"},
                     headers={"X-CSRF-Token": csrf1}).status_code for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    r = s1.post("/preview", json={"question": "q1", "text": "1"},
                headers={"X-CSRF-Token": csrf1})
    assert int(r.headers["Retry-After"]) >= 1
    # Another student's bucket is their own.
    assert s2.post("/preview", json={"question": "q1", "text": "1"},
                   headers={"X-CSRF-Token": csrf2}).status_code == 200
    codes = [submit(s1, {"q1": "1"}, "save").status_code for _ in range(5)]
    assert codes == [303] * 3 + [429] * 2


def test_security_headers_on_every_response(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    for path in ("/", "/quiz", "/static/web.js", "/nowhere", "/admin"):
        h = client.get(path).headers
        csp = h["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
    assert client.get("/quiz").headers["Cache-Control"] == "no-store"
    page = client.get("/quiz").get_data(as_text=True)
    assert "<script>" not in page and " on" + "input=" not in page  # no inline script
    cookie = client.get_cookie("quizgen_session")
    assert cookie.http_only and cookie.same_site == "Lax"
