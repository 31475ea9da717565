"""Fixtures of the LTI tests: a real platform on loopback (tests/lti_platform.py), the tool's
keys, a real quiz (sampled from the bank, so learners get real variants), and the served site
with a browser (tests/lti_world.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lti_platform import Platform
from lti_world import ADMIN, World, build_world  # noqa: F401  (ADMIN, World for the tests)

from quizgen.web.lti.config import write_key_pair
from quizgen.web.lti.passback import CachingConnector


@pytest.fixture(scope="session")
def tool_keys(tmp_path_factory) -> tuple[Path, Path]:
    return write_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def quiz_folder(tmp_path_factory) -> Path:
    """A 3-question quiz of real families: learners' variants come from the bank."""
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


@pytest.fixture
def make_world(tmp_path, platform, tool_keys, quiz_folder):
    """make_world(db=None, **options) -> World; its site is closed after the test."""
    made: list[World] = []
    CachingConnector.forget_tokens()

    def make(db: str | None = None, **options) -> World:
        world = build_world(tmp_path, platform, tool_keys, quiz_folder, db, **options)
        made.append(world)
        return world

    yield make
    for world in made:
        world.site.close()
