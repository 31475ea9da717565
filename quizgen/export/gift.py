"""GIFT, Moodle's plain-text question format: ``{#value:tolerance}`` numbers, ``{=right ~wrong}``
choices with ``#feedback``, ``{TRUE}`` / ``{FALSE}``, ``####`` general feedback.

Question text is ``[html]``. Everything is escaped the way Moodle's own exporter does it
(``qformat_gift::repchar``): the backslash first, then ``# = ~ { } :``, so a formula keeps every
backslash and brace through Moodle's importer (``\\frac{a}{b}`` is written
``\\\\frac\\{a\\}\\{b\\}``, a set ``\\{2, 3\\}`` is written ``\\\\\\{2, 3\\\\\\}``). Numbers and
tolerances are plain decimals (``0.00005``), which every GIFT reader accepts.
"""

from __future__ import annotations

import html
from pathlib import Path

from quizgen.model import Quiz

from .lms import lms_items
from .templating import environment, gift_escape
from .wording import UI


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
) -> str:
    lang = lang or quiz.lang
    items = lms_items(
        quiz, lang=lang, convert=tex_for_gift, numeric=numeric, expression=expression, notes=notes
    )
    return environment().get_template("quiz.gift.j2").render(quiz=quiz, items=items, ui=UI[lang])


def write_gift(quiz: Quiz, path: str | Path, *, key: bool = True, lang: str | None = None,
               **options) -> Path:
    """``key`` is ignored: an LMS file always holds the answers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_gift(quiz, lang=lang, **options), encoding="utf-8", newline="\n")
    return path
