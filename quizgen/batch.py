"""Grading many answers: a class's submissions against a quiz, or a JSONL file of cases.

Answers stream through one at a time; a malformed cell or line becomes an `invalid` verdict that
names where it came from, and the rest of the batch goes on.
"""

from __future__ import annotations

import codecs
import time
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .csvread import read_records
from .grading import ExpectedError, Verdict, check
from .model import Question, Quiz
from .safejson import JSONInputError, clean_text, dumps_line
from .safejson import load as load_json
from .spreadsheet import decimal_point, unprotect, write_csv

# Student id columns, most specific first: a sheet with both "学号" and "姓名" is keyed by 学号.
STUDENT_COLUMNS = ("student", "student_id", "id", "学号", "姓名")
# Columns LMS and form exports add beside the answers; read past without a warning.
METADATA_COLUMNS = frozenset({
    "name", "full name", "first name", "last name", "surname", "email", "e-mail", "email address",
    "username", "timestamp", "submitted", "submitted at", "completed", "started", "state",
    "time taken", "grade", "score", "class", "section", "group",
    "姓名", "邮箱", "时间", "时间戳", "提交时间", "班级", "用时", "成绩", "分数",
})
MAX_FIELD = 100_000  # characters; the grader itself rejects far less, this only bounds the reader
# Excel writes ';' where the decimal mark is ',', and tabs when saving as "Unicode text".
DELIMITERS = (",", ";", "\t")


class SubmissionError(ValueError):
    """The submissions file cannot be read at all (its rows are otherwise graded one by one)."""


@dataclass
class StudentResult:
    student: str
    answers: dict[str, str]
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    score: float = 0.0
    variants: dict[str, str] = field(default_factory=dict)  # question id -> LMS variant graded


@dataclass(frozen=True)
class Problem:
    """Something wrong with one line (or JSON entry) of an input file; the rest is still read."""

    where: str  # "line 7" or "entry 3"; "" for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class Submission:
    """One student's raw answers, by question id, and where in the file they came from."""

    student: str
    answers: dict[str, str]
    where: str


@dataclass
class SubmissionBatch:
    rows: list[Submission]
    problems: list[Problem]


def grade_answer(question: Question, text: str, lang: str = "en") -> Verdict:
    """One student's text for one question, graded with the question's own rules.

    A question whose own key is malformed (a hand-edited quiz.json) gives `invalid` verdicts
    that say so, and the rest of the batch goes on.
    """
    try:
        return check(
            question.answer,
            text,
            kind=question.kind,
            variables=question.vars,
            mistakes=question.mistakes,
            lang=lang,
            choices=[c["id"] for c in question.choices],
            **question.tolerance,
        )
    except (ExpectedError, TypeError) as e:
        return Verdict("invalid", 0.0, f"quiz.json, question {question.id}: {e}", "", "key")


def normalize_student_id(text: str) -> str:
    """The id as a roster and a submission must both spell it.

    NFKC folds full-width digits and letters (Chinese input methods type ``１２３``); Excel's
    ``="00123"`` (the trick that keeps leading zeros) is unwrapped; outer spaces are dropped.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1].strip()
    return text


def decode_table(path: Path) -> str:
    """The text of a CSV export: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode
    text") or without one (told apart by its zero bytes).

    A byte that does not decode is kept as a lone surrogate (U+DC00 + the byte), so the reader
    can name the cell it is in and read every other cell: see :func:`read_sheet`.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SubmissionError(f"{path}: cannot read ({e.strerror})") from None
    return data.decode(_encoding_of(data), errors=_MARK_BAD_BYTES)


_MARK_BAD_BYTES = "quizgen.mark-bad-bytes"


def _mark_bad_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(chr(0xDC00 + b) for b in bad), error.end


codecs.register_error(_MARK_BAD_BYTES, _mark_bad_bytes)


def _encoding_of(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"  # the BOM says which byte order, and is dropped
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8-sig"
    # UTF-16 without a BOM: every ASCII character (delimiters, digits, ids) has a zero byte
    # beside it, on odd offsets little-endian, even offsets big-endian. UTF-8 text has none.
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs and b"\x00" in sample:
        odd = sample[1::2].count(0)
        even = sample[0::2].count(0)
        if odd >= pairs // 4 and even <= odd // 8:
            return "utf-16-le"
        if even >= pairs // 4 and odd <= even // 8:
            return "utf-16-be"
    return "utf-8"


@dataclass
class Sheet:
    """A CSV/TSV file as read: its header, its readable rows, and what was wrong where.

    ``problems``: (line, message) of each row that could not be read (left out of ``rows``).
    ``bad_cells``: (line, cell index) -> why that cell alone cannot be trusted (a byte that is
    not UTF-8, a cell cut at ``MAX_FIELD`` characters). Such a cell holds U+FFFD for each bad
    byte, or its first ``MAX_FIELD`` characters, which the grader reads as ``invalid``. A cell
    that quizgen or a spreadsheet marked as text (``'=1``) is read without the mark.
    """

    path: Path
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str
    problems: list[tuple[int, str]] = field(default_factory=list)
    bad_cells: dict[tuple[int, int], str] = field(default_factory=dict)


def read_sheet(path: Path, text: str | None = None) -> Sheet:
    """Every readable row of a CSV/TSV file; a bad row or cell is named, never fatal.

    The delimiter is the one of ``DELIMITERS`` that splits the header line most (outside
    quotes). Line numbers are physical lines where each record starts, so a quoted cell spanning
    lines does not shift the numbers of later rows. Only a file without a readable header
    raises SubmissionError. The cost is linear in the file's length (quizgen.csvread).
    """
    text = decode_table(path) if text is None else text
    records = read_records(text, DELIMITERS, max_cell=MAX_FIELD)
    if not records.rows or (records.problems and records.problems[0][0] < records.rows[0][0]):
        if records.problems:
            line, message = records.problems[0]
            raise SubmissionError(f"{path}: line {line}: the header row: {message}")
        raise SubmissionError(f"{path}: empty file; expected a header row")
    (header_line, header), *rows = records.rows
    # A lone surrogate is a byte decode_table could not decode; clean_text makes it U+FFFD.
    if any(clean_text(h) is not h for h in header):
        raise SubmissionError(f"{path}: line {header_line}: not UTF-8 text; export the sheet "
                              "as \"CSV UTF-8\"")
    sheet = Sheet(path, header_line, [unicodedata.normalize("NFKC", h).strip() for h in header],
                  rows, records.delimiter, list(records.problems))
    for (line, index), length in records.long_cells.items():
        sheet.bad_cells[(line, index)] = (f"{length} characters, over the {MAX_FIELD} a cell "
                                          "may hold")
    marked = clean_text(text) is not text
    for line, cells in rows:
        for index, cell in enumerate(cells):
            if marked and clean_text(cell) is not cell:
                sheet.bad_cells.setdefault((line, index), "not UTF-8 text")
                cell = clean_text(cell)
            # '=1 is how quizgen (and a spreadsheet) writes the text =1 (quizgen.spreadsheet)
            cells[index] = unprotect(cell)
    return sheet


def read_table(
    path: Path, text: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]) of a file that must be read whole (a roster, tokens):
    the first bad row or cell raises SubmissionError naming its line."""
    sheet = read_sheet(path, text)
    if sheet.problems:
        more = f" (and {len(sheet.problems) - 1} more)" if len(sheet.problems) > 1 else ""
        line, message = sheet.problems[0]
        raise SubmissionError(f"{path}: line {line}: {message}{more}")
    if sheet.bad_cells:
        (line, index), why = min(sheet.bad_cells.items())
        hint = "; export the sheet as \"CSV UTF-8\"" if why == "not UTF-8 text" else ""
        raise SubmissionError(f"{path}: line {line}, cell {index + 1}: {why}{hint}")
    return sheet.header, sheet.rows


def find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first header cell among ``names`` (case-insensitive), in ``names`` order."""
    lowered = [h.lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def read_submission_batch(
    path: Path, quiz: Quiz, students: Collection[str] | None = None
) -> SubmissionBatch:
    """Every readable row of a CSV or JSON submissions file, and a Problem for each bad one.

    ``students`` (a roster's ids) makes a row of anyone else a problem. Unknown question columns
    are reported and ignored; a row with more cells than the header (an unquoted comma in an
    answer shifts every later cell) is reported and not graded; a student seen twice is
    reported and the later row is kept. A file that cannot be read at all raises
    SubmissionError.
    """
    question_ids = answer_ids(quiz)
    if path.suffix.lower() == ".json":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise SubmissionError(f"{path}: cannot read ({e.strerror})") from None
        except UnicodeDecodeError as e:
            line = path.read_bytes()[: e.start].count(b"\n") + 1
            raise SubmissionError(f"{path}: line {line}: not UTF-8 text") from None
        rows = [Submission(s, a, w) for s, a, w in _json_rows(path, text)]
        problems: list[Problem] = []
        for row in rows:
            unknown = [k for k in row.answers if k not in question_ids]
            for key in unknown:
                problems.append(Problem(row.where, f"{key!r} is not a question id of this quiz "
                                                   f"({', '.join(question_ids)}); ignored"))
                del row.answers[key]
        absent = [q for q in question_ids if not any(q in row.answers for row in rows)]
        if rows and absent:
            problems.append(Problem("", f"no entry answers {_id_list(absent)}: those "
                                            "answers are not read, and a gradebook keeps the "
                                            "ones it has"))
    else:
        rows, problems = _csv_rows(path, question_ids)
    if not rows:
        problems.append(Problem("", "no answers in it: nothing to grade"))
    return _check_students(rows, problems, students)


def _csv_rows(path: Path, question_ids: list[str]) -> tuple[list[Submission], list[Problem]]:
    sheet = read_sheet(path)
    header, head = sheet.header, sheet.header_line
    student_col = find_column(header, STUDENT_COLUMNS)
    if student_col is None:
        raise SubmissionError(
            f"{path}: line {head}: no student id column; name one of "
            f"{', '.join(STUDENT_COLUMNS)}")
    by_folded = {qid.lower(): qid for qid in question_ids}
    columns: dict[int, str] = {}  # cell index -> question id
    found: list[tuple[int, str]] = list(sheet.problems)  # (line, message), sorted at the end
    for i, name in enumerate(header):
        if i == student_col or not name or name.lower() in METADATA_COLUMNS:
            continue
        qid = by_folded.get(name.lower())
        if qid is None:
            found.append((head, f"column {name!r} is not a question id of this quiz "
                                f"({', '.join(question_ids)}); ignored"))
        elif qid in columns.values():
            found.append((head, f"column {name!r} appears twice; the first is used"))
        else:
            columns[i] = qid
    absent = [qid for qid in question_ids if qid not in columns.values()]
    if absent:
        found.append((head, f"no column for {_id_list(absent)} ({len(absent)} of "
                            f"{len(question_ids)} questions): those answers are not read, and "
                            "a gradebook keeps the ones it has"))
    rows = []
    width = len(header)
    comma = sheet.delimiter == ";"  # where the decimal mark is a comma (Excel in most of Europe)
    for line, cells in sheet.rows:
        # Excel pads every row to the widest one with empty cells: only non-empty extras count.
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            found.append((line, f"{len(cells)} cells but the header has {width} (an unquoted "
                                "comma in an answer?); row not graded"))
            continue
        if (line, student_col) in sheet.bad_cells:
            found.append((line, f"the student id: {sheet.bad_cells[line, student_col]}; row "
                                "not graded"))
            continue
        cells = cells + [""] * (width - len(cells))
        answers = {}
        for i, qid in columns.items():
            why = sheet.bad_cells.get((line, i))
            if why is not None:
                found.append((line, f"column {header[i]!r}: {why}; that answer is graded as "
                                    "unreadable"))
            answers[qid] = decimal_point(cells[i]) if comma else cells[i]
        rows.append(Submission(normalize_student_id(cells[student_col]), answers,
                               f"line {line}"))
    found.sort(key=lambda item: item[0])  # stable: the header's problems first, then by line
    return rows, [Problem(f"line {line}", message) for line, message in found]


def _id_list(ids: list[str], shown: int = 12) -> str:
    more = f", … ({len(ids) - shown} more)" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _check_students(
    rows: list[Submission], problems: list[Problem], students: Collection[str] | None
) -> SubmissionBatch:
    kept: dict[str, Submission] = {}
    for row in rows:
        if not row.student:
            problems.append(Problem(row.where, "no student id; row not graded"))
            continue
        if students is not None and row.student not in students:
            problems.append(Problem(row.where, f"student {row.student!r} is not on the roster; "
                                               "row not graded"))
            continue
        if row.student in kept:
            earlier = kept.pop(row.student)
            problems.append(Problem(row.where, f"student {row.student!r} also on "
                                               f"{earlier.where}; the later row is used"))
        kept[row.student] = row
    return SubmissionBatch(list(kept.values()), problems)


def read_submissions(path: Path, quiz: Quiz) -> list[tuple[str, dict[str, str]]]:
    """(student, {question id: raw text}) pairs from a CSV or JSON file; the first problem in
    the file raises SubmissionError (see read_submission_batch to grade around problems)."""
    batch = read_submission_batch(path, quiz)
    if batch.problems:
        raise SubmissionError(f"{path}: {batch.problems[0]}")
    return [(row.student, row.answers) for row in batch.rows]


def _json_rows(path: Path, text: str) -> list[tuple[str, dict[str, str], str]]:
    """{"student": {"q1": "..."}} or [{"student": "...", "answers": {"q1": "..."}}]."""
    try:
        data = load_json(text)
    except JSONInputError as e:
        raise SubmissionError(f"{path}: {e}") from None
    if isinstance(data, dict):
        data = [{"student": k, "answers": v} for k, v in data.items()]
    rows = []
    for i, item in enumerate(data if isinstance(data, list) else [None]):
        if not (isinstance(item, dict) and isinstance(item.get("answers"), dict)):
            raise SubmissionError(f"{path}: entry {i}: expected {{'student', 'answers': {{...}}}}")
        answers = {str(k): "" if v is None else clean_text(str(v))
                   for k, v in item["answers"].items()}
        student = normalize_student_id(str(item.get("student", "")))
        rows.append((student, answers, f"entry {i}"))
    return rows


def grade_submissions(
    quiz: Quiz, rows: Iterable[tuple[str, dict[str, str]]]
) -> list[StudentResult]:
    """Each student's answers graded; a question the row does not hold (its column is not in
    the file) is left out rather than graded as empty."""
    results = []
    for student, answers in rows:
        result = StudentResult(student, answers)
        for question in quiz.questions:
            if question.parts:
                _grade_parts(question, answers, quiz, result)
                continue
            if question.id not in answers:
                continue
            verdict = grade_answer(question, answers.get(question.id, ""), quiz.lang)
            result.verdicts[question.id] = verdict
            result.score += verdict.score * question.points
        result.score = round(result.score, 6)
        results.append(result)
    return results


def answer_ids(quiz: Quiz) -> list[str]:
    """The answer keys (CSV columns) of a quiz: a question's id, or "q3.a", "q3.b" for each
    part of a multi-part question."""
    return [key for q in quiz.questions for key in q.part_ids()]


def _grade_parts(question: Question, answers: dict[str, str], quiz: Quiz,
                 result: StudentResult) -> None:
    """A multi-part question: one verdict per part ("q3.b"), with follow-through."""
    from .multipart import grade_parts

    keys = question.part_ids()
    if not any(key in answers for key in keys):
        return  # the file has no column of this question
    texts = {p.id: answers.get(key, "") for p, key in zip(question.parts, keys)}
    verdicts = grade_parts(question, texts, quiz.lang, quiz.follow_through)
    for part, key in zip(question.parts, keys):
        result.verdicts[key] = verdicts[part.id]
        result.score += verdicts[part.id].score * part.points


def write_results(results: list[StudentResult], path: Path) -> None:
    """One row per (student, question), with the raw answer kept verbatim (cells a spreadsheet
    would run as a formula get a leading apostrophe); a ``variant`` column when the answers
    were graded on LMS variants (a Moodle Responses report)."""
    by_variant = any(r.variants for r in results)
    write_csv(path, ["student", "question", *(["variant"] if by_variant else []), "answer",
                     "status", "score", "feedback", "interpreted", "mistake"],
              ([r.student, qid, *([r.variants.get(qid, "")] if by_variant else []),
                r.answers.get(qid, ""), v.status, v.score, v.feedback, v.interpreted,
                v.mistake or ""]
               for r in results for qid, v in r.verdicts.items()))


MAX_LINE = 1 << 20  # characters of one batch case; a longer line is one invalid verdict


def check_batch(lines: IO[str], out: IO[str], lang: str = "en",
                progress: IO[str] | None = None) -> int:
    """One JSON verdict per input line, in order; a bad line gets an `invalid` verdict.

    Streams: memory stays constant whatever the number of lines (a line longer than
    ``MAX_LINE`` is skipped in pieces). With `progress` (a terminal), a running count is redrawn
    there about ten times a second. Returns the number of verdicts.
    """
    count, shown = 0, 0.0
    for verdict in _verdicts(_bounded_lines(lines), lang):
        out.write(dumps_line(verdict) + "\n")
        out.flush()
        count += 1
        if progress is not None and time.monotonic() - shown > 0.1:
            shown = time.monotonic()
            progress.write(f"\r{count} answers graded")
            progress.flush()
    if progress is not None:
        progress.write(f"\r{count} answers graded\n")
    return count


def _bounded_lines(stream: IO[str]) -> Iterator[str | None]:
    """The stream's lines, None for a line over MAX_LINE characters (read past, not kept)."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while True:  # discard the rest of the long line
                rest = stream.readline(MAX_LINE)
                if not rest or rest.endswith("\n"):
                    break
            yield None
        else:
            yield line


def _invalid(line_no: int, why: str) -> dict[str, Any]:
    return {"status": "invalid", "score": 0.0, "feedback": f"line {line_no}: {why}",
            "interpreted": "", "method": "input", "mistake": None}


def _verdicts(lines: Iterable[str | None], lang: str) -> Iterator[dict[str, Any]]:
    for line_no, line in enumerate(lines, start=1):
        if line is None:
            yield _invalid(line_no, f"longer than {MAX_LINE} characters")
            continue
        if not line.strip():
            continue
        try:
            case = load_json(line)
            if not isinstance(case, dict):
                raise ValueError("a case must be a JSON object")
            if "expected" not in case or "answer" not in case:
                raise ValueError("a case needs the fields 'expected' and 'answer'")
            if not isinstance(case["answer"], str):
                raise ValueError("field 'answer' must be a string")
            options = {k: case[k] for k in ("kind", "rtol", "atol", "sigfigs") if k in case}
            yield check(case["expected"], case["answer"], variables=case.get("vars", ()),
                        lang=case.get("lang", lang), **options).to_dict()
        except (ValueError, TypeError) as e:
            yield _invalid(line_no, str(e))
        except Exception as e:  # noqa: BLE001  one line must never stop the batch
            yield _invalid(line_no, f"could not be checked ({type(e).__name__})")
