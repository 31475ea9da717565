"""A multi-part quiz through the CLI: `grade --db` of a CSV with one column per part, the
report per part with its plot, a key fix in part (a) and `regrade`."""

from __future__ import annotations

import base64
import csv
import json
import re
import subprocess
import sys

import pytest
from parts_quiz import answers_from, parts_quiz, typed

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]
COLUMNS = ["student", "q1.a", "q1.b", "q1.c", "q2"]


def run(*args, cwd):
    return subprocess.run([*QUIZGEN, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def write_answers(path, rows: dict[str, dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for student, answers in rows.items():
            w.writerow([student, *(answers.get(c, "") for c in COLUMNS[1:])])


@pytest.fixture
def graded(tmp_path):
    """A class of 10 on a key that read the norm as 6: four right, three who slipped in (a)
    and carried it through, two who got (a) and stopped, and one whose (a) is unreadable."""
    parts_quiz(norm=6.0, follow_through="half").save(tmp_path / "quiz.json")
    rows = {f"r{i}": answers_from(5.0) for i in range(4)}
    rows |= {f"s{i}": answers_from(7.0 + i) for i in range(3)}
    rows |= {f"t{i}": {"q1.a": "5", "q1.b": "", "q1.c": "", "q2": "1/2"} for i in range(2)}
    rows["u0"] = {**answers_from(5.0), "q1.a": "5 +* 1"}
    write_answers(tmp_path / "answers.csv", rows)
    done = run("grade", "quiz.json", "answers.csv", "--db", "gradebook.sqlite", "--out",
               "results.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path, done.stdout


def test_grade_db_reads_a_column_per_part_and_writes_a_row_per_part(graded):
    root, out = graded
    with (root / "results.csv").open(encoding="utf-8") as f:
        results = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    assert {q for _, q in results} == {"q1.a", "q1.b", "q1.c", "q2"}
    assert len(results) == 10 * 4
    # the key says 6: the right answer 5 is wrong, (b) and (c) follow through for half credit
    assert results[("r0", "q1.a")]["status"] == "incorrect"
    assert (results[("r0", "q1.c")]["status"], results[("r0", "q1.c")]["score"]) == (
        "correct", "0.5")
    assert results[("u0", "q1.a")]["status"] == "invalid"
    assert results[("u0", "q1.b")]["status"] == "incorrect"  # nothing to follow through from
    # r0: (b) 0.5 of 1, (c) 0.5 of 2, q2 1: 2.5 of the 5 points the file answers
    assert re.search(r"^r0\s+2\.5 / 5$", out, re.M), out


def test_report_per_part_with_the_plot_of_the_share_correct(graded):
    root, _ = graded
    done = run("report", "quiz.json", "--out", "rep", cwd=root)
    assert done.returncode == 0, done.stderr
    with (root / "rep" / "items.csv").open(encoding="utf-8") as f:
        items = {r["question"]: r for r in csv.DictReader(f)}
    assert list(items) == ["q1.a", "q1.b", "q1.c", "q2"]
    # under the key 6: nobody right in (a); (b) right by follow-through for r0-r3 and s0-s2
    assert (items["q1.a"]["correct"], items["q1.a"]["invalid"]) == ("0", "1")
    assert (items["q1.b"]["correct"], items["q1.b"]["follow_through"]) == ("7", "7")
    assert items["q1.c"]["points"] == "2" and items["q2"]["follow_through"] == "0"
    html = (root / "rep" / "report.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure id="parts">\s*<img src="data:image/png;base64,([^"]+)"', html)
    assert figure and base64.b64decode(figure.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    assert "by follow-through" in html and "70%" in html  # (b): 7 of 10 by follow-through
    zh = run("report", "quiz.json", "--out", "rep-zh", "--lang", "zh", cwd=root)
    assert "各小题正确率" in (root / "rep-zh" / "report.html").read_text(encoding="utf-8")
    assert zh.returncode == 0


def test_a_key_fix_in_part_a_and_regrade_report_the_parts_that_changed(graded):
    root, _ = graded
    data = json.loads((root / "quiz.json").read_text(encoding="utf-8"))
    fixed = json.loads(parts_quiz(norm=5.0, follow_through="half").to_json())
    data["questions"][0]["parts"] = fixed["questions"][0]["parts"]  # the teacher's fix
    (root / "quiz.json").write_text(json.dumps(data), encoding="utf-8")
    done = run("regrade", "quiz.json", cwd=root)
    assert done.returncode == 0, done.stderr
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    # r0: (a) becomes right, (b) and (c) right by the key (full credit, no longer half)
    assert "q1.a incorrect → correct (0 → 1)" in lines["r0"]
    assert "q1.b correct → correct (0.5 → 1)" in lines["r0"]
    assert "q1.c correct → correct (1 → 2)" in lines["r0"]
    assert lines["r0"].endswith("total 2.5 → 5")
    assert "s0" not in lines  # still (a) wrong, (b), (c) by follow-through: nothing changed
    assert "t0: q1.a incorrect → correct (0 → 1); total 1 → 2" in done.stdout
    again = run("regrade", "quiz.json", cwd=root)
    assert "no verdict changed" in again.stdout
    (root / "late.csv").write_text(f"student,q1.a\ns0,{typed(5.0)}\n", encoding="utf-8")
    late = run("grade", "quiz.json", "late.csv", "--db", "gradebook.sqlite", cwd=root)
    assert late.returncode == 2  # the file has no column for (b), (c), q2: said so
    report = run("report", "quiz.json", "--out", "rep2", cwd=root)
    with (root / "rep2" / "scores.csv").open(encoding="utf-8") as f:
        scores = {r["student"]: r["points"] for r in csv.DictReader(f)}
    # s0's (b) was computed from 7: now wrong for the (a) he gives; (c) still follows from
    # his (b), for half of its 2 points: (a) 1 + (b) 0 + (c) 1 + q2 1
    assert scores["s0"] == "3" and scores["r0"] == "5" and report.returncode == 0


def test_json_submissions_key_each_part_by_its_answer_id(tmp_path):
    parts_quiz().save(tmp_path / "quiz.json")
    entries = [{"student": "ann", "answers": answers_from(5.0)},
               {"student": "bob", "answers": {"q1.a": "7", "q1.b": typed(1 / (7 + 1e-6)),
                                              "q1": "no such answer id"}}]
    (tmp_path / "answers.json").write_text(json.dumps(entries), encoding="utf-8")
    done = run("grade", "quiz.json", "answers.json", "--db", "gradebook.sqlite", "--out",
               "results.csv", cwd=tmp_path)
    assert done.returncode == 2  # 'q1' is named as not an answer id; the rest is graded
    assert "'q1' is not a question id" in done.stderr
    with (tmp_path / "results.csv").open(encoding="utf-8") as f:
        results = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    assert set(results) == {("ann", q) for q in COLUMNS[1:]} | {("bob", "q1.a"), ("bob", "q1.b")}
    assert "follow-through" in results[("bob", "q1.b")]["feedback"]
