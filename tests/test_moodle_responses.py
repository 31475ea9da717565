"""The round trip through Moodle: a quiz made with --variants, imported from its Moodle XML
file, attempted by students who each meet their own variants, downloaded as Moodle's Responses
report (CSV and Excel) and graded by ``quizgen grade``.

The report is written from the imported file the way Moodle writes it (tests/moodle_report.py,
transcribed from Moodle's code); what each response deserves comes from the Moodle file itself
(the option Moodle marks 100 %, the numerical answer, the named mistake's answer), never from
quizgen's grader.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

import moodle_report as mr
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import families
from quizgen.cli import cli
from quizgen.export import export
from quizgen.lms_variants import add_variants, slot_variants, variant_count
from quizgen.model import Quiz
from quizgen.moodle_responses import (
    VariantIndex,
    grade_attempts,
    is_responses_report,
    read_responses,
)
from quizgen.sampling import build_question, rng_for

# every kind of question an LMS file holds: numerical, converted multiple choice (vector,
# expression), a concept's single choice, true/false or several right options
SLOTS = [("optimizers.adam_step", 2), ("clipping.clip_grad_value", 1),
         ("calculus.directional_derivative", 3), ("optimizers.concepts", 2),
         ("optimizers.concepts", 3)]
SCENARIOS = ("right", "form", "mistake", "wrong", "blank")
STUDENTS = 15


@pytest.fixture(scope="module")
def lms_quiz(tmp_path_factory) -> tuple[Quiz, Path]:
    bank = families()
    questions = [build_question(bank[f], rng_for(11, i, f), level, f"q{i + 1}")
                 for i, (f, level) in enumerate(SLOTS)]
    quiz = Quiz(seed=11, topic="round-trip", lang="en", questions=questions, created_with={},
                title="Round trip — quiz")
    quiz = add_variants(quiz, 3)
    folder = tmp_path_factory.mktemp("moodle")
    quiz.save(folder / "quiz.json")
    return quiz, folder


def simulate(quiz: Quiz, xml: Path, seed: int) -> tuple[list[list[str]], dict]:
    """Students attempting the imported quiz: report rows, and per (student, slot) the variant
    met and the verdict each response deserves (status, whether a named mistake)."""
    categories = list(mr.import_moodle_xml(xml).values())
    rng = random.Random(seed)
    rows, expected = [mr.header(len(quiz.questions))], {}
    for s in range(STUDENTS):
        email = f"student{s}@example.com"
        row = [f"Student{s}", "Test", email, "Finished", "2 March 2026, 10:00 AM",
               "2 March 2026, 10:40 AM", "40 mins", "7.00"]
        for k, (slot, category) in enumerate(zip(quiz.questions, categories)):
            question = rng.choice(category)
            order = list(range(len(question.answers)))
            rng.shuffle(order)
            scenario = SCENARIOS[(s + k) % len(SCENARIOS)]
            variant = next(v for v in slot_variants(quiz, slot) if v.id == question.idnumber)
            chosen, status, named = respond(question, scenario, variant.question.kind)
            row += [mr.question_summary(question, order),
                    mr.response_summary(question, chosen, order), mr.right_answer(question)]
            expected[(email, slot.id)] = (question.idnumber, status, named)
        rows.append(row)
    return rows, expected


def respond(q: mr.MoodleQuestion, scenario: str, kind: str):
    """(what the student chose or typed, the status it deserves, whether a named mistake)."""
    right = [i for i, (_, fraction) in enumerate(q.answers) if fraction > 0]
    wrong = [i for i, (_, fraction) in enumerate(q.answers) if fraction <= 0]
    if scenario == "blank":
        return None, "invalid", False
    if q.qtype == "numerical":
        value = float(q.answers[0][0])
        return {
            "right": (q.answers[0][0], "correct", False),
            # forms Moodle's numerical grading cannot read: a quotient, a decimal comma
            "form": (f"({2 * value!r})/2" if value else "0/7", "correct", False),
            "mistake": (q.answers[1][0], "incorrect", True),
            "wrong": ("123456.789", "incorrect", False),
        }[scenario]
    if q.qtype == "truefalse":
        truth = q.answers[0][1] > 0  # Moodle lists "true" first
        return (truth, "correct", False) if scenario in ("right", "form") else \
            (not truth, "incorrect", False)
    if scenario in ("right", "form"):
        return right, "correct", False
    # a distractor of a number, vector or expression asked as multiple choice is a named mistake
    return wrong[:1], "incorrect", kind != "choice"


@pytest.mark.parametrize("options", [{}, {"expression": "point", "numeric": "choice"}],
                         ids=["numerical", "point+choice"])
def test_every_response_is_graded_on_the_variant_its_student_met(lms_quiz, tmp_path, options):
    quiz, folder = lms_quiz
    xml = export(quiz, "moodle", tmp_path / "quiz.moodle.xml", **options)
    rows, expected = simulate(quiz, xml, seed=len(options))
    met = {variant for variant, _, _ in expected.values()}
    assert len(met) >= 10, "the students should meet many different variants"
    for report in (mr.write_csv(tmp_path / "responses.csv", rows),
                   mr.write_xlsx(tmp_path / "responses.xlsx", rows)):
        out = tmp_path / f"verdicts-{report.suffix[1:]}.csv"
        result = CliRunner().invoke(cli, ["grade", str(folder / "quiz.json"), str(report),
                                          "--out", str(out)])
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8-sig") as f:
            graded = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
        assert set(graded) == set(expected)
        wrong = []
        for key, (variant, status, named) in expected.items():
            got = graded[key]
            if (got["variant"], got["status"]) != (variant, status) \
                    or (named and not got["mistake"]):
                wrong.append(f"{key}: expected {variant} {status}"
                             f"{' (named mistake)' if named else ''}, got {got['variant']} "
                             f"{got['status']} {got['mistake']!r}: {got['feedback'][:80]}")
        assert not wrong, "\n".join(wrong)


def test_a_named_mistake_gets_its_own_feedback(lms_quiz, tmp_path):
    quiz, folder = lms_quiz
    xml = export(quiz, "moodle", tmp_path / "quiz.moodle.xml")
    question = mr.import_moodle_xml(xml)["$course$/Round trip — quiz/q1"][1]
    slot = next(v for v in slot_variants(quiz, quiz.questions[0]) if v.id == question.idnumber)
    mistake = slot.question.mistakes[0]
    rows = [mr.header(1), ["One", "Student", "one@example.com", "Finished", "", "", "", "1.00",
                           mr.question_summary(question, []), question.answers[1][0], "-"]]
    report = mr.write_csv(tmp_path / "responses.csv", rows)
    out = tmp_path / "verdicts.csv"
    result = CliRunner().invoke(cli, ["grade", str(folder / "quiz.json"), str(report),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as f:
        (row,) = csv.DictReader(f)
    assert (row["status"], row["mistake"], row["feedback"]) == (
        "incorrect", mistake.name, mistake.feedback["en"])


def test_the_variant_is_found_whatever_order_the_moodle_quiz_has(lms_quiz, tmp_path):
    """A teacher who adds the random questions in another order: the question text decides."""
    quiz, folder = lms_quiz
    xml = export(quiz, "moodle", tmp_path / "quiz.moodle.xml")
    categories = list(mr.import_moodle_xml(xml).values())
    last, first = categories[-1][-1], categories[0][1]
    rows = [mr.header(2), ["A", "B", "ab@example.com", "Finished", "", "", "", "2.00",
                           mr.question_summary(last, list(range(len(last.answers)))), "-", "",
                           mr.question_summary(first, []), first.answers[0][0], ""]]
    (attempt,) = read_responses(mr.write_csv(tmp_path / "r.csv", rows), quiz).attempts
    assert {slot: v.id for slot, v in attempt.variants.items()} == {
        quiz.questions[-1].id: last.idnumber, quiz.questions[0].id: first.idnumber}


def test_without_the_question_text_a_variant_quiz_cannot_be_graded(lms_quiz, tmp_path):
    quiz, folder = lms_quiz
    rows = [["Last name", "First name", "Email address", "Response 1"],
            ["A", "B", "ab@example.com", "0.5"]]
    result = CliRunner().invoke(cli, ["grade", str(folder / "quiz.json"),
                                      str(mr.write_csv(tmp_path / "r.csv", rows))])
    assert result.exit_code == 2
    assert "Question text" in result.output and "Traceback" not in result.output


def test_an_unknown_question_text_is_listed_and_the_rest_is_graded(lms_quiz, tmp_path):
    quiz, folder = lms_quiz
    xml = export(quiz, "moodle", tmp_path / "quiz.moodle.xml")
    first = list(mr.import_moodle_xml(xml).values())[0][0]
    rows = [mr.header(2), ["A", "B", "ab@example.com", "Finished", "", "", "", "2.00",
                           mr.question_summary(first, []), first.answers[0][0], "",
                           "What is the capital of France?", "Paris", "Paris"]]
    out = tmp_path / "verdicts.csv"
    result = CliRunner().invoke(cli, ["grade", str(folder / "quiz.json"),
                                      str(mr.write_csv(tmp_path / "r.csv", rows)),
                                      "--out", str(out)])
    assert result.exit_code == 2
    assert "line 2: Question 2: its text is none of this quiz's questions" in result.output
    with out.open(encoding="utf-8-sig") as f:
        (row,) = csv.DictReader(f)
    assert (row["question"], row["variant"], row["status"]) == ("q1", first.idnumber, "correct")


def test_a_report_of_a_quiz_without_variants_maps_columns_by_position(tmp_path):
    from quizgen.sampling import make_quiz

    quiz = make_quiz("clipping", count=2, seed=4)
    quiz.save(tmp_path / "quiz.json")
    assert variant_count(quiz) == 1
    answers = [str(q.answer) if q.kind != "vector" else "-" for q in quiz.questions]
    rows = [["Last name", "First name", "ID number", "Response 1", "Response 2"],
            ["A", "B", "00123", *answers]]
    report = mr.write_csv(tmp_path / "r.csv", rows)
    assert is_responses_report(report)
    (attempt,) = read_responses(report, quiz).attempts
    assert attempt.student == "00123" and list(attempt.responses) == ["q1", "q2"]


def test_a_gradebook_is_refused_for_a_moodle_report(lms_quiz, tmp_path):
    quiz, folder = lms_quiz
    report = mr.write_csv(tmp_path / "r.csv", [mr.header(1)])
    result = CliRunner().invoke(cli, ["grade", str(folder / "quiz.json"), str(report),
                                      "--db", str(tmp_path / "g.sqlite")])
    assert result.exit_code == 2 and "--db" in result.output


def test_question_texts_of_one_slot_never_begin_with_one_another(lms_quiz):
    """What makes the mapping unambiguous: make draws variants whose texts differ early."""
    quiz, _ = lms_quiz
    index = VariantIndex(quiz)
    for slot in quiz.questions:
        for v in slot_variants(quiz, slot):
            for lang in ("en", "zh"):
                found, why = index.match(v.question.prompt[lang] + " : A; B", slot.id)
                assert found is not None and found.id == v.id, why


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=300), response=st.text(max_size=300))
def test_any_cells_are_graded_or_named_never_a_crash(lms_quiz, tmp_path, question, response):
    quiz, _ = lms_quiz
    real = quiz.questions[3].prompt["en"]  # a choice question: the option search is exercised
    rows = [["Email address", "Question 1", "Response 1", "Question 4", "Response 4"],
            ["a@example.com", question, response, real + ": " + question, response]]
    report = read_responses(mr.write_csv(tmp_path / "fuzz.csv", rows), quiz)
    for result in grade_attempts(quiz, report.attempts):
        assert all(v.status in ("correct", "incorrect", "invalid")
                   for v in result.verdicts.values())


def test_the_largest_cells_cost_little(lms_quiz, tmp_path):
    """Matching and option search are linear in a cell's length: a 100,000-character question
    text and response (the most a cell may hold) are read in well under a second of CPU."""
    quiz, _ = lms_quiz
    slot = quiz.questions[3]
    filler = " ".join(["A", "-", "1"] * 16_600)
    rows = [["Email address", "Question 4", "Response 4"],
            ["a@example.com", slot.prompt["en"] + ": " + filler, filler]]
    path = mr.write_csv(tmp_path / "big.csv", rows)
    start = time.process_time()
    (result,) = grade_attempts(quiz, read_responses(path, quiz).attempts)
    assert time.process_time() - start < 3.0
    assert result.verdicts[slot.id].status == "invalid"


def test_a_longer_text_of_another_slot_wins_over_the_column_s_own(lms_quiz):
    """Across slots one text may begin with another (make rules it out within a slot only):
    the longest fitting text decides, whichever column it is in."""
    from dataclasses import replace

    quiz, _ = lms_quiz
    short, long = quiz.questions[0], quiz.questions[1]
    texts = {"en": "Compute the step size.", "zh": "计算步长。"}
    longer = {lang: text + " Then double it." for lang, text in texts.items()}
    edited = replace(quiz, variants={}, questions=[replace(short, prompt=texts),
                                                   replace(long, prompt=longer)])
    index = VariantIndex(edited)
    found, _ = index.match("Compute the step size. Then double it.", hint="q1")
    assert found.slot.id == "q2"
    found, _ = index.match("Compute the step size.", hint="q2")
    assert found.slot.id == "q1"
