"""Exports: a Quiz written as sheets, keys and LMS files, one thin writer per format.

Each format is a template in ``templates/`` plus a writer module here; the writers share the
transform in :mod:`quizgen.export.sheet` and differ only in how they convert formulas and which
template they render (the R/exams ``exams2*`` pattern). Adding a format adds a row to
:data:`WRITERS`, never a branch elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from quizgen.model import Quiz

from .html import render_html, write_html
from .math import MathConversionError
from .sheet import MissingTextError


class Writer(NamedTuple):
    write: Callable[..., Path]  # write(quiz, path, *, key: bool, lang: str | None) -> Path
    suffix: str  # file name extension of what it writes


WRITERS: dict[str, Writer] = {
    "html": Writer(write_html, ".html"),
}


class UnknownFormatError(ValueError):
    pass


def writer(fmt: str) -> Writer:
    try:
        return WRITERS[fmt]
    except KeyError:
        known = ", ".join(WRITERS)
        raise UnknownFormatError(f"unknown export format {fmt!r}; known formats: {known}") from None


def default_filename(fmt: str, *, key: bool) -> str:
    """``sheet.html`` / ``key.html``: the name ``quizgen make`` gives each file in its folder."""
    return ("key" if key else "sheet") + writer(fmt).suffix


def export(
    quiz: Quiz, fmt: str, path: str | Path, *, key: bool = False, lang: str | None = None
) -> Path:
    """Write ``quiz`` as format ``fmt`` (a sheet, or the answer key with ``key``) to ``path``."""
    return writer(fmt).write(quiz, Path(path), key=key, lang=lang)


__all__ = [
    "WRITERS",
    "MathConversionError",
    "MissingTextError",
    "UnknownFormatError",
    "Writer",
    "default_filename",
    "export",
    "render_html",
    "write_html",
    "writer",
]
