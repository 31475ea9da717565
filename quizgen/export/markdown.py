"""Markdown sheet and key, for quick review and for pasting into notes.

Formulas stay TeX between ``$...$`` and ``$$...$$``, which GitHub, GitLab, Obsidian and Jupyter
render; plain text is escaped so a ``*`` or ``$`` in a prompt stays a character.
"""

from __future__ import annotations

from pathlib import Path

from quizgen.model import Quiz

from .sheet import build_sheet
from .templating import environment


def _tex(latex: str, display: bool) -> str:
    return f"$${latex}$$" if display else f"${latex}$"


def render_markdown(quiz: Quiz, *, key: bool, lang: str | None = None) -> str:
    sheet = build_sheet(quiz, key=key, lang=lang or quiz.lang, convert=_tex)
    return environment().get_template("quiz.md.j2").render(sheet=sheet, ui=sheet.ui)


def write_markdown(quiz: Quiz, path: str | Path, *, key: bool, lang: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(quiz, key=key, lang=lang), encoding="utf-8", newline="\n")
    return path
