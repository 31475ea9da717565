"""Moodle XML: numerical questions with an absolute tolerance, multiple choice with feedback for
each distractor, true/false; formulas as TeX ``\\(...\\)`` for Moodle's MathJax filter.

What is converted and how is decided in :mod:`quizgen.export.lms`; this writer only renders.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape

from quizgen.model import Quiz

from .lms import lms_groups
from .templating import environment
from .wording import UI


def tex_for_mathjax(latex: str, display: bool) -> Markup:
    """``\\(...\\)`` inline, ``\\[...\\]`` displayed: the delimiters Moodle's filters expect."""
    return escape(rf"\[{latex}\]" if display else rf"\({latex}\)")


def render_moodle(
    quiz: Quiz,
    *,
    lang: str | None = None,
    numeric: str = "numerical",
    expression: str = "choice",
    shuffle: bool = True,
    notes: list[str] | None = None,
    variants: int | None = None,
) -> str:
    """The Moodle XML text; ``variants``: how many of each slot's variants to write (default:
    all the quiz holds), each slot in a category of its own when more than one."""
    lang = lang or quiz.lang
    groups = lms_groups(
        quiz, variants=variants, lang=lang, convert=tex_for_mathjax, numeric=numeric,
        expression=expression, notes=notes,
    )
    template = environment().get_template("moodle.xml.j2")
    return template.render(quiz=quiz, groups=groups, ui=UI[lang], shuffle=shuffle)


def write_moodle(quiz: Quiz, path: str | Path, *, key: bool = True, lang: str | None = None,
                 **options) -> Path:
    """``key`` is ignored: an LMS file always holds the answers (the LMS hides them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_moodle(quiz, lang=lang, **options), encoding="utf-8", newline="\n")
    return path
