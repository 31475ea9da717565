"""Verdicts of given answer texts, read from the gradebook's tables.

An adapter over quizgen.gradebook: ``Gradebook.answers`` gives every student's *latest stored
row* per question, but a student who submits ``a``, then ``b``, then ``a`` again reuses the
first row (rows are unique per text), so "latest row" would say ``b``. The web mode knows what
each attempt held; this module finds the verdict of exactly that text under the key in force,
read-only, in a few queries for the whole class.

A dependent part of a multi-part question was graded with the student's own answers to the
parts it uses: its verdict is the one whose context is those answers *as the same attempt
gave them* (the other texts of that student among ``wanted``), so an earlier attempt keeps the
verdicts it got.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from quizgen.gradebook import (
    GRADER_VERSION,
    Answer,
    QuizRecord,
    context_hash,
    given_answers,
    submissions,
    verdicts,
)
from quizgen.grading import Verdict

CHUNK = 5000  # bound the number of SQL parameters per query


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def answers_of(engine: Engine, record: QuizRecord,
               wanted: Iterable[tuple[str, str, str]]) -> list[Answer]:
    """An Answer for each (student, answer id, raw text), verdict under the key in force
    (None when that text was never graded under it: run regrade). Each student's texts among
    ``wanted`` are taken as one set of answers (an attempt): a dependent part's verdict is
    the one graded with that set's answers to the parts it uses."""
    wanted = list(wanted)
    sets: dict[str, dict[str, str]] = {}
    for student, qid, raw in wanted:
        sets.setdefault(student, {})[qid] = raw
    students = sorted({s for s, _, _ in wanted})
    sub_ids: dict[tuple[str, str, str], int] = {}
    found: dict[tuple[int, str, str], tuple[bool, int, Verdict]] = {}
    with engine.connect() as conn:
        for part in _chunks(students):
            for r in conn.execute(
                    select(submissions.c.id, submissions.c.student, submissions.c.question_id,
                           submissions.c.raw)
                    .where(submissions.c.quiz_id == record.id, submissions.c.student.in_(part))):
                sub_ids[(r.student, r.question_id, r.raw)] = r.id
        ids = [sub_ids[k] for k in wanted if k in sub_ids]
        for part in _chunks(ids):
            for r in conn.execute(select(verdicts).where(verdicts.c.submission_id.in_(part))):
                # Prefer this grader version's verdict, then the newest.
                rank = (r.grader_version == GRADER_VERSION, r.id)
                key = (r.submission_id, r.spec_hash, r.context)
                if key not in found or rank > found[key][:2]:
                    found[key] = (*rank, Verdict(r.status, r.score, r.feedback, r.interpreted,
                                                 r.method, r.mistake))
    out = []
    for student, qid, raw in wanted:
        if not record.has(student, qid):
            continue  # not a question of this student's variant
        h, spec = record.spec_for(student, qid)
        ctx = context_hash(given_answers(qid, spec, sets[student]))
        sub = sub_ids.get((student, qid, raw))
        hit = found.get((sub, h, ctx)) if sub is not None else None
        verdict = hit[2] if hit else None
        points = round(verdict.score * spec["points"], 6) if verdict else 0.0
        out.append(Answer(student, qid, raw, verdict, points, spec["points"]))
    return out
