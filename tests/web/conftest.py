"""Fixtures of the web tests: the app over the hand-built classroom of web_helpers, on a fresh
gradebook per test (``db_url``, SQLite and PostgreSQL, comes from tests/conftest.py)."""

from __future__ import annotations

import pytest
from web_helpers import ADMIN, write_classroom

# -- the app ------------------------------------------------------------------------------------

@pytest.fixture
def make_app(tmp_path):
    """make_app(db=None, *, options=None, **settings) -> (app, classroom, quiz_path); closed
    after the test. ``options``: WebOptions fields beside the admin token."""
    from quizgen.web import Classroom, Settings, WebOptions, create_app

    made = []

    def make(db=None, *, folder=None, limits=None, options=None, **settings):
        folder = folder or tmp_path
        quiz_path = folder / "quiz.json"
        if not quiz_path.exists():
            write_classroom(folder)
        room = Classroom(quiz_path, db=db, settings=Settings(**settings))
        made.append(room)
        app = create_app(room, WebOptions(admin_token=ADMIN, limits=limits, **(options or {})))
        app.config["TESTING"] = True
        return app, room, quiz_path

    yield make
    for room in made:
        room.close()
