"""The CSV reader and the spreadsheet-cell helpers, checked on generated inputs: what Python's
csv module writes reads back cell for cell; any text at all is read without an exception, with
every line either in a row or reported; the work is linear (each line is scanned at most three
times, each scan one pass); formula neutralization round-trips."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quizgen.csvread as csvread
from quizgen.csvread import read_records, split_lines
from quizgen.spreadsheet import decimal_point, is_plain_number, safe_cell, unprotect

CELL = st.text(alphabet=st.sampled_from(list('ab1,;"\t \n.=-+@é学')), max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=8),
       st.sampled_from([",", ";", "\t"]))
def test_what_the_csv_module_writes_reads_back(table, delimiter):
    width = max(len(r) for r in table)
    table = [r + [""] * (width - len(r)) for r in table]
    header = [f"h{i}" for i in range(width)]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([header, *table])
    records = read_records(out.getvalue(), (",", ";", "\t"))
    assert records.problems == [] and records.delimiter == (delimiter if width > 1 else ",")
    if width == 1 and delimiter != ",":
        return  # one column: nothing tells the delimiter, and it does not matter
    kept = [r for r in table if any(c.strip() for c in r)]  # blank rows are skipped
    assert [cells for _, cells in records.rows] == [header, *kept]


class CountingScan:
    def __init__(self, scan):
        self.scan, self.calls, self.chars = scan, 0, 0

    def __call__(self, line, *args):
        self.calls += 1
        self.chars += len(line)
        return self.scan(line, *args)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('"",,;a\n\r \t')), max_size=400))
def test_any_text_is_read_linearly_and_every_line_accounted_for(text):
    counter = CountingScan(csvread._scan)
    original, csvread._scan = csvread._scan, counter
    try:
        records = read_records(text, (",", ";"))
    finally:
        csvread._scan = original
    lines = split_lines(text)
    header = next((line for line in lines if line.strip()), "")
    # Each line is scanned at most three times: as a first line, as a continuation, and once
    # more to cut the cells of the record it belongs to; each scan is one pass over the line.
    # (Plus the header once per candidate delimiter, to choose one.)
    assert counter.calls <= 3 * len(lines) + 2
    assert counter.chars <= 3 * len(text) + 2 * len(header)
    reported = {line for line, _ in records.problems}
    starts = [line for line, _ in records.rows]
    assert len(set(starts)) == len(starts) and not reported & set(starts)
    assert all(cells and all(isinstance(c, str) for c in cells) for _, cells in records.rows)


@pytest.mark.parametrize("make", [
    lambda n: '"' + "\n" * n,  # one quote, then a sea of lines
    lambda n: 'a,"b\n' * n,  # every line opens a quote the next one cannot close
    lambda n: 'a","b\n' * n,  # every line ends inside a quoted cell either way
    lambda n: '"x"y,' * n + "\n",  # text after closing quotes
])
def test_worst_cases_stay_linear(make):
    small, big = make(2_000), make(8_000)
    calls = []
    for text in (small, big):
        counter = CountingScan(csvread._scan)
        original, csvread._scan = csvread._scan, counter
        try:
            read_records(text)
        finally:
            csvread._scan = original
        calls.append(counter.chars)
    assert calls[1] <= 4 * calls[0] + 100  # 4x the input, at most 4x the work


def test_the_rows_an_unclosed_quote_swallowed_are_read():
    text = 'id,q\na,1\nb,"2\nc,3\nd,4\n'
    records = read_records(text)
    assert [cells for _, cells in records.rows] == [["id", "q"], ["a", "1"], ["c", "3"],
                                                    ["d", "4"]]
    assert records.problems == [(3, "a quote that never closes; row not read")]


def test_long_quoted_cell_and_long_cell():
    text = 'id,q\na,"' + "x\n" * 150 + '"\nb,' + "y" * 50 + "\n"
    records = read_records(text, max_cell=20)
    assert records.problems == [
        (2, "a quoted cell that runs over 151 lines (an unclosed quote?); row not read"),
        (152, "a quote that never closes; row not read")]  # its closing quote, read anew
    assert records.rows[-1] == (153, ["b", "y" * 20]) and records.long_cells == {(153, 1): 50}


# -- the cells -------------------------------------------------------------------------------

@given(st.text(max_size=30))
def test_safe_cell_round_trips_and_leaves_nothing_to_run(text):
    safe = safe_cell(text)
    assert unprotect(safe) == text
    assert safe_cell(safe) == safe  # nothing left to neutralize
    first = safe.lstrip(" \u00a0\u3000")[:1]
    assert first not in set("=@\t\r＝＠") or safe.startswith("'")


@pytest.mark.parametrize("cell,safe", [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+x", "'+x"), ("-x+1", "'-x+1"),
    ("\t=1", "'\t=1"), ("-0.5", "-0.5"), ("+3e-4", "+3e-4"), ("0.5", "0.5"), ("x=1", "x=1"),
    (" =1", "' =1"), ("＝1", "'＝1"), ("－1", "'－1"), ("-", "'-"), ("-.5", "-.5"),
    ("-1e", "'-1e"), ("", ""), ("'=1", "'=1"),
])
def test_safe_cell(cell, safe):
    assert safe_cell(cell) == safe


@pytest.mark.parametrize("cell,read", [
    ("0,5", "0.5"), ("-1,25e-3", "-1.25e-3"), (" 0,5 ", "0.5"), (",5", ".5"),
    ("1,2,3", "1,2,3"), ("1.234,5", "1.234,5"), ("[0,5]", "[0,5]"), ("x,5", "x,5"),
    ("0.5", "0.5"), ("1,", "1,"), ("", ""), ("1,5e", "1,5e"),
])
def test_decimal_point(cell, read):
    assert decimal_point(cell) == read


@given(st.text(alphabet="0123456789,.eE+- x", max_size=40))
def test_decimal_point_only_touches_plain_numbers(text):
    read = decimal_point(text)
    if read != text:
        assert is_plain_number(read) and float(read) == float(text.strip().replace(",", "."))
