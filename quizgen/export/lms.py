"""What an LMS can grade: each question becomes a numerical, multiple-choice or true/false item.

Moodle, GIFT and QTI know numbers with an absolute tolerance and fixed options, nothing else. A
number keeps its answer (tolerance turned absolute) unless ``numeric="choice"``; a vector and an
expression become multiple choice whose distractors are the question's named mistakes, each
with its own feedback; with ``expression="point"`` an expression is instead asked as its value
at a fixed point. Every such change is reported as a note, for the CLI to print.

Formulas are left to each writer (TeX for Moodle and GIFT, MathML for QTI): the items carry
:class:`~quizgen.export.sheet.Rich` text built with the writer's converter.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, replace
from typing import Any

from quizgen.lms_variants import check_count, slot_variants
from quizgen.model import Question, Quiz

from .math import MathConversionError, split_math
from .sheet import (
    Formula,
    FormulaConverter,
    PartView,
    QuestionView,
    Rich,
    build_sheet,
    question_view,
    right_choices,
)
from .wording import UI, number_tex, value_tex

NUMERIC_MODES = ("numerical", "choice")
EXPRESSION_MODES = ("choice", "point")
# Where an expression is evaluated for expression="point": simple values away from 0 and 1,
# tried in order until the answer is finite, real and told apart from every named mistake.
POINT_CANDIDATES = (0.7, 1.3, 0.4, 2.1, 1.7, 0.9, 2.6, 3.2)
# the same, for variables whose domain these values leave (a step count, a beta)
DOMAIN_CANDIDATES = {"integer": (2, 3, 5, 4, 7, 6, 9, 8),
                     "positive_integer": (2, 3, 5, 4, 7, 6, 9, 8),
                     "unit_interval": (0.7, 0.3, 0.4, 0.9, 0.6, 0.8, 0.2, 0.55)}
POINT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-9}


class LmsConversionError(ValueError):
    """A question cannot be expressed in the LMS format with the options chosen."""


@dataclass(frozen=True)
class Option:
    text: Rich
    fraction: float  # Moodle's grade fraction in percent: 100 right, 0 wrong, or shares
    feedback: Rich
    value: Any = None  # what choosing it answers: a choice id, the key or a mistake's value


@dataclass(frozen=True)
class WrongNumber:
    """A named mistake of a numerical item: the number it produces and its feedback."""

    value: float
    tolerance: float
    feedback: Rich


@dataclass(frozen=True)
class LmsItem:
    """One gradable item. ``type`` is "numerical", "multichoice", "truefalse", or "cloze" for a
    multi-part question (its ``parts`` hold the gradable fields)."""

    view: QuestionView  # the key view of the question: number, id, prompt, solution...
    type: str
    points: float
    prompt: Rich  # the question text, with any instruction the conversion adds
    value: float | None = None  # numerical: the answer
    tolerance: float | None = None  # numerical: absolute tolerance
    options: tuple[Option, ...] = ()  # multichoice / truefalse
    single: bool = True  # multichoice: one right option
    truth: bool | None = None  # truefalse: the right answer
    wrong_numbers: tuple[WrongNumber, ...] = ()  # numerical: mistakes, each with its feedback
    label: str = ""  # the question's name in the LMS, when not "<number> <id>"
    parts: tuple[LmsPart, ...] = ()  # cloze: the parts, in order

    @property
    def name(self) -> str:
        return self.label or f"{self.view.number:02d} {self.view.id}"


@dataclass(frozen=True)
class LmsPart:
    """One part of a multi-part question as the blanks an LMS grades: one item (numerical,
    multiple choice or true/false, converted as a question of the part's kind would be), or
    for a vector or matrix one numerical item per entry, each worth an equal share of the
    part's points, as quizgen's grader scores a vector by the share of its right entries."""

    id: str  # "a"
    answer_id: str  # "q3.a": the answer column of the part
    view: PartView  # the key view of the part: label, prompt, solution ...
    points: float
    fields: tuple[LmsItem, ...]
    entry_labels: tuple[str, ...] = ()  # a vector's fields: "entry 1 of 2" ...

    @property
    def label(self) -> str:
        return self.view.label


@dataclass(frozen=True)
class LmsSlot:
    """One question slot of a quiz made with --variants: the items of its variants, in order
    (``item.view.id`` is the variant id, ``q3.v2``), for a category or section of its own."""

    id: str
    number: int  # the slot's position, 1-based
    family: str
    difficulty: int
    items: tuple[LmsItem, ...]


def lms_answer(value: float, tolerance: dict[str, float]) -> tuple[float, float]:
    """(answer, absolute tolerance) for an LMS that accepts ``|x - answer| <= tolerance``.

    With significant figures quizgen accepts what rounds to the rounded answer, so the LMS gets
    the rounded answer and half a unit in its last figure.
    """
    if "sigfigs" in tolerance and value != 0:
        n = int(tolerance["sigfigs"])
        value = float(f"{value:.{n - 1}e}")
    return value, absolute_tolerance(value, tolerance)


def absolute_tolerance(value: float, tolerance: dict[str, float]) -> float:
    """The grading rule ``|x - x*| <= atol + rtol |x*|`` (or half a unit in the last significant
    figure) as the one absolute tolerance LMS numeric questions take."""
    if "sigfigs" in tolerance:
        n = int(tolerance["sigfigs"])
        if value == 0:
            return 0.5 * 10.0 ** (-n)
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - n + 1)
    return float(tolerance.get("atol", 0.0)) + float(tolerance.get("rtol", 0.0)) * abs(value)


def lms_items(
    quiz: Quiz,
    *,
    lang: str | None,
    convert: FormulaConverter,
    numeric: str = "numerical",
    expression: str = "choice",
    notes: list[str] | None = None,
) -> list[LmsItem]:
    """The quiz as LMS items; conversions are appended to ``notes`` as sentences."""
    if numeric not in NUMERIC_MODES:
        raise ValueError(f"numeric must be one of {NUMERIC_MODES}, not {numeric!r}")
    if expression not in EXPRESSION_MODES:
        raise ValueError(f"expression must be one of {EXPRESSION_MODES}, not {expression!r}")
    lang = lang or quiz.lang
    sheet = build_sheet(quiz, key=True, lang=lang, convert=convert)
    notes = notes if notes is not None else []
    items = []
    for q, view in zip(quiz.questions, sheet.questions):
        items.append(_item(q, view, lang, convert, numeric, expression, notes))
    return items


@dataclass(frozen=True)
class LmsGroup:
    """What goes into one Moodle question category (GIFT ``$CATEGORY``)."""

    category: str  # the category path, "$course$/..."
    items: tuple[LmsItem, ...]
    info: str = ""  # the category's description


def lms_groups(
    quiz: Quiz,
    *,
    variants: int | None = None,
    lang: str | None,
    convert: FormulaConverter,
    numeric: str = "numerical",
    expression: str = "choice",
    notes: list[str] | None = None,
) -> list[LmsGroup]:
    """The quiz in one category; with several variants per slot (``variants``, default: all the
    quiz holds), one category per slot, ``$course$/<quiz title>/q1`` ..., holding its variants,
    so that "random question from category" gives each student one of them."""
    count = check_count(quiz, variants)
    options = {"lang": lang, "convert": convert, "numeric": numeric, "expression": expression,
               "notes": notes}
    if count == 1:
        items = lms_items(quiz, **options)
        return [LmsGroup(f"$course$/quizgen/{quiz.topic} (seed {quiz.seed})", tuple(items))]
    words = UI[lang or quiz.lang]["category_info"]
    return [
        LmsGroup(slot_category(quiz, slot.id), slot.items,
                 words.format(slot=slot.id, count=len(slot.items), family=slot.family,
                              difficulty=slot.difficulty))
        for slot in lms_slots(quiz, variants=count, **options)
    ]


def slot_category(quiz: Quiz, slot_id: str) -> str:
    """``$course$/<quiz title>/q3``. A ``/`` inside the title is doubled, as Moodle's category
    paths escape it (``question/format.php``, ``split_category_path``); backslashes are
    dropped, since GIFT's importer reads a ``$CATEGORY`` line without unescaping it."""
    title = " ".join((quiz.title or f"quizgen {quiz.topic}").split()).replace("\\", "")
    return f"$course$/{title.replace('/', '//')}/{slot_id}"


def lms_slots(
    quiz: Quiz,
    *,
    variants: int,
    lang: str | None,
    convert: FormulaConverter,
    numeric: str = "numerical",
    expression: str = "choice",
    notes: list[str] | None = None,
) -> list[LmsSlot]:
    """Each slot with the items of its first ``variants`` variants. A conversion is noted once
    per slot (``q3 (family): ...``), not once per variant."""
    chosen = [slot_variants(quiz, slot, variants) for slot in quiz.questions]
    flat = replace(quiz, questions=[v.question for vs in chosen for v in vs], variants={})
    found: list[str] = []
    items = iter(lms_items(flat, lang=lang, convert=convert, numeric=numeric,
                           expression=expression, notes=found))
    if notes is not None:
        # "q3.v2 (family): ..." and "q3.v2.b ..." (a part) are noted once per slot
        notes += dict.fromkeys(re.sub(r"^(\S+?)\.v\d+((?:\.\w+)*) ", r"\1\2 ", note)
                               for note in found)
    return [
        LmsSlot(slot.id, number, slot.family, slot.difficulty, tuple(
            replace(next(items), label=f"{number:02d} {v.id}") for v in vs))
        for number, (slot, vs) in enumerate(zip(quiz.questions, chosen), start=1)
    ]


def _item(q, view, lang, convert, numeric, expression, notes) -> LmsItem:
    def rich(text: str) -> Rich:
        try:
            return tuple(
                Formula(s.text, s.display, convert(s.text, s.display)) if s.math else s.text
                for s in split_math(text)
            )
        except MathConversionError as e:
            raise e.in_question(q.id) from None

    where = f"{q.id} ({q.family})"
    if q.parts:
        parts = tuple(_lms_part(q, p, pv, view.number, lang, convert, numeric, expression,
                                notes) for p, pv in zip(q.parts, view.parts))
        return LmsItem(view, "cloze", q.points, view.prompt, parts=parts)
    if q.kind == "choice":
        right = set(right_choices(q))
        ids = [c.id for c in view.choices]
        if ids == ["T", "F"]:
            return LmsItem(view, "truefalse", q.points, view.prompt, truth="T" in right,
                           options=_choice_options(q, view, right, lang))
        return LmsItem(view, "multichoice", q.points, view.prompt,
                       options=_choice_options(q, view, right, lang),
                       single=isinstance(q.answer, str))
    if q.kind == "number" and numeric == "numerical":
        value, tolerance = lms_answer(float(q.answer), q.tolerance)
        wrong = tuple(
            WrongNumber(*lms_answer(float(m.value), q.tolerance), mv.feedback)
            for m, mv in zip(q.mistakes, view.mistakes)
            if isinstance(m.value, (int, float)) and not isinstance(m.value, bool)
        )
        return LmsItem(view, "numerical", q.points, view.prompt, value=value,
                       tolerance=tolerance, wrong_numbers=wrong)
    if q.kind == "expression" and expression == "point":
        point, value, at_point = _evaluation_point(q)
        names = ", ".join(f"{v} = {number_tex(x)}" for v, x in point.items())
        extra = UI[lang]["evaluate_at"].format(point=f"${names}$")
        notes.append(f"{where}: expression asked as its value at {names} (numerical)")
        wrong = tuple(
            WrongNumber(x, absolute_tolerance(x, POINT_TOLERANCE), mv.feedback)
            for x, mv in zip(at_point, view.mistakes)
            if x is not None
        )
        return LmsItem(view, "numerical", q.points, view.prompt + ("\n",) + rich(extra),
                       value=value, tolerance=absolute_tolerance(value, POINT_TOLERANCE),
                       wrong_numbers=wrong)
    options = _mistake_options(q, view, rich, lang)
    what = {"number": "number", "vector": "vector", "expression": "expression"}[q.kind]
    notes.append(
        f"{where}: {what} asked as multiple choice, {len(options) - 1} distractors from named"
        " mistakes"
    )
    prompt = view.prompt
    if q.kind == "expression":
        prompt = prompt + ("\n", UI[lang]["pick_expression"])
    return LmsItem(view, "multichoice", q.points, prompt, options=options)


def _lms_part(q, p, pv, number, lang, convert, numeric, expression, notes) -> LmsPart:
    single = q.part_as_question(p)
    view = question_view(single, number, key=True, lang=lang, convert=convert)
    if p.kind != "vector":
        # multiple choice is built from named mistakes; a part without any (a later step often
        # has none) is asked the other way: a number as itself, an expression at a point
        if not p.mistakes and (p.kind, numeric, expression) in (
                ("number", "choice", expression), ("expression", numeric, "choice")):
            numeric, expression = "numerical", "point"
            if p.kind == "number":
                notes.append(f"{single.id} ({q.family}): a number part without named mistakes"
                             " stays numerical")
        item = _item(single, view, lang, convert, numeric, expression, notes)
        return LmsPart(p.id, single.id, pv, p.points, (item,))
    entries = list(_flat(p.answer))
    n = len(entries)
    fields = tuple(
        LmsItem(view, "numerical", p.points / n, (), *lms_answer(float(x), p.tolerance))
        for x in entries)
    labels = tuple(UI[lang]["entry"].format(i=i, n=n) for i in range(1, n + 1))
    return LmsPart(p.id, single.id, pv, p.points, fields, labels)


def _flat(value: Any):
    """The entries of a vector or matrix, row by row."""
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def _choice_options(q: Question, view: QuestionView, right: set[str], lang: str):
    """Options of a choice question: a share of 100 % for each right one; with several right
    ones a wrong pick costs a share too, so ticking everything earns nothing."""
    feedback = {
        m.value: mv.feedback
        for m, mv in zip(q.mistakes, view.mistakes)
        if isinstance(m.value, str)
    }
    share = 100.0 / len(right)
    wrong_share = -100.0 / max(1, len(view.choices) - len(right)) if len(right) > 1 else 0.0
    options = []
    for c in view.choices:
        ok = c.id in right
        words = (UI[lang]["right"],) if ok else feedback.get(c.id, (UI[lang]["wrong"],))
        options.append(Option(c.text, share if ok else wrong_share, words, c.id))
    return tuple(options)


def _mistake_options(q: Question, view: QuestionView, rich, lang: str) -> tuple[Option, ...]:
    """The right answer and one distractor per named mistake, in a shuffled order fixed by the
    question id (so the right answer is not always first, and the file is reproducible)."""
    if not q.mistakes:
        raise LmsConversionError(
            f"question {q.id}: a {q.kind} answer needs named mistakes to become multiple choice"
        )

    # every option the same way, so the right one does not stand out, and with as many digits
    # as it takes for no two options to read the same (an answer and a mistake can agree to
    # 6 significant figures when the question's tolerance is tighter than that)
    values = [q.answer] + [m.value for m in q.mistakes]
    numbers = [v for v in values if not isinstance(v, str)]
    digits = next(d for d in range(6, 18)
                  if len({value_tex(v, d) for v in numbers}) == len(numbers) or d == 17)

    def shown(value: Any) -> Rich:
        return (value,) if isinstance(value, str) else rich(f"${value_tex(value, digits)}$")

    options = [Option(shown(q.answer), 100.0, (UI[lang]["right"],), q.answer)]
    options += [
        Option(shown(m.value), 0.0, mv.feedback, m.value)
        for m, mv in zip(q.mistakes, view.mistakes)
    ]
    digest = hashlib.sha256(q.id.encode() + repr(q.params).encode()).digest()
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(options)
    return tuple(options)


def _evaluation_point(q: Question) -> tuple[dict[str, float], float, list[float | None]]:
    """The first candidate point where the answer is finite and real and differs from every
    named mistake by more than ten tolerances; the answer and the mistakes' values there."""
    from quizgen.grading.numeric import evaluate_scalar
    from quizgen.grading.parser import parse
    from quizgen.grading.variables import parse_variables

    declared = parse_variables(q.vars)  # "name:domain" specs
    variables = tuple(v.name for v in declared)
    answer = parse(str(q.answer), variables)
    mistakes = [parse(str(m.value), variables) for m in q.mistakes]
    n = len(POINT_CANDIDATES)
    for k in range(n):
        point = {v.name: DOMAIN_CANDIDATES.get(v.domain, POINT_CANDIDATES)[(k + i) % n]
                 for i, v in enumerate(declared)}
        value = _real(evaluate_scalar(answer, point))
        if value is None:
            continue
        tol = absolute_tolerance(value, POINT_TOLERANCE)
        others = [_real(evaluate_scalar(m, point)) for m in mistakes]
        if all(o is None or abs(o - value) > 10 * tol for o in others):
            rounded = [o if o is None else float(f"{o:.10g}") for o in others]
            return point, float(f"{value:.10g}"), rounded
    raise LmsConversionError(f"question {q.id}: no point tells the answer from its mistakes")


def _real(value: Any) -> float | None:
    if isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            return None
        value = value.real
    value = float(value)
    return value if math.isfinite(value) else None
