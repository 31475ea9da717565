"""QTI 2.1 content package: a zip holding ``imsmanifest.xml`` and one ``assessmentItem`` file
per question (``items/item01.xml`` ...), formulas as MathML inside the XHTML item body.

A quiz with several variants per slot (``make --variants N``) also gets an ``assessmentTest``
(``assessment.xml``) with one section per slot that selects one of the slot's items
(``<selection select="1"/>``), so every candidate sees one variant of each question; its items
are ``items/item01-v01.xml`` ...

Numbers are ``textEntryInteraction`` items graded by ``<equal toleranceMode="absolute">``;
choices are ``choiceInteraction`` items (a ``mapping`` gives shares when several options are
right); every named mistake and distractor gets a ``modalFeedback``.

A multi-part question is one item with one interaction per part (``RESPONSE_a`` ...; a vector
part one text entry per entry, ``RESPONSE_c_1`` ...), each part graded on its own and adding
its points to ``SCORE``; the feedback of every part is shown (``FEEDBACK`` holds several
identifiers). QTI grades each part against the key only, without follow-through, which the
export notes say.
"""

from __future__ import annotations

import hashlib
import string
import zipfile
from pathlib import Path

from markupsafe import Markup

from quizgen.model import Quiz

from .lms import LmsItem, lms_items, lms_slots
from .math import latex_to_mathml
from .templating import environment
from .wording import UI

MANIFEST = "imsmanifest.xml"
TEST = "assessment.xml"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same quiz gives the same bytes


def _mathml(latex: str, display: bool) -> Markup:
    return Markup(latex_to_mathml(latex, display=display))


def render_qti(
    quiz: Quiz,
    *,
    lang: str | None = None,
    numeric: str = "numerical",
    expression: str = "choice",
    notes: list[str] | None = None,
    variants: int | None = None,
) -> dict[str, str]:
    """The package's files, name → XML text, manifest first (then the test, if any)."""
    from quizgen.lms_variants import check_count

    lang = lang or quiz.lang
    options = {"lang": lang, "convert": _mathml, "numeric": numeric, "expression": expression,
               "notes": notes}
    env = environment()
    files: dict[str, str] = {}
    entries: list[dict[str, str]] = []

    def add(item: LmsItem, ident: str) -> dict[str, str]:
        href = f"items/{ident}.xml"
        if item.parts:
            files[href] = env.get_template("qti_parts_item.xml.j2").render(
                item=item, ident=ident, ui=UI[lang], **_part_identifiers(item))
            entries.append({"ident": ident, "href": href})
            return entries[-1]
        if item.view.choices:  # a choice question keeps its letters (or T / F)
            option_ids = [c.id for c in item.view.choices]
        else:
            option_ids = list(string.ascii_uppercase[: len(item.options)])
        files[href] = env.get_template("qti_item.xml.j2").render(
            item=item, ident=ident, option_ids=option_ids, ui=UI[lang]
        )
        entries.append({"ident": ident, "href": href})
        return entries[-1]

    if notes is not None:
        notes += [f"{q.id} ({q.family}): {len(q.parts)} parts asked as one QTI item with an "
                  "interaction per part; graded against the key only, without follow-through"
                  for q in quiz.questions if q.parts]
    digest = hashlib.sha256(quiz.to_json().encode()).hexdigest()[:12]
    count = check_count(quiz, variants)
    test, head = None, {}
    if count == 1:
        for item in lms_items(quiz, **options):
            add(item, f"item{item.view.number:02d}")
    else:
        sections = [
            {"ident": f"section{slot.number:02d}", "slot": slot,
             "entries": [add(item, f"item{slot.number:02d}-v{k:02d}")
                         for k, item in enumerate(slot.items, start=1)]}
            for slot in lms_slots(quiz, variants=count, **options)
        ]
        test = {"ident": "TEST", "href": TEST}
        head[TEST] = env.get_template("qti_test.xml.j2").render(
            quiz=quiz, sections=sections, identifier=f"TEST-quizgen-{digest}")
    manifest = env.get_template("qti_manifest.xml.j2").render(
        identifier=f"MANIFEST-quizgen-{digest}", entries=entries, test=test
    )
    return {MANIFEST: manifest, **head, **files}


def _part_identifiers(item: LmsItem) -> dict[str, dict[str, list[str]]]:
    """Response identifiers per part (``RESPONSE_a``; a vector ``RESPONSE_c_1`` ...), and the
    option identifiers of a part asked as a choice (``a_A``: unique in the whole item, since
    the chosen one is also a feedback identifier)."""
    responses, options = {}, {}
    for part in item.parts:
        base = f"RESPONSE_{part.id}"
        n = len(part.fields)
        responses[part.id] = [f"{base}_{k}" for k in range(1, n + 1)] if part.entry_labels \
            else [base]
        field = part.fields[0]
        letters = ([c.id for c in field.view.choices] if field.view.choices
                   else list(string.ascii_uppercase[: len(field.options)]))
        options[part.id] = [f"{part.id}_{letter}" for letter in letters]
    return {"responses": responses, "option_ids": options}


def write_qti(quiz: Quiz, path: str | Path, *, key: bool = True, lang: str | None = None,
              **options) -> Path:
    """``key`` is ignored: an LMS package always holds the answers."""
    files = render_qti(quiz, lang=lang, **options)  # before the file is opened: an error
    path = Path(path)                               # leaves no empty package behind
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, text.encode("utf-8"))
    return path
