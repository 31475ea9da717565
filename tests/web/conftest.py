"""Fixtures of the web tests: a PostgreSQL server when one can be started, a fresh gradebook
per test (SQLite and PostgreSQL), and the app over the hand-built classroom of web_helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from web_helpers import ADMIN, free_port, new_pg_database, pg_bin, write_classroom


@pytest.fixture(scope="session")
def postgres_server():
    """A SQLAlchemy URL prefix of a running PostgreSQL (without the database name)."""
    url = os.environ.get("QUIZGEN_TEST_POSTGRES_URL")
    if url:
        yield url.rstrip("/")
        return
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL: install postgresql or set QUIZGEN_TEST_POSTGRES_URL")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    # initdb refuses to run as root: run the cluster as the 'postgres' system user then.
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root and no runuser to start PostgreSQL as another user")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="quizgen-pg-"))
    os.chmod(root, 0o777)
    data, port = root / "data", free_port()
    user = "quizgen"
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", user,
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True,
                       timeout=60)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w",
                        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                              "-c fsync=off -c full_page_writes=off", "start"],
                       check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot start PostgreSQL here ({e})")
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "gradebook.sqlite")
    return new_pg_database(request.getfixturevalue("postgres_server"))


# -- the app ------------------------------------------------------------------------------------

@pytest.fixture
def make_app(tmp_path):
    """make_app(db=None, **settings) -> (app, classroom, quiz_path); closed after the test."""
    from quizgen.web import Classroom, Settings, WebOptions, create_app

    made = []

    def make(db=None, *, folder=None, limits=None, **settings):
        folder = folder or tmp_path
        quiz_path = folder / "quiz.json"
        if not quiz_path.exists():
            write_classroom(folder)
        room = Classroom(quiz_path, db=db, settings=Settings(**settings))
        made.append(room)
        app = create_app(room, WebOptions(admin_token=ADMIN, limits=limits))
        app.config["TESTING"] = True
        return app, room, quiz_path

    yield make
    for room in made:
        room.close()
