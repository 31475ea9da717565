"""Fixtures of the LTI tests: a real platform on loopback (platform.py), the tool's keys, a
real quiz (sampled from the bank, so learners get real variants), and the served site with a
browser (werkzeug's test client, which keeps cookies like a browser)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lti_platform import Expect, Platform, User, form_fields
from werkzeug.test import Client

from quizgen.web import Classroom, Settings, WebOptions
from quizgen.web.lti.config import load_config, write_key_pair
from quizgen.web.lti.passback import Backoff, CachingConnector
from quizgen.web.lti.tool import LtiOptions
from quizgen.web.site import Site

ADMIN = "admin-token-LTI-CCCCCCCCCCCCCCCCCC"


@pytest.fixture(scope="session")
def tool_keys(tmp_path_factory) -> tuple[Path, Path]:
    return write_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def quiz_folder(tmp_path_factory) -> Path:
    """A 3-question quiz of real families (numbers): learners' variants come from the bank."""
    from quizgen.sampling import make_quiz

    folder = tmp_path_factory.mktemp("quiz-template") / "week3"
    folder.mkdir()
    make_quiz("optimizers", count=3, seed=11, lang="en").save(folder / "quiz.json")
    return folder


@pytest.fixture
def platform():
    p = Platform()
    yield p
    p.close()


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


@pytest.fixture
def make_world(tmp_path, platform, tool_keys, quiz_folder):
    made: list[World] = []
    CachingConnector.forget_tokens()

    def make(db: str | None = None, *, quizzes: int = 1, min_refetch: float = 0.0,
             backoff: Backoff | None = None, extra: dict | None = None,
             settings: Settings | None = None, secure: bool = False) -> World:
        paths = []
        for i in range(quizzes):
            folder = tmp_path / (quiz_folder.name if i == 0 else f"{quiz_folder.name}-b{i}")
            if not folder.exists():
                shutil.copytree(quiz_folder, folder)
            paths.append(folder / "quiz.json")
        config_path = tmp_path / "lti.json"
        config_path.write_text(json.dumps(platform.tool_config(
            str(tool_keys[0]), str(tool_keys[1]), **(extra or {}))))
        rooms = [Classroom(p, db=db if i == 0 else None, settings=settings or Settings(),
                           tokens_required=False) for i, p in enumerate(paths)]
        site = Site(rooms, WebOptions(admin_token=ADMIN, secure_cookies=secure),
                    lti_config=load_config(config_path),
                    lti_options=LtiOptions(min_refetch=min_refetch, secure_cookies=secure,
                                           backoff=backoff or Backoff(base=0.0)))
        world = World(platform, site, config_path, paths)
        made.append(world)
        platform.tool_jwks = json.loads(world.browser().get("/lti/jwks").get_data())
        return world

    yield make
    for world in made:
        world.site.close()
