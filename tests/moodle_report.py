"""Moodle's Responses report, written the way Moodle writes it, for quizzes imported from a
quizgen Moodle XML file: the fixture of the round-trip tests.

Transcribed from Moodle (moodle/moodle, Moodle 4.x):

* ``mod/quiz/report/responses/report.php`` and ``mod/quiz/classes/local/reports/
  attempts_report.php``: the columns when downloading: ``Last name``, ``First name``, the
  identity fields (``Email address`` by default), ``Status``, ``Started``, ``Completed``,
  ``Duration``, ``Grade/<max>``, then per question slot ``Question N``, ``Response N``,
  ``Right answer N`` (``questionx``, ``responsex``, ``rightanswerx`` strings; N is the slot's
  display number);
* ``last_responses_table.php``: a cell is the question attempt's ``questionsummary``,
  ``responsesummary`` or ``rightanswer``, trimmed, ``-`` when there is none;
* ``question/type/questionbase.php``: ``get_question_summary()`` is the question text through
  ``html_to_text``; ``question/type/multichoice/question.php`` appends ``": "`` and the options,
  in the attempt's (shuffled) order, joined by ``"; "``; ``summarise_response()`` is the chosen
  option's text (several joined by ``"; "``); numerical: the response as typed; true/false:
  ``True`` / ``False``;
* ``dataformat/csv`` (Spout's CSV writer): a UTF-8 byte order mark, ``,``, quotes where needed.
  ``dataformat/excel`` writes every cell as a string.

``html_to_text`` is Moodle's html2text: tags dropped, ``<br>`` a line break, ``<p>`` a paragraph,
entities decoded; the MathJax filter only wraps ``\\(...\\)`` in spans, which are dropped.
"""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

NO_VALUE = "-"


@dataclass
class MoodleQuestion:
    """A question as Moodle imported it from the XML file."""

    qtype: str
    name: str
    idnumber: str
    questiontext: str  # HTML
    answers: list[tuple[str, float]] = field(default_factory=list)  # (HTML or number, fraction)


def import_moodle_xml(path: Path) -> dict[str, list[MoodleQuestion]]:
    """Category path -> its questions, in file order."""
    categories: dict[str, list[MoodleQuestion]] = {}
    current = None
    for q in ET.parse(path).getroot().iter("question"):
        if q.get("type") == "category":
            current = q.findtext("category/text")
            categories[current] = []
            continue
        answers = [(a.findtext("text") or "", float(a.get("fraction")))
                   for a in q.findall("answer")]
        categories[current].append(MoodleQuestion(
            q.get("type"), q.findtext("name/text"), q.findtext("idnumber"),
            q.findtext("questiontext/text"), answers))
    return categories


def html_to_text(text: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</?p[^>]*>", "\n\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def question_summary(q: MoodleQuestion, order: list[int]) -> str:
    summary = html_to_text(q.questiontext)
    if q.qtype == "multichoice":
        summary += ": " + "; ".join(html_to_text(q.answers[i][0]) for i in order)
    return summary


def response_summary(q: MoodleQuestion, chosen: list[int] | str | bool | None,
                     order: list[int]) -> str:
    """What Moodle stores for a response: the number typed, the chosen options' texts in display
    order, or True / False; ``-`` for no response."""
    if chosen is None:
        return NO_VALUE
    if q.qtype == "numerical":
        return str(chosen)
    if q.qtype == "truefalse":
        return "True" if chosen else "False"
    return "; ".join(html_to_text(q.answers[i][0]) for i in order if i in chosen)


def right_answer(q: MoodleQuestion) -> str:
    if q.qtype == "numerical":
        return q.answers[0][0]
    if q.qtype == "truefalse":
        return "True" if q.answers[0][1] > 0 else "False"
    return "; ".join(html_to_text(a) for a, f in q.answers if f > 0)


HEADER_START = ["Last name", "First name", "Email address", "Status", "Started", "Completed",
                "Duration"]


def header(slots: int, max_grade: str = "10.00") -> list[str]:
    cells = [*HEADER_START, f"Grade/{max_grade}"]
    for n in range(1, slots + 1):
        cells += [f"Question {n}", f"Response {n}", f"Right answer {n}"]
    return cells


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Responses"
    for row in rows:
        sheet.append(row)  # all strings, as Moodle's Excel writer stores them
    book.save(path)
    return path
