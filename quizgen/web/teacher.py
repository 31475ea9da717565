"""Teacher pages (admin token): the live table, one student's answers, the class report, CSV
downloads, regrade, and what students may see."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, g, redirect, request, session

from quizgen.report import SCORE_COLUMNS, build_report, render_html, score_rows
from quizgen.spreadsheet import csv_text

from .app import classroom, page, session_store, start_session, web_session
from .classroom import ServeError
from .i18n import UI
from .security import CSP_REPORT
from .student import refuse_sign_in

teacher_pages = Blueprint("teacher", __name__, url_prefix="/admin")


def is_admin() -> bool:
    return web_session().role == "teacher"


def require_admin() -> None:
    if not is_admin():
        abort(401)


def _admin_url(suffix: str = "") -> str:
    return f"{request.script_root}/admin{suffix}"


@teacher_pages.get("")
def dashboard():
    if not is_admin():
        notice = UI[g.lang]["session_ended"] if web_session().ended_by_server else None
        return page("web_admin_login.html.j2", error=None, notice=notice)
    room = classroom()
    message = None
    if request.args.get("m") == "regraded":
        message = UI[g.lang]["regraded"].format(n=request.args.get("n", "0", type=int))
    elif request.args.get("m") == "ended":
        message = UI[g.lang]["sessions_ended"].format(n=request.args.get("n", "0", type=int))
    elif request.args.get("m") == "error":
        message = f'{UI[g.lang]["error"]}: {session.pop("admin_error", "")}'  # escaped on the page
    live = request.args.get("live") != "0"
    return page("web_admin.html.j2", settings=room.settings, message=message, live=live,
                title=room.quiz.title or room.quiz.topic, sessions=session_store().count(),
                **_table())


@teacher_pages.get("/table")
def table():
    """The changing parts of the dashboard, which web.js fetches to update it in place."""
    require_admin()
    return page("web_admin_table.html.j2", **_table())


def _table() -> dict:
    room = classroom()
    rows = room.table()
    submitted = [r for r in rows if r.attempts]
    mean = sum(r.points for r in submitted) / len(submitted) if submitted else None
    return {"rows": rows, "question_ids": room.record.question_ids, "submitted": len(submitted),
            "mean": mean, "total": room.quiz.total_points}


@teacher_pages.post("/login")
def login():
    presented = request.form.get("token", "").strip()
    expected = current_app.extensions["quizgen"]["admin_token"]
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        return refuse_sign_in(True, presented, "web_admin_login.html.j2")
    start_session("teacher", None, "admin-token")
    return redirect(_admin_url(), 303)


@teacher_pages.post("/sessions/end")
def end_sessions():
    """End every session of this quiz (students' and other teachers') but this one."""
    require_admin()
    ended = session_store().end_all(keep=web_session().key)
    current_app.logger.warning("the teacher ended %d session(s)", ended)
    return redirect(_admin_url(f"?m=ended&n={ended}"), 303)


@teacher_pages.get("/student/<path:student>")
def student_detail(student: str):
    require_admin()
    room = classroom()
    row = next((r for r in room.table() if r.student == student), None)
    if row is None:
        abort(404)
    attempts = room.attempts(student)
    return page("web_admin_student.html.j2", row=row, attempts=attempts,
                question_ids=room.answer_ids(student))


@teacher_pages.get("/report")
def report():
    require_admin()
    room = classroom()
    answers, _ = room.class_answers()
    html = render_html(build_report(room.quiz, answers, room.names_map()), g.lang)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP_REPORT
    return response


def _csv_response(text: str, name: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@teacher_pages.get("/scores.csv")
def scores_csv():
    require_admin()
    room = classroom()
    answers, _ = room.class_answers()
    result = build_report(room.quiz, answers, room.names_map())
    return _csv_response(csv_text(SCORE_COLUMNS, score_rows(result)), "scores.csv")


@teacher_pages.get("/answers.csv")
def answers_csv():
    require_admin()
    rows = []
    for row in classroom().table():
        for qid, a in row.answers.items():
            v = a.verdict
            rows.append([row.student, row.name, qid, a.raw, v.status if v else "pending",
                         f"{v.score:g}" if v else "", f"{a.points:g}",
                         v.interpreted if v else "", v.feedback if v else "",
                         v.mistake or "" if v else ""])
    return _csv_response(csv_text(["student", "name", "question", "answer", "status", "score",
                                   "points", "interpreted", "feedback", "mistake"], rows),
                         "answers.csv")


@teacher_pages.post("/regrade")
def regrade():
    require_admin()
    try:
        changed = classroom().regrade()
    except ServeError as e:
        current_app.logger.error("regrade failed: %s", e)
        session["admin_error"] = str(e)
        return redirect(_admin_url("?m=error"), 303)
    return redirect(_admin_url(f"?m=regraded&n={changed}"), 303)


@teacher_pages.post("/settings")
def settings():
    require_admin()
    room = classroom()
    room.settings.show_verdicts = request.form.get("show_verdicts") == "on"
    room.settings.show_solutions = request.form.get("show_solutions") == "on"
    return redirect(_admin_url(), 303)


@teacher_pages.get("/status.json")
def status():
    require_admin()
    room = classroom()
    return {"students": len(room.tokens), "attempts": room.store.count_attempts()}
