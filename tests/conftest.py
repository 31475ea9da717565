"""Suite-wide settings, and the databases every gradebook test can run on: SQLite always,
PostgreSQL where a server can be started (``db_url`` is parametrized over both)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import torch
from databases import free_port, new_pg_database, pg_bin

# The tests run thousands of float64 operations on tensors of a few elements; torch's thread
# pool only adds hand-off cost there (up to hundreds of times slower on a loaded 2-core box).
torch.set_num_threads(1)


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
