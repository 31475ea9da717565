"""Sessions live in the gradebook database: sign-out and the teacher's "end all sessions" end
them at once (a saved cookie opens nothing afterwards), they expire when idle and at a fixed age,
several serve processes on one database share them, the database holds only digests, and the
cookie is Secure with the __Host- prefix behind HTTPS (ASVS 3.2, 3.3, 3.4)."""

from __future__ import annotations

import hashlib

import pytest
from web_helpers import ADMIN, CSRF_RE, TOKENS, csrf_of, sign_in

from quizgen.web.sessions import Lifetimes


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def minutes(self, n: float) -> None:
        self.now += 60 * n


def cookie(client, name="quizgen_session") -> str:
    found = client.get_cookie(name)
    return found.value if found else ""


def with_cookie(app, value, name="quizgen_session"):
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def logout(client, path="/quiz"):
    return client.post("/logout", data={"csrf_token": csrf_of(client, path)})


def test_logout_ends_the_session_a_saved_cookie_opens_nothing(make_app, db_url):
    app, _, _ = make_app(db_url)
    student, teacher = app.test_client(), app.test_client()
    assert sign_in(student, TOKENS["s1"]).status_code == 303
    assert sign_in(teacher, ADMIN, admin=True).status_code == 303
    saved_student, saved_teacher = cookie(student), cookie(teacher)
    assert with_cookie(app, saved_student).get("/quiz").status_code == 200
    assert with_cookie(app, saved_teacher).get("/admin/answers.csv").status_code == 200
    assert logout(student).status_code == 303
    assert logout(teacher, "/admin").status_code == 303
    replay = with_cookie(app, saved_student).get("/quiz")
    assert replay.status_code == 303 and replay.headers["Location"].endswith("/")
    assert with_cookie(app, saved_teacher).get("/admin/answers.csv").status_code == 401
    page = with_cookie(app, saved_student).get("/").get_data(as_text=True)
    assert "Your session has ended" in page  # the student is told why, not just bounced


def test_the_teacher_ends_every_other_session_at_once(make_app, db_url):
    app, _, _ = make_app(db_url)
    s1, s2, teacher = app.test_client(), app.test_client(), app.test_client()
    sign_in(s1, TOKENS["s1"])
    sign_in(s2, TOKENS["s2"])
    sign_in(teacher, ADMIN, admin=True)
    page = teacher.get("/admin").get_data(as_text=True)
    assert "Signed in: 3" in page and 'id="end-sessions"' in page
    r = teacher.post("/admin/sessions/end", data={"csrf_token": csrf_of(teacher, "/admin")})
    assert r.status_code == 303
    assert "Ended 2 session(s)" in teacher.get(r.headers["Location"]).get_data(as_text=True)
    assert s1.get("/quiz").status_code == 303 and s2.get("/quiz").status_code == 303
    assert teacher.get("/admin/answers.csv").status_code == 200  # the one who pressed it stays
    assert sign_in(s1, TOKENS["s1"]).status_code == 303  # and students simply sign in again


def test_two_serve_processes_on_one_database_share_sessions(make_app, db_url):
    first, _, _ = make_app(db_url)
    second, _, _ = make_app(db_url)  # another process: its own Classroom, the same database
    client = first.test_client()
    sign_in(client, TOKENS["s1"])
    elsewhere = with_cookie(second, cookie(client))
    assert elsewhere.get("/quiz").status_code == 200
    assert logout(elsewhere).status_code == 303
    assert client.get("/quiz").status_code == 303  # signed out on the first one too


def test_idle_timeout_and_absolute_lifetime(make_app):
    clock = Clock()
    app, _, _ = make_app(options={"clock": clock,
                                  "lifetimes": Lifetimes(idle=30 * 60, absolute=180 * 60)})
    busy, idle = app.test_client(), app.test_client()
    sign_in(busy, TOKENS["s1"])
    sign_in(idle, TOKENS["s2"])
    for _ in range(5):  # 5 x 29 minutes, a request each time: idle never reaches 30 minutes
        clock.minutes(29)
        assert busy.get("/quiz").status_code == 200
    assert idle.get("/quiz").status_code == 303  # 145 minutes without a request
    clock.minutes(29)  # 174 minutes after sign-in
    assert busy.get("/quiz").status_code == 200
    clock.minutes(7)  # 181: past the absolute lifetime, however busy
    assert busy.get("/quiz").status_code == 303


def test_the_database_holds_digests_and_no_row_per_anonymous_visit(make_app, db_url):
    from sqlalchemy import select

    from quizgen.web.sessions import web_sessions

    app, room, _ = make_app(db_url)
    for _ in range(30):  # visitors who never sign in: a signed cookie, no row
        app.test_client().get("/")
    with room.book.engine.connect() as conn:
        assert conn.execute(select(web_sessions)).all() == []
    client = app.test_client()
    client.set_cookie("quizgen_session", "s.chosen-by-an-attacker")
    sign_in(client, TOKENS["s1"])
    value = cookie(client)
    assert value.startswith("s.") and value != "s.chosen-by-an-attacker"  # never fixated
    session_id = value[2:]
    with room.book.engine.connect() as conn:
        rows = conn.execute(select(web_sessions)).all()
    assert [r.digest for r in rows] == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in repr(rows)
    assert rows[0].role == "student" and rows[0].subject == "s1" and rows[0].method == "token"


def test_a_forged_or_tampered_anonymous_cookie_is_ignored(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    client.get("/")
    value = cookie(client)
    assert value.startswith("a.")
    for forged in (value[:-2] + "xx", "a.eyJyb2xlIjoidGVhY2hlciJ9", "s." + "A" * 3000):
        c = with_cookie(app, forged)
        assert c.get("/admin/answers.csv").status_code == 401
        assert c.get("/quiz").status_code == 303


@pytest.mark.parametrize("how", ["flag", "https"])
def test_secure_cookie_has_the_host_prefix(make_app, how):
    """--secure-cookies, or a request that arrived over HTTPS (what waitress makes of a trusted
    proxy's X-Forwarded-Proto; tests/web/test_web_cli.py checks that part)."""
    secure = how == "flag"
    app, _, _ = make_app(options={"secure_cookies": secure})
    client = app.test_client()
    base = "https://localhost" if how == "https" else "http://localhost"
    first = client.get("/", base_url=base)
    # Before sign-in: the anonymous cookie, which carries the sign-in form's CSRF token.
    assert first.headers["Set-Cookie"].startswith("__Host-quizgen=a.")
    form = CSRF_RE.search(first.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"token": TOKENS["s1"], "csrf_token": form}, base_url=base)
    assert r.status_code == 303
    set_cookie = r.headers["Set-Cookie"]
    assert set_cookie.startswith("__Host-quizgen=s.")
    attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes and "Path=/" in set_cookie
    assert "max-age" not in attributes and "expires" not in attributes  # a session cookie
    assert client.get("/quiz", base_url=base).status_code == 200


def test_plain_http_cookie_is_not_secure_but_http_only(make_app):
    app, _, _ = make_app()
    client = app.test_client()
    sign_in(client, TOKENS["s1"])
    found = client.get_cookie("quizgen_session")
    assert found.http_only and not found.secure and found.same_site == "Lax"
