"""The Flask application: ``create_app(classroom)`` wires the student and teacher pages to a
:class:`~quizgen.web.classroom.Classroom` and puts the safety rules around every request.

Rules enforced here, once, for every route:

* request bodies over ``max_body`` bytes are refused with 413 before any parsing;
* every POST carries the session's CSRF token (form field or ``X-CSRF-Token`` header) or is
  refused with 403;
* every response gets the security headers of :mod:`quizgen.web.security` and ``no-store``
  (static files excepted);
* pages are rendered by the same Jinja2 environment as the HTML export, which autoescapes every
  ``.html.j2`` template: student text is text wherever it is shown.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request, session
from werkzeug.exceptions import HTTPException, TooManyRequests

from quizgen.export.templating import environment, template_root

from .classroom import Classroom
from .i18n import LANGS, UI, other_lang
from .security import CSRF_FIELD, CSRF_HEADER, RateLimiter, csrf_ok, new_secret, security_headers

MAX_BODY = 64 * 1024  # a 20-question sheet with long answers is a few KB

# (capacity, refill per second) per student token, or per address for failed sign-ins.
DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "preview": (30.0, 5.0),  # typing: a burst, then 5 a second
    "submit": (10.0, 0.5),  # drafts and submits: 10 at once, then one every 2 s
    "login": (20.0, 0.5),  # failed sign-ins per address (a class behind one NAT signs in fine)
}


@dataclass
class WebOptions:
    admin_token: str
    secret_key: str = ""
    max_body: int = MAX_BODY
    limits: dict[str, tuple[float, float]] | None = None
    secure_cookies: bool = False  # set behind HTTPS (a TLS-terminating proxy)


def _static_text(name: str) -> str:
    return importlib.resources.files("quizgen.web").joinpath("static", name).read_text(
        encoding="utf-8")


def create_app(classroom: Classroom, options: WebOptions) -> Flask:
    if len(options.admin_token) < 16:
        raise ValueError("the admin token must be at least 16 characters")
    app = Flask("quizgen.web", static_folder=None)
    app.config.update(
        SECRET_KEY=options.secret_key or new_secret(),
        MAX_CONTENT_LENGTH=options.max_body,
        MAX_FORM_MEMORY_SIZE=options.max_body,
        SESSION_COOKIE_NAME="quizgen_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=options.secure_cookies,
    )
    app.extensions["quizgen"] = {
        "classroom": classroom,
        "admin_token": options.admin_token,
        "limiter": RateLimiter({**DEFAULT_LIMITS, **(options.limits or {})}),
    }
    css = (template_root().joinpath("quiz.css").read_text(encoding="utf-8") + "\n"
           + _static_text("web.css"))
    js = _static_text("web.js")

    @app.before_request
    def _guard() -> None:
        length = request.content_length
        if length is not None and length > options.max_body:
            abort(413)
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
        security_headers(response.headers)
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
        text = {403: ui["forbidden"], 404: ui["not_found"], 413: ui["too_large"],
                429: ui["too_many"]}.get(e.code or 500, e.description or ui["error"])
        headers = {}
        if e.code == 429:
            headers["Retry-After"] = str(getattr(e, "retry_after", None) or 1)
        if request.path == "/preview" or request.accept_mimetypes.best == "application/json":
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


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = new_secret()
    return token


def rate_limit(action: str, key: str) -> None:
    if not limiter().allow(action, key):
        raise TooManyRequests(retry_after=limiter().retry_after(action))


def page(template: str, **context: Any) -> str:
    lang = getattr(g, "lang", "en")
    return environment().get_template(template).render(
        ui=UI[lang], lang=lang, other_lang=other_lang(lang), root=request.script_root,
        csrf_field=CSRF_FIELD, csrf=csrf_token(), **context)
