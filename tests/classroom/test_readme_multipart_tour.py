"""The README's multi-part tour, as written: Adam in five parts from make to report, with a slip
in (a) followed through and a named mistake in (d)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def quizgen(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quizgen.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_readme_tour_of_a_multi_part_question(tmp_path):
    section = README.read_text(encoding="utf-8").split("### Multi-part questions", 1)[1]
    rows = re.findall(r"^# ((?:student|alice|bob|carol),\S+)", section, flags=re.M)
    (tmp_path / "mp-answers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    made = quizgen("make", "--topic", "optimizers.adam_step", "--difficulty", 3, "--count", 1,
                   "--seed", 5, "--format", "html", "--out", "mp", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "(a)/(1 - 0.8^2)" in section
    key = (tmp_path / "mp" / "key.html").read_text(encoding="utf-8")
    assert "0.8^{2}" in key or "0.8^2" in key
    graded = quizgen("grade", "mp/quiz.json", "mp-answers.csv", "--db", "mp/gradebook.sqlite",
                     "--out", "results.csv", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    totals = dict(re.findall(r"^(\w+)\s+(\d / \d)$", graded.stdout, flags=re.M))
    assert totals == {"alice": "5 / 5", "bob": "4 / 5", "carol": "3 / 5"}
    verdicts = {(r["student"], r["question"]): r
                for r in csv.DictReader((tmp_path / "results.csv").open(encoding="utf-8"))}
    for part in ("q1.c", "q1.e"):
        assert verdicts[("bob", part)]["status"] == "correct"
        assert verdicts[("bob", part)]["feedback"].startswith("Correct by follow-through")
    assert verdicts[("carol", "q1.d")]["mistake"] == "no_bias_correction"
    report = quizgen("report", "mp/quiz.json", "--db", "mp/gradebook.sqlite", "--out",
                     "mp/report", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    items = list(csv.DictReader((tmp_path / "mp" / "report" / "items.csv").open()))
    assert [i["question"] for i in items] == [f"q1.{p}" for p in "abcde"]
    assert [i["follow_through"] for i in items] == ["0", "0", "1", "0", "1"]
