"""Grading Moodle's Responses report: each response mapped to the variant its student saw.

A quiz imported into Moodle with one category per slot (``make --variants N``) and built from
"random question from category" shows each student one variant per slot. Moodle's Responses
report (Quiz → Results → Responses → Download, CSV or Excel) has one row per attempt; this
module reads it, finds from the question text which variant each student saw, and grades the
response with quizgen's own grader, so equivalent forms (``1/2`` for ``0.5``, ``1e-3``) and
named mistakes count where Moodle's numerical grading cannot see them.

The layout read is that of ``mod/quiz/report/responses`` (``last_responses_table``, Moodle
4.x, English interface): the user columns (``Last name``, ``First name`` and the site's
identity fields such as ``Email address`` or ``ID number``), ``Status``, ``Started``,
``Completed``, ``Duration``, ``Grade/10.00`` (all read past), then for each question, labelled
by its number in the quiz, ``Question N`` (the question text as Moodle's ``html_to_text``
gives it; for multiple choice followed by ``: `` and the options joined by ``; ``),
``Response N`` (what the student answered: the number typed, the chosen option's text, several
options joined by ``; ``, or ``True`` / ``False``) and ``Right answer N``. A cell ``-`` means
no response. The report must include the question text (its "Question text" option) when the
quiz has several variants per slot; without variants the N-th response column is the N-th
question.

Matching compares words and numbers only (:func:`~quizgen.lms_variants.text_tokens`), so HTML,
TeX delimiters and spacing cannot break it; ``make`` guarantees that no variant's text begins
with another's, so a question text names its variant unambiguously.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .batch import (
    MAX_FIELD,
    Problem,
    StudentResult,
    SubmissionError,
    _encoding_of,
    grade_answer,
    normalize_student_id,
    read_sheet,
)
from .grading import Verdict, check
from .lms_variants import SlotVariant, begins_with, slot_variants, text_tokens, variant_count
from .model import LANGS, Mistake, Question, Quiz
from .safejson import clean_text
from .spreadsheet import decimal_point

RESPONSE = re.compile(r"response\s+(\S.*)", re.IGNORECASE)
QUESTION = re.compile(r"question\s+(\S.*)", re.IGNORECASE)
# The user columns Moodle can show, most specific first (core_user\fields::get_display_name).
ID_COLUMNS = ("id number", "email address", "username", "email")
FIRST_NAME, LAST_NAME = ("first name",), ("last name", "surname")
NO_RESPONSE = "-"
# qtype_truefalse's summaries in Moodle's English and Chinese language packs, and the usual
# words a translation uses.
TRUE_WORDS = frozenset({"true", "t", "对", "正确", "是", "真"})
FALSE_WORDS = frozenset({"false", "f", "错", "错误", "否", "假"})


@dataclass
class Attempt:
    """One row of the report: who, and per slot the variant shown and the response given."""

    student: str
    name: str
    where: str  # "line 7" (CSV) or "row 7" (Excel)
    responses: dict[str, str] = field(default_factory=dict)  # slot id -> Moodle's response
    variants: dict[str, SlotVariant] = field(default_factory=dict)  # slot id -> variant shown


@dataclass
class ResponsesReport:
    attempts: list[Attempt]
    problems: list[Problem]


def is_responses_report(path: Path) -> bool:
    """An Excel file, or a CSV file whose header has a ``Response N`` column."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return True
    if suffix == ".json":
        return False
    try:
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError:
        return False  # the ordinary reader names the problem
    text = head.decode(_encoding_of(head), errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    return any(RESPONSE.fullmatch(cell.strip().strip('"').strip())
               for cell in re.split(r"[,;\t]", first))


# -- reading the report -----------------------------------------------------------------------

def read_responses(path: str | Path, quiz: Quiz) -> ResponsesReport:
    """Every attempt of the report, its responses mapped to slots and variants, and a Problem
    for each row or cell that could not be used. Raises SubmissionError for a file that cannot
    be read at all or is not a Responses report of this quiz."""
    path = Path(path)
    header, rows, problems, bad_cells = _read_table(path)
    found = [Problem(f"{_unit(path)} {n}", m) for n, m in problems]
    responses = [(m.group(1).strip(), i) for i, h in enumerate(header)
                 if (m := RESPONSE.fullmatch(h))]
    if not responses:
        raise SubmissionError(f"{path}: no 'Response N' column: download Moodle's Responses "
                              "report (Quiz → Results → Responses) with the responses shown")
    questions = {m.group(1).strip(): i for i, h in enumerate(header)
                 if (m := QUESTION.fullmatch(h))}
    if variant_count(quiz) > 1 and not questions:
        raise SubmissionError(f"{path}: no 'Question N' column, so the variant each student saw "
                              "cannot be told: tick \"Question text\" in the Responses report's "
                              "options and download it again")
    id_col = _column(header, ID_COLUMNS)
    first, last = _column(header, FIRST_NAME), _column(header, LAST_NAME)
    if id_col is None and first is None and last is None:
        raise SubmissionError(f"{path}: no column naming the student ({', '.join(ID_COLUMNS)}, "
                              "first name, last name)")
    index = VariantIndex(quiz)
    if len(responses) > len(quiz.questions):
        found.append(Problem(f"{_unit(path)} 1", f"{len(responses)} response columns but the "
                             f"quiz has {len(quiz.questions)} questions; the extra ones are "
                             "matched by their question text only"))
    attempts: list[Attempt] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        where = f"{_unit(path)} {number}"
        padded = cells + [""] * (len(header) - len(cells))

        def cell(i: int | None, padded: list[str] = padded) -> str:
            return padded[i].strip() if i is not None else ""

        shown = [cell(questions.get(label)) for label, _ in responses]
        given = [cell(i) for _, i in responses]
        if all(c in ("", NO_RESPONSE) for c in shown + given):
            continue  # a student without an attempt (Moodle can list them too)
        name = " ".join(p for p in (cell(first), cell(last)) if p)
        student = normalize_student_id(cell(id_col)) if id_col is not None else ""
        student = student or name
        if not student:
            found.append(Problem(where, "no student id or name; row not graded"))
            continue
        seen[student] = seen.get(student, 0) + 1
        label = student if seen[student] == 1 else f"{student} (attempt {seen[student]})"
        attempt = Attempt(label, name, where)
        for position, ((column, i), text) in enumerate(zip(responses, shown)):
            if text == NO_RESPONSE and cell(i) in ("", NO_RESPONSE):
                continue  # a question the attempt never reached
            at = quiz.questions[position] if position < len(quiz.questions) else None
            if text not in ("", NO_RESPONSE):
                variant, why = index.match(text, at.id if at else None)
            elif at is not None and len(slot_variants(quiz, at)) == 1:
                variant, why = slot_variants(quiz, at)[0], ""  # the N-th question, no variants
            else:
                variant, why = None, "no question text to tell which variant was shown"
            if variant is None:
                found.append(Problem(where, f"Question {column}: {why}; response not graded"))
                continue
            slot = variant.slot.id
            if slot in attempt.variants:
                found.append(Problem(where, f"Question {column}: {slot} is already answered in "
                                            "this row; response not graded"))
                continue
            if (number, i) in bad_cells:
                found.append(Problem(where, f"Response {column}: {bad_cells[number, i]}; that "
                                            "answer is graded as unreadable"))
            attempt.variants[slot] = variant
            attempt.responses[slot] = cell(i)
        attempts.append(attempt)
    if not attempts:
        found.append(Problem("", "no attempts in it: nothing to grade"))
    return ResponsesReport(attempts, found)


def _unit(path: Path) -> str:
    return "row" if path.suffix.lower() == ".xlsx" else "line"


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]],
                                     list[tuple[int, str]], dict[tuple[int, int], str]]:
    """(header, [(line or row, cells)], [(line, problem)], {(line, cell): why untrusted})."""
    if path.suffix.lower() == ".xlsx":
        from .xlsx import XlsxError, read_xlsx

        try:
            table = read_xlsx(path)
        except XlsxError as e:
            raise SubmissionError(str(e)) from None
        bad = {key: f"{length} characters, over the {MAX_FIELD} a cell may hold"
               for key, length in table.long_cells.items()}
        rows = [(n, [clean_text(c) for c in cells]) for n, cells in table.rows]
        return [clean_text(h) for h in table.header], rows, table.problems, bad
    sheet = read_sheet(path)
    return sheet.header, sheet.rows, sheet.problems, sheet.bad_cells


class VariantIndex:
    """Which variant of which slot a question text (as Moodle shows it) belongs to.

    The variants of the slot the column is numbered for are tried first; only when none fits,
    or a variant of another slot has a text that begins with the one found (which ``make``
    does not rule out across slots), are all variants compared."""

    def __init__(self, quiz: Quiz) -> None:
        self.entries = [
            (v, tuple(t for lang in LANGS if (t := text_tokens(v.question.prompt.get(lang, "")))))
            for slot in quiz.questions for v in slot_variants(quiz, slot)
        ]
        self.by_slot: dict[str, list] = {}
        for entry in self.entries:
            self.by_slot.setdefault(entry[0].slot.id, []).append(entry)
        # in sorted order, the texts that begin with a text come right after it
        ordered = sorted((t, v.slot.id) for v, prefixes in self.entries for t in prefixes)
        self.extended = {t for (t, slot), (u, other) in zip(ordered, ordered[1:])
                         if begins_with(u, t) and (u, other) != (t, slot)}

    def match(self, text: str, hint: str | None) -> tuple[SlotVariant | None, str]:
        """The variant whose text the cell begins with (the longest such, then the one of the
        ``hint`` slot), or None and why."""
        tokens = text_tokens(text)
        found = self._best(tokens, self.by_slot.get(hint, []))
        if found is not None and not (set(found[1]) & self.extended):
            return found[0], ""
        scored = [(score, v) for v, prefixes in self.entries
                  if (score := _fit(tokens, prefixes)) >= 0]
        if not scored:
            return None, "its text is none of this quiz's questions or their variants"
        best = max(score for score, _ in scored)
        candidates = [v for score, v in scored if score == best]
        if len({v.slot.id for v in candidates}) > 1:
            candidates = [v for v in candidates if v.slot.id == hint] or candidates
        if len(candidates) > 1:
            ids = ", ".join(v.id for v in candidates)
            return None, f"its text fits several variants ({ids})"
        return candidates[0], ""

    @staticmethod
    def _best(tokens: tuple[str, ...], entries: list) -> tuple[SlotVariant, tuple] | None:
        """(the one variant fitting longest, its fitting texts) among ``entries``, if one."""
        scored = [(score, entry) for entry in entries if (score := _fit(tokens, entry[1])) >= 0]
        if not scored:
            return None
        best = max(score for score, _ in scored)
        top = [entry for score, entry in scored if score == best]
        if len(top) > 1:
            return None  # let the full comparison say why
        variant, prefixes = top[0]
        return variant, tuple(t for t in prefixes if begins_with(tokens, t))


def _fit(tokens: tuple[str, ...], prefixes: tuple[tuple[str, ...], ...]) -> int:
    """The length of the longest of ``prefixes`` that ``tokens`` begins with, or -1."""
    return max((len(t) for t in prefixes if begins_with(tokens, t)), default=-1)


# -- grading ----------------------------------------------------------------------------------

def grade_attempts(quiz: Quiz, attempts: list[Attempt]) -> list[StudentResult]:
    """Each attempt's responses graded on the variants they were given to; points are out of
    the slots the report holds."""
    grader = ResponseGrader(quiz.lang)
    results = []
    for attempt in attempts:
        result = StudentResult(attempt.student, dict(attempt.responses))
        for slot in quiz.questions:
            if slot.id not in attempt.variants:
                continue
            variant = attempt.variants[slot.id]
            if variant.question.parts:
                grader.grade_cloze(quiz, slot.id, variant, attempt.responses[slot.id], result)
                continue
            verdict = grader.grade(variant, attempt.responses[slot.id])
            result.verdicts[slot.id] = verdict
            result.variants[slot.id] = variant.id
            result.score += verdict.score * variant.question.points
        result.score = round(result.score, 6)
        results.append(result)
    return results


class ResponseGrader:
    """Moodle's summary of a response turned back into what the student chose or typed, then
    graded by quizgen's grader. Per-variant option tables are built once."""

    def __init__(self, lang: str) -> None:
        self.langs = (lang, *(other for other in LANGS if other != lang))
        self._tables: dict[str, _Options] = {}

    def grade(self, variant: SlotVariant, response: str) -> Verdict:
        q, text = variant.question, response.strip()
        lang = self.langs[0]
        if text in ("", NO_RESPONSE):
            return grade_answer(q, "", lang)
        options = self._tables.setdefault(variant.id, _Options(q, self.langs))
        if q.kind == "choice":
            ids = options.choice_ids(text)
            if ids is None:
                return _unreadable(text, "is none of the question's options")
            return grade_answer(q, ", ".join(ids), lang)
        value = options.value_of(text)
        if value is not None:  # an option of a question the LMS asked as multiple choice
            return grade_answer(q, value if isinstance(value, str) else json.dumps(value), lang)
        typed = decimal_point(text)
        if q.kind == "expression":  # typed, not chosen: the LMS asked its value at a point
            return _grade_at_point(q, typed, lang)
        return grade_answer(q, typed, lang)


    def grade_cloze(self, quiz: Quiz, slot_id: str, variant: SlotVariant, response: str,
                    result: StudentResult) -> None:
        """A multi-part question, asked in Moodle as one Cloze question: its response,
        ``part 1: 0.05; part 2: 0.00025; ...`` (one sub-question per part, a vector part one
        per entry), split back into the parts' answers (``q3.a`` ...) and graded by quizgen's
        grader part by part, with the quiz's follow-through."""
        from .multipart import grade_parts

        q, lang = variant.question, self.langs[0]
        sizes = [len(_entries(p.answer)) if p.kind == "vector" else 1 for p in q.parts]
        fields = cloze_fields(response, sum(sizes))
        texts: dict[str, str] = {}
        at_point: dict[str, str] = {}
        if fields is None:
            shown = response if len(response) <= 60 else response[:57] + "..."
            why = (f"Moodle's response {shown!r} is not a Cloze response of {sum(sizes)} "
                   "sub-questions (part 1: ...; part 2: ...)")
            verdicts = {p.id: Verdict("invalid", 0.0, why, "", "moodle") for p in q.parts}
        else:
            for part, size in zip(q.parts, sizes):
                mine, fields = fields[:size], fields[size:]
                options = self._tables.setdefault(f"{variant.id}.{part.id}", _Options(
                    q.part_as_question(part), self.langs))
                texts[part.id] = _part_text(part.kind, mine, options)
                if part.kind == "expression" and texts[part.id] and \
                        options.value_of(mine[0]) is None:
                    at_point[part.id] = texts[part.id]
            verdicts = grade_parts(q, texts, lang, quiz.follow_through)
        for part in q.parts:
            verdict = verdicts[part.id]
            if part.id in at_point:  # asked as the expression's value at a point
                verdict = _grade_at_point(q.part_as_question(part), at_point[part.id], lang)
            key = f"{slot_id}.{part.id}"
            result.verdicts[key] = verdict
            result.variants[key] = variant.id
            result.answers[key] = texts.get(part.id, "")
            result.score += verdict.score * part.points


# A head's number has at most 6 digits: a longer one is text (and int() of thousands of digits
# would raise or cost quadratic time).
_CLOZE_PART = re.compile(r"(?:^|; )part (\d{1,6}):(?: |$)")


def cloze_fields(response: str, count: int) -> list[str] | None:
    """The sub-question responses of Moodle's Cloze summary, ``part 1: x; part 2: y``, in
    order ("" for one not answered), or None if it is not one of ``count`` sub-questions. A
    response may itself hold ``; `` (several options), so only the numbered heads split."""
    text = response.strip()
    if text in ("", NO_RESPONSE):
        return [""] * count
    heads = []
    for m in _CLOZE_PART.finditer(text):  # the next number only: "part 2: " in an option
        if int(m.group(1)) == len(heads) + 1:  # text before part 2's head is no head
            heads.append(m)
    if len(heads) != count or heads[0].start() != 0:
        return None
    ends = [m.start() for m in heads[1:]] + [len(text)]
    return [text[m.end():end].strip() for m, end in zip(heads, ends)]


def _entries(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _entries(v)]
    return [value]


def _part_text(kind: str, fields: list[str], options: _Options) -> str:
    """What the student typed or chose for one part, as quizgen's answer text."""
    fields = ["" if f == NO_RESPONSE else f for f in fields]
    if kind == "vector":
        return "" if not any(fields) else "[" + ", ".join(decimal_point(f) for f in fields) + "]"
    text = fields[0]
    if not text:
        return ""
    if kind == "choice":
        ids = options.choice_ids(text)
        return ", ".join(ids) if ids is not None else text
    value = options.value_of(text)
    if value is not None:  # an option of a part asked as multiple choice
        return value if isinstance(value, str) else json.dumps(value)
    return decimal_point(text)


_DELIMITERS = re.compile(r"\\[()\[\]]|\$|\s+")


def exact_key(text: str) -> str:
    """An option's text with only what Moodle's ``html_to_text`` may change taken out (spaces,
    case, TeX delimiters ``$ \\( \\) \\[ \\]``): operators stay, so ``2/λ`` and ``2λ`` differ."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2212", "-")
    return _DELIMITERS.sub("", text)


@dataclass
class _Options:
    """A variant's options as Moodle shows them: exact keys first, word/number tokens when
    Moodle's filters changed more than spacing."""

    question: Question
    langs: tuple[str, ...]

    @cached_property
    def choices(self) -> list[tuple[str, str]]:
        q = self.question
        return [(c["id"], c["text"].get(lang, "")) for lang in self.langs for c in q.choices]

    @cached_property
    def converted(self) -> list[tuple[Any, tuple[str, ...]]]:
        """(value, tokens) of each option when the LMS asks a number, vector or expression as
        multiple choice among its named mistakes."""
        from .export.lms import LmsConversionError, lms_items

        q = self.question
        quiz = Quiz(seed=0, topic="", lang=self.langs[0], questions=[q], created_with={})
        try:
            (item,) = lms_items(quiz, lang=self.langs[0], convert=lambda latex, _: latex,
                                numeric="choice", expression="choice")
        except LmsConversionError:
            return []
        return [(o.value, "".join(p if isinstance(p, str) else f"${p.latex}$" for p in o.text))
                for o in item.options]

    def choice_ids(self, text: str) -> list[str] | None:
        """The option ids a response names: one option's text, several joined by ``; `` (in
        any order), or True / False; None if it is none of them (or several could be)."""
        ids = [c["id"] for c in self.question.choices]
        if ids == ["T", "F"]:
            word = text.strip().casefold()
            if word in TRUE_WORDS or word in FALSE_WORDS:
                return ["T" if word in TRUE_WORDS else "F"]
        per_lang = [self.choices[i:i + len(ids)] for i in range(0, len(self.choices), len(ids))]
        for key, separator in ((exact_key, (";",)), (text_tokens, ())):
            for table in per_lang:
                runs = [(option, tuple(key(shown))) for option, shown in table]
                if len({run for _, run in runs}) < len(runs):
                    continue  # two options read the same this way: it cannot tell them apart
                found = _split(tuple(key(text)), runs, separator)
                if found is not None:
                    return sorted(set(found), key=ids.index)
        return None

    def value_of(self, text: str) -> Any:
        """The value an option of a converted question stands for, if ``text`` is one."""
        for key in (exact_key, text_tokens):
            values = [v for v, shown in self.converted if key(shown) == key(text)]
            if len({json.dumps(v, sort_keys=True) for v in values}) == 1:
                return values[0]
        return None


def _split(units: tuple[str, ...], options: list[tuple[str, tuple[str, ...]]],
           separator: tuple[str, ...], start: int = 0,
           used: frozenset[str] = frozenset()) -> list[str] | None:
    """Option ids whose runs, one after the other (``separator`` between two), make up
    ``units`` exactly: a multiple-answer response lists the chosen options in display order,
    which the report does not give. Each option is used once, so the search is bounded by the
    option count."""
    if start == len(units):
        return [] if used else None
    if used:
        if units[start:start + len(separator)] != separator:
            return None
        start += len(separator)
    for option, run in options:
        if option not in used and run and units[start:start + len(run)] == run:
            rest = _split(units, options, separator, start + len(run), used | {option})
            if rest is not None:
                return [option, *rest]
    return None


def _grade_at_point(q: Question, typed: str, lang: str) -> Verdict:
    """A response to an expression the LMS asked as its value at a point: graded against the
    value there, with each named mistake's value there and its feedback."""
    from .export.lms import POINT_TOLERANCE, LmsConversionError, _evaluation_point

    try:
        _, value, at_point = _evaluation_point(q)
    except LmsConversionError as e:
        return Verdict("invalid", 0.0, str(e), "", "key")
    mistakes = [Mistake(m.name, x, m.feedback) for m, x in zip(q.mistakes, at_point)
                if x is not None]
    return check(value, typed, kind="number", mistakes=mistakes, lang=lang, **POINT_TOLERANCE)


def _unreadable(text: str, why: str) -> Verdict:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return Verdict("invalid", 0.0, f"Moodle's response {shown!r} {why}", "", "moodle")
