"""Reading the first sheet of an Excel (.xlsx) file at a bounded cost, with openpyxl.

An .xlsx file is a zip of XML parts, so a small file can unpack to gigabytes (a zip bomb) or
declare a million rows. Before openpyxl sees the file, its zip directory is checked: at most
``MAX_MEMBERS`` parts and ``MAX_UNPACKED`` bytes unpacked in all. Python's zipfile never
unpacks a part past the size its directory declares (it stops and fails the CRC check), so
that check bounds what is read. The sheet is then streamed (openpyxl's read-only mode, XML
parsed by expat, which refuses entity expansion attacks, or lxml without entity resolution)
up to ``MAX_ROWS`` rows of ``MAX_COLUMNS`` cells, each cut at ``MAX_CELL`` characters.
"""

from __future__ import annotations

import datetime
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE = 50 * 1024 * 1024  # bytes on disk
MAX_UNPACKED = 200 * 1024 * 1024  # bytes of all parts unpacked together
MAX_MEMBERS = 10_000
MAX_ROWS = 100_000
MAX_COLUMNS = 2_000
MAX_CELL = 100_000  # characters, as batch.MAX_FIELD


class XlsxError(ValueError):
    """The file cannot be read as a workbook at all; the message says why."""


@dataclass
class XlsxTable:
    """The first sheet: header row, data rows as (row number, cells as text), and problems."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    problems: list[tuple[int, str]] = field(default_factory=list)
    long_cells: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) -> length


def check_package(path: Path) -> None:
    """Refuse, before anything is unpacked, a file that is not a zip or would unpack too big."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise XlsxError(f"{path}: cannot read ({e.strerror})") from None
    if size > MAX_FILE:
        raise XlsxError(f"{path}: {size} bytes, over the {MAX_FILE} an .xlsx file may have")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise XlsxError(f"{path}: not an .xlsx workbook (it is no zip archive: {e})") from None
    if len(members) > MAX_MEMBERS:
        raise XlsxError(f"{path}: {len(members)} parts in the archive, over {MAX_MEMBERS}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise XlsxError(f"{path}: would unpack to {unpacked} bytes, over the {MAX_UNPACKED} "
                        "allowed (a zip bomb?)")


def read_xlsx(path: str | Path) -> XlsxTable:
    """The first sheet's rows as text (see :func:`cell_text`); raises XlsxError for a file that
    is not a readable workbook. Rows past ``MAX_ROWS`` are not read, and say so."""
    import openpyxl

    path = Path(path)
    check_package(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001  openpyxl raises many kinds for a broken file
        raise XlsxError(f"{path}: not a readable .xlsx workbook ({type(e).__name__}: {e})") \
            from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise XlsxError(f"{path}: the workbook has no sheet")
        table: XlsxTable | None = None
        try:
            for number, values in enumerate(
                    sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                if number > MAX_ROWS + 1:
                    if table is None:
                        raise XlsxError(f"{path}: no header row in the first {MAX_ROWS} rows")
                    table.problems.append((number, f"more than {MAX_ROWS} rows; the rest of "
                                                   "the sheet is not read"))
                    break
                cells = [cell_text(v) for v in values]
                while cells and cells[-1] == "":  # Excel pads rows to the widest one
                    cells.pop()
                if table is None:
                    if not cells:
                        continue  # blank rows before the header
                    table = XlsxTable([c.strip() for c in cells], [])
                    continue
                if not cells:
                    continue
                for index, cell in enumerate(cells):
                    if len(cell) > MAX_CELL:
                        table.long_cells[(number, index)] = len(cell)
                        cells[index] = cell[:MAX_CELL]
                table.rows.append((number, cells))
        except XlsxError:
            raise
        except Exception as e:  # noqa: BLE001  a broken sheet part, a bad CRC (lying sizes)
            raise XlsxError(f"{path}: the sheet cannot be read ({type(e).__name__}: {e})") \
                from None
        if table is None:
            raise XlsxError(f"{path}: the first sheet is empty; expected a header row")
        return table
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as the text it shows: numbers in their shortest exact form (Excel stores a typed
    ``0.5`` as the number 0.5, and ``1e-3`` as 0.001), whole floats without ``.0``, dates in
    ISO form, empty cells as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
