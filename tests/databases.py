"""Databases for the tests: a throwaway PostgreSQL cluster where one can be started, and a
fresh schema per test on it (see the fixtures in tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
import socket
import uuid
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def new_pg_database(server: str) -> str:
    """A URL of a fresh, empty schema on the test server (a schema, not a database: creating
    one takes milliseconds, a database most of a second)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    conninfo = re.sub(r"^postgresql\+psycopg://", "postgresql://", server) + "/postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{server}/postgres?options=-csearch_path%3D{name}"
