"""Reading an Excel file costs what its size allows, whatever it holds (quizgen/xlsx.py)."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen import xlsx
from quizgen.xlsx import XlsxError, XlsxTable, cell_text, read_xlsx


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_is_read_as_text(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([["Email address", "Response 1", "Response 2"],
                               ["a@example.com", 0.5, "1/2"], [None, None, None],
                               ["b@example.com", 1e-3, 2.0]]))
    table = read_xlsx(path)
    assert table.header == ["Email address", "Response 1", "Response 2"]
    assert table.rows == [(2, ["a@example.com", "0.5", "1/2"]), (4, ["b@example.com", "0.001",
                                                                     "2"])]


def test_cell_text_keeps_every_digit():
    assert [cell_text(v) for v in (0.1 + 0.2, 3.0, 1e20, True, None)] == [
        "0.30000000000000004", "3", "1e+20", "TRUE", ""]


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("Email address,Response 1\n", encoding="utf-8")
    with pytest.raises(XlsxError, match="no zip archive"):
        read_xlsx(path)


def lying_sizes(data: bytes, size: int) -> bytes:
    """The archive with every part's declared unpacked size in the central directory set to
    ``size`` (the local headers keep theirs)."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(lying_sizes(workbook([["a"], ["b"]]), 0xFFFFFFF0))
    with pytest.raises(XlsxError, match="zip bomb"):
        read_xlsx(path)


def test_a_part_that_unpacks_beyond_its_declared_size_stops_there(tmp_path):
    """zipfile stops at the declared size and fails the CRC: a lie cannot unpack more."""
    path = tmp_path / "lie.xlsx"
    path.write_bytes(lying_sizes(workbook([["x" * 5000] for _ in range(50)]), 100))
    with pytest.raises(XlsxError):
        read_xlsx(path)


def test_rows_past_the_limit_are_not_read_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)
    path = tmp_path / "long.xlsx"
    path.write_bytes(workbook([["Response 1"]] + [[str(i)] for i in range(30)]))
    table = read_xlsx(path)
    assert len(table.rows) == 10 and "more than 10 rows" in table.problems[0][1]


def test_a_cell_over_the_limit_is_cut_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_CELL", 100)
    path = tmp_path / "cell.xlsx"
    path.write_bytes(workbook([["Response 1"], ["9" * 500]]))
    table = read_xlsx(path)
    assert table.rows == [(2, ["9" * 100])] and table.long_cells == {(2, 0): 500}


VALID = workbook([["Email address", "Question 1", "Response 1"],
                  ["a@example.com", "What is 1/2?", "0.5"]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.binary(max_size=4096),
    # a real workbook with bytes flipped anywhere: headers, directory, compressed XML
    st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1,
             max_size=8).map(lambda edits: bytes(
                 b if i not in dict(edits) else dict(edits)[i] for i, b in enumerate(VALID)))))
def test_any_bytes_give_a_table_or_a_clear_error_quickly(tmp_path, data):
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    start = time.process_time()
    try:
        table = read_xlsx(path)
    except XlsxError as e:
        assert str(e).startswith(str(path))
    else:
        assert isinstance(table, XlsxTable)
    assert time.process_time() - start < 2.0  # CPU time: a small file costs little


def test_a_real_workbook_inside_a_bigger_zip_is_still_bounded(tmp_path):
    """Padding parts count toward the unpacked size limit."""
    buffer = io.BytesIO(VALID)
    with zipfile.ZipFile(buffer, "a") as package:
        info = zipfile.ZipInfo("xl/padding.bin")
        package.writestr(info, b"\0" * (1 << 20), compress_type=zipfile.ZIP_DEFLATED)
    path = tmp_path / "padded.xlsx"
    path.write_bytes(buffer.getvalue())
    assert read_xlsx(path).header == ["Email address", "Question 1", "Response 1"]
    path.write_bytes(lying_sizes(buffer.getvalue(), xlsx.MAX_UNPACKED // 2))
    with pytest.raises(XlsxError, match="zip bomb"):
        read_xlsx(path)
