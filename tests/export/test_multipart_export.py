"""Multi-part questions in every export: sheets and keys (HTML, PDF, Markdown) label parts
(a), (b) with an answer box each and the key gives each part's answer, solution and what
follow-through accepts; Moodle XML asks them as one Cloze question, QTI as one item with an
interaction per part, GIFT as one question per part; the notes say none of them follows
through. (Moodle's own Cloze parser, the GIFT readers and the QTI schema read these files back
in tests/conformance.)"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import torch
from multipart_quiz import ADAM_PARTS, CLIP_PARTS, SIGMOID_PARTS, multipart_quiz

from quizgen.export import LmsConversionError, export
from quizgen.export.formula_tex import formula_tex
from quizgen.export.html import render_html
from quizgen.export.lms import lms_answer
from quizgen.export.markdown import render_markdown
from quizgen.export.moodle import cloze_escape, render_moodle
from quizgen.export.qti import render_qti
from quizgen.lms_variants import key_rows
from quizgen.multipart import follow_through_value, grade_parts

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


# -- the fixture's answers are torch's, and each formula gives its part from the key -----------

def test_the_fixture_answers_come_from_torch():
    theta = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    theta.grad = torch.tensor([0.5], dtype=torch.float64)
    opt.step()
    state = opt.state[theta]
    a, b, c, d, e = (p.answer for p in ADAM_PARTS.parts)
    assert state["exp_avg"].item() == pytest.approx(a, rel=1e-12)
    assert state["exp_avg_sq"].item() == pytest.approx(b, rel=1e-12)
    assert (c, d) == pytest.approx((a / (1 - 0.9), b / (1 - 0.999)), rel=1e-12)
    assert theta.item() == pytest.approx(e, rel=1e-9)

    g = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    g.grad = g.detach().clone()
    norm = torch.nn.utils.clip_grad_norm_([g], max_norm=1.0)
    assert norm.item() == CLIP_PARTS.parts[0].answer
    assert g.grad.tolist() == pytest.approx(CLIP_PARTS.parts[2].answer, rel=1e-12)

    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).backward()
    assert x.grad.item() == SIGMOID_PARTS.parts[1].answer


@pytest.mark.parametrize("question", [ADAM_PARTS, CLIP_PARTS])
def test_each_formula_gives_its_part_at_the_keys_earlier_answers(question):
    key = {p.id: p.answer for p in question.parts}
    for part in question.parts:
        if part.formula:
            got = follow_through_value(part, key)
            assert got == pytest.approx(part.answer, rel=1e-7), part.id


# -- the follow-through formula, readable ------------------------------------------------------

@pytest.mark.parametrize("formula, uses, tex", [
    ("a/(1 - 0.9)", ["a"], r"\frac{\text{(a)}}{1 - 0.9}"),
    ("min(1, 1/(a + 1e-6))", ["a"], r"\min\left(1, \frac{1}{\text{(a)} + 10^{-6}}\right)"),
    ("[3*b, 4*b]", ["b"], r"\left(3 \cdot \text{(b)},\ 4 \cdot \text{(b)}\right)"),
    ("1 - 0.1*c/(sqrt(d) + 1e-8)", ["c", "d"],
     r"1 - \frac{0.1 \cdot \text{(c)}}{\sqrt{\text{(d)}} + 10^{-8}}"),
    ("(a - b)^2", ["a", "b"], r"\left(\text{(a)} - \text{(b)}\right)^{2}"),
    ("exp(-a)*abs(b)", ["a", "b"],
     r"\exp\left(-\text{(a)}\right) \cdot \left|\text{(b)}\right|"),
])
def test_a_formula_is_written_with_the_parts_it_uses_as_labels(formula, uses, tex):
    assert formula_tex(formula, uses) == tex


# -- sheets and keys ---------------------------------------------------------------------------

class Boxes(HTMLParser):
    """The answer boxes of an HTML sheet, with the part each sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []  # data-part-id of each part, in order
        self.boxes: list[str] = []  # for each answer box, the part it sits in ("" for none)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li":
            self.stack.append(attrs.get("data-part-id", ""))
            if attrs.get("data-part-id"):
                self.parts.append(attrs["data-part-id"])
        if "answer-box" in (attrs.get("class") or "").split():
            self.boxes.append(next((p for p in reversed(self.stack) if p), ""))

    def handle_endtag(self, tag):
        if tag == "li":
            self.stack.pop()


@pytest.mark.parametrize("lang, label", [("en", "(b)"), ("zh", "（b）")])
def test_the_html_sheet_has_a_labelled_part_and_an_answer_box_for_each_part(lang, label):
    quiz = multipart_quiz()
    page = render_html(quiz, key=False, lang=lang)
    boxes = Boxes()
    boxes.feed(page)
    want = [key for q in quiz.questions for key in q.part_ids()]
    assert boxes.parts == want == boxes.boxes  # one box per part, inside it
    assert page.count(f'<h3 class="part-label">{label}</h3>') == 3
    # nothing of the key leaks onto a sheet
    assert "0.900000002" not in page and 'class="follow-through"' not in page
    assert 'class="key-answer"' not in page


@pytest.mark.parametrize("mode, en, zh", [
    ("full", "also earns full credit", "也得满分"),
    ("half", "also earns half credit", "也得一半分"),
    ("off", "Follow-through is off for this quiz", "本测验不给延续分"),
])
def test_the_key_says_what_follow_through_accepts_with_the_quizs_credit(mode, en, zh):
    quiz = multipart_quiz(mode)
    dependent = sum(1 for q in quiz.questions for p in q.parts if p.formula)
    for lang, words in (("en", en), ("zh", zh)):
        page = render_html(quiz, key=True, lang=lang)
        assert page.count('<p class="follow-through">') == dependent == 5
        assert page.count(words) == dependent
        # the formula in the parts it uses, as MathML: (c) and (d) in theta's part
        formula = re.search(r'alttext="1 - \\frac\{0.1 \\cdot \\text\{\(c\)\}\}'
                            r'\{\\sqrt\{\\text\{\(d\)\}\} \+ 10\^\{-8\}\}"', page)
        assert formula, "the formula of (e) is missing"
        # each part's own answer and solution
        assert page.count('class="key-answer"') == 12
        assert r"\theta_1 \approx 0.900000002" in page
        sheet = render_html(quiz, key=False, lang=lang)
        assert sheet.count(quiz_instruction(lang, mode)) == 1


def quiz_instruction(lang: str, mode: str) -> str:
    from quizgen.export.wording import UI

    return UI[lang]["parts_instruction"][mode]


def test_markdown_sheet_and_key_label_the_parts():
    quiz = multipart_quiz("half")
    sheet, key = (render_markdown(quiz, key=k, lang="en") for k in (False, True))
    assert sheet.count("### (a)") == 3 and "### (e) (2 points)" in sheet
    assert "**Answer: **" not in sheet and "Accepted" not in sheet
    assert key.count("**Answer: **") == 12
    assert key.count("also earns half credit") == 5
    assert r"$\frac{\text{(a)}}{1 - 0.9}$" in key
    assert "- [x] **A.**" in key and "- [ ] **B.**" in key  # the choice parts' options
    zh = render_markdown(quiz, key=True, lang="zh")
    assert "### （c） (1 分)" in zh and zh.count("也得一半分") == 5


POPPLER = shutil.which("pdftotext") is not None


@pytest.mark.skipif(not POPPLER, reason="poppler-utils missing (apt-get install poppler-utils)")
def test_the_pdf_sheet_and_key_label_every_part(tmp_path):
    quiz = multipart_quiz("half")
    for key in (False, True):
        path = export(quiz, "pdf", tmp_path / f"{key}.pdf", key=key, lang="en")
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        flat = re.sub(r"\s+", " ", text)
        assert flat.count("ANSWER (a)") == 3, flat[:400]  # the box keeps the part's case
        assert flat.count("ANSWER (e)") == 1
        assert ("also earns half credit" in flat) == key
        assert ("Worked solution" in flat) == key


# -- LMS formats -------------------------------------------------------------------------------

def test_moodle_asks_each_multipart_question_as_one_cloze_and_notes_no_follow_through():
    notes: list[str] = []
    root = ET.fromstring(render_moodle(multipart_quiz(), lang="en", notes=notes))
    clozes = [q for q in root.iter("question") if q.get("type") == "cloze"]
    assert [q.find("idnumber").text for q in clozes] == ["q1", "q2", "q3"]
    text = clozes[1].find("questiontext/text").text
    # (a) number, (b) number, (c) two entries, (d) choice
    assert re.findall(r"\{(\d+):([A-Z_]+):", text) == [
        ("1", "NUMERICAL"), ("1", "NUMERICAL"), ("1", "NUMERICAL"), ("1", "NUMERICAL"),
        ("1", "MULTICHOICE_VS")]
    value, tol = lms_answer(CLIP_PARTS.parts[0].answer, CLIP_PARTS.parts[0].tolerance)
    assert f"{{1:NUMERICAL:={value}:{tol}#Right.~%0%25.0:0.05#That is the squared norm.}}" in text
    assert "MULTIRESPONSE_S:%50%" in clozes[2].find("questiontext/text").text
    assert all("without follow-through" in n for n in notes if "Cloze" in n)
    assert sum("Cloze" in n for n in notes) == 3


def test_cloze_weights_are_whole_numbers_in_the_parts_proportions():
    quiz = multipart_quiz()
    quiz.questions[1].parts[2].points = 1.0  # the vector part: half a point per entry
    notes: list[str] = []
    text = ET.fromstring(render_moodle(quiz, lang="en", notes=notes)).findall(
        ".//question[@type='cloze']/questiontext/text")[1].text
    assert [int(w) for w in re.findall(r"\{(\d+):", text)] == [2, 2, 1, 1, 2]
    assert [n for n in notes if "times" in n] == [
        "q2: Cloze weights are the parts' points times 2 (Moodle takes whole numbers), so "
        "Moodle's mark for it is 2 times quizgen's"]


@pytest.mark.parametrize("text", [
    "a}b", "#1 ~ 2", r"\{2, 3\}", r"end \}", r"\# and \\", "&amp; &lt;b&gt; &#35;", "~}#\\}",
])
def test_cloze_escaping_round_trips_through_moodles_unescaping(text):
    # qtype_multianswer: html_entity_decode, then \} -> } and \# -> # (in that order)
    import html

    escaped = cloze_escape(text)
    assert not re.search(r"(?<![\\&])[~#}]", escaped.replace("&#35;", "").replace(
        "&#125;", "").replace("&#126;", ""))
    back = html.unescape(escaped).replace("\\}", "}").replace("\\#", "#")
    assert back == text


def qti_items(quiz, **options) -> dict[str, ET.Element]:
    files = render_qti(quiz, **options)
    return {name: ET.fromstring(text) for name, text in files.items() if name.startswith("items")}


def test_qti_item_has_an_interaction_and_a_score_rule_per_part():
    quiz = multipart_quiz()
    notes: list[str] = []
    items = qti_items(quiz, lang="en", notes=notes)
    assert list(items) == ["items/item01.xml", "items/item02.xml", "items/item03.xml"]
    clip = items["items/item02.xml"]
    interactions = [(e.tag.removeprefix(QTI), e.get("responseIdentifier"))
                    for e in clip.iter() if e.tag.endswith("Interaction")]
    assert interactions == [("textEntryInteraction", "RESPONSE_a"),
                            ("textEntryInteraction", "RESPONSE_b"),
                            ("textEntryInteraction", "RESPONSE_c_1"),
                            ("textEntryInteraction", "RESPONSE_c_2"),
                            ("choiceInteraction", "RESPONSE_d")]
    # every response condition adds its part's share of the points to SCORE: in all, the
    # question's points, each part its own
    added = [float(e.find(f"{QTI}sum/{QTI}baseValue").text)
             for e in clip.iter(f"{QTI}setOutcomeValue") if e.get("identifier") == "SCORE"
             and e.find(f"{QTI}sum/{QTI}baseValue") is not None]
    assert added == [1.0, 1.0, 1.0, 1.0, 1.0] and sum(added) == CLIP_PARTS.points
    assert clip.find(f".//{QTI}outcomeDeclaration[@identifier='FEEDBACK']").get(
        "cardinality") == "multiple"
    # tolerances are quizgen's rule made absolute, per entry
    equal = [e for e in clip.iter(f"{QTI}equal")]
    entry = CLIP_PARTS.parts[2].answer[1]
    want = lms_answer(entry, CLIP_PARTS.parts[2].tolerance)[1]
    assert any(math.isclose(float(e.get("tolerance").split()[0]), want, rel_tol=1e-12)
               for e in equal)
    assert sum("QTI item" in n and "without follow-through" in n for n in notes) == 3
    sigmoid = items["items/item03.xml"]
    assert sigmoid.find(f".//{QTI}responseDeclaration[@identifier='RESPONSE_c']").get(
        "cardinality") == "multiple"


def test_gift_writes_one_question_per_part_and_says_so(tmp_path):
    notes: list[str] = []
    path = export(multipart_quiz(), "gift", tmp_path / "q.gift.txt", lang="en", notes=notes)
    text = path.read_text(encoding="utf-8")
    names = re.findall(r"^::(.*?)::", text, re.M)
    assert names == ["01 q1 (a)", "01 q1 (b)", "01 q1 (c)", "01 q1 (d)", "01 q1 (e)",
                     "02 q2 (a)", "02 q2 (b)", "02 q2 (c) 1/2", "02 q2 (c) 2/2", "02 q2 (d)",
                     "03 q3 (a)", "03 q3 (b)", "03 q3 (c)"]
    assert re.findall(r"^// \[id:(\S+)\]", text, re.M)[7:9] == ["q2.c.1", "q2.c.2"]
    assert sum("separate GIFT questions" in n and "without follow-through" in n
               for n in notes) == 3


def test_gift_refuses_parts_in_a_category_of_variants(tmp_path):
    from dataclasses import replace

    quiz = multipart_quiz()
    other = replace(quiz.questions[0], id="q1.v2")
    quiz = replace(quiz, variants={"q1": [other]})
    with pytest.raises(LmsConversionError, match="moodle .Cloze. or qti"):
        export(quiz, "gift", tmp_path / "refused.gift.txt")
    assert not (tmp_path / "refused.gift.txt").exists()
    export(quiz, "gift", tmp_path / "q.gift.txt", variants=1)  # one variant: fine


def test_numeric_choice_keeps_parts_without_mistakes_numerical():
    notes: list[str] = []
    text = ET.fromstring(render_moodle(multipart_quiz(), lang="en", numeric="choice",
                                       notes=notes)).find(".//question[@type='cloze']")
    kinds = re.findall(r"\{\d+:([A-Z_]+):", text.find("questiontext/text").text)
    assert kinds == ["MULTICHOICE_VS"] + ["NUMERICAL"] * 4  # (a) has a named mistake
    assert any(n.startswith("q1.b") and "stays numerical" in n for n in notes)
    # an expression part without named mistakes is asked at a point instead of as a choice
    quiz = multipart_quiz()
    quiz.questions[2].parts[0].mistakes = []
    notes = []
    text = ET.fromstring(render_moodle(quiz, lang="en", notes=notes)).findall(
        ".//question[@type='cloze']")[2].find("questiontext/text").text
    assert re.findall(r"\{\d+:([A-Z_]+):", text)[0] == "NUMERICAL"
    assert "Enter the value of your expression at" in text
    assert any(n.startswith("q3.a") and "value at x = " in n for n in notes)


# -- LMS variants and Moodle's Responses report ------------------------------------------------

def test_the_variant_key_has_a_row_per_part():
    rows = key_rows(multipart_quiz())
    assert [r[0] for r in rows][:6] == ["q1.a", "q1.b", "q1.c", "q1.d", "q1.e", "q2.a"]
    assert rows[7][:2] == ["q2.c", "q2.v1"] and rows[7][4].startswith("[0.59999")
    # each typed answer grades correct against its part
    q2 = multipart_quiz().questions[1]
    verdicts = grade_parts(q2, {r[0].split(".")[1]: r[4] for r in rows if r[0][:2] == "q2"})
    assert all(v.status == "correct" for v in verdicts.values())


def test_the_cli_exports_a_multipart_quiz_and_prints_the_notes(tmp_path):
    from click.testing import CliRunner

    from quizgen.cli import cli

    multipart_quiz().save(tmp_path / "quiz.json")
    for fmt in ("moodle", "qti", "gift", "html", "pdf", "md"):
        result = CliRunner().invoke(cli, ["export", str(tmp_path / "quiz.json"), "--format",
                                          fmt, "--out", str(tmp_path / f"out-{fmt}")])
        assert result.exit_code == 0, (fmt, result.output)
        if fmt in ("moodle", "qti", "gift"):
            assert result.output.count("without follow-through") == 3, result.output


def test_a_formula_the_grader_cannot_read_is_shown_as_written_not_a_crash():
    quiz = multipart_quiz()
    quiz.questions[0].parts[2].formula = "a/(1 - "
    quiz.questions[2].parts[2].answer_tex = ""  # the key writes the right options instead
    page = render_html(quiz, key=True, lang="en")
    assert "an answer equal to “a/(1 - ”" in page
    assert re.search(r"<mtext>A,\sC</mtext>", page)  # the space is a no-break space


def test_with_variants_each_variant_is_a_cloze_and_a_part_is_noted_once_per_slot():
    from dataclasses import replace

    quiz = multipart_quiz()
    quiz = replace(quiz, variants={"q1": [replace(quiz.questions[0], id="q1.v2")]})
    notes: list[str] = []
    root = ET.fromstring(render_moodle(quiz, lang="en", numeric="choice", notes=notes))
    ids = [q.find("idnumber").text for q in root.iter("question") if q.get("type") == "cloze"]
    assert ids == ["q1.v1", "q1.v2", "q2.v1", "q3.v1"]
    assert notes.count("q1.b (optimizers.adam_step): a number part without named mistakes "
                       "stays numerical") == 1
