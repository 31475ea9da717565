"""`quizgen serve` as a user runs it: it prints the addresses and the admin token, listens on
loopback only by default, serves under waitress, and a bad input exits 2 with one line; idle
connections cannot starve others, a trusted proxy's HTTPS makes the cookie Secure, and a
database password is never printed."""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import subprocess
import sys
import time
import urllib.request

from databases import new_pg_database
from web_helpers import ADMIN, write_classroom

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]


def test_serve_prints_the_admin_token_and_listens_on_loopback(tmp_path):
    quiz = write_classroom(tmp_path)
    proc = subprocess.Popen([*QUIZGEN, "serve", str(quiz), "--port", "0", "--attempts", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**_env(), "QUIZGEN_ADMIN_TOKEN": ADMIN})
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "admin token" in line:
                break
        out = "".join(lines)
        assert f"admin token: {ADMIN}" in out and "2 students" in out
        url = re.search(r"students: (http://127\.0\.0\.1:\d+)/", out).group(1)
        with urllib.request.urlopen(url + "/healthz", timeout=10) as r:
            assert r.read() == b"ok\n" and r.headers["Server"] == "quizgen"  # waitress
        port = url.rsplit(":", 1)[1]
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        if listening:  # (ss is in iproute2; skip this part where it is missing)
            local = {line.split()[3] for line in listening.splitlines()}
            assert local == {f"127.0.0.1:{port}"}  # not 0.0.0.0 or a public address
        assert (tmp_path / "gradebook.sqlite").exists()  # the default gradebook
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_students_exits_2(tmp_path):
    quiz = write_classroom(tmp_path)
    (tmp_path / "tokens.csv").unlink()
    r = subprocess.run([*QUIZGEN, "serve", str(quiz), "--port", "0"], capture_output=True,
                       text=True, timeout=60, env=_env())
    assert r.returncode == 2 and "tokens.csv: no such file" in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([*QUIZGEN, "serve", str(tmp_path / "missing.json")], capture_output=True,
                       text=True, timeout=60, env=_env())
    assert r.returncode == 2 and "cannot read" in r.stderr


def _env():
    import os

    return {**os.environ, "PYTHONPATH": os.getcwd()}


@contextlib.contextmanager
def serving(quiz, *args, env=None):
    """`quizgen serve QUIZ --port 0 ARGS` running; yields (banner, base URL)."""
    proc = subprocess.Popen([*QUIZGEN, "serve", str(quiz), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**_env(), "QUIZGEN_ADMIN_TOKEN": ADMIN, **(env or {})})
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve stopped: {proc.stderr.read()}")
            lines.append(line)
            if "Ctrl+C" in line:
                break
        out = "".join(lines)
        yield out, re.search(r"students: (http://127\.0\.0\.1:\d+)/", out).group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str, path: str = "/", headers: dict | None = None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_idle_connections_do_not_starve_anyone(tmp_path):
    """150 idle TCP connections (waitress's default limit is 100, which answered 0 of 3 health
    checks); then an idle connection is closed after --channel-timeout."""
    quiz = write_classroom(tmp_path)
    with serving(quiz, "--channel-timeout", "2") as (banner, url):
        assert "up to 1000 connections, idle ones closed after 2 s" in banner
        host, port = url.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(150)]
        try:
            for _ in range(3):
                assert get(url, "/healthz").status == 200
            idle[0].settimeout(10)
            started = time.monotonic()
            assert idle[0].recv(1) == b""  # the server closed it ...
            assert time.monotonic() - started < 9  # ... after about 2 s (checked every 1 s)
        finally:
            for s in idle:
                s.close()


def test_https_behind_a_trusted_proxy_gets_a_secure_host_cookie(tmp_path):
    quiz = write_classroom(tmp_path)
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    with serving(quiz, "--trusted-proxy", "127.0.0.1") as (_, url):
        cookie = get(url, "/", https).getheader("Set-Cookie")
        assert cookie.startswith("__Host-quizgen=") and "Secure" in cookie and "Path=/" in cookie
        plain = get(url, "/").getheader("Set-Cookie")
        assert plain.startswith("quizgen_session=") and "Secure" not in plain
    with serving(quiz) as (_, url):  # no trusted proxy: the header is anyone's to send
        assert get(url, "/", https).getheader("Set-Cookie").startswith("quizgen_session=")
    with serving(quiz, "--secure-cookies") as (_, url):
        cookie = get(url, "/").getheader("Set-Cookie")
        assert cookie.startswith("__Host-quizgen=") and "Secure" in cookie


def test_a_database_password_is_never_printed(tmp_path, postgres_server):
    quiz = write_classroom(tmp_path)
    secret = "s3cret-Pa55"
    bad = f"postgresql+psycopg://quizgen:{secret}@127.0.0.1:1/nowhere"
    for args in (["serve", str(quiz), "--port", "0", "--db", bad],
                 ["grade", str(quiz), str(tmp_path / "tokens.csv"), "--db", bad],
                 ["report", str(quiz), "--db", bad]):
        r = subprocess.run([*QUIZGEN, *args], capture_output=True, text=True, timeout=60,
                           env=_env())
        assert r.returncode == 2 and secret not in r.stdout + r.stderr, args
        assert "quizgen:***@127.0.0.1:1" in r.stderr, args
    # A server that accepts it (the test cluster trusts any password): the banner masks it.
    good = new_pg_database(postgres_server).replace("quizgen@", f"quizgen:{secret}@")
    with serving(quiz, "--db", good) as (banner, url):
        assert secret not in banner and "quizgen:***@127.0.0.1" in banner
        assert get(url, "/healthz").status == 200
