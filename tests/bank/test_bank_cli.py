"""The course bank from the command line: --bank and QUIZGEN_BANK on topics, make, validate,
practice, new and regrade; broken banks exit 2 with every problem; quiz.json stands alone."""

import json
import os
import shutil

from bank_helpers import LABEL_SMOOTHING, write
from click.testing import CliRunner

from quizgen.bank import load, use
from quizgen.cli import cli
from quizgen.sampling import select_families


def run(*args, env=None, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input)


def test_topics_lists_the_banks_of_quizgen_bank_a_path_list(tmp_path, bank):
    other = write(tmp_path / "other", {"extra/smooth.toml": LABEL_SMOOTHING.replace(
        "course.label_smoothing", "extra.smooth").replace('"course"', '"extra"')})
    result = run("topics", env={"QUIZGEN_BANK": f"{bank}{os.pathsep}{other}"})
    assert result.exit_code == 0, result.output
    assert "course: 1 family, 0 conceptual items" in result.output
    assert "course.label_smoothing" in result.output and "[bank ml101]" in result.output
    assert "extra.smooth" in result.output and "[bank other]" in result.output
    assert "optimizers.adam_step" in result.output  # the built-ins are still there


def test_all_includes_the_bank(bank):
    use(load([bank]))
    assert "course.label_smoothing" in [f.id for f in select_families("all")]


def test_make_mixes_bank_and_builtin_families_and_records_where_each_came_from(tmp_path, bank):
    out = tmp_path / "q"
    students = write(tmp_path, {"roster.csv": "student\nann\nbob\n"}) / "roster.csv"
    result = run("make", "--bank", bank, "--topic", "course.label_smoothing", "--count", "2",
                 "--seed", "4", "--out", out, "--format", "html,moodle", "--students", students)
    assert result.exit_code == 0, result.output
    quiz = json.loads((out / "quiz.json").read_text(encoding="utf-8"))
    assert {q["origin"]["file"] for q in quiz["questions"]} == {"course/label_smoothing.toml"}
    variants = json.loads((out / "variants.json").read_text(encoding="utf-8"))
    assert len(variants["students"]) == 2  # each student's variant resampled from the bank
    builtin = tmp_path / "b"
    assert run("make", "--bank", bank, "--topic", "clipping", "--count", "1", "--out",
               builtin).exit_code == 0
    (q,) = json.loads((builtin / "quiz.json").read_text(encoding="utf-8"))["questions"]
    assert q["origin"] == {"source": "built-in"}


def test_make_refuses_a_broken_bank_listing_every_problem_and_writes_nothing(tmp_path, bank):
    write(bank, {"course/bad.toml": 'titel = "x"\n', "course/worse.py": "def sample(:\n"})
    out = tmp_path / "q"
    result = CliRunner().invoke(
        cli, ["make", "--bank", str(bank), "--topic", "course", "--out", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "problems in the course bank" in lines[-1]
    assert any("bad.toml: titel: unknown key" in line for line in lines)
    assert any("bad.toml: answer: [answer] needs formula" in line for line in lines)
    assert any("worse.py: line 1: SyntaxError" in line for line in lines)
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_family_that_fails_for_some_quiz_seed_is_one_line(tmp_path):
    bank = write(tmp_path / "b", {"course/div.toml": LABEL_SMOOTHING.replace(
        "K   = { int = [3, 12] }", "K   = { int = [3, 60] }").replace(
        '"1 - eps + eps/K"\n[prompt]', '"1 - eps + eps/K + 1/(K - 50)"\n[prompt]')})
    outs = [run("make", "--bank", bank, "--topic", "course", "--count", "20", "--seed", seed,
                "--out", tmp_path / str(seed)) for seed in range(8)]
    failed = [r for r in outs if r.exit_code]
    assert failed, "some seed draws K = 50"
    for result in failed:
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "div.toml: answer.formula: with eps = " in result.output
        assert "K = 50, the value is undefined" in result.output and "seed" in result.output


def test_validate_checks_only_the_bank_and_reports_files_that_do_not_load(tmp_path, bank):
    en_only = "\n".join(line for line in LABEL_SMOOTHING.splitlines()
                        if not line.startswith("zh = \"标签平滑"))
    write(bank, {"course/bad.toml": "kind = 3\n",
                 "course/en_only.toml": en_only.replace("course.label_smoothing", "course.en")})
    result = run("validate", "--bank", bank, "--seeds", "4", "--format", "html")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("FAIL ") and "bad.toml: kind: 3: must be one of" in lines[0]
    assert "2 of 2 families passed" in result.output  # the good ones, and nothing built in
    assert "clipping" not in result.output
    assert "warning: " in result.output and "en_only.toml: no zh for prompt" in result.output


def test_new_writes_examples_that_validate_unchanged(tmp_path):
    bank = tmp_path / "course_bank"
    for path in ("course/smoothed_ce.py", "concepts/course.toml", "course/ls.toml"):
        result = run("new", bank / path)
        assert result.exit_code == 0, result.output
        assert f"quizgen validate --bank {bank}" in result.output
    result = run("validate", "--bank", bank, "--seeds", "6")
    assert result.exit_code == 0, result.output
    assert "3 of 3 families passed" in result.output and "warning" not in result.output
    again = run("new", bank / "course/ls.toml")
    assert again.exit_code == 2 and "exists; pass --force" in again.output
    assert run("new", bank / "optimizers/adam_step.py").exit_code == 2


def test_practice_asks_bank_questions(bank):
    result = run("practice", "--bank", bank, "--topic", "course", "--count", "1", "--seed", "1",
                 input="0.5\n")
    assert result.exit_code == 0, result.output
    assert "label smoothing" in result.output and "Worked solution" in result.output


def test_quiz_json_stands_alone_and_regrade_warns_when_the_bank_changed(tmp_path, bank):
    out = tmp_path / "q"
    assert run("make", "--bank", bank, "--topic", "course", "--count", "2", "--out",
               out).exit_code == 0
    quiz = json.loads((out / "quiz.json").read_text(encoding="utf-8"))
    key = [repr(q["answer"]) for q in quiz["questions"]]
    write(tmp_path, {"answers.csv": f"student,q1,q2\nann,{key[0]},{key[1]}\nbob,0.1,0.2\n"})
    moved = tmp_path / "elsewhere" / "ml101"
    shutil.move(bank, moved)  # grading, exports, regrade and report need no bank
    db = out / "gradebook.sqlite"
    graded = run("grade", out / "quiz.json", tmp_path / "answers.csv", "--db", db)
    total = sum(q["points"] for q in quiz["questions"])
    assert graded.exit_code == 0 and f"ann                  {total:g} / {total:g}" in graded.output
    for fmt in ("html", "pdf", "moodle", "gift", "qti", "md"):
        result = run("export", out / "quiz.json", "--format", fmt, "--key", "--lang", "zh")
        assert result.exit_code == 0, (fmt, result.output)
    assert run("report", out / "quiz.json").exit_code == 0
    result = CliRunner().invoke(cli, ["regrade", str(out / "quiz.json")])
    assert result.exit_code == 0 and "no verdict changed" in result.stdout
    assert "cannot tell whether the course bank 'ml101' changed" in result.stderr
    result = CliRunner().invoke(
        cli, ["regrade", str(out / "quiz.json"), "--bank", str(moved)])
    assert result.stderr == ""
    with open(moved / "course" / "label_smoothing.toml", "a", encoding="utf-8") as f:
        f.write("# a fix\n")
    result = CliRunner().invoke(
        cli, ["regrade", str(out / "quiz.json")], env={"QUIZGEN_BANK": str(moved)})
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {moved}/course/label_smoothing.toml changed "
                                    "since the quiz was made (questions q1, q2)")
