"""GIFT, Moodle's plain-text question format: ``{#value:tolerance}`` numbers, ``{=right ~wrong}``
choices with ``#feedback``, ``{TRUE}`` / ``{FALSE}``, ``####`` general feedback.

A multi-part question becomes one GIFT question per part (a vector part one per entry, as
quizgen grades a vector by the share of its right entries), named ``01 q1 (a)``, each repeating
the stem, with the part's id (``q1.a``) as its ID number. GIFT has no way to grade one part from
another, so no follow-through; the export notes say so. With several variants per slot a
category holds whole questions for "random question", which a question split into parts is not:
such a quiz is refused (Moodle XML and QTI keep the parts of a variant together).

Question text is ``[html]``. Everything is escaped the way Moodle's own exporter does it
(``qformat_gift::repchar``): the backslash first, then ``# = ~ { } :``, so a formula keeps every
backslash and brace through Moodle's importer (``\\frac{a}{b}`` is written
``\\\\frac\\{a\\}\\{b\\}``, a set ``\\{2, 3\\}`` is written ``\\\\\\{2, 3\\\\\\}``). Numbers and
tolerances are plain decimals (``0.00005``), which every GIFT reader accepts.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

from quizgen.lms_variants import check_count
from quizgen.model import Quiz

from .lms import LmsConversionError, LmsItem, lms_groups
from .templating import environment, gift_escape
from .wording import UI, points_label


def tex_for_gift(latex: str, display: bool) -> str:
    tex = rf"\[{latex}\]" if display else rf"\({latex}\)"
    return gift_escape(html.escape(tex, quote=False))


def render_gift(
    quiz: Quiz,
    *,
    lang: str | None = None,
    numeric: str = "numerical",
    expression: str = "choice",
    notes: list[str] | None = None,
    variants: int | None = None,
) -> str:
    """The GIFT text; with several variants per slot, a ``$CATEGORY`` per slot holding them."""
    lang = lang or quiz.lang
    split = [q for q in quiz.questions if q.parts]
    if split and check_count(quiz, variants) > 1:
        raise LmsConversionError(
            f"question {split[0].id}: GIFT writes a multi-part question as one question per "
            "part, which a category of variants cannot keep together (a random question would "
            "draw one part of one variant); export this quiz as moodle (Cloze) or qti, or "
            "with --variants 1")
    if notes is not None:
        notes += [f"{q.id} ({q.family}): {len(q.parts)} parts written as separate GIFT "
                  "questions, one per part (a vector part one per entry), each repeating the "
                  "stem; graded against the key only, without follow-through" for q in split]
    groups = lms_groups(
        quiz, variants=variants, lang=lang, convert=tex_for_gift, numeric=numeric,
        expression=expression, notes=notes,
    )
    groups = [replace(g, items=tuple(i for item in g.items for i in per_part(item, lang)))
              for g in groups]
    count = sum(len(g.items) for g in groups)
    return environment().get_template("quiz.gift.j2").render(
        quiz=quiz, groups=groups, count=count, ui=UI[lang])


def per_part(item: LmsItem, lang: str) -> list[LmsItem]:
    """A multi-part question's fields as GIFT questions of their own: the stem, the part's
    label and prompt (and which entry of a vector), its own id and points; else the item."""
    if not item.parts:
        return [item]
    out = []
    for part in item.parts:
        for k, field in enumerate(part.fields, start=1):
            prompt = item.prompt + ("\n", f"{part.label} ") + (field.prompt or part.view.prompt)
            ident, label = field.view.id, f"{item.name} {part.label}"
            if part.entry_labels:
                prompt += (f" ({part.entry_labels[k - 1]})",)
                ident, label = f"{ident}.{k}", f"{label} {k}/{len(part.fields)}"
            view = replace(field.view, id=ident, points=points_label(field.points, lang))
            out.append(replace(field, view=view, prompt=prompt, label=label))
    return out


def write_gift(quiz: Quiz, path: str | Path, *, key: bool = True, lang: str | None = None,
               **options) -> Path:
    """``key`` is ignored: an LMS file always holds the answers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_gift(quiz, lang=lang, **options), encoding="utf-8", newline="\n")
    return path
