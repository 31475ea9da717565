"""The web mode's own tables, beside the gradebook's in the same database.

The gradebook (quizgen.gradebook) keeps every answer text and its verdicts; what only the web
mode needs lives here:

    web_drafts    (quiz, student, question) -> the text last saved, not yet submitted
    web_attempts  (quiz, student, attempt number) -> the answers submitted, when, and when graded

``UNIQUE(quiz_id, student, attempt)`` is what makes "submit once" (or N times) hold under
concurrent requests on SQLite and PostgreSQL alike: two submits racing for the same attempt
number both try to insert it and exactly one succeeds. An attempt is reserved first and marked
graded after the gradebook has committed its verdicts, so an attempt a crash left ungraded is
found and graded at the next start (:meth:`WebStore.ungraded`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

web_metadata = MetaData()

drafts = Table(
    "web_drafts", web_metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz_id", Integer, nullable=False),
    Column("student", String, nullable=False),
    Column("question_id", String, nullable=False),
    Column("raw", Text, nullable=False),
    Column("saved_at", String, nullable=False),
    UniqueConstraint("quiz_id", "student", "question_id"),
)
attempts = Table(
    "web_attempts", web_metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz_id", Integer, nullable=False),
    Column("student", String, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("answers", Text, nullable=False),  # JSON {question id: raw text}
    Column("submitted_at", String, nullable=False),
    Column("graded_at", String),  # NULL until the gradebook has committed the verdicts
    UniqueConstraint("quiz_id", "student", "attempt"),
)


@dataclass(frozen=True)
class Attempt:
    student: str
    number: int
    answers: dict[str, str]
    submitted_at: str
    graded_at: str | None


class AlreadySubmitted(Exception):
    """Another request took this attempt number first (a double click, two tabs)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _attempt(row) -> Attempt:
    return Attempt(row.student, row.attempt, json.loads(row.answers), row.submitted_at,
                   row.graded_at)


def upsertable(engine: Engine, table: Table):
    """An INSERT with ``on_conflict_do_*`` in the engine's dialect (SQLite or PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class WebStore:
    def __init__(self, engine: Engine, quiz_id: int) -> None:
        self.engine = engine
        self.quiz_id = quiz_id
        web_metadata.create_all(engine)

    def _insert(self, table: Table):
        return upsertable(self.engine, table)

    # -- drafts -------------------------------------------------------------------------------

    def save_draft(self, student: str, answers: dict[str, str]) -> None:
        if not answers:
            return
        now = _now()
        stmt = self._insert(drafts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["quiz_id", "student", "question_id"],
            set_={"raw": stmt.excluded.raw, "saved_at": stmt.excluded.saved_at})
        with self.engine.begin() as conn:
            conn.execute(stmt, [{"quiz_id": self.quiz_id, "student": student, "question_id": q,
                                 "raw": raw, "saved_at": now} for q, raw in answers.items()])

    def draft(self, student: str) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.question_id: r.raw for r in conn.execute(
                select(drafts.c.question_id, drafts.c.raw).where(
                    drafts.c.quiz_id == self.quiz_id, drafts.c.student == student))}

    # -- attempts -----------------------------------------------------------------------------

    def attempts(self, student: str) -> list[Attempt]:
        with self.engine.connect() as conn:
            return [_attempt(r) for r in conn.execute(
                select(attempts).where(attempts.c.quiz_id == self.quiz_id,
                                       attempts.c.student == student)
                .order_by(attempts.c.attempt))]

    def reserve(self, student: str, number: int, answers: dict[str, str]) -> Attempt:
        """Record attempt ``number`` (and drop the student's drafts) in one transaction;
        raises AlreadySubmitted if that number is taken."""
        now = _now()
        try:
            with self.engine.begin() as conn:
                conn.execute(attempts.insert(), [{
                    "quiz_id": self.quiz_id, "student": student, "attempt": number,
                    "answers": json.dumps(answers, ensure_ascii=False, sort_keys=True),
                    "submitted_at": now, "graded_at": None}])
                conn.execute(delete(drafts).where(drafts.c.quiz_id == self.quiz_id,
                                                  drafts.c.student == student))
        except IntegrityError:
            raise AlreadySubmitted(student) from None
        return Attempt(student, number, answers, now, None)

    def mark_graded(self, student: str, number: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(attempts).where(
                attempts.c.quiz_id == self.quiz_id, attempts.c.student == student,
                attempts.c.attempt == number).values(graded_at=_now()))

    def ungraded(self) -> list[Attempt]:
        with self.engine.connect() as conn:
            return [_attempt(r) for r in conn.execute(
                select(attempts).where(attempts.c.quiz_id == self.quiz_id,
                                       attempts.c.graded_at.is_(None))
                .order_by(attempts.c.id))]

    def latest_attempts(self) -> dict[str, tuple[Attempt, int]]:
        """{student: (their latest attempt, how many they made)}."""
        counts = (select(attempts.c.student, func.max(attempts.c.attempt).label("n"))
                  .where(attempts.c.quiz_id == self.quiz_id)
                  .group_by(attempts.c.student).subquery())
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(attempts).join(counts, (counts.c.student == attempts.c.student)
                                      & (counts.c.n == attempts.c.attempt))
                .where(attempts.c.quiz_id == self.quiz_id))
            return {r.student: (_attempt(r), r.attempt) for r in rows}

    def count_attempts(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(attempts).where(
                attempts.c.quiz_id == self.quiz_id)).scalar_one()
