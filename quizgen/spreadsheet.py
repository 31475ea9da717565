"""Cells as spreadsheets treat them, in both directions.

Writing: every CSV file quizgen writes (grade --out, key.csv, tokens.csv, scores.csv, items.csv,
the teacher page's downloads) goes through :func:`safe_cell`, so a cell that a spreadsheet would
run as a formula (OWASP "CSV injection": ``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``) is
written with a leading apostrophe, the spreadsheet's own "this is text" mark. Plain numbers
(``-0.5``, ``+3e-4``) stay numbers.

Reading: :func:`unprotect` drops that apostrophe again, so a file quizgen wrote reads back as it
was typed, and :func:`decimal_point` reads ``0,5`` as ``0.5`` (for ``;``-separated files, where
the decimal mark is a comma).

Every function here is one pass over the cell, no regular expression: the cost is linear in
the cell's length whatever it holds.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# What a spreadsheet may start a formula with (full-width forms too: CJK input methods type
# them, and some spreadsheets accept them); tab and CR are OWASP's additions.
FORMULA_START = frozenset("=@\t\r＝＠")
SIGNS = frozenset("+-＋－")
_BLANK = frozenset(" \u00a0\u3000")
_DIGITS = frozenset("0123456789")


def _number_end(text: str, start: int, point: str) -> int:
    """Index just past ``[+-]digits[<point>digits][e[+-]digits]`` at ``start``, or -1.

    At least one digit before or after the point; one pass, no backtracking.
    """
    i, n = start, len(text)
    if i < n and text[i] in "+-":
        i += 1
    digits = 0
    while i < n and text[i] in _DIGITS:
        i, digits = i + 1, digits + 1
    if i < n and text[i] == point:
        i += 1
        while i < n and text[i] in _DIGITS:
            i, digits = i + 1, digits + 1
    if digits == 0:
        return -1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            while j < n and text[j] in _DIGITS:
                j += 1
            i = j
        else:
            return -1
    return i


def is_plain_number(text: str, point: str = ".") -> bool:
    """``-0.5``, ``+3e-4``, ``12``: a number a spreadsheet reads as a number, nothing else."""
    return bool(text) and _number_end(text, 0, point) == len(text)


def safe_cell(value: Any) -> str:
    """The cell as text a spreadsheet shows and never runs.

    A cell whose first non-blank character starts a formula (``= @ + -``, their full-width
    forms, tab, CR) gets a leading ``'``, unless it is a plain number such as ``-0.5``.
    """
    text = "" if value is None else str(value)
    i = 0
    while i < len(text) and text[i] in _BLANK:
        i += 1
    if i == len(text):
        return text
    first = text[i]
    if first in FORMULA_START or (first in SIGNS and not is_plain_number(text[i:])):
        return "'" + text
    return text


def unprotect(cell: str) -> str:
    """The inverse of :func:`safe_cell`: ``'=1`` reads back as ``=1``; any other cell as is."""
    if cell.startswith("'") and safe_cell(cell[1:]) == cell:
        return cell[1:]
    return cell


def decimal_point(cell: str) -> str:
    """``0,5`` -> ``0.5`` and ``-1,25e-3`` -> ``-1.25e-3`` where the whole cell (outer spaces
    aside) is one number with a decimal comma; any other cell is returned unchanged."""
    text = cell.strip()
    comma = text.find(",")
    if comma < 0 or not text[comma + 1:comma + 2].isdigit() \
            or _number_end(text, 0, ",") != len(text):
        return cell
    return text[:comma] + "." + text[comma + 1:]


# -- writing ---------------------------------------------------------------------------------

def _writer_rows(header: Iterable[Any], rows: Iterable[Iterable[Any]]):
    yield [safe_cell(c) for c in header]
    for row in rows:
        yield [safe_cell(c) for c in row]


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file as text (a download), every cell made safe."""
    out = io.StringIO()
    csv.writer(out).writerows(_writer_rows(header, rows))
    return out.getvalue()


def write_csv(path: str | Path, header: Iterable[Any], rows: Iterable[Iterable[Any]], *,
              private: bool = False) -> Path:
    """Write a CSV file (UTF-8), every cell made safe.

    ``private``: readable and writable by its owner only (0600), for files holding secrets
    such as tokens.csv; a file that already exists is narrowed to 0600 before it is written.
    """
    path = Path(path)
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if hasattr(os, "fchmod"):  # not on Windows, where the mode bits mean little
            os.fchmod(fd, 0o600)
        handle = open(fd, "w", encoding="utf-8", newline="")
    else:
        handle = path.open("w", encoding="utf-8", newline="")
    with handle as f:
        csv.writer(f).writerows(_writer_rows(header, rows))
    return path
