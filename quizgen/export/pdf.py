"""PDF sheet and answer key: Jinja2 renders Typst source, the ``typst`` package compiles it.

No TeX and no browser: the Typst compiler ships as a Python wheel with its Latin and math fonts
(New Computer Modern). Formulas are converted one by one from the bank's LaTeX
(:mod:`quizgen.export.typst_math`); Chinese text needs a CJK font from the system or
``font_dir`` (:mod:`quizgen.export.fonts`), looked for only when the page holds CJK text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import typst

from quizgen.model import Quiz

from .fonts import FontNotFoundError, find_cjk_font
from .sheet import build_sheet
from .templating import environment
from .typst_math import latex_to_typst

# CJK punctuation, kana, ideographs, full-width forms: what the Latin fonts cannot draw.
_CJK = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


class TypstCompileError(RuntimeError):
    """Typst rejected the generated source: a bug in a template or in the formula converter."""


def _typst_formula(latex: str, display: bool) -> str:
    return latex_to_typst(latex, display=display)


def render_typst(
    quiz: Quiz, *, key: bool, lang: str | None = None, fonts: tuple[str, ...] = ()
) -> str:
    """The Typst source of the sheet (or, with ``key``, the answer key); ``fonts`` are the
    families to fall back on after New Computer Modern (a CJK family for Chinese)."""
    sheet = build_sheet(quiz, key=key, lang=lang or quiz.lang, convert=_typst_formula)
    template = environment().get_template("key.typ.j2" if key else "sheet.typ.j2")
    return template.render(sheet=sheet, ui=sheet.ui, fonts=fonts)


def render_pdf(
    quiz: Quiz,
    *,
    key: bool,
    lang: str | None = None,
    font_dir: str | Path | None = None,
    require_cjk_font: bool = True,
) -> bytes:
    """The sheet or key as PDF bytes.

    A CJK font is required as soon as the page has Chinese text (raises
    :class:`~quizgen.export.fonts.FontNotFoundError` otherwise); with ``font_dir`` only that
    folder is searched. ``require_cjk_font=False`` compiles without one instead (Chinese comes
    out as empty boxes): what ``quizgen validate`` does on a machine without a CJK font, since
    converting and compiling every formula does not need it.
    """
    plain = render_typst(quiz, key=key, lang=lang)
    if not _CJK.search(plain):
        return _compile(plain, None)
    try:
        cjk = find_cjk_font(font_dir)
    except FontNotFoundError as e:
        if not require_cjk_font:
            return _compile(plain, None)
        raise FontNotFoundError(f"{e} (needed for the Chinese text of this quiz)") from None
    source = render_typst(quiz, key=key, lang=lang, fonts=(cjk.family,))
    return _compile(source, cjk.folder)


def write_pdf(
    quiz: Quiz,
    path: str | Path,
    *,
    key: bool,
    lang: str | None = None,
    font_dir: str | Path | None = None,
) -> Path:
    path = Path(path)
    data = render_pdf(quiz, key=key, lang=lang, font_dir=font_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@cache
def _compiler(font_folder: str | None) -> typst.Compiler:
    # One compiler per font set: it keeps fonts loaded between sheets, so a key compiled after
    # its sheet costs milliseconds. System fonts are ignored so the output does not depend on
    # what else happens to be installed.
    folders = [font_folder] if font_folder else []
    return typst.Compiler(font_paths=folders, ignore_system_fonts=True)


def _compile(source: str, font_folder: str | None) -> bytes:
    try:
        # a fixed timestamp: the same quiz gives the same PDF bytes
        source_bytes = source.encode("utf-8")
        return _compiler(font_folder).compile(input=source_bytes, format="pdf", timestamp=0)
    except typst.TypstError as e:
        raise TypstCompileError(f"typst could not compile the generated source: {e}") from None
