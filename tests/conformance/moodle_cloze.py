"""Moodle's Cloze parser transcribed: what ``qtype_multianswer_extract_question`` (Moodle 4.x,
``question/type/multianswer/questiontype.php``) makes of a question text, and the checks of
``qtype_multianswer_validate_question`` that ``qformat_xml::import_multianswer`` refuses a
question for.

The regular expressions are Moodle's, written for Python's ``re``: PCRE's look-behind
``(?<!\\\\|&|&amp;)`` (branches of different lengths) becomes three look-behinds, which match
the same strings. ``html_entity_decode`` is ``html.unescape``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = f"^({NUMBER})(:{NUMBER})?$"
TYPES = ("(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
         "(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
         "(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
         "(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)")
START = rf"\{{([0-9]*):({TYPES}):"
REGEX = re.compile(f"{START}({ALTERNATIVE}(~{ALTERNATIVE})*)\\}}", re.S)
# group numbers in REGEX (Moodle's ANSWER_REGEX_* constants)
NORM, NUMERICAL, ALTERNATIVES = 1, 3, 16
SINGLE_CHOICE = (4, 5, 6, 9, 10, 11)
MULTIPLE_CHOICE = (12, 13, 14, 15)
SHORT_ANSWER = (7, 8)


class ClozeImportError(ValueError):
    """What Moodle's importer would refuse the question for."""


@dataclass
class SubQuestion:
    qtype: str  # numerical | multichoice | shortanswer
    weight: int
    single: bool = True
    answers: list[str] = field(default_factory=list)
    fractions: list[float] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    tolerances: list[str] = field(default_factory=list)


@dataclass
class Cloze:
    text: str  # the question text with {#1}, {#2} ... where the sub-questions were
    subquestions: list[SubQuestion]

    @property
    def mark(self) -> int:
        return sum(s.weight for s in self.subquestions)


def _unescape(text: str) -> str:
    text = html.unescape(text).replace("\\}", "}")
    return text.replace("\\#", "#")


def extract(text: str) -> Cloze:
    subs: list[SubQuestion] = []
    while m := REGEX.search(text):
        weight = int(m.group(NORM)) if m.group(NORM) else 1
        if m.group(NUMERICAL):
            sub = SubQuestion("numerical", weight)
        elif any(m.group(g) for g in SHORT_ANSWER):
            sub = SubQuestion("shortanswer", weight)
        elif any(m.group(g) for g in SINGLE_CHOICE):
            sub = SubQuestion("multichoice", weight)
        elif any(m.group(g) for g in MULTIPLE_CHOICE):
            sub = SubQuestion("multichoice", weight, single=False)
        else:
            raise ClozeImportError(f"unknown question type in {m.group(0)[:40]!r}")
        specific = False
        remaining = m.group(ALTERNATIVES)
        while alt := re.search(f"~?{ALTERNATIVE}", remaining, re.S):
            if alt.group(1) == "=":
                fraction = 1.0
            elif alt.group(2) and alt.group(2) not in ("0",):  # PHP: "0" is false
                fraction = 0.01 * float(alt.group(2).replace(",", "."))
                specific = True
            else:
                fraction = 0.0
            sub.fractions.append(fraction)
            sub.feedback.append(_unescape(alt.group(5)) if alt.group(4) is not None else "")
            number = re.search(NUMERICAL_ALTERNATIVE, alt.group(3), re.S)
            if sub.qtype == "numerical" and number:
                sub.answers.append(number.group(1))
                sub.tolerances.append(number.group(6) if number.group(5) else "0")
            else:
                sub.answers.append(_unescape(alt.group(3)))
                sub.tolerances.append("")
            remaining = remaining.split(alt.group(0), 1)[1]
        if not sub.single:  # positive fractions add up to 1 (Moodle rescales them)
            total = sum(f for f in sub.fractions if f > 0)
            if total:
                sub.fractions = [f / total if f > 0 else (f if specific else -1 / total)
                                 for f in sub.fractions]
        subs.append(sub)
        text = text.replace(m.group(0), f"{{#{len(subs)}}}", 1)
    cloze = Cloze(text, subs)
    _validate(cloze)
    return cloze


def _validate(cloze: Cloze) -> None:
    if not cloze.subquestions:
        raise ClozeImportError("questionsmissing")
    for k, sub in enumerate(cloze.subquestions, start=1):
        answers = [a for a in sub.answers if a.strip() != ""]
        if sub.qtype == "numerical":
            for a in answers:
                if a != "*" and not re.fullmatch(NUMBER, a.strip()):
                    raise ClozeImportError(f"sub-question {k}: answermustbenumberorstar {a!r}")
        if sub.qtype == "multichoice" and len(answers) < 2:
            raise ClozeImportError(f"sub-question {k}: notenoughanswers")
        if not answers:
            raise ClozeImportError(f"sub-question {k}: no answer")
        full = any(f == 1 for f in sub.fractions) or (
            sub.qtype == "multichoice" and not sub.single and any(f > 0 for f in sub.fractions))
        if not full:
            raise ClozeImportError(f"sub-question {k}: fractionsnomax")
