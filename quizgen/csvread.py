"""CSV text cut into records so that one bad row never takes the others with it.

Python's csv module reads a file as one stream: an unclosed quote swallows every later row
into one cell, and one cell over its size limit stops the whole file. Here the text is first
cut into physical lines, and a record is one line, or a run of lines held together by a quoted
cell that spans them (RFC 4180: ``""`` inside quotes is a quote). For every line the state at
its end is worked out twice, as the first line of a record and as the continuation of a quoted
cell, and one backward pass then knows, for every line, where a quoted cell that is open at
its start would close. So when a record is bad (a quote that never closes, text right after a
closing quote, a quoted cell running over ``max_record_lines`` lines), its first line is
reported and reading starts again on the next line at O(1) cost: the whole read is linear in
the length of the text, whatever the text is.

Cells longer than ``max_cell`` characters are cut there and reported, cell by cell; what to do
about such a cell is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

QUOTE = '"'
MAX_CELL = 100_000  # characters; no answer, id or name comes close
MAX_RECORD_LINES = 100  # lines one quoted cell may span before it counts as unclosed

# What a line leaves behind at its end.
END, OPEN, BAD = 0, 1, 2
# Scanner states at a line's start: at a cell's start, or inside a quoted cell.
_START, _QUOTED = range(2)


@dataclass
class Records:
    """The records of a text: (line number, cells), blank rows left out, plus what was wrong.

    ``problems``: (line, message) for each record that could not be read (it is left out);
    ``long_cells``: {(line, cell index): length} for each cell cut to ``max_cell``.
    """

    delimiter: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    long_cells: dict[tuple[int, int], int] = field(default_factory=dict)


def _scan(line: str, state: int, delimiter: str, cells: list[str] | None,
          piece: list[str] | None) -> int:
    """Run the CSV automaton over one line from ``state`` (``_START`` or ``_QUOTED``).

    Returns END (the record may end here), OPEN (inside a quoted cell at the end of the line)
    or BAD (text right after a closing quote). With ``cells``/``piece`` given, finished cells
    are appended to ``cells`` and the text of a quoted cell in progress is collected in
    ``piece``. The loop turns once per quote: unquoted stretches are found and split by
    ``str.find``/``str.split``, so the cost is linear in the line.
    """
    i, n = 0, len(line)
    collect = cells is not None
    while True:
        if state == _START:
            # Up to the next quote that opens a cell (one at a cell's start); any other quote
            # is an ordinary character of an unquoted cell.
            j = line.find(QUOTE, i)
            while j > i and line[j - 1] != delimiter:
                j = line.find(QUOTE, j + 1)
            if collect:
                parts = line[i:n if j < 0 else j].split(delimiter)
                cells.extend(parts if j < 0 else parts[:-1])  # (then: the quoted cell's "")
            if j < 0:
                return END
            state, i = _QUOTED, j + 1
            continue
        # _QUOTED: up to the next quote; "" is a quote, a single one closes the cell.
        j = line.find(QUOTE, i)
        if j < 0:
            if collect:
                piece.append(line[i:])
            return OPEN
        if collect:
            piece.append(line[i:j])
        i = j + 1
        if i < n and line[i] == QUOTE:
            if collect:
                piece.append(QUOTE)
            i += 1
            continue
        while i < n and line[i] != delimiter and line[i] in " \t":
            i += 1  # blanks between the closing quote and the delimiter
        if i < n and line[i] != delimiter:
            return BAD
        if collect:
            cells.append("".join(piece))
            piece.clear()
        if i == n:
            return END
        state, i = _START, i + 1


def split_lines(text: str) -> list[str]:
    """Physical lines without their ``\\n``, ``\\r\\n`` or (old Mac files) ``\\r`` ends."""
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def sniff_delimiter(line: str, candidates: tuple[str, ...]) -> str:
    """The candidate that splits the line into the most cells outside quotes (the first on a
    tie)."""
    def count(d: str) -> int:
        cells: list[str] = []
        _scan(line, _START, d, cells, [])
        return len(cells)

    return max(candidates, key=count)


def read_records(text: str, delimiters: tuple[str, ...] = (",",), *, max_cell: int = MAX_CELL,
                 max_record_lines: int = MAX_RECORD_LINES) -> Records:
    """Every readable record of ``text``; see the module's docstring for the rules.

    The delimiter is the one of ``delimiters`` that splits the first non-blank line (the
    header) into the most cells.
    """
    lines = split_lines(text)
    n = len(lines)
    header = next((line for line in lines if line.strip()), "")
    delimiter = sniff_delimiter(header, delimiters)
    # As a record's first line, and as the continuation of an open quoted cell. A line
    # without a quote is the common case and needs no scan.
    quoted = [QUOTE in s for s in lines]
    first = [_scan(s, _START, delimiter, None, None) if q else END
             for s, q in zip(lines, quoted)]
    inside = [_scan(s, _QUOTED, delimiter, None, None) if q else OPEN
              for s, q in zip(lines, quoted)]
    # close[i]: (outcome, line) of a quoted cell open at the start of line i: (END, j) closes
    # on line j, (BAD, j) hits text after a quote on line j, (OPEN, n) never closes.
    close: list[tuple[int, int]] = [(OPEN, n)] * (n + 1)
    for i in range(n - 1, -1, -1):
        close[i] = close[i + 1] if inside[i] == OPEN else (inside[i], i)
    out = Records(delimiter)
    i = 0
    while i < n:
        state = first[i]
        if state == END:
            if not lines[i].strip():
                i += 1  # a blank line
                continue
            last = i
        else:
            outcome, last = (BAD, i) if state == BAD else close[i + 1]
            problem = None
            if state == BAD:
                problem = "text right after a closing quote"
            elif outcome == OPEN:
                problem = "a quote that never closes"
            elif outcome == BAD:
                problem = (f"a quoted cell that closes on line {last + 1} with text right "
                           "after the quote (an unclosed quote?)")
            elif last - i + 1 > max_record_lines:
                problem = (f"a quoted cell that runs over {last - i + 1} lines (an unclosed "
                           "quote?)")
            if problem is not None:
                out.problems.append((i + 1, f"{problem}; row not read"))
                i += 1  # start again on the next line: the rows it swallowed are read
                continue
        cells: list[str] = []
        piece: list[str] = []
        state = _START
        if last == i and not quoted[i]:
            cells = lines[i].split(delimiter)  # the common case, at C speed
        for j in range(i, last + 1) if not cells else ():
            if j > i:
                piece.append("\n")  # a quoted cell spanning lines keeps its line breaks
            state = _QUOTED if _scan(lines[j], state, delimiter, cells, piece) == OPEN \
                else _START
        if not any(cell.strip() for cell in cells):  # a row of empty cells, as Excel pads
            i = last + 1
            continue
        for k, cell in enumerate(cells):
            if len(cell) > max_cell:
                out.long_cells[(i + 1, k)] = len(cell)
                cells[k] = cell[:max_cell]
        out.rows.append((i + 1, cells))
        i = last + 1
    return out
