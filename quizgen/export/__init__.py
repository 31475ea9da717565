"""Exports: a Quiz written as sheets, keys and LMS files, one thin writer per format.

Each format is a template in ``templates/`` plus a writer module here; the writers share the
transform in :mod:`quizgen.export.sheet` (and, for LMS formats, :mod:`quizgen.export.lms`) and
differ only in how they convert formulas and which template they render (the R/exams
``exams2*`` pattern). Adding a format adds a row to :data:`WRITERS`, never a branch elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from quizgen.model import Quiz

from .fonts import FontNotFoundError
from .gift import write_gift
from .html import render_html, write_html
from .lms import LmsConversionError
from .markdown import write_markdown
from .math import MathConversionError
from .moodle import write_moodle
from .pdf import TypstCompileError, render_pdf, write_pdf
from .qti import write_qti
from .sheet import MissingTextError

LMS_OPTIONS = frozenset({"numeric", "expression", "notes", "variants"})


class Writer(NamedTuple):
    write: Callable[..., Path]  # write(quiz, path, *, key: bool, lang: str | None, **options)
    suffix: str  # file name extension of what it writes
    keyed: bool = True  # a sheet and a key; False: one file holding the answers (LMS imports)
    options: frozenset[str] = frozenset()  # keyword options it takes beyond key and lang


WRITERS: dict[str, Writer] = {
    "html": Writer(write_html, ".html"),
    "pdf": Writer(write_pdf, ".pdf", options=frozenset({"font_dir"})),
    "md": Writer(write_markdown, ".md"),
    "moodle": Writer(write_moodle, ".moodle.xml", keyed=False, options=LMS_OPTIONS),
    "gift": Writer(write_gift, ".gift.txt", keyed=False, options=LMS_OPTIONS),
    "qti": Writer(write_qti, ".qti.zip", keyed=False, options=LMS_OPTIONS),
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
    """``sheet.html`` / ``key.html``; ``quiz.moodle.xml`` for a format with no key/sheet split:
    the name ``quizgen make`` gives each file in its folder."""
    w = writer(fmt)
    stem = ("key" if key else "sheet") if w.keyed else "quiz"
    return stem + w.suffix


def export(
    quiz: Quiz,
    fmt: str,
    path: str | Path,
    *,
    key: bool = False,
    lang: str | None = None,
    font_dir: str | Path | None = None,
    notes: list[str] | None = None,
    numeric: str = "numerical",
    expression: str = "choice",
    variants: int | None = None,
) -> Path:
    """Write ``quiz`` as format ``fmt`` (a sheet, or the answer key with ``key``) to ``path``.

    ``font_dir``: where the PDF writer looks for a Chinese font (else the system's).
    LMS formats (moodle, gift, qti) ignore ``key``; they ask a number as ``numeric``
    ("numerical", or "choice" among the named mistakes), an expression as ``expression``
    ("choice", or "point": its value at a fixed point), and append a sentence to ``notes``
    for every question they had to convert. A quiz made with several variants per slot
    (``make --variants``) is written with each slot's variants in a category or section of its
    own; ``variants`` writes only the first that many (default: all the quiz holds).
    Sheets and keys show each slot's first variant.
    """
    w = writer(fmt)
    given: dict[str, Any] = {
        "font_dir": font_dir, "notes": notes, "numeric": numeric, "expression": expression,
        "variants": variants,
    }
    options = {name: value for name, value in given.items() if name in w.options}
    return w.write(quiz, Path(path), key=key, lang=lang, **options)


def export_files(
    quiz: Quiz, fmt: str, folder: str | Path, *, lang: str | None = None, **options: Any
) -> list[Path]:
    """What ``quizgen make`` writes for one format: sheet and key, or the single LMS file."""
    folder = Path(folder)
    keys = (False, True) if writer(fmt).keyed else (True,)
    return [
        export(quiz, fmt, folder / default_filename(fmt, key=key), key=key, lang=lang, **options)
        for key in keys
    ]


__all__ = [
    "WRITERS",
    "FontNotFoundError",
    "LmsConversionError",
    "MathConversionError",
    "MissingTextError",
    "TypstCompileError",
    "UnknownFormatError",
    "Writer",
    "default_filename",
    "export",
    "export_files",
    "render_html",
    "render_pdf",
    "write_html",
    "write_pdf",
    "writer",
]
