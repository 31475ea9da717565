"""The hostile-input issue's table, through every path that reads an answer: `quizgen check`,
`check --batch`, `grade --db` (CSV and JSON), and the grading workers' lifetime."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quizgen.grading import check
from quizgen.model import Question, Quiz

HANGS = [  # answers that once froze the grader (with the key they were sent for)
    ("[1, 2]", "1111," * 12 + "x"),
    ("[1, 2]", "[" + ",".join(["1" * 20] * 5) + "x]"),
    ("[1, 2]", "[" + ",".join(["1" * 20] * 12) + "x]"),  # the 250-character CSV cell
    ("1", "^".join(["1"] * 24)),
    ("1", "1" + "!" * 20),
    ("1", "sin^(3000000!) 1"),
]
LIMIT = 20  # seconds for a whole command, process start included, on a loaded CI machine


def _cli(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "quizgen.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=LIMIT, cwd=cwd)


@pytest.mark.parametrize("expected, answer", HANGS)
def test_check_answers_each_row_quickly(expected, answer):
    result = _cli("check", expected, answer)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] in ("incorrect", "invalid", "correct")


def test_check_batch_answers_every_row_and_survives_bad_lines():
    lines = [json.dumps({"expected": e, "answer": a}) for e, a in HANGS]
    lines += ["[" * 5000 + "]" * 5000, '{"expected": 1, "answer": "\\ud800"}',
              json.dumps({"expected": 2, "answer": "1+1"})]
    result = _cli("check", "--batch", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == len(lines)
    assert "nested deeper than 32 levels" in verdicts[len(HANGS)]["feedback"]
    assert verdicts[len(HANGS) + 1]["status"] == "invalid"
    assert verdicts[-1]["status"] == "correct"  # later lines are still graded


def _quiz() -> Quiz:
    questions = [Question("q1", "f", "vector", {}, {"en": "?"}, [1.0, 2.0], "", {}, 1.0, {}, []),
                 Question("q2", "f", "number", {}, {"en": "?"}, 1.0, "", {}, 1.0, {}, []),
                 Question("q3", "f", "expression", {}, {"en": "?"}, "2*x*cos(y)", "", {}, 1.0,
                          {}, [], vars=["x", "y"])]
    return Quiz(seed=1, topic="t", lang="en", questions=questions, created_with={})


def test_grade_db_grades_every_row_around_hostile_cells(tmp_path: Path):
    quiz = _quiz()
    quiz.save(tmp_path / "quiz.json")
    rows = ["student,q1,q2,q3"]
    for i in range(50):
        hostile = HANGS[i % len(HANGS)][1] if i == 25 else "[1, 2]"
        rows.append(f's{i},"{hostile}",{HANGS[3][1] if i == 26 else 1},2x cos(y)')
    (tmp_path / "answers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = _cli("grade", "quiz.json", "answers.csv", "--db", "gradebook.sqlite",
                  "--out", "results.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import csv

    with open(tmp_path / "results.csv", encoding="utf-8") as f:
        graded = {(r["student"], r["question"]) for r in csv.DictReader(f)}
    assert len(graded) == 50 * 3  # students 26-50 are graded too


def test_grade_db_on_json_with_deep_and_odd_values(tmp_path: Path):
    quiz = _quiz()
    quiz.save(tmp_path / "quiz.json")
    good = [{"student": f"s{i}", "answers": {"q1": "[1, 2]", "q2": "1", "q3": "2x cos(y)"}}
            for i in range(19)]
    odd = {"student": "odd", "answers": {"q1": "\ud800", "q2": "1", "q3": "x"}}
    text = json.dumps([*good, odd])  # lone surrogate escaped as \ud800: valid JSON
    (tmp_path / "answers.json").write_text(text, encoding="utf-8")
    result = _cli("grade", "quiz.json", "answers.json", "--db", "gradebook.sqlite",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from quizgen.gradebook import Gradebook

    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        answers = book.answers(book.load_record(quiz))
    assert len({a.student for a in answers}) == 20  # all 19 good rows stored, and the odd one
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    result = _cli("grade", "quiz.json", "deep.json", cwd=tmp_path)
    assert result.returncode == 2 and "nested deeper than" in result.stderr
    assert "Traceback" not in result.stderr


def _grade_in_pool_worker(answer: str) -> str:
    # no point decides (overflow everywhere): SymPy, in a worker this pool process starts
    verdict = check("exp(50000*x)/exp(50000*x)", answer, variables=["x"])
    return f"{verdict.status} {verdict.method}"


def test_grading_works_inside_a_callers_multiprocessing_pool():
    # pool workers are daemonic and may not fork children of their own: the SymPy workers are
    # started with subprocess, so the fallback works there too
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        assert pool.map(_grade_in_pool_worker, ["1", "2"]) == ["correct sympy",
                                                               "incorrect sympy"]


def _workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"quizgen.grading.worker" in command and str(pid).encode() in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to list processes")
def test_a_killed_grader_leaves_no_worker_behind():
    code = ("from quizgen.grading import check; import sys, time;"
            "check('exp(50000*x)*(sin(x)^2+cos(x)^2)/exp(50000*x)', '1', variables=['x']);"
            "print('graded', flush=True); time.sleep(60)")
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert grader.stdout.readline().strip() == "graded"
        workers = _workers_of(grader.pid)
        assert workers, "the SymPy fallback should have started a worker"
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and
                                                  b"zombie" not in _state(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if Path(f"/proc/{w}").exists()
                    and b"zombie" not in _state(w)], "worker orphaned"
    finally:
        if grader.poll() is None:
            grader.kill()


def _state(pid: int) -> bytes:
    try:
        status = Path(f"/proc/{pid}/status").read_bytes().lower()
    except OSError:
        return b"zombie"
    return status


def test_a_worker_that_overruns_is_replaced(monkeypatch):
    from quizgen.grading import symbolic

    slow = "exp(50000*x)*(sin(x)^2 + cos(x)^2)/exp(50000*x)"
    monkeypatch.setattr(symbolic, "TIME_LIMIT", 1e-4)
    assert check(slow, "1", variables=["x"]).method == "timeout"
    monkeypatch.undo()
    from quizgen.grading.workers import POOL

    assert POOL.ready(60)  # the overrun worker was killed and a fresh one started
    assert check(slow, "1", variables=["x"]).status == "correct"
