"""Every HTML quizgen writes, checked by the Nu Html Checker and by axe-core.

The files: the sheet and the key of every family of the bank (seeds 5 and 6, English and
Chinese) and of a quiz of multi-part questions (tests/multipart_quiz.py), and the HTML inside
the LMS exports (each question text, option, feedback and worked
solution of the Moodle XML and GIFT files, one document per export, with and without
--variants), which an LMS shows as they are. Served pages are checked in test_served_pages.py.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from consumers import ARTIFACTS, SEEDS, describe_axe, describe_nu, run_axe
from moodle_cloze import extract
from moodle_gift import import_gift
from multipart_quiz import multipart_quiz

from quizgen.export import export
from quizgen.model import Quiz

LANGS = ("en", "zh")

# one worker runs the whole module: its exports are made once (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("html-exports")


def wrap(fragments: list[str], lang: str, title: str) -> str:
    """HTML fragments an LMS shows inside its own page, as one document of their own."""
    body = "\n".join(f"<div>{f}</div>" for f in fragments)
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def moodle_fragments(path) -> list[str]:
    root = ET.parse(path).getroot()
    found = [t.text or "" for tag in ("questiontext", "generalfeedback", "answer", "feedback")
             for e in root.iter(tag) if e.get("format") == "html" for t in e.findall("text")]
    # a Cloze question as Moodle shows it: its text around the blanks, the options, feedback
    for q in root.iter("question"):
        if q.get("type") == "cloze":
            found.remove(q.findtext("questiontext/text"))
            cloze = extract(q.findtext("questiontext/text"))
            found.append(cloze.text)
            found += [a for sub in cloze.subquestions if sub.qtype == "multichoice"
                      for a in sub.answers]
            found += [f for sub in cloze.subquestions for f in sub.feedback]
    return found


def gift_fragments(path) -> list[str]:
    out = []
    for q in import_gift(path.read_text(encoding="utf-8")):
        if q.qtype == "category":
            continue
        out += [q.questiontext, q.generalfeedback]
        out += [a.text for a in q.answer if hasattr(a, "text")] + [f.text for f in q.feedback]
        out += [f.text for f in (q.feedbacktrue, q.feedbackfalse) if f is not None]
    return out


@pytest.fixture(scope="module")
def html_files(big_quizzes, tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("html")
    files = []

    def pages(quiz, tag: str, lang: str, sheets: bool = True, lms: Quiz | None = None) -> None:
        """The sheet and key (``sheets``), and the HTML inside the Moodle and GIFT files of
        ``quiz`` (GIFT of ``lms`` where given), as pages for the checkers."""
        for key in (False, True) if sheets else ():
            name = f"{'key' if key else 'sheet'}-{tag}-{lang}.html"
            files.append(export(quiz, "html", folder / name, key=key, lang=lang))
        for fmt, fragments in (("moodle", moodle_fragments), ("gift", gift_fragments)):
            source = lms if lms is not None and fmt == "gift" else quiz
            path = export(source, fmt, folder / f"{tag}-{lang}.{fmt}", lang=lang)
            page = folder / f"{fmt}-fragments-{tag}-{lang}.html"
            page.write_text(wrap(fragments(path), lang, f"{fmt} {tag}"), encoding="utf-8")
            files.append(page)

    for lang in LANGS:
        for seed in SEEDS:
            pages(big_quizzes[seed], str(seed), lang)
        # multi-part questions: parts (a), (b) with a box each; a Cloze question; one per part
        pages(multipart_quiz("half"), "parts", lang)
    # a quiz made with --variants: the same HTML, in a category per slot; GIFT refuses
    # variants of a multi-part slot (one question per part could not stay together)
    from quizgen.lms_variants import add_variants

    quiz = add_variants(big_quizzes[SEEDS[0]], 2)
    single = dataclasses.replace(quiz, questions=[q for q in quiz.questions if not q.parts])
    for lang in LANGS:
        pages(quiz, "variants", lang, sheets=False, lms=single)
    return files


def test_every_html_export_passes_the_nu_html_checker(html_files, nu_checker):
    found = nu_checker(html_files)
    assert set(found) == {p.name for p in html_files}  # every file was checked
    errors = {name: describe_nu(messages) for name, messages in found.items() if messages}
    assert not errors, "\n".join(f"{name}: {e}" for name, msgs in errors.items()
                                 for e in msgs[:10])


def test_every_sheet_and_key_has_no_axe_violation(html_files, chromium_browser, axe_source):
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium_browser.new_context(viewport={"width": 1000, "height": 900})
    found = {}
    for path in html_files:
        # one seed: the other has the same families (axe takes seconds on a 60-question key)
        if path.name.startswith(("sheet", "key")) and (f"-{SEEDS[0]}-" in path.name
                                                       or "-parts-" in path.name):
            page = context.new_page()
            page.goto(path.as_uri())
            if path.name.endswith("-zh.html") or "-parts-" in path.name:
                page.screenshot(path=str(ARTIFACTS / f"conformance-{path.stem}.png"))
            violations = run_axe(page, axe_source)
            if violations:
                found[path.name] = describe_axe(violations)
            page.close()
    context.close()
    assert not found, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)
