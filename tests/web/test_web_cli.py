"""`quizgen serve` as a user runs it: it prints the addresses and the admin token, listens on
loopback only by default, serves under waitress, and a bad input exits 2 with one line."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

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
