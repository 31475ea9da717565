"""Moodle XML: numerical questions with an absolute tolerance, multiple choice with feedback for
each distractor, true/false; formulas as TeX ``\\(...\\)`` for Moodle's MathJax filter.

A multi-part question is one Cloze question (``type="cloze"``, Moodle's qtype_multianswer):
the stem, then each part labelled (a), (b) with its sub-question embedded,
``{1:NUMERICAL:=0.05:0.000005#Right.~%0%0.45:0.000045#feedback}``, or ``MULTICHOICE_V`` /
``MULTIRESPONSE`` with radio buttons or boxes (a drop-down cannot show formulas); a vector part
is one NUMERICAL per entry. Moodle grades each sub-question against the key alone: no
follow-through, which the export notes say.

What is converted and how is decided in :mod:`quizgen.export.lms`; this writer only renders.
"""

from __future__ import annotations

import re
from fractions import Fraction
from math import lcm
from pathlib import Path

from markupsafe import Markup, escape

from quizgen.model import Quiz

from .lms import LmsItem, LmsPart, lms_groups
from .templating import environment, fraction, nl2br, num
from .wording import UI

# qtype_multianswer's ANSWER_START_REGEX: where Moodle sees a sub-question begin.
_CLOZE_START = re.compile(
    r"\{(?=[0-9]*:(NUMERICAL|NM|MULTICHOICE|MC|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|"
    r"SHORTANSWER|SA|MW|SHORTANSWER_C|SAC|MWC|MULTICHOICE_S|MCS|MULTICHOICE_VS|MCVS|"
    r"MULTICHOICE_HS|MCHS|MULTIRESPONSE|MR|MULTIRESPONSE_H|MRH|MULTIRESPONSE_S|MRS|"
    r"MULTIRESPONSE_HS|MRHS):)")


def tex_for_mathjax(latex: str, display: bool) -> Markup:
    """``\\(...\\)`` inline, ``\\[...\\]`` displayed: the delimiters Moodle's filters expect."""
    return escape(rf"\[{latex}\]" if display else rf"\({latex}\)")


def render_moodle(
    quiz: Quiz,
    *,
    lang: str | None = None,
    numeric: str = "numerical",
    expression: str = "choice",
    shuffle: bool = True,
    notes: list[str] | None = None,
    variants: int | None = None,
) -> str:
    """The Moodle XML text; ``variants``: how many of each slot's variants to write (default:
    all the quiz holds), each slot in a category of its own when more than one."""
    lang = lang or quiz.lang
    groups = lms_groups(
        quiz, variants=variants, lang=lang, convert=tex_for_mathjax, numeric=numeric,
        expression=expression, notes=notes,
    )
    if notes is not None:
        notes += [f"{q.id} ({q.family}): {len(q.parts)} parts asked as one Cloze question; "
                  "Moodle grades each part against the key only, without follow-through"
                  for q in quiz.questions if q.parts]
    scaled = {re.sub(r"\.v\d+$", "", item.view.id): scale for group in groups
              for item in group.items if item.parts
              and (scale := cloze_weights(item)[1]) != 1}
    if notes is not None:
        notes += [f"{qid}: Cloze weights are the parts' points times {scale} (Moodle takes whole "
                  f"numbers), so Moodle's mark for it is {scale} times quizgen's"
                  for qid, scale in scaled.items()]
    template = environment().get_template("moodle.xml.j2")
    clozes = {item.name: Markup(cloze_text(item, UI[lang], shuffle))
              for group in groups for item in group.items if item.parts}
    return template.render(quiz=quiz, groups=groups, ui=UI[lang], shuffle=shuffle,
                           clozes=clozes)


def write_moodle(quiz: Quiz, path: str | Path, *, key: bool = True, lang: str | None = None,
                 **options) -> Path:
    """``key`` is ignored: an LMS file always holds the answers (the LMS hides them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_moodle(quiz, lang=lang, **options), encoding="utf-8", newline="\n")
    return path


# -- Cloze (multi-part questions) --------------------------------------------------------------

def html_text(pieces) -> str:
    """Rich text as HTML, formulas as the writer converted them (``\\(...\\)``)."""
    return "".join(str(nl2br(p)) if isinstance(p, str) else str(p.rendered) for p in pieces)


def cloze_escape(html: str) -> str:
    """HTML for inside a Cloze sub-question (an option's text or a feedback), written so that
    qtype_multianswer reads it back unchanged. Its parser ends an answer at ``~ # }`` and a
    feedback at ``~ }`` (unless a backslash comes first), then ``html_entity_decode``s the text
    and turns ``\\}`` and ``\\#`` into ``}`` and ``#``. So: ``&`` becomes ``&amp;`` (the decode
    gives back the HTML as it was), ``~ # }`` become character references the decode restores,
    and a backslash right before ``}`` or ``#`` is doubled so that the last step leaves it."""
    text = html.replace("&", "&amp;")
    text = re.sub(r"\\(?=[}#])", r"\\\\", text)
    return text.replace("#", "&#35;").replace("}", "&#125;").replace("~", "&#126;")


def _plain(html: str) -> str:
    """Text outside the sub-questions: a ``{`` that Moodle would read as the start of one
    (``{1:MC:``) is written as a character reference."""
    return _CLOZE_START.sub("&#123;", html)


def cloze_weights(item: LmsItem) -> tuple[list[list[int]], int]:
    """Whole-number weights of every field, part by part, proportional to the points (Moodle's
    sub-question weights are whole numbers and add up to the question's mark), and the factor
    they were scaled by (1 when every field's points are whole)."""
    shares = [[Fraction(f.points).limit_denominator(1000) for f in part.fields]
              for part in item.parts]
    scale = lcm(*(s.denominator for row in shares for s in row)) if shares else 1
    return [[int(s * scale) for s in row] for row in shares], scale


def _sub_question(field: LmsItem, weight: int, ui: dict, shuffle: bool) -> str:
    if field.type == "numerical":
        alternatives = [f"={num(field.value)}:{num(field.tolerance)}#{cloze_escape(ui['right'])}"]
        alternatives += [f"%0%{num(m.value)}:{num(m.tolerance)}"
                         f"#{cloze_escape(html_text(m.feedback))}" for m in field.wrong_numbers]
        return f"{{{weight}:NUMERICAL:{'~'.join(alternatives)}}}"
    single = field.single or field.type == "truefalse"
    kind = {(True, False): "MULTICHOICE_V", (True, True): "MULTICHOICE_VS",
            (False, False): "MULTIRESPONSE", (False, True): "MULTIRESPONSE_S"}[single, shuffle]
    alternatives = []
    for option in field.options:
        mark = "=" if single and option.fraction == 100 else (
            f"%{fraction(option.fraction)}%" if option.fraction else "")
        alternatives.append(f"{mark}{cloze_escape(html_text(option.text))}"
                            f"#{cloze_escape(html_text(option.feedback))}")
    return f"{{{weight}:{kind}:{'~'.join(alternatives)}}}"


def cloze_text(item: LmsItem, ui: dict, shuffle: bool = True) -> str:
    """The question text of a Cloze question: the stem, then each part with its label, prompt
    and embedded sub-question(s)."""
    weights, _ = cloze_weights(item)
    out = [f"<p>{_plain(html_text(item.prompt))}</p>"]
    for part, row in zip(item.parts, weights):
        out.append(_part_text(part, row, ui, shuffle))
    return "\n".join(out)


def _part_text(part: LmsPart, weights: list[int], ui: dict, shuffle: bool) -> str:
    prompt = part.fields[0].prompt or part.view.prompt  # with what a conversion adds
    head = f"<p><strong>{escape(part.label)}</strong> {_plain(html_text(prompt))}"
    subs = [_sub_question(f, w, ui, shuffle) for f, w in zip(part.fields, weights)]
    if part.entry_labels:  # a vector: its entries in a row, in brackets
        return f"{head}</p>\n<p>( {', '.join(subs)} )</p>"
    if part.fields[0].type == "numerical":
        return f"{head} {subs[0]}</p>"
    return f"{head}</p>\n<div>{subs[0]}</div>"
