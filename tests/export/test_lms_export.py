"""Moodle XML, GIFT, QTI 2.1 and Markdown: parsed back and checked against the quiz."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from quizgen.export import LmsConversionError, default_filename, export, export_files
from quizgen.export.lms import absolute_tolerance, lms_answer
from quizgen.export.markdown import render_markdown
from quizgen.grading import check

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"


def test_absolute_tolerance_matches_the_grading_rule():
    assert absolute_tolerance(0.1, {"rtol": 1e-4, "atol": 1e-9}) == pytest.approx(1e-5 + 1e-9)
    assert absolute_tolerance(0.61234, {"sigfigs": 3}) == pytest.approx(0.0005)
    assert absolute_tolerance(-123.4, {"sigfigs": 2}) == pytest.approx(5.0)
    # the edge of the LMS interval is where quizgen's own grader stops accepting
    for value, tol in ((0.61234, {"sigfigs": 3}), (2.5, {"rtol": 1e-3, "atol": 0})):
        target, width = lms_answer(value, tol)
        for side in (-1, 1):
            inside, outside = target + side * 0.9 * width, target + side * 1.1 * width
            assert check(value, repr(inside), kind="number", **tol).status == "correct"
            assert check(value, repr(outside), kind="number", **tol).status == "incorrect"
    assert lms_answer(0.61234, {"sigfigs": 3}) == (0.612, pytest.approx(0.0005))


def test_moodle_xml_types_tolerances_and_feedback(mixed_quiz, tmp_path):
    notes: list[str] = []
    path = export(mixed_quiz, "moodle", tmp_path / "q.xml", notes=notes)
    root = ET.parse(path).getroot()
    questions = [q for q in root.iter("question") if q.get("type") != "category"]
    types = [q.get("type") for q in questions]
    assert types == ["numerical", "multichoice", "multichoice", "truefalse", "multichoice",
                     "multichoice"]
    adam = questions[0]
    answers = adam.findall("answer")
    assert answers[0].get("fraction") == "100"
    assert float(answers[0].find("text").text) == pytest.approx(0.099999998)
    assert float(answers[0].find("tolerance").text) == pytest.approx(1e-5 * 0.099999998 * 10
                                                                      + 1e-9)
    # the named mistake is a 0 % answer with its own feedback
    assert answers[1].get("fraction") == "0"
    assert float(answers[1].find("text").text) == pytest.approx(0.00316227766)
    assert r"\(1 - \beta_1^t\)" in answers[1].find("feedback/text").text
    assert adam.find("defaultgrade").text == "2"
    assert r"\(\eta = 0.1\)" in adam.find("questiontext/text").text
    # vector as multiple choice: the right option and the distractor with its feedback
    clip = questions[1]
    fractions = sorted(a.get("fraction") for a in clip.findall("answer"))
    assert fractions == ["0", "100"]
    wrong = next(a for a in clip.findall("answer") if a.get("fraction") == "0")
    assert "clip_grad_value_" in wrong.find("feedback/text").text
    # true/false: false is right here
    tf = {a.find("text").text: a.get("fraction") for a in questions[3].findall("answer")}
    assert tf == {"true": "0", "false": "100"}
    # several right options share the grade; wrong ones cost a share
    multiple = questions[4]
    assert multiple.find("single").text == "false"
    assert [a.get("fraction") for a in multiple.findall("answer")] == ["50", "-50", "50", "-50"]
    single = questions[5]
    by_fraction = {a.get("fraction"): a for a in single.findall("answer")}
    assert single.find("single").text == "true" and len(single.findall("answer")) == 3
    assert "training mode" in "".join(
        a.find("feedback/text").text for a in single.findall("answer") if a.get("fraction") == "0"
    )
    assert "running mean" in by_fraction["100"].find("text").text
    assert len(notes) == 2 and "vector asked as multiple choice" in notes[0]
    assert "expression asked as multiple choice" in notes[1]


def test_expression_at_a_point_and_numbers_as_choices(mixed_quiz, tmp_path):
    notes: list[str] = []
    path = export(mixed_quiz, "moodle", tmp_path / "q.xml", notes=notes, expression="point",
                  numeric="choice")
    questions = [q for q in ET.parse(path).getroot().iter("question")][1:]
    assert questions[0].get("type") == "multichoice"
    sigmoid = questions[2]
    assert sigmoid.get("type") == "numerical"
    assert "x = 0.7" in sigmoid.find("questiontext/text").text
    value = float(sigmoid.find("answer/text").text)
    # independent oracle: the derivative of the logistic function at 0.7
    import math

    s = 1 / (1 + math.exp(-0.7))
    assert value == pytest.approx(s * (1 - s), rel=1e-9)
    mistake = float(sigmoid.findall("answer")[1].find("text").text)
    assert mistake == pytest.approx(-s * (1 - s), rel=1e-9)
    assert any("value at x = 0.7" in n for n in notes)
    assert any("number asked as multiple choice" in n for n in notes)


def test_expression_at_a_point_stays_inside_the_variables_domains(tmp_path):
    # Adam's step size, declared lr:positive, beta_1/beta_2:unit_interval, t:positive_integer:
    # the point must give t a whole value and the betas values in (0, 1).
    from quizgen.sampling import make_quiz

    quiz = make_quiz("optimizers.adam_constant_gradient", count=2, seed=3, difficulty=2)
    quiz.questions = [q for q in quiz.questions if q.params["ask"] == "step_size"]
    notes: list[str] = []
    path = export(quiz, "moodle", tmp_path / "q.xml", notes=notes, expression="point")
    question = [q for q in ET.parse(path).getroot().iter("question")][1]
    assert question.get("type") == "numerical"
    point = dict(re.findall(r"(\w+) = ([\d.]+)", notes[0]))
    lr, b1, b2, t = (float(point[k]) for k in ("lr", "beta_1", "beta_2", "t"))
    assert t == int(t) and 0 < b1 < 1 and 0 < b2 < 1
    # independent oracle: Kingma & Ba's step size at that point
    want = lr * (1 - b2**t) ** 0.5 / (1 - b1**t)
    assert float(question.find("answer/text").text) == pytest.approx(want, rel=1e-9)


def test_a_vector_without_mistakes_cannot_become_multiple_choice(mixed_quiz, tmp_path):
    mixed_quiz.questions[1].mistakes = []
    with pytest.raises(LmsConversionError, match="clip_grad_norm#2"):
        export(mixed_quiz, "gift", tmp_path / "q.gift")


def test_qti_package_has_a_manifest_and_one_item_per_question(mixed_quiz, tmp_path):
    path = export(mixed_quiz, "qti", tmp_path / "q.zip")
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        items = {n: ET.fromstring(package.read(n)) for n in names if n.startswith("items/")}
    assert names[0] == "imsmanifest.xml" and len(items) == len(mixed_quiz.questions)
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    assert [r.get("href") for r in resources] == sorted(items)
    assert all(r.get("type") == "imsqti_item_xmlv2p1" for r in resources)
    assert all(r.find(f"{CP}file").get("href") == r.get("href") for r in resources)
    assert manifest.find(f"{CP}metadata/{CP}schema").text == "QTIv2.1 Package"

    adam, clip, sigmoid, tf, multiple, single = (items[n] for n in sorted(items))
    assert adam.tag == f"{QTI}assessmentItem"
    assert adam.find(f"{QTI}responseDeclaration").get("baseType") == "float"
    equal = adam.find(f".//{QTI}equal")
    low, high = map(float, equal.get("tolerance").split())
    assert equal.get("toleranceMode") == "absolute" and low == high == pytest.approx(1.0e-5, 1e-3)
    assert adam.find(f".//{QTI}textEntryInteraction") is not None
    assert adam.find(".//{http://www.w3.org/1998/Math/MathML}math") is not None
    assert len(adam.findall(f"{QTI}modalFeedback")) == 1 + len(mixed_quiz.questions[0].mistakes)
    # a multiple-answer item maps each option to a share
    mapping = {
        e.get("mapKey"): float(e.get("mappedValue")) for e in multiple.iter(f"{QTI}mapEntry")
    }
    assert mapping == {"A": 0.5, "B": -0.5, "C": 0.5, "D": -0.5}
    assert multiple.find(f".//{QTI}choiceInteraction").get("maxChoices") == "0"
    correct = [v.text for v in tf.iter(f"{QTI}value") if v.text in ("T", "F")]
    assert correct == ["F"]
    single_feedback = {f.get("identifier") for f in single.findall(f"{QTI}modalFeedback")}
    assert single_feedback == {"A", "B", "C"}


def unescape(text: str) -> str:
    return re.sub(r"\\([\\~=#{}:])", r"\1", text)


def parse_gift(text: str) -> list[dict]:
    """A reader for the GIFT this project writes: title, then one answer line each."""
    questions = []
    for block in re.findall(r"^::(.*?)::.*?\{\n(.*?)\n\}", text, re.S | re.M):
        title, body = block
        answers = []
        for line in body.splitlines():
            line = line.strip()
            if line.startswith("####"):
                continue
            numeric = re.match(r"#?=(?:%(-?[\d.]+)%)?([-\d.e]+):([-\d.e]+)#", line)
            if numeric:
                weight = float(numeric.group(1)) if numeric.group(1) else 100.0
                answers.append(("number", weight, float(numeric.group(2)),
                                float(numeric.group(3))))
            elif line.startswith(("TRUE", "FALSE")):
                answers.append(("truth", 100.0, line.startswith("TRUE"), None))
            else:
                option = re.match(r"([=~])(?:%(-?[\d.]+)%)?(.*?)(?<!\\)#", line)
                weight = float(option.group(2)) if option.group(2) else (
                    100.0 if option.group(1) == "=" else 0.0)
                answers.append(("option", weight, unescape(option.group(3)), None))
        questions.append({"title": unescape(title), "answers": answers})
    return questions


def test_gift_round_trips_the_answers(mixed_quiz, tmp_path):
    path = export(mixed_quiz, "gift", tmp_path / "q.gift")
    parsed = parse_gift(path.read_text(encoding="utf-8"))
    assert [p["title"] for p in parsed] == [
        f"{n:02d} {q.id}" for n, q in enumerate(mixed_quiz.questions, start=1)
    ]
    adam, clip, sigmoid, tf, multiple, single = parsed
    kind, weight, value, tolerance = adam["answers"][0]
    assert (kind, weight) == ("number", 100.0) and value == mixed_quiz.questions[0].answer
    assert tolerance == pytest.approx(absolute_tolerance(value, mixed_quiz.questions[0].tolerance))
    mistakes = [m.value for m in mixed_quiz.questions[0].mistakes]
    assert [a[2] for a in adam["answers"][1:]] == mistakes
    right = [a[2] for a in clip["answers"] if a[1] == 100.0]
    assert right == [r"\(\left(0.6,\ 0.8\right)\)"]
    right = [a[2] for a in sigmoid["answers"] if a[1] == 100.0]
    assert right == [mixed_quiz.questions[2].answer]
    assert tf["answers"] == [("truth", 100.0, False, None)]
    assert [a[1] for a in multiple["answers"]] == [50.0, -50.0, 50.0, -50.0]
    right = [a[2] for a in single["answers"] if a[1] == 100.0]
    assert right == ["the running mean and variance tracked during training"]


def test_gift_escapes_its_control_characters(mixed_quiz, tmp_path):
    mixed_quiz.questions[0].prompt["en"] = "Cost {a} = #1 ~ 2: $x = 1$"
    text = export(mixed_quiz, "gift", tmp_path / "q.gift").read_text(encoding="utf-8")
    assert r"Cost \{a\} \= \#1 \~ 2\: \\(x \= 1\\)" in text


def test_markdown_sheet_and_key(mixed_quiz):
    sheet = render_markdown(mixed_quiz, key=False)
    key = render_markdown(mixed_quiz, key=True)
    assert "## Question 5 (2 points)" in sheet and "- **A.** a larger $\\epsilon$" in sheet
    assert "[x]" not in sheet and "Worked solution" not in sheet
    assert "- [x] **A.**" in key and "- [ ] **B.**" in key and "- [x] **C.**" in key
    assert "$$\\theta_0 - \\theta_1 \\approx 0.099999998$$" in key
    assert r"clip\_grad\_norm\_" in sheet  # markup characters escaped
    assert "## 第 1 题 (2 分)" in render_markdown(mixed_quiz, key=False, lang="zh")


def test_make_writes_one_file_for_lms_formats(mixed_quiz, tmp_path):
    written = []
    for fmt in ("html", "md", "moodle", "gift", "qti"):
        written += export_files(mixed_quiz, fmt, tmp_path)
    assert [p.name for p in written] == [
        "sheet.html", "key.html", "sheet.md", "key.md", "quiz.moodle.xml", "quiz.gift.txt",
        "quiz.qti.zip",
    ]
    assert default_filename("pdf", key=True) == "key.pdf"
