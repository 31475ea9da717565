"""The command line, end to end, through the installed `quizgen` entry point."""

import csv
import json
import subprocess
import sys

import pytest

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]


def run(*args, **kw):
    return subprocess.run([*QUIZGEN, *args], capture_output=True, text=True, timeout=300, **kw)


def _typed(question):
    """The key as a student would type it."""
    answer = question["answer"]
    if question["kind"] == "choice":
        return answer if isinstance(answer, str) else ", ".join(answer)
    return answer if isinstance(answer, str) else repr(answer)


@pytest.fixture(scope="module")
def quiz_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("q")
    result = run("make", "--topic", "optimizers", "--seed", "1", "--count", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_help_imports_neither_torch_nor_sympy():
    code = ("import sys; from quizgen.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('torch', 'sympy', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]")


def test_make_writes_quiz_sheet_and_key(quiz_dir):
    assert {p.name for p in quiz_dir.iterdir()} >= {"quiz.json", "sheet.html", "key.html"}
    quiz = json.loads((quiz_dir / "quiz.json").read_text(encoding="utf-8"))
    assert quiz["format"] == "quizgen/1" and quiz["seed"] == 1 and quiz["topic"] == "optimizers"
    assert set(quiz["created_with"]) == {"quizgen", "torch", "sympy"}
    for q in quiz["questions"]:
        assert {"id", "family", "kind", "params", "prompt", "answer", "answer_tex", "tolerance",
                "points", "solution", "mistakes"} <= set(q)


def test_same_seed_gives_byte_identical_quiz_json(quiz_dir, tmp_path):
    result = run("make", "--topic", "optimizers", "--seed", "1", "--count", "3",
                 "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "quiz.json").read_bytes() == (quiz_dir / "quiz.json").read_bytes()


def test_grade_reports_scores_and_invalid_cells(quiz_dir, tmp_path):
    quiz = json.loads((quiz_dir / "quiz.json").read_text(encoding="utf-8"))
    ids = [q["id"] for q in quiz["questions"]]
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *ids])
        w.writerow(["alice", *(_typed(q) for q in quiz["questions"])])
        w.writerow(["bob", "__import__('os').system('touch pwned')", *["0"] * (len(ids) - 1)])
    out = tmp_path / "results.csv"
    result = run("grade", str(quiz_dir / "quiz.json"), str(answers), "--out", str(out),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    total = sum(q["points"] for q in quiz["questions"])
    assert "alice" in result.stdout and f"{total:g} / {total:g}" in result.stdout
    assert "invalid" in result.stdout
    assert not (tmp_path / "pwned").exists()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2 * len(ids)
    assert {r["status"] for r in rows if r["student"] == "alice"} == {"correct"}


def test_check_prints_a_json_verdict():
    result = run("check", "2/(a+b)", "2/(b+a)", "--vars", "a,b")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "correct" and verdict["score"] == 1


def test_check_batch_keeps_order_and_survives_bad_lines(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join([
        json.dumps({"expected": 0.5, "answer": "1/2"}),
        "{not json",
        json.dumps({"expected": "x^2", "answer": "x*x", "vars": ["x"], "kind": "expression"}),
        json.dumps({"expected": 3, "answer": "lambda: 3"}),
    ]) + "\n", encoding="utf-8")
    result = run("check", "--batch", str(cases))
    assert result.returncode == 0, result.stderr
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["correct", "invalid", "correct", "invalid"]
    assert "line 2" in json.loads(result.stdout.splitlines()[1])["feedback"]


@pytest.mark.parametrize("args, needle", [
    (("make", "--topic", "nope"), "--topic"),
    (("grade", "missing.json", "a.csv"), "missing.json"),
    (("make", "--topic", "optimizers", "--format", "docx"), "--format"),
    (("check",), "EXPECTED"),
    (("export", "q.json", "--format", "html,pdf"), "one format"),
    (("check", "[1,2", "1"), "EXPECTED"),
    (("check", "abc", "1"), "EXPECTED"),
    (("check", "x", "x", "--vars", "1x"), "--vars"),
])
def test_bad_usage_exits_2_with_one_line_and_no_traceback(args, needle, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_grade_names_the_bad_column(quiz_dir, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("student,q1,q99\nalice,1,2\n", encoding="utf-8")
    result = run("grade", str(quiz_dir / "quiz.json"), str(answers))
    assert result.returncode == 2
    assert "q99" in result.stderr and "line 1" in result.stderr


def test_topics_lists_every_topic_with_family_and_item_counts():
    result = run("topics")
    assert result.returncode == 0, result.stderr
    for topic in ("optimizers", "schedules", "normalization", "initialization", "clipping",
                  "calculus", "hyperparameters"):
        assert f"{topic}: " in result.stdout
    assert "conceptual items" in result.stdout and "clipping.norm_vs_value" in result.stdout


def test_the_product_runs_without_the_dev_dependencies():
    """A plain `pip install .` has no schedulefree, pexpect, playwright or hypothesis."""
    code = (
        "import sys\n"
        "for name in ('schedulefree', 'pexpect', 'playwright', 'hypothesis', 'pytest'):\n"
        "    sys.modules[name] = None  # import fails as if not installed\n"
        "from quizgen.cli import cli\n"
        "cli.main(['validate', '--topic', 'optimizers.schedulefree_sgd', '--seeds', '3',\n"
        "          '--format', 'html'], standalone_mode=False)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1 of 1 families passed" in result.stdout
