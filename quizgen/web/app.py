"""The Flask application: ``create_app(classroom)`` wires the student and teacher pages to a
:class:`~quizgen.web.classroom.Classroom` and puts the safety rules around every request.

Rules enforced here, once, for every route:

* request bodies over ``max_body`` bytes are refused with 413 before any parsing;
* a JSON body too deep or malformed is refused with 400 and a one-line message;
* every POST carries the session's CSRF token (form field or ``X-CSRF-Token`` header) or is
  refused with 403;
* sessions live in the database (:mod:`quizgen.web.sessions`): sign-out and the teacher's
  "end all sessions" end them everywhere at once, and they expire when idle and at a fixed age;
* every response gets the security headers of :mod:`quizgen.web.security` and ``no-store``
  (static files excepted);
* pages are rendered by the same Jinja2 environment as the HTML export, which autoescapes every
  ``.html.j2`` template: student text is text wherever it is shown.
"""

from __future__ import annotations

import importlib.resources
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request, session
from werkzeug.exceptions import HTTPException, TooManyRequests

from quizgen.export.templating import environment, template_root
from quizgen.safejson import JSONInputError
from quizgen.safejson import load as load_json

from .classroom import Classroom
from .i18n import LANGS, UI, other_lang
from .security import (
    CSRF_FIELD,
    CSRF_HEADER,
    RateLimiter,
    SignInLimiter,
    SignInPolicy,
    csrf_ok,
    new_secret,
    security_headers,
)
from .sessions import Lifetimes, ServerSessions, SessionStore, WebSession

MAX_BODY = 64 * 1024  # a 20-question sheet with long answers is a few KB

# (capacity, refill per second) per student.
DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "preview": (30.0, 5.0),  # typing: a burst, then 5 a second
    "submit": (10.0, 0.5),  # drafts and submits: 10 at once, then one every 2 s
}


@dataclass
class WebOptions:
    admin_token: str
    secret_key: str = ""  # signs the anonymous cookie; default: a key kept in the database
    max_body: int = MAX_BODY
    limits: dict[str, tuple[float, float]] | None = None
    secure_cookies: bool = False  # Secure (and __Host-) even when a request looks like HTTP
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    sign_in: SignInPolicy = field(default_factory=SignInPolicy)
    clock: Callable[[], float] = time.time  # wall time: sessions are shared between processes
    # Origins of the LMS platforms that may show the pages in a frame (LTI); none: no framing.
    frame_ancestors: tuple[str, ...] = ()
    cookie_suffix: str = ""  # one server, several quizzes: each app's cookie has its own name


def _static_text(name: str) -> str:
    return importlib.resources.files("quizgen.web").joinpath("static", name).read_text(
        encoding="utf-8")


def create_app(classroom: Classroom, options: WebOptions) -> Flask:
    if len(options.admin_token) < 16:
        raise ValueError("the admin token must be at least 16 characters")
    app = Flask("quizgen.web", static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=options.max_body,
                      MAX_FORM_MEMORY_SIZE=options.max_body)
    store = SessionStore(classroom.book.engine, classroom.record.id, options.lifetimes,
                         clock=options.clock)
    secret = options.secret_key or store.shared_secret("anonymous-session-key")
    app.session_interface = ServerSessions(store, secret, always_secure=options.secure_cookies,
                                           suffix=options.cookie_suffix)
    app.extensions["quizgen"] = {
        "classroom": classroom,
        "admin_token": options.admin_token,
        "limiter": RateLimiter({**DEFAULT_LIMITS, **(options.limits or {})}),
        "sign_in": SignInLimiter(options.sign_in),
        "sessions": store,
    }
    css = (template_root().joinpath("quiz.css").read_text(encoding="utf-8") + "\n"
           + _static_text("web.css"))
    js = _static_text("web.js")

    @app.before_request
    def _guard() -> None:
        length = request.content_length
        if length is not None and length > options.max_body:
            abort(413)
        if request.is_json and request.method in ("POST", "PUT", "PATCH"):
            try:  # depth-bounded (quizgen.safejson): no route ever parses an unbounded body
                load_json(request.get_data(cache=True))
            except JSONInputError as e:
                abort(400, description=f"the JSON body: {e}")
        lang = request.args.get("lang")
        if lang in LANGS:
            session["lang"] = lang
        g.lang = session.get("lang") if session.get("lang") in LANGS else classroom.quiz.lang
        if request.method == "POST":
            presented = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
            if not csrf_ok(session.get("csrf"), presented):
                abort(403)

    @app.after_request
    def _headers(response: Response) -> Response:
        if request.path.startswith("/static/") or request.path == "/favicon.ico":
            response.headers["Cache-Control"] = "public, max-age=3600"
        security_headers(response.headers, frame_ancestors=options.frame_ancestors)
        return response

    @app.get("/static/app.css")
    def static_css() -> Response:
        return Response(css, mimetype="text/css")

    @app.get("/static/web.js")
    def static_js() -> Response:
        return Response(js, mimetype="text/javascript")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _error(e: HTTPException):
        ui = UI[getattr(g, "lang", "en") if getattr(g, "lang", "en") in UI else "en"]
        text = {401: ui["signed_out"], 403: ui["forbidden"], 404: ui["not_found"],
                413: ui["too_large"], 429: ui["too_many"]}.get(e.code or 500,
                                                                e.description or ui["error"])
        headers = {}
        if e.code == 429:
            headers["Retry-After"] = str(getattr(e, "retry_after", None) or 1)
        if request.path == "/preview" or request.is_json \
                or request.accept_mimetypes.best == "application/json":
            return jsonify({"ok": False, "error": text}), e.code, headers
        return page("web_error.html.j2", status=e.code, message=text), e.code, headers

    from .student import student_pages
    from .teacher import teacher_pages

    app.register_blueprint(student_pages)
    app.register_blueprint(teacher_pages)
    return app


# -- helpers the blueprints share -----------------------------------------------------------

def classroom() -> Classroom:
    from flask import current_app

    return current_app.extensions["quizgen"]["classroom"]


def limiter() -> RateLimiter:
    from flask import current_app

    return current_app.extensions["quizgen"]["limiter"]


def sign_in_limiter() -> SignInLimiter:
    from flask import current_app

    return current_app.extensions["quizgen"]["sign_in"]


def session_store() -> SessionStore:
    from flask import current_app

    return current_app.extensions["quizgen"]["sessions"]


def web_session() -> WebSession:
    return session  # type: ignore[return-value]  # ServerSessions makes every session one


def start_session(role: str, subject: str | None, method: str) -> None:
    """Sign in: a new server-side session, keeping the chosen language."""
    data = {"csrf": new_secret()}
    if session.get("lang") in LANGS:
        data["lang"] = session["lang"]
    web_session().start(session_store(), role, subject, method, data)


def end_session() -> None:
    """Sign out: the session's row is deleted; the language choice stays with the browser."""
    lang = session.get("lang")
    web_session().end({"lang": lang} if lang in LANGS else None)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = new_secret()
    return token


def rate_limit(action: str, key: str) -> None:
    if not limiter().allow(action, key):
        raise TooManyRequests(retry_after=limiter().retry_after(action))


def page(template: str, **context: Any) -> str:
    from flask import current_app

    lang = getattr(g, "lang", "en")
    return environment().get_template(template).render(
        ui=UI[lang], lang=lang, other_lang=other_lang(lang), root=request.script_root,
        csrf_field=CSRF_FIELD, csrf=csrf_token(),
        lms="lti" in current_app.extensions["quizgen"], **context)
