"""make --variants N: N variants per slot in quiz.json, one Moodle/GIFT category per slot, a
QTI test selecting one item per section, and a key listing every variant."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest
from click.testing import CliRunner

from quizgen.batch import grade_answer
from quizgen.cli import cli
from quizgen.export import export
from quizgen.lms_variants import (
    VariantError,
    add_variants,
    check_count,
    slot_variants,
    text_tokens,
    variant_count,
)
from quizgen.model import Quiz
from quizgen.sampling import _fingerprint, make_quiz

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"


@pytest.fixture(scope="module")
def base() -> Quiz:
    return make_quiz("optimizers", count=4, seed=2)


@pytest.fixture(scope="module")
def quiz(base) -> Quiz:
    return add_variants(base, 4)


def test_variants_share_family_and_difficulty_and_are_all_distinct(quiz):
    assert variant_count(quiz) == 4
    for slot in quiz.questions:
        variants = slot_variants(quiz, slot)
        assert [v.id for v in variants] == [f"{slot.id}.v{k}" for k in range(1, 5)]
        assert variants[0].question.params == slot.params  # variant 1 is the slot itself
        assert {(v.question.family, v.question.difficulty) for v in variants} == {
            (slot.family, slot.difficulty)}
        assert len({_fingerprint(v.question) for v in variants}) == 4
        # no text begins with another's: a Moodle report's question text names one variant
        for a in variants:
            for b in variants:
                ta, tb = text_tokens(a.question.prompt["en"]), text_tokens(b.question.prompt["en"])
                assert a is b or ta[:len(tb)] != tb


def test_the_same_seed_draws_the_same_variants(base, quiz):
    assert add_variants(base, 4).to_json() == quiz.to_json()


def test_quiz_json_keeps_every_variant_and_reads_back(quiz, tmp_path):
    quiz.save(tmp_path / "quiz.json")
    data = json.loads((tmp_path / "quiz.json").read_text(encoding="utf-8"))
    assert data["format"] == "quizgen/1"
    assert [len(q["variants"]) for q in data["questions"]] == [3] * 4
    assert data["questions"][0]["variants"][0]["id"] == "q1.v2"
    assert Quiz.load(tmp_path / "quiz.json").to_json() == quiz.to_json()


def test_a_quiz_without_variants_is_written_as_before(base, tmp_path):
    text = base.to_json()
    assert '"variants"' not in text
    (tmp_path / "quiz.json").write_text(text, encoding="utf-8")
    assert Quiz.load(tmp_path / "quiz.json").to_json() == text
    assert add_variants(base, 1).to_json() == text


def test_a_malformed_variant_is_named(quiz, tmp_path):
    data = json.loads(quiz.to_json())
    data["questions"][1]["variants"][2]["points"] = "two"
    (tmp_path / "quiz.json").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "quiz.json"), "--format", "gift"])
    assert result.exit_code == 2
    assert "question 2, variant 4 (q2.v4): field 'points'" in result.output


def test_moodle_xml_has_one_category_per_slot_holding_its_variants(quiz, tmp_path):
    root = ET.parse(export(quiz, "moodle", tmp_path / "q.xml")).getroot()
    groups: dict[str, list[str]] = {}
    for q in root.iter("question"):
        if q.get("type") == "category":
            current = q.findtext("category/text")
            groups[current] = []
            assert "4 variants" in q.findtext("info/text")
        else:
            groups[current].append(q.findtext("idnumber"))
    assert groups == {f"$course$/Optimizers — quiz/{slot.id}":
                      [f"{slot.id}.v{k}" for k in range(1, 5)] for slot in quiz.questions}


def test_gift_has_a_category_per_slot(quiz, tmp_path):
    text = export(quiz, "gift", tmp_path / "q.gift").read_text(encoding="utf-8")
    categories = re.findall(r"^\$CATEGORY: (.*)$", text, re.M)
    assert categories == [f"$course$/Optimizers — quiz/{s.id}" for s in quiz.questions]
    blocks = text.split("$CATEGORY: ")[1:]
    for slot, block in zip(quiz.questions, blocks):
        assert re.findall(r"^// \[id:(\S+)\]", block, re.M) == [
            f"{slot.id}.v{k}" for k in range(1, 5)]


def test_a_slash_in_the_title_is_escaped_as_moodle_does(quiz, tmp_path):
    from dataclasses import replace

    titled = replace(quiz, title="Week 3/4: optimizers")
    text = export(titled, "gift", tmp_path / "q.gift").read_text(encoding="utf-8")
    assert "$CATEGORY: $course$/Week 3//4: optimizers/q1\n" in text


def test_qti_test_selects_one_item_per_section(quiz, tmp_path):
    with zipfile.ZipFile(export(quiz, "qti", tmp_path / "q.zip")) as package:
        names = package.namelist()
        test = ET.fromstring(package.read("assessment.xml"))
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        items = {n: ET.fromstring(package.read(n)) for n in names if n.startswith("items/")}
    assert names[:2] == ["imsmanifest.xml", "assessment.xml"] and len(items) == 16
    sections = test.findall(f"{QTI}testPart/{QTI}assessmentSection")
    assert [s.get("title") for s in sections] == [q.id for q in quiz.questions]
    for section in sections:
        assert section.find(f"{QTI}selection").get("select") == "1"
        refs = section.findall(f"{QTI}assessmentItemRef")
        assert len(refs) == 4
        for ref in refs:  # every reference is an item of the package, with its identifier
            assert items[ref.get("href")].get("identifier") == ref.get("identifier")
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    assert resources[0].get("type") == "imsqti_test_xmlv2p1"
    deps = [d.get("identifierref") for d in resources[0].findall(f"{CP}dependency")]
    assert deps == [r.get("identifier") for r in resources[1:]]
    assert sorted(r.get("href") for r in resources[1:]) == sorted(items)


def test_export_writes_the_first_n_variants_and_never_samples_more(quiz, tmp_path):
    assert check_count(quiz, None) == 4 and check_count(quiz, 2) == 2
    root = ET.parse(export(quiz, "moodle", tmp_path / "q.xml", variants=2)).getroot()
    assert len([q for q in root.iter("question") if q.get("type") != "category"]) == 8
    with pytest.raises(VariantError, match="holds 4 variant"):
        export(quiz, "moodle", tmp_path / "q.xml", variants=5)
    # one variant: the one-category layout of a quiz without variants
    one = export(quiz, "gift", tmp_path / "one.gift", variants=1).read_text(encoding="utf-8")
    assert one.count("$CATEGORY") == 1 and "[id:q1]" in one


def test_make_and_export_on_the_command_line(tmp_path):
    out = tmp_path / "week3"
    runner = CliRunner()
    result = runner.invoke(cli, ["make", "--topic", "clipping", "--count", "3", "--seed", "5",
                                 "--variants", "3", "--format", "moodle,gift,qti,html",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "sheets and keys show the first variant" in result.output
    quiz = Quiz.load(out / "quiz.json")
    with (out / "key.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    variants = {v.id: v for slot in quiz.questions for v in slot_variants(quiz, slot)}
    assert [r["variant"] for r in rows] == list(variants)
    for row in rows:  # the key's answer, pasted back, grades correct on its own variant
        assert grade_answer(variants[row["variant"]].question, row["answer"]).status == \
            "correct", row
    failed = runner.invoke(cli, ["export", str(out / "quiz.json"), "--format", "qti",
                                 "--variants", "4", "--out", str(tmp_path / "x.zip")])
    assert failed.exit_code == 2 and "holds 3 variant(s)" in failed.output
    assert not (tmp_path / "x.zip").exists()  # nothing half-written
    sheet = runner.invoke(cli, ["export", str(out / "quiz.json"), "--format", "pdf",
                                "--variants", "2"])
    assert sheet.exit_code == 2 and "only the LMS formats" in sheet.output


def test_variants_and_a_roster_are_not_mixed(tmp_path):
    (tmp_path / "roster.csv").write_text("student\ns1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["make", "--topic", "clipping", "--variants", "2",
                                      "--students", str(tmp_path / "roster.csv"),
                                      "--out", str(tmp_path / "q")])
    assert result.exit_code == 2 and "--variants and --students" in result.output


def test_a_conceptual_slot_holds_every_distinct_variant_there_is():
    quiz = make_quiz("clipping.concepts", count=1, seed=1, difficulty=3)
    notes: list[str] = []
    more = add_variants(quiz, 6, notes)
    held = len(slot_variants(more, more.questions[0]))
    assert 1 < held < 6  # the clipping pool has few items at level 3
    assert notes == [f"q1 (clipping.concepts): {held} distinct variant(s) at difficulty 3, "
                     "not 6; its category holds those"]
