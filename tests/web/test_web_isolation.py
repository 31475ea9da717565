"""One student cannot freeze `quizgen serve`: costly answers are graded off the page threads,
one job per student at a time, and a restart is never held hostage by a stored answer."""

import csv
import http.client
import re
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from test_web_cli import serving
from web_helpers import ADMIN

from quizgen.model import Question, Quiz

TOKENS = {"attacker": "tok-attacker-AAAAAAAAAAAAAAAA", "victim": "tok-victim-BBBBBBBBBBBBBBBB"}
# Real only where x > 19.9 (about one sample point in 2,000): the sample points cannot decide,
# so every such answer goes to SymPy, and this one keeps it busy until its time limit.
KEY = "sqrt(x-19.9)*x"
COSTLY = "sqrt(x-19.9)*x + sqrt(x-19.9)*(sin(x)^2+cos(x)^2-1)^7*(x+{k})^40"
HOSTILE_PREVIEWS = ["1111," * 300 + "x", "^".join(["1"] * 900), "1" + "!" * 1900,
                    "sin^(3000000!) 1", "(" * 49 + "1" + ")" * 49, "[" * 40 + "]" * 40]


def write_quiz(folder: Path) -> Path:
    def q(qid, answer, kind="expression", vars=("x",)):
        return Question(qid, "web.costly", kind, {}, {"en": f"{qid}?", "zh": f"{qid}？"}, answer,
                        answer, {}, 1.0, {"en": ["s"], "zh": ["s"]}, [], vars=list(vars))

    quiz = Quiz(seed=1, topic="web", lang="en", created_with={}, title="Costly",
                questions=[q("q1", KEY), q("q2", KEY + "^2"), q("q3", 0.5, "number", ())])
    path = folder / "quiz.json"
    quiz.save(path)
    with (folder / "tokens.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "name", "token"])
        for student, token in TOKENS.items():
            writer.writerow([student, student, token])
    return path


class Browser:
    """A cookie-keeping HTTP client for one student (http.client, loopback only)."""

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, str, float]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, text, elapsed

    def form(self, path: str, fields: dict) -> tuple[int, str, float]:
        return self.request("POST", path, urlencode({**fields, "csrf_token": self.csrf}),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self, token: str) -> None:
        self.request("GET", "/")
        status, _, _ = self.form("/login", {"token": token})
        assert status == 303, status

    def preview(self, text: str) -> int:
        import json

        body = json.dumps({"question": "q1", "text": text})
        return self.request("POST", "/preview", body, {"Content-Type": "application/json",
                                                       "X-CSRF-Token": self.csrf})[0]


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]


def test_one_student_sending_costly_answers_cannot_slow_another(tmp_path):
    quiz = write_quiz(tmp_path)
    with serving(quiz, "--attempts", "100") as (_, url):
        attacker, victim = Browser(url), Browser(url)
        attacker.sign_in(TOKENS["attacker"])
        victim.sign_in(TOKENS["victim"])
        stop = time.monotonic() + 12
        refused, submitted = [], []

        def attack() -> None:
            k = 0
            while time.monotonic() < stop:
                k += 1
                try:
                    for text in HOSTILE_PREVIEWS:
                        refused.append(attacker.preview(text) == 429)
                    status, text, _ = attacker.form("/quiz", {
                        "action": "submit", "a_q1": COSTLY.format(k=k),
                        "a_q2": COSTLY.format(k=k), "a_q3": "1/2"})
                    submitted.append(status)
                except (OSError, http.client.HTTPException):
                    pass  # an attacker's connection may be cut; the attack goes on

        attackers = [threading.Thread(target=attack) for _ in range(3)]
        for thread in attackers:
            thread.start()
        pages, health = [], []
        while time.monotonic() < stop:
            status, _, elapsed = victim.request("GET", "/quiz")
            assert status == 200
            pages.append(elapsed)
            status, _, elapsed = victim.request("GET", "/healthz")
            assert status == 200
            health.append(elapsed)
            assert victim.preview("2x") == 200
            time.sleep(0.25)  # a person typing: well within the preview rate limit
        for thread in attackers:
            thread.join()
        assert submitted and any(refused)  # the attack ran, and was held to its own share
        assert p99(pages) < 0.5, (p99(pages), max(pages), len(pages))
        assert p99(health) < 0.5, (p99(health), max(health), len(health))


def test_a_restart_is_never_held_hostage_by_a_stored_answer(tmp_path):
    from quizgen.gradebook import Gradebook
    from quizgen.web import Classroom

    quiz_path = write_quiz(tmp_path)
    room = Classroom(quiz_path)
    costly = {"q1": COSTLY.format(k=1), "q2": COSTLY.format(k=2), "q3": "1/2"}
    room.store.reserve("attacker", 1, costly)  # recorded, then the process was killed
    room.close()
    started = time.monotonic()
    with serving(quiz_path) as (banner, url):
        assert time.monotonic() - started < 30  # it listens without grading first
        assert "grading 1 submission(s) left ungraded by a crash, in the background" in banner
        victim = Browser(url)
        status, _, elapsed = victim.request("GET", "/healthz")
        assert status == 200 and elapsed < 0.5
        victim.sign_in(TOKENS["victim"])
        deadline = time.monotonic() + 30
        while Classroom(quiz_path).store.ungraded():
            assert time.monotonic() < deadline, "the stored attempt was never graded"
            time.sleep(0.2)
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        quiz = Quiz.load(quiz_path)
        answers = {a.question_id: a for a in book.answers(book.load_record(quiz))
                   if a.student == "attacker"}
    assert answers["q3"].verdict.status == "correct"
    # graded in the background: out of time, stored as such (regrade tries it again), unless
    # SymPy happened to finish within its limit
    assert answers["q1"].verdict.method in ("timeout", "sympy")
    assert ADMIN  # the teacher's token is set by serving()
