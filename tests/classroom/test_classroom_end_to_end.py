"""A course, end to end through the CLI: a roster of 200 students gets per-student variants, a
simulated LMS export with realistic errors is graded into a gradebook, the report is written,
a wrong key and a too-tight tolerance are fixed, and `regrade` reports exactly the verdicts the
fix must change; grading the same export again changes nothing.

The simulation decides every answer's fate in advance (right, a named mistake, off by 0.3%,
unreadable, blank), so the expected verdicts come from the plan, not from the grader.
"""

import csv
import json
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from quizgen.gradebook import Gradebook
from quizgen.model import Quiz
from quizgen.roster import Variants

QUIZGEN = [sys.executable, "-m", "quizgen.cli"]
N_STUDENTS = 200
PERTURB = 0.003  # an answer off by 0.3%: wrong under the first key's tolerance
FIXED_RTOL = 0.006  # the "key fix" loosens tolerance to 0.6%: that answer becomes right
MALFORMED = ["2*(", "[1, 2", "x +* 3", "１／（", "==", "12..5"]  # no "√": it means "true"


def run(*args, **kw):
    return subprocess.run([*QUIZGEN, *args], capture_output=True, text=True, timeout=300, **kw)


def typed(value) -> str:
    """How a student types a value of the key."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, list):
        return "[" + ", ".join(repr(float(v)) for v in value) + "]"
    if isinstance(value, str):
        return value
    return repr(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def tight(q, scale: float) -> bool:
    """Whether q's tolerance rejects an error of `scale` relative to the answer (3x margin,
    whatever way rtol and atol combine)."""
    a = abs(q.answer)
    tol = q.tolerance
    return a > 0 and 3 * (tol.get("atol", 0) + tol.get("rtol", 0) * a) < scale * a


def far(value, target, scale: float) -> bool:
    return not is_number(value) or abs(value - target) > scale * abs(target)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    roster = root / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8-sig") as f:  # Excel's BOM
        w = csv.writer(f)
        w.writerow(["学号", "姓名"])
        for i in range(N_STUDENTS):
            w.writerow([f"s{i:03d}", f"Student {i}"])
    out = root / "quiz"
    # One numeric family at a level it asks in one answer (difficulty 3 is asked in parts half
    # the time): the key-fix and tolerance-fix positions below need number questions for most
    # students, whatever else the bank comes to hold.
    made = run("make", "--topic", "optimizers.adam_step", "--count", "6", "--seed", "11",
               "--difficulty", "2", "--students", str(roster), "--out", str(out))
    assert made.returncode == 0, made.stderr
    return root, out


def choose_positions(variants: Variants, ids: list[str]) -> tuple[str, str]:
    """P (tolerance fix) and R (answer fix): number questions for most students."""
    def eligible(qid, scale):
        qs = [next(q for q in v.questions if q.id == qid) for v in variants.students]
        return sum(q.kind == "number" and is_number(q.answer) and tight(q, scale) for q in qs)

    ranked = sorted(ids, key=lambda qid: -eligible(qid, PERTURB / 3))
    p = ranked[0]
    r = max((qid for qid in ids if qid != p), key=lambda qid: eligible(qid, 0.5))
    assert eligible(p, PERTURB / 3) > 50 and eligible(r, 0.5) > 50
    return p, r


def test_roster_make_writes_a_sheet_per_student_and_one_key(course):
    root, out = course
    sheets = sorted((out / "students").glob("*.html"))
    assert len(sheets) == N_STUDENTS
    assert "Student 7 (s007)" in (out / "students" / "s007.html").read_text(encoding="utf-8")
    assert (out / "key.html").exists() and (out / "tokens.csv").exists()
    keys = list(csv.DictReader((out / "key.csv").open(encoding="utf-8")))
    assert len(keys) == N_STUDENTS * 6
    tokens = list(csv.DictReader((out / "tokens.csv").open(encoding="utf-8")))
    assert len({t["token"] for t in tokens}) == N_STUDENTS


def test_grade_report_fix_regrade_and_idempotent_second_grade(course):
    root, out = course
    quiz = Quiz.load(out / "quiz.json")
    ids = [q.id for q in quiz.questions]
    variants = Variants.load(out / "variants.json")
    p, r = choose_positions(variants, ids)

    # -- the plan: what each student answers, and what the fix must change -------------------
    plan: dict[tuple[str, str], str] = {}
    answers: dict[str, dict[str, str]] = {}
    expected_changes = set()
    corrupted = {}  # student -> the wrong key value the teacher first published for R
    for i, v in enumerate(variants.students):
        rng = random.Random(i)
        sid = v.student.id
        answers[sid] = {}
        for q in v.questions:
            roll = rng.random()
            mistake = q.mistakes[0] if q.mistakes else None
            if q.id == p and q.kind == "number" and tight(q, PERTURB / 3) and roll < 0.35:
                fate = "perturbed"
                text = repr(q.answer * (1 + PERTURB))
                expected_changes.add((sid, p))
            elif roll < 0.55 or mistake is None:
                fate, text = "right", typed(q.answer)
            elif roll < 0.72 and far(mistake.value, q.answer, 2 * FIXED_RTOL) and (
                    q.id != r or far(mistake.value, 2 * q.answer, 0.01)):
                fate, text = "mistake", typed(mistake.value)
            elif roll < 0.9:
                fate, text = "malformed", rng.choice(MALFORMED)
            else:
                fate, text = "blank", ""
            if q.id == r and q.kind == "number" and is_number(q.answer) and tight(q, 0.5):
                corrupted[sid] = q.answer
                if fate == "right":
                    expected_changes.add((sid, r))
            plan[(sid, q.id)] = fate
            answers[sid][q.id] = text

    # -- the first key has a typo at R (twice the answer) and a tight tolerance at P -----------
    data = json.loads((out / "variants.json").read_text(encoding="utf-8"))
    original = json.dumps(data)
    for item in data["students"]:
        for q in item["questions"]:
            if q["id"] == r and item["id"] in corrupted:
                q["answer"] = 2 * q["answer"]
    (out / "variants.json").write_text(json.dumps(data), encoding="utf-8")

    # -- the LMS export: BOM, CRLF, an Excel ="..." id, a shifted row, a stranger, an absentee --
    export = root / "answers.csv"
    lines = {}
    with export.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)  # CRLF line ends, as Excel writes them
        w.writerow(["Timestamp", "学号", *ids])
        line = 1
        for sid in answers:
            line += 1
            if sid == "s010":
                line -= 1
                continue  # absent
            if sid == "s007":  # an unquoted comma shifts every later cell
                f.write(",".join(["2024-05-01", sid, *(answers[sid][q] for q in ids), "x"])
                        + "\r\n")
                lines[sid] = line
                continue
            shown = '="s020"' if sid == "s020" else sid
            w.writerow(["2024-05-01", shown, *(answers[sid][q] for q in ids)])
        w.writerow(["2024-05-01", "zz999", *(["1"] * len(ids))])
        lines["zz999"] = line + 1
    db = out / "gradebook.sqlite"

    graded = run("grade", str(out / "quiz.json"), str(export), "--db", str(db))
    assert graded.returncode == 2, graded.stderr  # problems were found, the rest was graded
    assert f"line {lines['s007']}: " in graded.stderr and "not graded" in graded.stderr
    assert f"line {lines['zz999']}: student 'zz999' is not on the roster" in graded.stderr
    assert "Traceback" not in graded.stderr
    graded_ids = {line.split()[0] for line in graded.stdout.splitlines() if line[:1] == "s"}
    assert graded_ids == set(answers) - {"s007", "s010"}

    # -- every stored verdict is the one its fate calls for -----------------------------------
    book = Gradebook(db, create=False)
    record = book.load_record(quiz)
    stored = {(a.student, a.question_id): a for a in book.answers(record)}
    assert len(stored) == len(graded_ids) * len(ids)
    for (sid, qid), a in stored.items():
        fate = plan[(sid, qid)]
        assert a.raw == answers[sid][qid]  # raw text, never altered
        status = a.verdict.status
        if fate == "right":
            assert status == ("incorrect" if qid == r and sid in corrupted else "correct")
        elif fate == "perturbed":
            assert status == "incorrect"
        elif fate == "mistake":
            own = next(q for q in variants.get(sid).questions if q.id == qid)
            assert status == "incorrect" and a.verdict.mistake == own.mistakes[0].name
        else:  # any text names *some* option of a choice item: wrong, not unreadable
            own = next(q for q in variants.get(sid).questions if q.id == qid)
            choice_text = own.kind == "choice" and fate == "malformed"
            assert status == "invalid" or (choice_text and status == "incorrect"), (fate, a)

    # -- the report: scores per student, item statistics against numpy -------------------------
    reported = run("report", str(out / "quiz.json"), "--out", str(root / "rep1"))
    assert reported.returncode == 0, reported.stderr
    scores = {row["student"]: float(row["points"])
              for row in csv.DictReader((root / "rep1" / "scores.csv").open(encoding="utf-8"))}
    for sid in graded_ids:
        assert scores[sid] == pytest.approx(sum(stored[(sid, q)].points for q in ids))
    items = {row["question"]: row
             for row in csv.DictReader((root / "rep1" / "items.csv").open(encoding="utf-8"))}
    students = sorted(graded_ids)
    for qid in ids:
        x = np.array([stored[(s, qid)].verdict.score for s in students])
        rest = np.array([scores[s] - stored[(s, qid)].points for s in students])
        assert float(items[qid]["difficulty"]) == pytest.approx(x.mean(), abs=1e-3)
        if x.std() == 0:  # everyone scored the same (the typo'd key): no discrimination
            assert items[qid]["discrimination"] == ""
        else:
            assert float(items[qid]["discrimination"]) == pytest.approx(
                np.corrcoef(x, rest)[0, 1], abs=1e-3)
    html = (root / "rep1" / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2

    # -- the key fix: the true answer at R, a looser tolerance at P -----------------------------
    data = json.loads(original)
    for item in data["students"]:
        for q in item["questions"]:
            if q["id"] == p:
                q["tolerance"] = {"rtol": FIXED_RTOL, "atol": 0.0}
    (out / "variants.json").write_text(json.dumps(data), encoding="utf-8")
    regraded = run("regrade", str(out / "quiz.json"))
    assert regraded.returncode == 0, regraded.stderr
    changed = set()
    for line in regraded.stdout.splitlines():
        for qid, before, after in re.findall(r"(q\d+) (\w+) → (\w+)", line):
            assert (before, after) == ("incorrect", "correct"), line
            changed.add((line.split(":")[0], qid))
    expected = {(s, q) for s, q in expected_changes if s in graded_ids}
    assert changed == expected and len(expected) > 40
    points = {q.id: q.points for q in quiz.questions}
    rereported = run("report", str(out / "quiz.json"), "--out", str(root / "rep2"))
    assert rereported.returncode == 0, rereported.stderr
    after = {row["student"]: float(row["points"])
             for row in csv.DictReader((root / "rep2" / "scores.csv").open(encoding="utf-8"))}
    for sid in graded_ids:
        gain = sum(points[q] for s, q in expected if s == sid)
        assert after[sid] == pytest.approx(scores[sid] + gain)

    # -- grading the same export again, or regrading again, changes nothing ---------------------
    before = book.dump()
    again = run("grade", str(out / "quiz.json"), str(export), "--db", str(db))
    assert again.returncode == 2
    assert book.dump() == before
    assert "no verdict changed" in run("regrade", str(out / "quiz.json")).stdout
    assert book.dump() == before and book.integrity_ok()
    book.close()
