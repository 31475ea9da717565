"""The transform step every printable format shares: a Quiz becomes a Sheet, the plain view
its template renders.

Each writer passes its own formula converter (LaTeX → MathML for HTML, LaTeX → Typst for PDF,
...); the Sheet holds rich text as tuples of ``str`` (plain text, escaped by the template) and
:class:`Formula` (converted by the writer). Answers, tolerances, solutions and mistakes are only
built for a key, so a student sheet cannot leak them whatever its template does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from quizgen.grading.messages import AnswerError
from quizgen.model import LANGS, Part, Question, Quiz

from .formula_tex import formula_tex
from .math import MathConversionError, split_math
from .wording import UI, points_label, tolerance_words, value_tex

# (latex, display) -> the writer's markup for that formula
FormulaConverter = Callable[[str, bool], Any]


@dataclass(frozen=True)
class Formula:
    latex: str
    display: bool
    rendered: Any  # the writer's markup, e.g. jinja2.Markup holding <math>...</math>


Rich = tuple["str | Formula", ...]


@dataclass(frozen=True)
class MistakeView:
    name: str
    value: Rich
    feedback: Rich


@dataclass(frozen=True)
class ChoiceView:
    id: str  # "A", "B", ... or "T" / "F"
    text: Rich
    correct: bool | None = None  # None on a student sheet: it must not tell


@dataclass(frozen=True)
class PartView:
    """One part of a multi-part question: labelled "(a)" on the sheet, with its own answer box;
    on a key its answer, tolerance, solution, mistakes, and what follow-through accepts."""

    id: str  # "a"
    label: str  # "(a)" / "（a）"
    kind: str
    points: str
    prompt: Rich
    precision_hint: str | None
    choices: tuple[ChoiceView, ...] = ()
    columns: int = 1
    # key only:
    answer: Rich | None = None
    accepted: Rich | None = None
    follow_through: Rich | None = None  # a dependent part: its formula in the earlier parts
    solution: tuple[Rich, ...] = ()
    mistakes: tuple[MistakeView, ...] = ()


@dataclass(frozen=True)
class QuestionView:
    number: int
    id: str
    kind: str
    points: str  # "2 points" / "2 分"
    prompt: Rich
    precision_hint: str | None  # shown on the sheet when the question grades significant figures
    choices: tuple[ChoiceView, ...] = ()  # options of a choice question, in display order
    columns: int = 1  # how many columns the options fit in (short options side by side)
    # key only (None / empty on a student sheet):
    answer: Rich | None = None
    accepted: Rich | None = None
    solution: tuple[Rich, ...] = ()
    mistakes: tuple[MistakeView, ...] = ()
    parts: tuple[PartView, ...] = ()  # a multi-part question (kind "parts"): its stem is prompt


@dataclass(frozen=True)
class Sheet:
    lang: str
    key: bool
    title: str
    topic: str
    seed: int
    total: str  # "10"
    total_points: str  # "10 points" / "10 分"
    questions: tuple[QuestionView, ...]
    ui: dict[str, Any]
    instruction_lines: tuple[str, ...] = ()  # the UI's, plus one on parts when a quiz has them


class MissingTextError(ValueError):
    """A question lacks its text in the requested language."""


def build_sheet(quiz: Quiz, *, key: bool, lang: str, convert: FormulaConverter) -> Sheet:
    """The view of ``quiz`` in ``lang``; with ``key`` it carries answers and solutions."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGS)}")
    ui = UI[lang]
    questions = tuple(
        question_view(q, number, key=key, lang=lang, convert=convert,
                       follow_through=quiz.follow_through)
        for number, q in enumerate(quiz.questions, start=1)
    )
    lines = tuple(ui["instruction_lines"])
    if quiz.has_parts:
        lines += (ui["parts_instruction"][quiz.follow_through],)
    return Sheet(
        lang=lang,
        key=key,
        title=quiz.title or ui["default_title"].format(topic=quiz.topic),
        topic=quiz.topic,
        seed=quiz.seed,
        total=f"{quiz.total_points:g}",
        total_points=points_label(quiz.total_points, lang),
        questions=questions,
        ui=ui,
        instruction_lines=lines,
    )


def right_choices(q: Question | Part) -> list[str]:
    """The ids of the right options of a choice question or part (its answer is one id or a
    list)."""
    if q.kind != "choice":
        return []
    return list(q.answer) if isinstance(q.answer, list) else [q.answer]


def choice_columns(texts: list[str]) -> int:
    """Columns for options of these lengths on an A4 line: 4 short, 2 medium, else 1.

    Length is estimated from the source text: a LaTeX command counts as one character, ``$``
    and braces as none, a CJK character as two Latin ones (it is about twice as wide).
    """
    if not texts:
        return 1

    def width(text: str) -> int:
        visible = re.sub(r"[${}]", "", re.sub(r"\\[A-Za-z]+", "x", text))
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in visible)

    widest = max(width(t) for t in texts)
    if widest <= 14 and len(texts) <= 4:
        return len(texts) if len(texts) in (2, 3, 4) else 1
    if widest <= 34:
        return 2
    return 1


def question_view(
    q: Question, number: int, *, key: bool, lang: str, convert: FormulaConverter,
    follow_through: str = "full",
) -> QuestionView:
    def formula(latex: str, display: bool) -> Formula:
        try:
            return Formula(latex, display, convert(latex, display))
        except MathConversionError as e:
            raise e.in_question(q.id) from None

    def rich(text: str) -> Rich:
        try:
            segments = split_math(text)
        except MathConversionError as e:
            raise e.in_question(q.id) from None
        return tuple(formula(s.text, s.display) if s.math else s.text for s in segments)

    def translated(texts: dict[str, Any], what: str) -> Any:
        if lang not in texts:
            raise MissingTextError(f"question {q.id}: no {lang!r} text for its {what}")
        return texts[lang]

    def mistake_value(value: Any) -> Rich:
        # numbers and vectors as formulas; expressions and choices are already what one types
        return (value,) if isinstance(value, str) else (formula(value_tex(value), False),)

    sigfigs = q.tolerance.get("sigfigs")
    choices = tuple(
        ChoiceView(c["id"], rich(translated(c["text"], f"option {c['id']}"))) for c in q.choices
    )
    view = QuestionView(
        number=number,
        id=q.id,
        kind=q.kind,
        points=points_label(q.points, lang),
        prompt=rich(translated(q.prompt, "prompt")),
        precision_hint=UI[lang]["sigfigs_hint"].format(n=int(sigfigs)) if sigfigs else None,
        choices=choices,
        columns=choice_columns([c["text"][lang] for c in q.choices]),
    )
    if q.parts:
        # the stem is the question's prompt; everything gradable lives in its parts
        parts = tuple(_part_view(p, key=key, lang=lang, rich=rich, formula=formula,
                                 translated=translated, mistake_value=mistake_value,
                                 follow_through=follow_through) for p in q.parts)
        return replace(view, precision_hint=None, choices=(), parts=parts)
    if not key:
        return view
    right = set(right_choices(q))
    return replace(
        view,
        choices=tuple(replace(c, correct=c.id in right) for c in choices),
        answer=(formula(q.answer_tex, True),),
        accepted=rich(tolerance_words(q.tolerance, lang)),
        solution=tuple(rich(step) for step in translated(q.solution, "solution")),
        mistakes=tuple(
            MistakeView(
                # Mistake names are English identifiers: a Chinese key shows value and feedback.
                name=m.name.replace("_", " ") if lang == "en" else "",
                value=mistake_value(m.value),
                feedback=rich(translated(m.feedback, f"mistake {m.name!r} feedback")),
            )
            for m in q.mistakes
        ),
    )


def _part_view(p: Part, *, key: bool, lang: str, rich, formula, translated, mistake_value,
               follow_through: str) -> PartView:
    ui = UI[lang]
    sigfigs = p.tolerance.get("sigfigs")
    choices = tuple(ChoiceView(c["id"], rich(translated(c["text"], f"part {p.id} option "
                                                                    f"{c['id']}")))
                    for c in p.choices)
    view = PartView(
        id=p.id,
        label=ui["part_label"].format(id=p.id),
        kind=p.kind,
        points=points_label(p.points, lang),
        prompt=rich(translated(p.prompt, f"part {p.id} prompt")),
        precision_hint=ui["sigfigs_hint"].format(n=int(sigfigs)) if sigfigs else None,
        choices=choices,
        columns=choice_columns([c["text"][lang] for c in p.choices]),
    )
    if not key:
        return view
    right = set(right_choices(p))
    return replace(
        view,
        choices=tuple(replace(c, correct=c.id in right) for c in choices),
        answer=(formula(p.answer_tex or value_tex_or_text(p.answer), True),),
        accepted=rich(tolerance_words(p.tolerance, lang)),
        follow_through=rich(follow_through_words(p, lang, follow_through)) if p.formula
        else None,
        solution=tuple(rich(step) for step in translated(p.solution, f"part {p.id} solution")),
        mistakes=tuple(
            MistakeView(
                name=m.name.replace("_", " ") if lang == "en" else "",
                value=mistake_value(m.value),
                feedback=rich(translated(m.feedback, f"part {p.id} mistake {m.name!r} "
                                                     "feedback")),
            )
            for m in p.mistakes
        ),
    )


def value_tex_or_text(value: Any) -> str:
    """A part's answer as LaTeX when its ``answer_tex`` is empty: numbers and vectors as
    formulas, an expression or the ids of right options as text."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if isinstance(value, str):
        return rf"\text{{{value}}}"
    return value_tex(value)


def follow_through_words(p: Part, lang: str, mode: str) -> str:
    """What follow-through accepts for a dependent part, in words, with its formula in the
    earlier parts (``$\\frac{1}{\\text{(a)}}$``) and the quiz's credit."""
    ui = UI[lang]
    labels = [ui["part_label"].format(id=u) for u in p.uses]
    uses = "、".join(labels) if lang == "zh" else ", ".join(labels)
    try:
        shown = f"${formula_tex(p.formula, p.uses)}$"
    except AnswerError:  # a hand-edited formula the grader cannot read either: shown as is
        shown = "“" + p.formula.replace("$", r"\$") + "”"
    if mode == "off":
        return ui["follow_through_off"].format(formula=shown, uses=uses)
    return ui["follow_through"].format(formula=shown, uses=uses, credit=ui["credit"][mode])
