"""The release check: prove every variant of every family before a quiz is handed out.

For each family and each seed it samples a question (as `quizgen make` would) and checks that
the reference answer equals the family's independent SymPy closed form (and the PyTorch oracle
where the family has an ``oracle`` hook), that the key grades itself correct, that every named
mistake grades incorrect with its own feedback, that numbers are finite, that both languages are
present, and that every formula converts for every document export (all seeds of a family go
through each writer as one quiz, in both languages). An expression question's closed form and
stored key are also compared, at points inside the variables' domains, with the quantity the
family's ``evaluate`` hook computes with ``reference/``.
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


def _check_exports(questions: list[Question], formats: list[str]) -> list[str]:
    from quizgen.export import WRITERS, export

    quiz = Quiz(seed=0, topic="validate", lang="en", questions=questions, created_with={})
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in (f for f in formats if f in WRITERS):
            for lang in ("en", "zh"):
                try:
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
                    advance: Callable[[], None] | None = None) -> FamilyReport:
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
    report.failures += _check_exports(questions, formats)
    report.seconds = time.perf_counter() - start
    return report


def validate(
    topic: str = "all",
    seeds: int = 200,
    formats: tuple[str, ...] = DOCUMENT_FORMATS,
    progress: Callable[[FamilyReport], None] | None = None,
    chosen: list[Family] | None = None,
    advance: Callable[[], None] | None = None,
) -> list[FamilyReport]:
    """Validate the topic's families (or the ``chosen`` ones: a course bank's);
    ``progress(report)`` after each family, ``advance()`` after each variant."""
    if chosen is None:
        chosen = select_families(topic) if topic != "all" else list(families().values())
    reports = []
    for family in chosen:
        report = validate_family(family, seeds, list(formats), advance)
        reports.append(report)
        if progress:
            progress(report)
    return reports
