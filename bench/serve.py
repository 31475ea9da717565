"""Load test of `quizgen serve` on loopback: N simulated students each sign in, preview a few
answers and submit a Q-question quiz, C at a time; then every submission is checked to be
stored exactly once and graded.

    python bench/serve.py [--students 200] [--questions 20] [--concurrency 32]
                          [--db URL] [--threads 8] [--limit 300]

The server is the real CLI (`quizgen serve`, waitress) in its own process; the clients are
threads here speaking plain HTTP/1.1 with keep-alive. Prints requests/s and latency
percentiles per kind of request; exits 1 if any check fails or the run exceeds --limit seconds.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quizgen.gradebook import Gradebook  # noqa: E402
from quizgen.sampling import make_quiz  # noqa: E402

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def typed(question, rng: random.Random) -> str:
    """What a student types: mostly right, some wrong, blank or unreadable."""
    roll = rng.random()
    if roll < 0.05:
        return ""
    if roll < 0.08:
        return rng.choice(["2x+", "[1, 2", "1/0", "<script>alert(1)</script>"])
    answer = question.answer
    if isinstance(answer, list) and all(isinstance(a, str) for a in answer):
        return ", ".join(answer)
    if isinstance(answer, list):
        value = "[" + ", ".join(repr(float(v)) for v in answer) + "]"
    else:
        value = answer if isinstance(answer, str) else repr(answer)
    if roll < 0.25 and not isinstance(answer, (list, str)):
        return repr(float(answer) * 1.5 + 1)
    return value


class Client:
    """One student's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int, timings: dict[str, list[float]], lock: threading.Lock):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.timings, self.lock = timings, lock

    def request(self, kind: str, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8")
        elapsed = time.perf_counter() - start
        with self.lock:
            self.timings[kind].append(elapsed)
        set_cookie = response.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def form(self, kind: str, path: str, fields: list[tuple[str, str]]):
        body = urllib.parse.urlencode(fields).encode()
        return self.request(kind, "POST", path, body,
                            {"Content-Type": "application/x-www-form-urlencoded"})


def answer_units(questions) -> list[tuple[str, object]]:
    """(answer id, what is answered there): a question, or each part of a multi-part one."""
    return [(aid, unit) for q in questions for aid, unit in zip(q.part_ids(), q.parts or [q])]


def student_session(port, token, questions, rng, timings, lock) -> None:
    c = Client(port, timings, lock)
    status, page, _ = c.request("page", "GET", "/")
    csrf = CSRF.search(page).group(1)
    status, _, _ = c.form("login", "/login", [("csrf_token", csrf), ("token", token)])
    assert status == 303, f"login {status}"
    status, page, _ = c.request("page", "GET", "/quiz")
    assert status == 200, f"quiz page {status}"
    csrf = CSRF.search(page).group(1)
    units = answer_units(questions)
    answers = {aid: typed(unit, rng) for aid, unit in units}
    for aid, _ in [(aid, u) for aid, u in units if u.kind != "choice"][:3]:  # the live preview
        body = json.dumps({"question": aid, "text": answers[aid]}).encode()
        status, _, _ = c.request("preview", "POST", "/preview", body,
                                 {"Content-Type": "application/json", "X-CSRF-Token": csrf})
        assert status == 200, f"preview {status}"
    fields = [("csrf_token", csrf), ("action", "submit")]
    for aid, unit in units:
        if unit.kind == "choice":
            fields += [(f"a_{aid}", v.strip()) for v in answers[aid].split(",") if v.strip()]
        else:
            fields.append((f"a_{aid}", answers[aid]))
    status, _, headers = c.form("submit", "/quiz", fields)
    assert status == 303 and headers.get("Location", "").endswith("m=submitted"), \
        f"submit {status} {headers.get('Location')}"
    status, page, _ = c.request("page", "GET", "/quiz?m=submitted")
    assert status == 200 and "status-" in page, "verdicts page"
    c.conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    ap.add_argument("--db", help="gradebook URL (default: a fresh SQLite file)")
    ap.add_argument("--limit", type=float, default=300, help="fail past this many seconds")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="quizgen-serve-bench-"))
    quiz = make_quiz("all", count=args.questions, seed=5)
    quiz_path = folder / "quiz.json"
    quiz.save(quiz_path)
    tokens = {f"s{i:04d}": secrets.token_urlsafe(16) for i in range(args.students)}
    with (folder / "tokens.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "name", "token"])
        w.writerows([s, f"Student {s}", t] for s, t in tokens.items())
    db = args.db or str(folder / "gradebook.sqlite")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUIZGEN_ADMIN_TOKEN": secrets.token_urlsafe(24)}
    server = subprocess.Popen(
        [sys.executable, "-m", "quizgen.cli", "serve", str(quiz_path), "--port", "0",
         "--db", db, "--threads", str(args.threads)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = None
        for line in server.stdout:
            found = re.search(r"students: http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            print(server.stderr.read(), file=sys.stderr)
            return 1
        timings: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        failures: list[str] = []
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [pool.submit(student_session, port, token, quiz.questions,
                                   random.Random(i), timings, lock)
                       for i, token in enumerate(tokens.values())]
            for future in futures:
                try:
                    future.result(timeout=max(1.0, args.limit - (time.perf_counter() - start)))
                except Exception as e:  # noqa: BLE001  report every failed student
                    failures.append(repr(e))
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)

    all_times = [t for ts in timings.values() for t in ts]
    print(f"{args.students} students x {args.questions} questions, {args.concurrency} at a "
          f"time, waitress {args.threads} threads, {Gradebook(db).engine.dialect.name}")
    print(f"{len(all_times)} requests in {wall:.2f} s: {len(all_times) / wall:.1f} requests/s, "
          f"{args.students / wall:.1f} submissions/s")
    print(f"{'request':<8} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in ("page", "login", "preview", "submit"):
        ts = timings[kind]
        if ts:
            print(f"{kind:<8} {len(ts):>6} {percentile(ts, 50) * 1e3:>8.1f} "
                  f"{percentile(ts, 95) * 1e3:>8.1f} {max(ts) * 1e3:>8.1f}")
    print(f"{'all':<8} {len(all_times):>6} {percentile(all_times, 50) * 1e3:>8.1f} "
          f"{percentile(all_times, 95) * 1e3:>8.1f} {max(all_times) * 1e3:>8.1f}")

    # Every submission stored exactly once and graded.
    problems = list(failures)
    with Gradebook(db) as book:
        record = book.load_record(quiz)
        answers = book.answers(record)
        counts = book.counts()
        from sqlalchemy import func, select

        from quizgen.web.store import attempts
        with book.engine.connect() as conn:
            per_student = dict(conn.execute(
                select(attempts.c.student, func.count()).group_by(attempts.c.student)).all())
            ungraded = conn.execute(select(func.count()).select_from(attempts).where(
                attempts.c.graded_at.is_(None))).scalar_one()
    expected = args.students * len(answer_units(quiz.questions))
    if sorted(per_student) != sorted(tokens) or set(per_student.values()) != {1}:
        problems.append(f"attempts per student: {sorted(set(per_student.values()))}")
    if ungraded:
        problems.append(f"{ungraded} attempts not graded")
    if counts["submissions"] != expected or len(answers) != expected:
        problems.append(f"{counts['submissions']} stored answers, expected {expected}")
    if counts["verdicts"] != expected or any(a.verdict is None for a in answers):
        problems.append(f"{counts['verdicts']} verdicts, expected {expected}")
    if wall > args.limit:
        problems.append(f"took {wall:.1f} s, over the {args.limit:g} s limit")
    print(f"stored: {counts['submissions']} answers, {counts['verdicts']} verdicts, "
          f"{len(per_student)} students with one attempt each")
    for p in problems[:10]:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
