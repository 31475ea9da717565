"""HTML sheet and answer key: one self-contained page, math as MathML, no JavaScript.

Every formula is converted by latex2mathml to MathML Core, which Chromium, Firefox and Safari
draw natively; the stylesheet is inlined; fonts are the reader's system fonts. The page prints
on A4 with no question split across pages.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from quizgen.model import Quiz

from .math import latex_to_mathml
from .sheet import build_sheet
from .templating import environment


def _mathml(latex: str, display: bool) -> Markup:
    return Markup(latex_to_mathml(latex, display=display))


def render_html(quiz: Quiz, *, key: bool, lang: str | None = None) -> str:
    """The sheet (or, with ``key``, the answer key) as an HTML document; ``lang`` defaults to
    the quiz's own language."""
    sheet = build_sheet(quiz, key=key, lang=lang or quiz.lang, convert=_mathml)
    template = environment().get_template("key.html.j2" if key else "sheet.html.j2")
    return template.render(sheet=sheet, ui=sheet.ui)


def write_html(quiz: Quiz, path: str | Path, *, key: bool, lang: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # newline="\n": the same quiz is the same bytes on every OS
    path.write_text(render_html(quiz, key=key, lang=lang), encoding="utf-8", newline="\n")
    return path
