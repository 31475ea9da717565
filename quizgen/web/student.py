"""Student pages: sign in with a token, take one's own variant, preview, save, submit.

The student is always the one their session's token resolved to; no route takes a student id
from the request, so there is no id to swap for another student's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Blueprint, abort, current_app, g, jsonify, redirect, request
from markupsafe import Markup

from quizgen.export.math import latex_to_mathml
from quizgen.export.sheet import build_sheet
from quizgen.model import Quiz
from quizgen.spreadsheet import unprotect

from .app import (
    classroom,
    end_session,
    page,
    rate_limit,
    sign_in_limiter,
    start_session,
    web_session,
)
from .classroom import AlreadySubmitted, NoAttemptsLeft
from .i18n import UI
from .parts import answer_questions, quiz_of_parts
from .preview import preview
from .work import Busy, StillRunning

student_pages = Blueprint("student", __name__)

MESSAGES = ("saved", "submitted", "checking", "no_attempts", "already")
PREVIEW_WAIT = 2.0  # seconds; reading any answer takes milliseconds (quizgen.grading's bounds)
_LABELS = re.compile(r"[\s,;/、，；]+")


def _mathml(latex: str, display: bool) -> Markup:
    return Markup(latex_to_mathml(latex, display=display))


_SHEETS: dict[tuple[int, str, bool], tuple[Quiz, object]] = {}
_SHEETS_MAX = 2000


def sheet_of(quiz: Quiz, lang: str, *, key: bool = False):
    """The sheet view of ``quiz`` (MathML converted once per quiz and language).

    Keyed by the Quiz object's identity, which the entry keeps alive: a regrade loads new Quiz
    objects, so a sheet of the old key is never served again.
    """
    slot = (id(quiz), lang, key)
    hit = _SHEETS.get(slot)
    if hit is not None and hit[0] is quiz:
        return hit[1]
    # A key of a multi-part question is each part's key, by answer id ("q3.a").
    source = replace(quiz, questions=answer_questions(quiz.questions)) if key else quiz
    sheet = build_sheet(source, key=key, lang=lang, convert=_mathml)
    if len(_SHEETS) >= _SHEETS_MAX:
        _SHEETS.clear()
    _SHEETS[slot] = (quiz, sheet)
    return sheet


_PARTS: dict[tuple[int, str], tuple[object, list[dict]]] = {}


def part_views(quiz: Quiz, question, lang: str) -> list[dict]:
    """The parts of a multi-part question as the page shows them: {"label": "a", "view": the
    sheet's view of the part, whose id is its answer id "q3.a"}; kept like sheet_of's."""
    slot = (id(question), lang)
    hit = _PARTS.get(slot)
    if hit is not None and hit[0] is question:
        return hit[1]
    sheet = build_sheet(quiz_of_parts(quiz, question), key=False, lang=lang, convert=_mathml)
    views = [{"label": p.id, "view": v} for p, v in zip(question.parts, sheet.questions)]
    if len(_PARTS) >= _SHEETS_MAX:
        _PARTS.clear()
    _PARTS[slot] = (question, views)
    return views


def current_student() -> str | None:
    s = web_session()
    sid = s.subject if s.role == "student" else None
    return sid if sid is not None and classroom().knows(sid) else None


def require_student() -> str:
    sid = current_student()
    if sid is None:
        abort(401)
    return sid


def answers_from_form(sid: str) -> dict[str, str]:
    answers = {}
    for q in answer_questions(classroom().quiz_of(sid).questions):  # parts: "a_q3.a"
        name = f"a_{q.id}"
        if q.kind == "choice":
            answers[q.id] = ", ".join(v.strip() for v in request.form.getlist(name)
                                      if v.strip())
        elif name in request.form:
            answers[q.id] = request.form.get(name, "")
    return answers


@student_pages.get("/")
def home():
    if current_student():
        return redirect(f"{request.script_root}/quiz", 303)
    return login_page()


def login_page(error: str | None = None):
    notice = UI[g.lang]["session_ended"] if web_session().ended_by_server else None
    return page("web_login.html.j2", error=error, notice=notice)


def refuse_sign_in(admin: bool, presented: str, template: str):
    """A wrong token: 401, or 429 with Retry-After once this address or token prefix is
    backing off. Only wrong tokens get here, so a right one is never refused."""
    limiter = sign_in_limiter()
    wait = limiter.failed(limiter.keys(admin, request.remote_addr or "", presented))
    if wait:
        current_app.logger.warning("sign-in: repeated failures from %s; backing off %d s",
                                   request.remote_addr, wait)
        message = UI[g.lang]["slow_down"].format(n=wait)
        return page(template, error=message, notice=None), 429, {"Retry-After": str(wait)}
    return page(template, error=UI[g.lang]["bad_token"], notice=None), 401


@student_pages.post("/login")
def login():
    # A token copied out of tokens.csv in a text editor may carry the spreadsheet's "text"
    # apostrophe ('-abc...): read it as the spreadsheet would.
    presented = unprotect(request.form.get("token", "").strip())
    sid = classroom().student_for_token(presented)
    if sid is None:
        return refuse_sign_in(False, presented, "web_login.html.j2")
    start_session("student", sid, "token")
    return redirect(f"{request.script_root}/quiz", 303)


@student_pages.post("/logout")
def logout():
    end_session()
    return redirect(f"{request.script_root}/", 303)


@student_pages.get("/quiz")
def quiz_page():
    sid = current_student()
    if sid is None:
        return redirect(f"{request.script_root}/", 303)
    message = request.args.get("m")
    return render_quiz(sid, message if message in MESSAGES else None)


@student_pages.post("/quiz")
def quiz_post():
    sid = require_student()
    rate_limit("submit", sid)
    room = classroom()
    answers = answers_from_form(sid)
    if request.form.get("action") == "submit":
        try:
            _, graded = room.submit(sid, answers)
            message = "submitted" if graded else "checking"
        except Busy:
            return busy()
        except NoAttemptsLeft:
            message = "no_attempts"
        except AlreadySubmitted:
            message = "already"
    else:
        if room.attempt_for(sid)[1] == 0:
            message = "no_attempts"
        else:
            room.save_draft(sid, answers)
            message = "saved"
    return redirect(f"{request.script_root}/quiz?m={message}", 303)


@student_pages.post("/preview")
def preview_answer():
    sid = require_student()
    rate_limit("preview", sid)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        abort(400)
    room = classroom()
    question = room.question(sid, str(data.get("question", "")))
    if question is None:
        abort(404)
    try:  # on the grading pool, one at a time per student: never on a page thread for long
        shown = room.work.run("preview", sid, preview, question, data["text"], g.lang,
                              wait=PREVIEW_WAIT)
    except Busy:
        return busy()
    except StillRunning:
        return jsonify({"ok": False, "read_as": "", "value": "",
                        "error": UI[g.lang]["busy"]})
    return jsonify(shown.to_dict())


def busy():
    """429: this student's previous answer is still being checked (nobody else waits)."""
    text = UI[g.lang]["busy"]
    headers = {"Retry-After": "1"}
    if request.path.endswith("/preview"):
        return jsonify({"ok": False, "error": text}), 429, headers
    return page("web_error.html.j2", status=429, message=text), 429, headers


def render_quiz(sid: str, message: str | None) -> str:
    room = classroom()
    quiz = room.quiz_of(sid)
    lang = g.lang
    attempts, left = room.attempt_for(sid)
    last = attempts[-1] if attempts else None
    values = {**(last.answers if last else {}), **room.draft(sid)}
    # Every answer box: a question's, or each part's of a multi-part question (by answer id).
    boxes = answer_questions(quiz.questions)
    parts = {q.id: part_views(quiz, q, lang) for q in quiz.questions if q.parts}
    previews = {q.id: preview(q, values.get(q.id, ""), lang)
                for q in boxes if q.kind != "choice"}
    selected = {q.id: {s.upper() for s in _LABELS.split(values.get(q.id, "")) if s}
                for q in boxes if q.kind == "choice"}
    # A list answer is "select all that apply", which the prompt itself says: checkboxes.
    multiple = {q.id: isinstance(q.answer, list) for q in boxes if q.kind == "choice"}
    show = room.settings
    verdicts = room.verdicts(last) if last is not None and show.show_verdicts else {}
    solutions = {}
    if last is not None and left == 0 and show.show_solutions:
        # Only here, after the last attempt and with the teacher's leave, is a key built.
        solutions = {v.id: v for v in sheet_of(quiz, lang, key=True).questions}
    score = sum(a.points for a in verdicts.values()) if verdicts else None
    return page(
        "web_quiz.html.j2", sheet=sheet_of(quiz, lang), values=values, previews=previews,
        parts=parts,
        selected=selected, multiple=multiple, verdicts=verdicts, solutions=solutions,
        attempts=len(attempts), allowed=show.attempts, left=left, editable=left > 0,
        message=message, score=score, total=quiz.total_points, student=sid,
        name=room.names.get(sid, ""), show_verdicts=show.show_verdicts)
