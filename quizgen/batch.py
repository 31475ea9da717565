"""Grading many answers: a class's submissions against a quiz, or a JSONL file of cases.

Answers stream through one at a time; a malformed cell or line becomes an `invalid` verdict that
names where it came from, and the rest of the batch goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .grading import Verdict, check
from .model import Question, Quiz

STUDENT_COLUMNS = ("student", "student_id", "id", "学号", "姓名")
MAX_FIELD = 100_000  # characters; the grader itself rejects far less, this only bounds the reader


class SubmissionError(ValueError):
    """The submissions file cannot be read at all (its rows are otherwise graded one by one)."""


@dataclass
class StudentResult:
    student: str
    answers: dict[str, str]
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    score: float = 0.0


def grade_answer(question: Question, text: str, lang: str = "en") -> Verdict:
    """One student's text for one question, graded with the question's own rules."""
    return check(
        question.answer,
        text,
        kind=question.kind,
        variables=question.vars,
        mistakes=question.mistakes,
        lang=lang,
        **question.tolerance,
    )


def read_submissions(path: Path, quiz: Quiz) -> list[tuple[str, dict[str, str]]]:
    """(student, {question id: raw text}) pairs from a CSV or JSON file."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except OSError as e:
        raise SubmissionError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise SubmissionError(f"{path}: not UTF-8 text; export the sheet as CSV UTF-8") from None
    if path.suffix.lower() == ".json":
        return _from_json(path, text)
    return _from_csv(path, text, {q.id for q in quiz.questions})


def _from_csv(path: Path, text: str, question_ids: set[str]) -> list[tuple[str, dict[str, str]]]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise SubmissionError(f"{path}: empty file; expected a header row")
    header = [h.strip() for h in header]
    if header[0].lower() not in STUDENT_COLUMNS:
        raise SubmissionError(
            f"{path}: line 1: the first column must be the student id "
            f"(one of {', '.join(STUDENT_COLUMNS)}), found {header[0]!r}"
        )
    unknown = [h for h in header[1:] if h not in question_ids]
    if unknown:
        raise SubmissionError(
            f"{path}: line 1: column {unknown[0]!r} is not a question id of this quiz "
            f"({', '.join(sorted(question_ids))})"
        )
    rows = []
    try:
        for line_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = row + [""] * (len(header) - len(row))
            rows.append((cells[0].strip() or f"line {line_no}", dict(zip(header[1:], cells[1:]))))
    except csv.Error as e:
        raise SubmissionError(f"{path}: line {reader.line_num}: {e}") from None
    return rows


def _from_json(path: Path, text: str) -> list[tuple[str, dict[str, str]]]:
    """{"student": {"q1": "..."}} or [{"student": "...", "answers": {"q1": "..."}}]."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SubmissionError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if isinstance(data, dict):
        data = [{"student": k, "answers": v} for k, v in data.items()]
    rows = []
    for i, item in enumerate(data if isinstance(data, list) else [None]):
        if not (isinstance(item, dict) and isinstance(item.get("answers"), dict)):
            raise SubmissionError(f"{path}: entry {i}: expected {{'student', 'answers': {{...}}}}")
        answers = {str(k): "" if v is None else str(v) for k, v in item["answers"].items()}
        rows.append((str(item.get("student", f"entry {i}")), answers))
    return rows


def grade_submissions(
    quiz: Quiz, rows: Iterable[tuple[str, dict[str, str]]]
) -> list[StudentResult]:
    results = []
    for student, answers in rows:
        result = StudentResult(student, answers)
        for question in quiz.questions:
            verdict = grade_answer(question, answers.get(question.id, ""), quiz.lang)
            result.verdicts[question.id] = verdict
            result.score += verdict.score * question.points
        result.score = round(result.score, 6)
        results.append(result)
    return results


def write_results(results: list[StudentResult], path: Path) -> None:
    """One row per (student, question), with the raw answer kept verbatim."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "question", "answer", "status", "score", "feedback",
                         "interpreted", "mistake"])
        for r in results:
            for qid, v in r.verdicts.items():
                writer.writerow([r.student, qid, r.answers.get(qid, ""), v.status, v.score,
                                 v.feedback, v.interpreted, v.mistake or ""])


def check_batch(lines: IO[str], out: IO[str], lang: str = "en") -> None:
    """One JSON verdict per input line, in order; a bad line gets an `invalid` verdict."""
    for verdict in _verdicts(lines, lang):
        out.write(json.dumps(verdict, ensure_ascii=False) + "\n")
        out.flush()


def _verdicts(lines: IO[str], lang: str) -> Iterator[dict[str, Any]]:
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
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
            yield {"status": "invalid", "score": 0.0, "feedback": f"line {line_no}: {e}",
                   "interpreted": "", "method": "input", "mistake": None}
