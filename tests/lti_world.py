"""An LTI world for the tests: the platform of lti_platform.py, quizgen's site with the LTI
tool over copies of a quiz, and a browser (werkzeug's test client, which keeps cookies like a
browser) with helpers that walk it through a launch. Used by tests/lti and the conformance
tour of the LTI pages."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lti_platform import Expect, Platform, User, form_fields
from werkzeug.test import Client

from quizgen.web import Classroom, Settings, WebOptions
from quizgen.web.lti.config import load_config
from quizgen.web.lti.passback import Backoff
from quizgen.web.lti.tool import LtiOptions
from quizgen.web.site import Site

ADMIN = "admin-token-LTI-CCCCCCCCCCCCCCCCCC"


@dataclass
class World:
    """The platform, the served tool, and helpers that walk a browser through a launch."""

    platform: Platform
    site: Site
    config_path: Path
    quiz_paths: list[Path]
    browsers: list[Client] = field(default_factory=list)

    def browser(self) -> Client:
        client = Client(self.site)
        self.browsers.append(client)
        return client

    def start_login(self, browser: Client, spec: Expect):
        hint = self.platform.expect(spec)
        return browser.post("/lti/login", data={
            "iss": self.platform.issuer, "login_hint": spec.user.sub,
            "target_link_uri": "http://localhost/lti/launch", "lti_message_hint": hint,
            "client_id": "quizgen-client", "lti_deployment_id": "1"})

    def authorize(self, browser: Client, spec: Expect) -> dict[str, str]:
        """Login at the tool, then the platform's authorization page: the form it posts."""
        import requests

        login = self.start_login(browser, spec)
        assert login.status_code == 302, login.get_data(as_text=True)
        page = requests.get(login.headers["Location"], timeout=10)
        assert page.status_code == 200, page.text
        action, fields = form_fields(page.text)
        assert action == "http://localhost/lti/launch"
        return fields

    def launch(self, browser: Client, spec: Expect, *, tamper=None):
        fields = self.authorize(browser, spec)
        if tamper:
            tamper(fields)
        return browser.post("/lti/launch", data=fields)

    def learner(self, sub: str, name: str = "", email: str = "", **expect) -> Client:
        browser = self.browser()
        r = self.launch(browser, Expect(User(sub, name, email), **expect))
        assert r.status_code == 303, r.get_data(as_text=True)
        assert r.headers["Location"].endswith("/quiz")
        return browser

    @property
    def room(self):
        return next(iter(self.site.rooms.values()))

    def send_scores(self) -> int:
        return self.site.lti.passback.send_due()

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from quizgen.web.sessions import web_sessions

        counts = self.site.lti.store.counts()
        with self.room.classroom.book.engine.connect() as conn:
            counts["web_sessions"] = conn.execute(
                select(func.count()).select_from(web_sessions)).scalar_one()
        counts["variants.json"] = self.quiz_paths[0].with_name("variants.json").exists() and \
            self.quiz_paths[0].with_name("variants.json").stat().st_size
        return counts


def build_world(folder: Path, platform: Platform, tool_keys: tuple[Path, Path], quiz: Path,
                db: str | None = None, *, quizzes: int = 1, min_refetch: float = 0.0,
                backoff: Backoff | None = None, extra: dict | None = None,
                settings: Settings | None = None, secure: bool = False) -> World:
    """Copies of the quiz folder ``quiz`` (``quizzes`` of them) served with the LTI tool
    registered at ``platform``; the platform knows the tool's JWKS."""
    paths = []
    for i in range(quizzes):
        target = folder / (quiz.name if i == 0 else f"{quiz.name}-b{i}")
        if not target.exists():
            shutil.copytree(quiz, target)
        paths.append(target / "quiz.json")
    config_path = folder / "lti.json"
    config_path.write_text(json.dumps(platform.tool_config(
        str(tool_keys[0]), str(tool_keys[1]), **(extra or {}))))
    rooms = [Classroom(p, db=db if i == 0 else None, settings=settings or Settings(),
                       tokens_required=False) for i, p in enumerate(paths)]
    site = Site(rooms, WebOptions(admin_token=ADMIN, secure_cookies=secure),
                lti_config=load_config(config_path),
                lti_options=LtiOptions(min_refetch=min_refetch, secure_cookies=secure,
                                       backoff=backoff or Backoff(base=0.0)))
    world = World(platform, site, config_path, paths)
    platform.tool_jwks = json.loads(world.browser().get("/lti/jwks").get_data())
    return world
