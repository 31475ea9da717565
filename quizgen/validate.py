"""The release check: prove every variant of every family before a quiz is handed out.

For each family and each seed it samples a question (as `quizgen make` would) and checks that
the reference answer equals the family's independent SymPy closed form (and the PyTorch oracle
where the family has an ``oracle`` hook), that the key grades itself correct, that every named
mistake grades incorrect with its own feedback, that numbers are finite, that both languages are
present, and that every formula converts for every document export (all seeds of a family go
through each writer as one quiz, in both languages). A question asked in parts is checked part by
part (:func:`part_problems`): each part's key grades correct and each of its mistakes incorrect
with its own feedback, both languages are there, each dependent part's formula at the earlier
keys gives its key, and the family's own (closed-form-checked) answer is one of the parts. An
expression question's closed form and stored key are also compared, at points inside the
variables' domains, with the quantity the family's ``evaluate`` hook computes with
``reference/``.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from question_bank import BUILTIN, DIFFICULTIES, Family, families
from quizgen.bank.errors import describe
from quizgen.batch import grade_answer
from quizgen.model import Question, Quiz
from quizgen.sampling import build_question, rng_for, select_families

DOCUMENT_FORMATS = ("html", "pdf")  # formats that typeset every formula
RTOL = 1e-9
REFERENCE_POINTS = 5  # points per expression question at which the reference is evaluated


@dataclass
class FamilyReport:
    family: str
    seeds: int
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _as_floats(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _as_floats(v)]
    if hasattr(value, "tolist") and not isinstance(value, (int, float)):  # sympy Matrix
        return [float(v) for v in value]
    return [float(value)]


def _close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=RTOL, abs_tol=1e-12) for x, y in zip(a, b)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _oracle_value(family: Family, q: Question) -> Any:
    """The family's oracle answer, or None without an oracle or its library (a dev extra)."""
    oracle = getattr(family.module, "oracle", None)
    if oracle is None:
        return None
    try:
        return oracle(q.params)
    except ModuleNotFoundError:
        return None


def check_question(family: Family, q: Question) -> list[str]:
    """Everything that can be wrong with one sampled question, as messages."""
    problems = []
    if q.parts:
        return part_problems(family, q)
    if q.kind in ("number", "vector"):
        got = _as_floats(q.answer)
        if not all(math.isfinite(x) for x in got):
            problems.append(f"non-finite answer {q.answer!r}")
        closed = family.closed_form(q.params)
        if not _close(_as_floats(family.answer(q.params)), _as_floats(closed.evalf(30)
                      if hasattr(closed, "evalf") else closed)):
            problems.append(f"answer {q.answer!r} != closed form {closed}")
        oracle = _oracle_value(family, q)
        if oracle is not None and not _close(got, _as_floats(oracle)):
            problems.append(f"answer {q.answer!r} != PyTorch oracle {oracle!r}")
    elif q.kind == "expression":
        from question_bank._formula import text
        from quizgen.grading import check

        closed = text(family.closed_form(q.params))
        if check(closed, q.answer, kind="expression", variables=q.vars).status != "correct":
            problems.append(f"answer {q.answer!r} != closed form {closed}")
        problems += reference_problems(family, q.params, q.vars, q.answer, seed=q.id)
    for lang in ("en", "zh"):
        if not q.prompt.get(lang, "").strip() or not q.solution.get(lang):
            problems.append(f"missing {lang} prompt or solution")
        key = ", ".join(q.answer) if isinstance(q.answer, list) and q.kind == "choice" else q.answer
        verdict = grade_answer(q, _text(key), lang)
        if verdict.status != "correct":
            problems.append(f"key {key!r} grades {verdict.status}: {verdict.feedback}")
        for m in q.mistakes:
            verdict = grade_answer(q, _text(m.value), lang)
            if verdict.status != "incorrect" or verdict.feedback != m.feedback.get(lang):
                problems.append(f"mistake {m.name!r} grades {verdict.status} ({lang})")
    return problems


def part_problems(family: Family, q: Question) -> list[str]:
    """Everything that can be wrong with a question asked in parts, as messages."""
    from .grading import check
    from .multipart import follow_through_value, grade_part, grade_parts

    problems = []
    own = family.answer(q.params)  # the single answer of the same params, and its proof
    closed = family.closed_form(q.params)
    if not _close(_as_floats(own), _as_floats(closed.evalf(30) if hasattr(closed, "evalf")
                                              else closed)):
        problems.append(f"answer {own!r} != closed form {closed}")
    oracle = _oracle_value(family, q)
    if oracle is not None and not _close(_as_floats(own), _as_floats(oracle)):
        problems.append(f"answer {own!r} != PyTorch oracle {oracle!r}")
    numeric = [p for p in q.parts if p.kind in ("number", "vector")]
    if not any(_close(_as_floats(p.answer), _as_floats(own)) for p in numeric):
        problems.append(f"no part's key is the family's answer {own!r}")
    keys = {p.id: p.answer for p in q.parts}
    for p in q.parts:
        if p.kind in ("number", "vector") and not all(map(math.isfinite, _as_floats(p.answer))):
            problems.append(f"part {p.id}: non-finite answer {p.answer!r}")
        if p.formula:
            value = follow_through_value(p, keys)
            if value is None or check(p.answer, _text(value), kind=p.kind,
                                      **p.tolerance).status != "correct":
                problems.append(f"part {p.id}: formula {p.formula!r} at the earlier keys gives "
                                f"{value!r}, not its key {p.answer!r}")
        for lang in ("en", "zh"):
            if not p.prompt.get(lang, "").strip() or not p.solution.get(lang):
                problems.append(f"part {p.id}: missing {lang} prompt or solution")
            verdict = grade_part(p, _text(p.answer), lang)
            if verdict.status != "correct":
                problems.append(f"part {p.id}: key {p.answer!r} grades {verdict.status}: "
                                f"{verdict.feedback}")
            for m in p.mistakes:
                verdict = grade_part(p, _text(m.value), lang)
                if verdict.status != "incorrect" or verdict.feedback != m.feedback.get(lang):
                    problems.append(f"part {p.id}: mistake {m.name!r} grades {verdict.status} "
                                    f"({lang})")
    verdicts = grade_parts(q, {p.id: _text(p.answer) for p in q.parts})
    if any(v.status != "correct" or v.method == "follow-through" for v in verdicts.values()):
        problems.append("the whole key does not grade correct part by part")
    for lang in ("en", "zh"):
        if not q.prompt.get(lang, "").strip() or not q.solution.get(lang):
            problems.append(f"missing {lang} prompt or solution")
    return problems


def reference_problems(family: Family, params: dict, variables: list[str], key: str,
                       seed: object = 0, points: int = REFERENCE_POINTS) -> list[str]:
    """The closed form and the stored key against ``evaluate(params, values)`` (the family's
    reference computation) at ``points`` points drawn inside the variables' domains."""
    import sympy as sp

    from question_bank import _formula
    from quizgen.grading.numeric import evaluate_scalar
    from quizgen.grading.parser import parse

    evaluate = getattr(family.module, "evaluate", None)
    if evaluate is None:
        # A course bank's formula is its own definition; a built-in one needs its reference.
        builtin = family.origin == BUILTIN
        return ["an expression question needs an evaluate(params, values) hook"] if builtin else []
    undeclared = [v for v in variables if ":" not in v]
    if undeclared:
        return [f"variables {undeclared} declare no domain (write name:domain)"]
    domains = _formula.reference_domains(family.module, variables)
    closed = family.closed_form(params)
    symbol = {s.name: s for s in closed.free_symbols}
    stored = parse(str(key), tuple(domains))
    rng = random.Random(f"{family.id}:{seed}")
    problems = []
    for _ in range(points):
        values = {name: _formula.draw(domain, rng) for name, domain in domains.items()}
        want = float(evaluate(params, dict(values)))
        exact = {symbol[n]: sp.Rational(v) for n, v in values.items() if n in symbol}
        got = {"closed form": complex(sp.N(closed.subs(exact), 30)),
               "stored key": complex(evaluate_scalar(stored, values))}
        for what, value in got.items():
            if not (abs(value.imag) <= 1e-12 * max(1.0, abs(value.real))
                    and math.isclose(value.real, want, rel_tol=RTOL, abs_tol=1e-12)):
                problems.append(f"{what} {value.real!r} != reference {want!r} at {values}")
    return problems


def cjk_font_problem(font_dir: str | Path | None = None) -> str | None:
    """Why Chinese PDFs cannot be made here (no CJK font), or None. Validation goes on without
    the font (see :func:`_check_exports`); the caller reports this once."""
    from quizgen.export import FontNotFoundError
    from quizgen.export.fonts import find_cjk_font

    try:
        find_cjk_font(font_dir)
    except FontNotFoundError as e:
        return str(e)
    return None


def _check_exports(questions: list[Question], formats: list[str],
                   font_dir: str | Path | None = None) -> list[str]:
    from quizgen.export import WRITERS, export
    from quizgen.export.pdf import render_pdf

    quiz = Quiz(seed=0, topic="validate", lang="en", questions=questions, created_with={})
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in (f for f in formats if f in WRITERS):
            for lang in ("en", "zh"):
                try:
                    if fmt == "pdf":  # without a CJK font every formula still converts and
                        render_pdf(quiz, key=True, lang=lang, font_dir=font_dir,  # compiles
                                   require_cjk_font=False)
                        continue
                    export(quiz, fmt, Path(tmp) / f"key-{lang}{WRITERS[fmt].suffix}",
                           key=True, lang=lang)
                except Exception as e:  # any writer failure is a finding, not a crash
                    problems.append(f"{fmt} ({lang}): {type(e).__name__}: {e}")
    return problems


def sample_question(family: Family, seed: int) -> Question:
    """The variant that validate checks for ``seed`` (levels 1, 2, 3 in turn)."""
    rng = rng_for(seed, "validate", family.id)
    return build_question(family, rng, DIFFICULTIES[seed % 3], qid=f"seed{seed}")


def validate_family(family: Family, seeds: int, formats: list[str],
                    advance: Callable[[], None] | None = None,
                    font_dir: str | Path | None = None) -> FamilyReport:
    """Check ``seeds`` variants of ``family``; ``advance()`` is called after each one."""
    report = FamilyReport(family.id, seeds)
    start = time.perf_counter()
    questions = []
    for seed in range(seeds):
        try:
            q = sample_question(family, seed)
            problems = check_question(family, q)
            questions.append(q)
        except Exception as e:
            problems = [describe(e)]
        report.failures += [f"seed {seed}: {p}" for p in problems]
        if advance:
            advance()
    report.failures += _check_exports(questions, formats, font_dir)
    report.seconds = time.perf_counter() - start
    return report


def validate(
    topic: str = "all",
    seeds: int = 200,
    formats: tuple[str, ...] = DOCUMENT_FORMATS,
    progress: Callable[[FamilyReport], None] | None = None,
    chosen: list[Family] | None = None,
    advance: Callable[[], None] | None = None,
    font_dir: str | Path | None = None,
) -> list[FamilyReport]:
    """Validate the topic's families (or the ``chosen`` ones: a course bank's);
    ``progress(report)`` after each family, ``advance()`` after each variant. Chinese PDFs
    are compiled with the CJK font of ``font_dir`` or the system, or without one when there is
    none (:func:`cjk_font_problem` says so)."""
    if chosen is None:
        chosen = select_families(topic) if topic != "all" else list(families().values())
    reports = []
    for family in chosen:
        report = validate_family(family, seeds, list(formats), advance, font_dir)
        reports.append(report)
        if progress:
            progress(report)
    return reports
