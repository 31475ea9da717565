"""One server, one or several quizzes, and the LTI tool in front of them.

Each quiz is its own app (:func:`quizgen.web.app.create_app`: its classroom, sessions and
pages). With one quiz it answers at ``/`` as it always did; with several, each answers under
``/<name>/`` (the quiz folder's name) with a cookie of its own, and ``/`` lists them. With an
LTI configuration the tool answers at ``/lti/`` and a launch lands in the chosen quiz's app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask, Request, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from quizgen.export.templating import environment

from .app import WebOptions, create_app
from .classroom import Classroom
from .i18n import UI
from .security import new_secret, security_headers


@dataclass
class Room:
    slug: str  # the quiz's name in URLs and in an LMS link's custom parameter quiz=
    mount: str  # "" at the root, else "/<slug>"
    classroom: Classroom
    app: Flask

    def url(self, path: str) -> str:
        return f"{self.mount}{path}"

    @property
    def title(self) -> str:
        quiz = self.classroom.quiz
        return quiz.title or f"{quiz.topic} ({self.slug})"

    @property
    def total_points(self) -> float:
        return self.classroom.quiz.total_points

    def summary(self) -> dict:
        return {"slug": self.slug, "title": self.title, "points": self.total_points,
                "questions": len(self.classroom.quiz.questions)}

    def start_session(self, request: Request, response: Response, role: str,
                      subject: str | None, *, lang: str | None = None) -> None:
        """Sign the browser in to this quiz (an LMS launch) and set the cookie for its frame."""
        data = {"csrf": new_secret()}
        if lang:
            data["lang"] = lang
        sessions = self.app.extensions["quizgen"]["sessions"]
        session_id = sessions.create(role, subject, "lti", data)
        self.app.session_interface.issue(request, response, session_id, cross_site=True)


def slugs(paths: list[Path]) -> list[str]:
    """A short URL-safe name per quiz: its folder's name, made unique."""
    out: list[str] = []
    for path in paths:
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.resolve().parent.name).strip("-") or "quiz"
        name, n = stem, 2
        while name in out or name == "lti":
            name, n = f"{stem}-{n}", n + 1
        out.append(name)
    return out


class Site:
    def __init__(self, classrooms: list[Classroom], options: WebOptions, *,
                 lti_config=None, lti_options=None) -> None:
        if not classrooms:
            raise ValueError("no quiz to serve")
        frames = lti_config.frame_ancestors if lti_config is not None else ()
        several = len(classrooms) > 1
        self.rooms: dict[str, Room] = {}
        for slug, room in zip(slugs([c.quiz_path for c in classrooms]), classrooms):
            app = create_app(room, replace(options, frame_ancestors=frames,
                                           cookie_suffix=slug if several else ""))
            self.rooms[slug] = Room(slug, f"/{slug}" if several else "", room, app)
        first = next(iter(self.rooms.values()))
        self.lti = None
        mounts: dict[str, object] = {r.mount: r.app for r in self.rooms.values() if r.mount}
        if lti_config is not None:
            from .lti.store import LtiStore
            from .lti.tool import LtiTool

            self.lti = LtiTool(lti_config, LtiStore(first.classroom.book.engine), self.rooms,
                               lti_options)
            for room in self.rooms.values():
                self.lti.attach(room)
            mounts["/lti"] = self.lti.app(first.mount, options.max_body)
        root = first.app if not several else self._index(frames)
        self.wsgi = DispatcherMiddleware(root, mounts)  # type: ignore[arg-type]

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)

    def _index(self, frames: tuple[str, ...]) -> Flask:
        """``/`` of a server with several quizzes: a link to each."""
        app = Flask("quizgen.web.index", static_folder=None)
        first = next(iter(self.rooms.values()))

        @app.route("/")
        def index() -> Response:
            html = environment().get_template("web_index.html.j2").render(
                ui=UI["en"], lang="en", other_lang="en", root=first.mount, csrf="",
                rooms=list(self.rooms.values()))
            return Response(html, mimetype="text/html")

        @app.after_request
        def _headers(response: Response) -> Response:
            security_headers(response.headers, frame_ancestors=frames)
            return response

        return app

    def start(self) -> None:
        """Begin sending grades to the LMS in the background."""
        if self.lti is not None:
            self.lti.passback.start()

    def stop(self) -> None:
        if self.lti is not None:
            self.lti.passback.stop()

    def close(self) -> None:
        self.stop()
        for room in self.rooms.values():
            room.classroom.close()
