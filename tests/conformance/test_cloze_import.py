"""Multi-part questions in Moodle XML, read back by Moodle's Cloze parser (transcribed in
``moodle_cloze.py``): every sub-question's answers, grades, tolerances (exact floats) and
feedback as quiz.json has them, weights in the parts' proportions, options and feedback that
hold every character the parser gives a meaning to; then a Responses report of such a quiz,
written the way Moodle summarises a Cloze response, graded part by part with follow-through."""

from __future__ import annotations

import copy
import html
import re
import xml.etree.ElementTree as ET
from fractions import Fraction

import moodle_report as mr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moodle_cloze import ClozeImportError, extract
from multipart_quiz import multipart_quiz

from quizgen.export.lms import lms_answer
from quizgen.export.moodle import render_moodle
from quizgen.export.wording import UI
from quizgen.model import Mistake
from quizgen.moodle_responses import cloze_fields, grade_attempts, read_responses

LANGS = ("en", "zh")
# what a careless writer would break: the parser's own characters, a set in braces, an
# escaped brace, HTML, and text that reads as the start of a sub-question
HOSTILE_TEXT = r"{1:NM:=3} a}b #1 ~ 2 \{x\} end\} \# & <b> 50% =x"


def hostile_quiz():
    quiz = multipart_quiz()
    clip = quiz.questions[1]
    clip.prompt = {lang: HOSTILE_TEXT + " $\\{2, 3\\}$" for lang in LANGS}
    choice = clip.parts[3]
    choice.prompt = {lang: HOSTILE_TEXT for lang in LANGS}
    choice.choices[1]["text"] = {lang: HOSTILE_TEXT + " $\\left\\{a\\right\\}$" for lang in LANGS}
    choice.mistakes = [Mistake("option B", "B", {lang: HOSTILE_TEXT for lang in LANGS})]
    clip.parts[0].mistakes[0].feedback = {lang: "~}#" + HOSTILE_TEXT for lang in LANGS}
    return quiz


def clozes(quiz, lang, **options) -> list:
    root = ET.fromstring(render_moodle(quiz, lang=lang, **options))
    return [q for q in root.iter("question") if q.get("type") == "cloze"]


def html_of(source: str) -> str:
    """quiz.json text as it should read once Moodle shows the HTML: formulas in \\( \\)."""
    from quizgen.export.math import split_math

    return "".join(rf"\({s.text}\)" if s.math and not s.display else
                   rf"\[{s.text}\]" if s.math else s.text for s in split_math(source))


def shown(fragment: str) -> str:
    """An HTML fragment as text: entities decoded, <br/> a line break."""
    return html.unescape(fragment.replace("<br/>", "\n"))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("numeric", ["numerical", "choice"])
def test_moodle_reads_every_part_back_as_quiz_json_has_it(lang, numeric):
    quiz = hostile_quiz()
    ui = UI[lang]
    for element, q in zip(clozes(quiz, lang, numeric=numeric), quiz.questions):
        cloze = extract(element.find("questiontext/text").text)
        assert "{1:" not in cloze.text and "{2:" not in cloze.text
        assert html_of(q.prompt[lang]) in shown(cloze.text)
        subs = iter(cloze.subquestions)
        weights = []
        for part in q.parts:
            label = ui["part_label"].format(id=part.id)
            assert f"<strong>{label}</strong> " + html_of(part.prompt[lang]) in shown(cloze.text)
            if part.kind == "vector":
                entries = [x for row in [part.answer] for x in row]
                for x in entries:
                    sub = next(subs)
                    value, tol = lms_answer(x, part.tolerance)
                    assert (sub.qtype, [float(a) for a in sub.answers], sub.fractions) == (
                        "numerical", [value], [1.0])
                    assert float(sub.tolerances[0]) == tol  # exact: the same float
                    weights.append(Fraction(part.points) / len(entries))
                continue
            sub = next(subs)
            weights.append(Fraction(part.points))
            if part.kind == "choice":
                right = set(part.answer) if isinstance(part.answer, list) else {part.answer}
                assert sub.qtype == "multichoice" and sub.single == (len(right) == 1)
                assert [shown(a) for a in sub.answers] == [html_of(c["text"][lang])
                                                           for c in part.choices]
                shares = [1 / len(right) if c["id"] in right else 0.0 for c in part.choices]
                if len(right) > 1:
                    shares = [s or -1.0 for s in shares]
                assert sub.fractions == pytest.approx(shares)
                feedback = {m.value: m.feedback[lang] for m in part.mistakes}
                assert [shown(f) for f in sub.feedback] == [
                    html_of(ui["right"] if c["id"] in right else feedback.get(c["id"], ui["wrong"]))
                    for c in part.choices]
                continue
            if part.kind == "number" and (numeric == "numerical" or not part.mistakes):
                want = [(part.answer, ui["right"], 1.0)] + [
                    (m.value, m.feedback[lang], 0.0) for m in part.mistakes]
                assert sub.qtype == "numerical"
                for i, (value, feedback, fraction) in enumerate(want):
                    v, tol = lms_answer(value, part.tolerance)
                    assert (float(sub.answers[i]), float(sub.tolerances[i])) == (v, tol)
                    assert (shown(sub.feedback[i]), sub.fractions[i]) == (html_of(feedback),
                                                                          fraction)
                continue
            # a number with named mistakes under --numeric choice, an expression
            assert sub.qtype == "multichoice" and sub.fractions.count(1.0) == 1
            assert len(sub.answers) == 1 + len(part.mistakes)
        assert next(subs, None) is None
        # whole-number weights in the parts' proportions
        got = [s.weight for s in cloze.subquestions]
        assert all(Fraction(g, got[0]) == w / weights[0] for g, w in zip(got, weights))


def test_the_parser_transcription_refuses_what_moodle_refuses():
    with pytest.raises(ClozeImportError, match="fractionsnomax"):
        extract("x {1:NUMERICAL:%50%2:0.1}")
    with pytest.raises(ClozeImportError, match="notenoughanswers"):
        extract("x {1:MULTICHOICE:=a}")
    with pytest.raises(ClozeImportError, match="questionsmissing"):
        extract("no sub-question {1:ESSAY:=a}")
    # Moodle's own documentation example reads as it says
    cloze = extract("{1:SHORTANSWER:=Berlin} is the capital of Germany. "
                    "{2:MC:California#Wrong~=Arizona#OK} "
                    "{1:NUMERICAL:=2.5:0.1#Right~%50%2:0#Half}")
    assert cloze.text == "{#1} is the capital of Germany. {#2} {#3}"
    assert [s.qtype for s in cloze.subquestions] == ["shortanswer", "multichoice", "numerical"]
    assert cloze.subquestions[1].fractions == [0.0, 1.0]
    assert cloze.subquestions[2].tolerances == ["0.1", "0"]
    assert cloze.subquestions[2].fractions == [1.0, 0.5] and cloze.mark == 4


# -- Moodle's Responses report of a Cloze question ---------------------------------------------

def summary(text: str, cloze) -> str:
    """Moodle's ``get_question_summary`` of a Cloze question: the text as plain text, each
    numerical sub-question ``_____``, each multiple choice ``{a; b; c}``."""
    out = mr.html_to_text(cloze.text)
    for k, sub in enumerate(cloze.subquestions, start=1):
        bit = ("_____" if sub.qtype == "numerical" else
               "{" + "; ".join(mr.html_to_text(a) for a in sub.answers) + "}")
        out = out.replace(f"{{#{k}}}", bit)
    return out


def test_a_cloze_response_is_graded_part_by_part_with_follow_through(tmp_path):
    quiz = multipart_quiz("half")
    quiz.questions = quiz.questions[:2]
    quiz.save(tmp_path / "quiz.json")
    elements = clozes(quiz, "en", shuffle=False)
    parsed = [extract(e.find("questiontext/text").text) for e in elements]
    b = 1 / (7 + 1e-6)  # the student read the norm as 7, then carried on correctly
    direction = mr.html_to_text(parsed[1].subquestions[4].answers[0])
    responses = [
        "; ".join(f"part {k}: {x}" for k, x in enumerate(
            ["0.05", "0.00025", "0.5", "", "0.900000002"], start=1)),
        f"part 1: 7; part 2: {b!r}; part 3: {3 * b!r}; part 4: {4 * b!r}; part 5: {direction}",
    ]
    row = ["Lovelace", "Ada", "ada@example.com", "Finished", "", "", "", "5.00"]
    for cloze, response in zip(parsed, responses):
        row += [summary(cloze.text, cloze), response, "-"]
    report = mr.write_csv(tmp_path / "r.csv", [mr.header(2), row])
    read = read_responses(report, quiz)
    assert not read.problems
    (result,) = grade_attempts(quiz, read.attempts)
    status = {k: (v.status, v.method) for k, v in result.verdicts.items()}
    assert list(status) == ["q1.a", "q1.b", "q1.c", "q1.d", "q1.e",
                            "q2.a", "q2.b", "q2.c", "q2.d"]
    assert status["q1.d"][0] == "invalid"  # left empty: counts for nothing, spoils nothing
    assert status["q1.e"][0] == "correct"
    assert status["q2.a"][0] == "incorrect"
    assert status["q2.b"] == status["q2.c"] == ("correct", "follow-through")
    assert result.verdicts["q2.b"].score == 0.5  # the quiz gives half credit
    assert status["q2.d"][0] == "correct"  # the option's text maps back to A
    assert result.variants["q2.c"] == "q2.v1"
    assert result.score == pytest.approx(1 + 1 + 1 + 0 + 2 + 0 + 0.5 + 1 + 1)


@pytest.mark.parametrize("response, count, fields", [
    ("part 1: 0.5; part 2: ; part 3: A; B", 3, ["0.5", "", "A; B"]),
    ("part 1: 1; part 2: 2", 3, None),
    ("-", 2, ["", ""]),
    ("part 2: 1; part 1: 2", 2, None),
    ("part 1: x; part 3: y; part 2: z", 2, ["x; part 3: y", "z"]),
    ("0.5", 1, None),
    ("part 1: x; part " + "9" * 5000 + ": y", 1, ["x; part " + "9" * 5000 + ": y"]),
])
def test_cloze_fields_split_moodles_summary(response, count, fields):
    assert cloze_fields(response, count) == fields


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["part ", "; ", ":", " ", "1", "2", "0"]),
                          st.text(max_size=8), st.text("0123456789", min_size=1, max_size=6000)),
                max_size=40), st.integers(1, 8))
def test_any_report_cell_splits_or_is_refused_never_raises(pieces, count):
    fields = cloze_fields("".join(pieces), count)
    assert fields is None or len(fields) == count


def test_a_report_cell_that_is_no_cloze_response_is_named_not_a_crash(tmp_path):
    quiz = multipart_quiz()
    quiz.questions = quiz.questions[:1]
    quiz.save(tmp_path / "quiz.json")
    report = mr.write_csv(tmp_path / "r.csv", [
        ["Last name", "First name", "ID number", "Response 1"],
        ["A", "B", "007", "0.05"]])
    (result,) = grade_attempts(quiz, read_responses(report, quiz).attempts)
    assert {v.status for v in result.verdicts.values()} == {"invalid"}
    assert "not a Cloze response of 5 sub-questions" in result.verdicts["q1.a"].feedback
    assert copy.deepcopy(result.score) == 0
    assert re.search(r"q1\.e", " ".join(result.verdicts))
