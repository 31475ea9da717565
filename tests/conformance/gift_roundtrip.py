"""What a GIFT reader got, in one shape for both readers, and the comparison with quiz.json.

Both readers (Moodle's importer transcribed in :mod:`moodle_gift`, and gift-pegjs) are turned
into :class:`Read` questions; :func:`problems` compares one with the quiz.json question it came
from and returns what differs, in words. The expected side is built from quiz.json and the
conversion rules of docs/exports.md ("LMS formats: what converts how"), never from the GIFT
writer: text and feedback must come back as the same ``$TeX$`` source, numbers as the same
floats, tolerances as exactly the float quizgen's grading rule gives.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import sympy
from moodle_gift import MoodleQuestion
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from quizgen.export.lms import POINT_TOLERANCE, absolute_tolerance, lms_answer
from quizgen.export.math import split_math
from quizgen.export.wording import UI
from quizgen.model import Question


@dataclass
class Answer:
    text: str  # HTML of an option, or "" for a number
    fraction: float  # percent
    feedback: str  # HTML
    value: float | None = None  # numerical
    tolerance: float | None = None


@dataclass
class Read:
    name: str
    qtype: str  # numerical | multichoice | truefalse
    text: str  # question text, HTML
    general_feedback: str
    answers: list[Answer] = field(default_factory=list)
    truth: bool | None = None
    wrong_feedback: str = ""  # true/false: shown for the wrong answer
    right_feedback: str = ""
    idnumber: str | None = None


def from_moodle(q: MoodleQuestion) -> Read:
    read = Read(q.name or "", q.qtype, q.questiontext, q.generalfeedback, idnumber=q.idnumber)
    if q.qtype == "truefalse":
        read.truth = q.correctanswer == 1
        right, wrong = ((q.feedbacktrue, q.feedbackfalse) if read.truth
                        else (q.feedbackfalse, q.feedbacktrue))
        read.right_feedback, read.wrong_feedback = right.text, wrong.text
    elif q.qtype == "numerical":
        # "*" (any answer) is what Moodle makes of a value it cannot read as a number
        read.answers = [Answer("", 100 * f, fb.text, math.nan if a == "*" else float(a),
                               float(t or 0)) for a, f, fb, t in
                        zip(q.answer, q.fraction, q.feedback, q.tolerance)]
    else:
        read.answers = [Answer(a.text, 100 * f, fb.text)
                        for a, f, fb in zip(q.answer, q.fraction, q.feedback)]
    return read


def from_pegjs(q: dict) -> Read:
    def text(rich: dict | None) -> str:
        return rich["text"] if rich else ""

    qtype = {"Numerical": "numerical", "MC": "multichoice", "TF": "truefalse"}.get(
        q["type"], q["type"])
    read = Read(q["title"] or "", qtype, text(q["stem"]), text(q.get("globalFeedback")),
                idnumber=q.get("id"))
    if qtype == "truefalse":
        # gift-pegjs names the two feedbacks by position (trueFeedback = the first one); in
        # GIFT the first is for a wrong answer, the second for a right one.
        read.truth = q["isTrue"]
        read.wrong_feedback, read.right_feedback = text(q["trueFeedback"]), text(q["falseFeedback"])
        return read
    for c in q["choices"]:
        fraction = c["weight"] if c["weight"] is not None else (100.0 if c["isCorrect"] else 0.0)
        if qtype == "numerical":
            number = c["text"]
            assert number["type"] == "range", number
            read.answers.append(Answer("", fraction, text(c["feedback"]), number["number"],
                                       number["range"]))
        else:
            read.answers.append(Answer(text(c["text"]), fraction, text(c["feedback"])))
    return read


# -- HTML back to quiz.json's text -------------------------------------------------------------

_MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)


def segments_of_html(fragment: str) -> list[tuple[str, str]]:
    """("text", plain) and ("$", tex) / ("$$", tex) pieces of a converted fragment: formulas
    are MathJax-delimited, text is escaped HTML with <br/> for line breaks."""
    out: list[tuple[str, str]] = []
    at = 0
    for m in _MATH.finditer(fragment):
        out.append(("text", fragment[at:m.start()]))
        out.append(("$", m.group(1)) if m.group(1) is not None else ("$$", m.group(2)))
        at = m.end()
    out.append(("text", fragment[at:]))
    pieces = []
    for kind, s in out:
        s = html.unescape(s.replace("<br/>", "\n") if kind == "text" else s)
        if kind == "text" and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1] + s)
        elif not (kind == "text" and s == ""):
            pieces.append((kind, s))
    return pieces


def segments_of_source(text: str) -> list[tuple[str, str]]:
    """The same pieces of a quiz.json text (``$...$``, ``$$...$$``, ``\\$``)."""
    pieces = []
    for s in split_math(text):
        kind = ("$$" if s.display else "$") if s.math else "text"
        if kind == "text" and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1] + s.text)
        else:
            pieces.append((kind, s.text))
    return pieces


def paragraph(fragment: str) -> str:
    m = re.fullmatch(r"<p>(.*)</p>", fragment, re.S)
    return m.group(1) if m else f"<not a paragraph: {fragment!r}>"


# -- numbers written as TeX in options ---------------------------------------------------------

_TEX_NUMBER = re.compile(r"(-?)10\^\{(-?\d+)\}|(-?\d+(?:\.\d+)?)(?: \\times 10\^\{(-?\d+)\})?")


def tex_numbers(tex: str) -> list[tuple[float, int]]:
    """The numbers of ``value_tex`` output (``0.6``, ``2.5 \\times 10^{-8}``, ``-10^{-9}``),
    each with the count of significant digits it is written with."""
    values = []
    for m in _TEX_NUMBER.finditer(tex):
        if m.group(2) is not None:
            values.append((float(f"{m.group(1)}1e{m.group(2)}"), 1))
        else:
            mantissa = m.group(3)
            digits = len(mantissa.lstrip("-").replace(".", "").lstrip("0")) or 1
            values.append((float(f"{mantissa}e{m.group(4) or 0}"), digits))
    return values


def written_as(value, numbers: list[tuple[float, int]], digits: int) -> bool:
    """Does ``value`` (a number, vector or matrix of quiz.json) round to these numbers at
    ``digits`` significant digits (trailing zeros dropped)?"""
    flat = []

    def walk(v):
        if isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        else:
            flat.append(v)

    walk(value)
    return len(flat) == len(numbers) and all(
        (x == shown) if isinstance(x, int) else float(f"{x:.{digits}g}") == shown
        for x, (shown, _) in zip(flat, numbers))


def evaluate(expression: str, point: dict[str, float]) -> float:
    """SymPy's value of a quiz.json expression answer (``^`` as power) at a point."""
    expr = parse_expr(expression, transformations=(*standard_transformations, convert_xor),
                      local_dict={v: sympy.Symbol(v) for v in point})
    return float(expr.subs({sympy.Symbol(v): sympy.Float(x, 30) for v, x in point.items()}))


# -- the comparison ----------------------------------------------------------------------------

def problems(read: Read, q: Question, number: int, lang: str, numeric: str,
             expression: str, name: str | None = None) -> list[str]:
    """How ``read`` (one question as a GIFT reader got it) differs from ``q`` of quiz.json
    (``name``: the question's name when not ``<number> <id>``)."""
    ui = UI[lang]
    out: list[str] = []

    def same(what: str, got, want) -> None:
        if got != want:
            out.append(f"{what}: got {got!r}, want {want!r}")

    def same_text(what: str, fragment: str, source: str) -> None:
        same(what, segments_of_html(fragment), segments_of_source(source))

    same("name", read.name, name or f"{number:02d} {q.id}")
    same("idnumber", read.idnumber, q.id)
    same_text("general feedback", read.general_feedback, "\n".join(q.solution[lang]))
    prompt = q.prompt[lang]
    feedback = {m.value: m.feedback[lang] for m in q.mistakes if isinstance(m.value, str)}

    if q.kind == "choice":
        same_text("text", paragraph(read.text), prompt)
        right = set(q.answer) if isinstance(q.answer, list) else {q.answer}
        ids = [c["id"] for c in q.choices]
        if ids == ["T", "F"]:
            same("type", read.qtype, "truefalse")
            same("truth", read.truth, "T" in right)
            wrong_option = "F" if "T" in right else "T"
            same_text("wrong-answer feedback", read.wrong_feedback,
                      feedback.get(wrong_option, ui["wrong"]))
            same_text("right-answer feedback", read.right_feedback, ui["right"])
            return out
        same("type", read.qtype, "multichoice")
        same("options", len(read.answers), len(q.choices))
        k, m = len(right), len(q.choices) - len(right)
        for a, c in zip(read.answers, q.choices):
            ok = c["id"] in right
            want = 100.0 / k if ok else (-100.0 / m if k > 1 else 0.0)
            if not math.isclose(a.fraction, want, abs_tol=1e-4):
                out.append(f"option {c['id']}: grade {a.fraction}, want {want}")
            same_text(f"option {c['id']}", a.text, c["text"][lang])
            same_text(f"option {c['id']} feedback", a.feedback,
                      ui["right"] if ok else feedback.get(c["id"], ui["wrong"]))
        return out

    if q.kind == "number" and numeric == "numerical":
        same_text("text", paragraph(read.text), prompt)
        same("type", read.qtype, "numerical")
        value, tolerance = lms_answer(float(q.answer), q.tolerance)
        numbers = [m for m in q.mistakes if not isinstance(m.value, (str, list))]
        want = [(100.0, value, tolerance, ui["right"])] + [
            (0.0, *lms_answer(float(m.value), q.tolerance), m.feedback[lang]) for m in numbers]
        same("answers", len(read.answers), len(want))
        for i, (a, (fraction, v, tol, fb)) in enumerate(zip(read.answers, want)):
            # exact: the decimal in the file must read back as the very same float
            same(f"answer {i} (grade, value, tolerance)", (a.fraction, a.value, a.tolerance),
                 (fraction, v, tol))
            same_text(f"answer {i} feedback", a.feedback, fb)
        return out

    if q.kind == "expression" and expression == "point":
        same("type", read.qtype, "numerical")
        # the prompt, then "Enter the value of your expression at $x = 0.7$."
        formulas = [tex for kind, tex in segments_of_html(paragraph(read.text)) if kind == "$"]
        at = formulas[-1] if formulas else ""
        same_text("text", paragraph(read.text),
                  prompt + "\n" + ui["evaluate_at"].format(point=f"${at}$"))
        point = {v: float(x) for v, x in re.findall(r"([A-Za-z]\w*) = (-?[\d.]+)", at)}
        names = [v.split(":")[0] for v in q.vars]  # "x" or "x:positive"
        if sorted(point) != sorted(names):
            return out + [f"the point {at!r} does not set the variables {names}"]
        value = evaluate(q.answer, point)
        first, *rest = read.answers or [Answer("", 0.0, "", math.nan, math.nan)]
        if not math.isclose(first.value, value, rel_tol=1e-9):
            out.append(f"value at {point}: got {first.value}, SymPy says {value}")
        same("right answer (grade, tolerance)", (first.fraction, first.tolerance),
             (100.0, absolute_tolerance(first.value, POINT_TOLERANCE)))
        mistakes = [(evaluate(m.value, point), m.feedback[lang]) for m in q.mistakes]
        for a in rest:
            same(f"mistake {a.value} grade", a.fraction, 0.0)
            fb = [f for x, f in mistakes if math.isclose(x, a.value, rel_tol=1e-9)]
            if len(fb) != 1:
                out.append(f"answer {a.value} is the value of {len(fb)} named mistakes at"
                           f" {point}, not exactly one")
            else:
                same_text(f"mistake {a.value} feedback", a.feedback, fb[0])
        return out

    # a number (numeric="choice"), a vector or an expression asked as multiple choice
    same("type", read.qtype, "multichoice")
    extra = ("\n" + ui["pick_expression"]) if q.kind == "expression" else ""
    same_text("text", paragraph(read.text), prompt + extra)
    options = [(q.answer, ui["right"])] + [(m.value, m.feedback[lang]) for m in q.mistakes]
    same("options", len(read.answers), len(options))
    remaining = list(options)
    # all options of a question are written with the same number of digits, at least 6
    written = {a.text: tex_numbers(html.unescape(a.text)) for a in read.answers}
    digits = max([6] + [d for numbers in written.values() for _, d in numbers])
    for a in read.answers:
        if q.kind == "expression":
            matches = [o for o in remaining if o[0] == html.unescape(a.text)]
        else:
            matches = [o for o in remaining if written_as(o[0], written[a.text], digits)]
        if len(matches) != 1:
            out.append(f"option {a.text!r} reads as {len(matches)} of the answer and the named"
                       " mistakes, not exactly one")
            continue
        match = matches[0]
        remaining.remove(match)
        is_answer = match is options[0]
        same(f"option {a.text!r} grade", a.fraction, 100.0 if is_answer else 0.0)
        same_text(f"option {a.text!r} feedback", a.feedback, match[1])
    return out


# -- multi-part questions: one GIFT question per part ------------------------------------------

def part_units(q: Question, number: int, lang: str, numeric: str,
               expression: str) -> list[tuple[str, Question, str, str]]:
    """What each GIFT question of a multi-part question must hold, as docs/exports.md says:
    (name, the question it must equal, numeric and expression modes). Each part repeats the
    stem, then its label and prompt; a vector part is one number per entry ("entry 1 of 2");
    a part without named mistakes cannot be multiple choice, so it stays a number (or an
    expression at a point)."""
    ui = UI[lang]
    units = []
    for p in q.parts:
        label = ui["part_label"].format(id=p.id)
        stem = f"{q.prompt[lang]}\n{label} {p.prompt[lang]}"
        base = Question(id=f"{q.id}.{p.id}", family=q.family, kind=p.kind, params=q.params,
                        prompt={lang: stem}, answer=p.answer, answer_tex=p.answer_tex,
                        tolerance=p.tolerance, points=p.points, solution=p.solution,
                        mistakes=p.mistakes, vars=p.vars, choices=p.choices)
        name = f"{number:02d} {q.id} {label}"
        if p.kind != "vector":
            modes = (numeric, expression) if p.mistakes else ("numerical", "point")
            units.append((name, base, *modes))
            continue
        entries = [x for row in [p.answer] for x in (row if isinstance(row, list) else [row])]
        entries = [y for x in entries for y in (x if isinstance(x, list) else [x])]
        for k, x in enumerate(entries, start=1):
            words = ui["entry"].format(i=k, n=len(entries))
            entry = Question(id=f"{base.id}.{k}", family=q.family, kind="number",
                             params=q.params, prompt={lang: f"{stem} ({words})"}, answer=x,
                             answer_tex="", tolerance=p.tolerance, points=p.points,
                             solution=p.solution, mistakes=[])
            units.append((f"{name} {k}/{len(entries)}", entry, "numerical", expression))
    return units
