"""Answer files as an attacker (or a tired teacher) writes them, through `quizgen grade`: a bad
row or cell is reported by line and every good row is graded; missing columns and empty files
are reported; every CSV quizgen writes is safe to open in a spreadsheet; a second file into the
same gradebook changes only the answers it holds; key.csv pastes back as right answers; a
decimal comma in a ';' file reads as a point."""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys

import pytest

from quizgen.batch import MAX_FIELD, answer_ids, grade_answer, read_submission_batch
from quizgen.model import Question, Quiz
from quizgen.spreadsheet import FORMULA_START, SIGNS, is_plain_number

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]


def run(*args, **kw):
    return subprocess.run([*QUIZGEN, *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kw)


def number_quiz(n: int, points=None) -> Quiz:
    questions = [Question(id=f"q{i}", family="f", kind="number", params={},
                          prompt={"en": "?"}, answer=i / 2, answer_tex="", points=(
                              points[i - 1] if points else 1.0),
                          tolerance={"rtol": 1e-6}, solution={"en": []}, mistakes=[])
                 for i in range(1, n + 1)]
    return Quiz(seed=1, topic="t", lang="en", questions=questions, created_with={},
                title="T")


def right(i: int) -> str:
    return repr(i / 2)


@pytest.fixture
def quiz2(tmp_path):
    path = tmp_path / "quiz.json"
    number_quiz(2).save(path)
    return path


def graded_students(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines() if " / " in line]


def test_an_unclosed_quote_costs_only_its_own_row(tmp_path, quiz2):
    answers = tmp_path / "a.csv"
    answers.write_text('student,q1,q2\na,0.5,1\nb,"0.5,1\nc,0.5,1\nd,"0.5",1\ne,0.5,1\n'
                       'f,0.5,1\n', encoding="utf-8")
    r = run("grade", quiz2, answers)
    assert r.returncode == 2
    assert graded_students(r.stdout) == ["a", "c", "d", "e", "f"]  # every good row
    assert "a.csv: line 3: a quoted cell that closes on line 5 with text right after the " \
           "quote (an unclosed quote?); row not read" in r.stderr
    answers.write_text('student,q1,q2\na,0.5,1\nb,"0.5,1\nc,0.5,1\n', encoding="utf-8")
    r = run("grade", quiz2, answers)  # never closed at all
    assert graded_students(r.stdout) == ["a", "c"]
    assert "line 3: a quote that never closes; row not read" in r.stderr


def test_one_bad_cell_among_20000_rows_costs_only_that_cell(tmp_path):
    quiz = number_quiz(2)
    lines = [b"student,q1,q2"] + [f"s{i},0.5,1".encode() for i in range(20_000)]
    lines[5_001] = b"s5000,0.5," + b"9" * (MAX_FIELD + 10)
    lines[12_001] = b"s12000,0.5\xe9,1"  # a Latin-1 byte in a UTF-8 file
    path = tmp_path / "big.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    batch = read_submission_batch(path, quiz)
    assert len(batch.rows) == 20_000
    assert [str(p) for p in batch.problems] == [
        f"line 5002: column 'q2': {MAX_FIELD + 10} characters, over the {MAX_FIELD} a cell may "
        "hold; that answer is graded as unreadable",
        "line 12002: column 'q1': not UTF-8 text; that answer is graded as unreadable"]
    by = {r.student: r.answers for r in batch.rows}
    assert grade_answer(quiz.questions[1], by["s5000"]["q2"]).status == "invalid"
    assert grade_answer(quiz.questions[0], by["s12000"]["q1"]).status == "invalid"
    assert by["s12000"]["q2"] == "1" and by["s5000"]["q1"] == "0.5"  # the rest of the row


def test_bad_cells_through_the_cli(tmp_path, quiz2):
    rows = [b"student,q1,q2"] + [f"s{i},0.5,1".encode() for i in range(300)]
    rows[100] = b"s99,0.5\xff,1"
    rows[200] = b"s199,0.5,1,,9"  # ragged: a cell beyond the header
    path = tmp_path / "a.csv"
    path.write_bytes(b"\r\n".join(rows))
    out = tmp_path / "results.csv"
    r = run("grade", quiz2, path, "--out", out)
    assert r.returncode == 2
    assert len(graded_students(r.stdout)) == 299
    assert "line 101: column 'q1': not UTF-8 text" in r.stderr
    assert "line 201: 5 cells but the header has 3" in r.stderr
    results = {(row["student"], row["question"]): row for row in csv.DictReader(out.open())}
    assert results[("s99", "q1")]["status"] == "invalid"
    assert results[("s99", "q2")]["status"] == "correct"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path, quiz2, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes("学号\tq1\tq2\r\n张三\t0.5\t1\r\n".encode(encoding))
    r = run("grade", quiz2, path)
    assert r.returncode == 0, r.stderr
    assert "张三" in r.stdout and "2 / 2" in r.stdout


def test_missing_columns_and_empty_files_exit_2(tmp_path):
    quiz = tmp_path / "quiz.json"
    number_quiz(20).save(quiz)
    path = tmp_path / "a.csv"
    path.write_text("student,q1,q2\na,0.5,1\n", encoding="utf-8")
    r = run("grade", quiz, path)
    assert r.returncode == 2 and "a / 2" not in r.stdout
    assert "line 1: no column for q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13, q14, … (6 " \
           "more) (18 of 20 questions)" in r.stderr
    assert "a                    2 / 2" in r.stdout  # out of what the file holds
    for text, needle in (("student,q1,q2\n", "no answers in it: nothing to grade"),
                         ("", "empty file; expected a header row"),
                         ("\n\n", "empty file; expected a header row")):
        path.write_text(text, encoding="utf-8")
        r = run("grade", quiz, path)
        assert r.returncode == 2 and needle in r.stderr, text
        assert "Traceback" not in r.stderr


HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3",
           "\t=1", "＝1+1", " =1"]


def assert_formula_safe(path):
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            for cell in row:
                first = cell.lstrip(" \u00a0\u3000")[:1]
                assert not first or first not in FORMULA_START, (path.name, cell)
                assert first not in SIGNS or is_plain_number(cell.lstrip()), (path.name, cell)


def test_every_csv_quizgen_writes_is_formula_safe(tmp_path):
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "name"])
        for i, name in enumerate(HOSTILE):
            w.writerow([f"s{i}", name])
    out = tmp_path / "q"
    made = run("make", "--topic", "optimizers.adam_step", "--count", "2", "--students", roster,
               "--out", out)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((out / "tokens.csv").stat().st_mode) == 0o600
    ids = answer_ids(Quiz.load(out / "quiz.json"))  # "q1.a", ... for a question in parts
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *ids])
        for i, text in enumerate(HOSTILE):
            w.writerow([f"s{i}", *([text] * len(ids))])
    results = tmp_path / "results.csv"
    graded = run("grade", out / "quiz.json", answers, "--out", results, "--db",
                 out / "gradebook.sqlite")
    assert graded.returncode == 0, graded.stderr
    report = run("report", out / "quiz.json", "--out", tmp_path / "rep")
    assert report.returncode == 0, report.stderr
    written = [out / "key.csv", out / "tokens.csv", results, tmp_path / "rep" / "scores.csv",
               tmp_path / "rep" / "items.csv"]
    for path in written:
        assert_formula_safe(path)
    # ... and each reads back as written: the mark is the spreadsheet's own, not a change.
    names = {row["student"]: row["name"] for row in csv.DictReader((out / "tokens.csv").open())}
    assert names["s0"] == "'" + HOSTILE[0]
    from quizgen.batch import read_table

    header, rows = read_table(out / "tokens.csv")
    assert [cells[1] for _, cells in rows] == [h.strip() for h in HOSTILE]  # (roster strips)


def test_a_file_with_some_columns_changes_only_those(tmp_path, db_url):
    quiz_path = tmp_path / "quiz.json"
    number_quiz(8, points=[1, 1, 1, 1, 2.5, 2.5, 2.5, 2.5]).save(quiz_path)  # 14 points
    full, half = tmp_path / "all.csv", tmp_path / "first-half.csv"
    full.write_text("student," + ",".join(f"q{i}" for i in range(1, 9)) + "\n"
                    + "".join(f"s{k}," + ",".join(right(i) for i in range(1, 9)) + "\n"
                              for k in range(3)), encoding="utf-8")
    half.write_text("student,q1,q2,q3,q4\n" + "".join(
        f"s{k},{right(1)},{right(2)},{right(3)},9\n" for k in range(3)), encoding="utf-8")
    first = run("grade", quiz_path, full, "--db", db_url)
    assert first.returncode == 0, first.stderr
    second = run("grade", quiz_path, half, "--db", db_url)
    assert second.returncode == 2
    assert "line 1: no column for q5, q6, q7, q8 (4 of 8 questions): those answers are not " \
           "read, and a gradebook keeps the ones it has" in second.stderr
    assert "s0                   3 / 4" in second.stdout  # q4 is now wrong: 9 is not 2
    report = run("report", quiz_path, "--db", db_url, "--out", tmp_path)
    assert report.returncode == 0, report.stderr
    scores = {r["student"]: r["points"] for r in csv.DictReader((tmp_path / "scores.csv").open())}
    assert scores == {"s0": "13", "s1": "13", "s2": "13"}  # 14 - q4's 1; q5-q8 kept


def test_key_csv_pastes_back_as_right_answers(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student\na\nb\nc\n", encoding="utf-8")
    out = tmp_path / "q"
    made = run("make", "--topic", "all", "--count", "12", "--seed", "5", "--students", roster,
               "--out", out)
    assert made.returncode == 0, made.stderr
    keys = list(csv.DictReader((out / "key.csv").open(encoding="utf-8")))
    kinds = {}  # answer id ("q3", or "q3.a" for a part) -> kind
    for q in json.loads((out / "quiz.json").read_text())["questions"]:
        kinds.update({f"{q['id']}.{p['id']}": p["kind"] for p in q.get("parts", [])}
                     or {q["id"]: q["kind"]})
    choice = [k["answer"] for k in keys if kinds[k["question"]] == "choice"]
    assert choice and all(not a.startswith(("\"", "[")) for a in choice)  # D or A, B, C
    ids = list(kinds)
    by_student: dict[str, dict[str, str]] = {}
    for k in keys:
        by_student.setdefault(k["student"], {})[k["question"]] = k["answer"]
    answers = tmp_path / "self-check.csv"
    with answers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *ids])
        for student, given in by_student.items():
            w.writerow([student, *(given[q] for q in ids)])
    results = tmp_path / "results.csv"
    graded = run("grade", out / "quiz.json", answers, "--out", results)
    assert graded.returncode == 0, graded.stderr
    statuses = [row["status"] for row in csv.DictReader(results.open(encoding="utf-8"))]
    assert any("." in i for i in ids)  # a question in parts, the same parts on every sheet
    assert len(statuses) == 3 * len(ids) and set(statuses) == {"correct"}


def test_decimal_commas_in_a_semicolon_file(tmp_path):
    quiz = tmp_path / "quiz.json"
    q = number_quiz(3)
    q.questions[2].answer = -1.25e-3
    q.save(quiz)
    path = tmp_path / "a.csv"
    path.write_text("student;q1;q2;q3\na;0,5;1;-1,25e-3\nb; 0,5 ;1,0;-0,00125\n"
                    "c;0.5;1;-1.25E-3\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    r = run("grade", quiz, path, "--out", out)
    assert r.returncode == 0, r.stderr
    assert {row["status"] for row in csv.DictReader(out.open())} == {"correct"}
    # In a ',' file a quoted "0,5" is not a number with a decimal comma: it stays as typed.
    path.write_text('student,q1,q2,q3\na,"0,5",1,-0.00125\n', encoding="utf-8")
    r = run("grade", quiz, path, "--out", out)
    statuses = {row["question"]: row["status"] for row in csv.DictReader(out.open())}
    assert statuses == {"q1": "invalid", "q2": "correct", "q3": "correct"}
