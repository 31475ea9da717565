"""What the LTI tool keeps, in the gradebook's database (SQLAlchemy Core; SQLite, PostgreSQL),
so that several ``quizgen serve`` processes behind one proxy work as one tool:

    lti_values     pylti1p3's launch data storage: login nonces (each taken once), launch
                   data a deep-linking choice comes back to; every value expires
    lti_links      a resource link of a platform (iss, client, deployment, link id) -> the
                   quiz it opens, its Assignment and Grade Services claim, its roster URL
    lti_learners   (quiz, iss, sub) -> the student id, name and email of an LMS user
    lti_enrolments which links a learner launched: where their scores go
    lti_scores     the score outbox: one row per (link, learner), the latest score, and how
                   sending it went (pending, sent, failed; tries, next try, last error)

A score row is written in the same breath as the grade that caused it and is sent afterwards
(:mod:`quizgen.web.lti.passback`), so a platform that is down or refuses loses no grade.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy import (
    Column,
    Float,
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

from ..store import upsertable

lti_metadata = MetaData()

values = Table(
    "lti_values", lti_metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)
links = Table(
    "lti_links", lti_metadata,
    Column("id", Integer, primary_key=True),
    Column("iss", String, nullable=False),
    Column("client_id", String, nullable=False),
    Column("deployment_id", String, nullable=False),
    Column("resource_link_id", String, nullable=False),
    Column("quiz", String, nullable=False),
    Column("title", String, nullable=False, default=""),
    Column("context_id", String, nullable=False, default=""),
    Column("context_title", String, nullable=False, default=""),
    Column("ags", Text),  # JSON: the launch's AGS endpoint claim
    Column("nrps_url", Text),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("iss", "client_id", "deployment_id", "resource_link_id"),
)
learners = Table(
    "lti_learners", lti_metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz", String, nullable=False),
    Column("iss", String, nullable=False),
    Column("sub", String, nullable=False),
    Column("student", String, nullable=False),
    Column("name", String, nullable=False, default=""),
    Column("email", String, nullable=False, default=""),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("quiz", "iss", "sub"),
    UniqueConstraint("quiz", "student"),
)
enrolments = Table(
    "lti_enrolments", lti_metadata,
    Column("id", Integer, primary_key=True),
    Column("link_id", Integer, nullable=False),
    Column("quiz", String, nullable=False),
    Column("student", String, nullable=False),
    UniqueConstraint("link_id", "student"),
)
scores = Table(
    "lti_scores", lti_metadata,
    Column("id", Integer, primary_key=True),
    Column("link_id", Integer, nullable=False),
    Column("quiz", String, nullable=False),
    Column("student", String, nullable=False),
    Column("user_id", String, nullable=False),  # the platform's sub
    Column("score_given", Float, nullable=False),
    Column("score_maximum", Float, nullable=False),
    Column("timestamp", String, nullable=False),  # ISO 8601, when the grade was made
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("tries", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=False),
    Column("version", Integer, nullable=False),  # bumped by every new score: a send is of one
    Column("last_error", Text, nullable=False),
    Column("sent_at", Float),
    UniqueConstraint("link_id", "student"),
)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@dataclass(frozen=True)
class Link:
    id: int
    iss: str
    client_id: str
    deployment_id: str
    resource_link_id: str
    quiz: str
    title: str
    context_id: str
    context_title: str
    ags: dict[str, Any] | None
    nrps_url: str | None


@dataclass(frozen=True)
class ScoreRow:
    id: int
    link_id: int
    quiz: str
    student: str
    user_id: str
    score_given: float
    score_maximum: float
    timestamp: str
    status: str
    tries: int
    next_at: float
    version: int
    last_error: str
    sent_at: float | None


def _link(row) -> Link:
    return Link(row.id, row.iss, row.client_id, row.deployment_id, row.resource_link_id,
                row.quiz, row.title, row.context_id, row.context_title,
                json.loads(row.ags) if row.ags else None, row.nrps_url)


def _score(row) -> ScoreRow:
    return ScoreRow(row.id, row.link_id, row.quiz, row.student, row.user_id, row.score_given,
                    row.score_maximum, row.timestamp, row.status, row.tries, row.next_at,
                    row.version, row.last_error, row.sent_at)


class LtiStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self._swept = 0.0
        lti_metadata.create_all(engine)

    def _insert(self, table: Table):
        return upsertable(self.engine, table)

    # -- values that expire (pylti1p3's launch data storage) ----------------------------------

    def get_value(self, key: str) -> Any:
        with self.engine.connect() as conn:
            raw = conn.execute(select(values.c.value).where(
                values.c.key == key, values.c.expires_at > self.clock())).scalar()
        return None if raw is None else json.loads(raw)

    def set_value(self, key: str, value: Any, lifetime: float) -> None:
        now = self.clock()
        stmt = self._insert(values)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at})
        with self.engine.begin() as conn:
            conn.execute(stmt, [{"key": key, "value": json.dumps(value),
                                 "expires_at": now + lifetime}])
        self.sweep(now)

    def take(self, key: str) -> bool:
        """Delete ``key`` if it is there and live; True for exactly one caller, whichever
        process it runs in (a nonce is used once)."""
        with self.engine.begin() as conn:
            gone = conn.execute(delete(values).where(
                values.c.key == key, values.c.expires_at > self.clock()))
        return gone.rowcount == 1

    def drop(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(values).where(values.c.key == key))

    def sweep(self, now: float) -> None:
        """Delete expired values, at most once a minute per process."""
        if now - self._swept < 60:
            return
        self._swept = now
        with self.engine.begin() as conn:
            conn.execute(delete(values).where(values.c.expires_at <= now))

    # -- links and learners -------------------------------------------------------------------

    def save_link(self, *, iss: str, client_id: str, deployment_id: str, resource_link_id: str,
                  quiz: str, title: str, context_id: str, context_title: str,
                  ags: dict[str, Any] | None, nrps_url: str | None) -> Link:
        row = {"iss": iss, "client_id": client_id, "deployment_id": deployment_id,
               "resource_link_id": resource_link_id, "quiz": quiz, "title": title,
               "context_id": context_id, "context_title": context_title,
               "ags": json.dumps(ags) if ags else None, "nrps_url": nrps_url,
               "updated_at": self.clock()}
        stmt = self._insert(links)
        stmt = stmt.on_conflict_do_update(
            index_elements=["iss", "client_id", "deployment_id", "resource_link_id"],
            set_={k: getattr(stmt.excluded, k) for k in
                  ("quiz", "title", "context_id", "context_title", "ags", "nrps_url",
                   "updated_at")})
        with self.engine.begin() as conn:
            conn.execute(stmt, [row])
            found = conn.execute(select(links).where(
                links.c.iss == iss, links.c.client_id == client_id,
                links.c.deployment_id == deployment_id,
                links.c.resource_link_id == resource_link_id)).one()
        return _link(found)

    def link(self, link_id: int) -> Link | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(links).where(links.c.id == link_id)).first()
        return _link(row) if row else None

    def links_of(self, quiz: str) -> list[Link]:
        with self.engine.connect() as conn:
            return [_link(r) for r in conn.execute(
                select(links).where(links.c.quiz == quiz).order_by(links.c.id))]

    def learner(self, quiz: str, iss: str, sub: str, *, name: str = "", email: str = "",
                taken: Callable[[str], bool] = lambda _: False) -> str:
        """The student id of the platform's user ``sub`` in ``quiz``: ``sub`` itself, as the
        roster id ``make --students`` would seed from, unless a student of another origin
        (a token roster, another platform) has that id; then ``sub@platform-host``."""
        with self.engine.connect() as conn:
            found = conn.execute(select(learners.c.student, learners.c.name, learners.c.email)
                                 .where(learners.c.quiz == quiz, learners.c.iss == iss,
                                        learners.c.sub == sub)).first()
        if found is not None:
            if (name and name != found.name) or (email and email != found.email):
                with self.engine.begin() as conn:
                    conn.execute(update(learners).where(
                        learners.c.quiz == quiz, learners.c.iss == iss, learners.c.sub == sub)
                        .values(name=name or found.name, email=email or found.email,
                                updated_at=self.clock()))
            return found.student
        host = urlsplit(iss).hostname or iss
        for candidate in (sub, f"{sub}@{host}", f"{sub}@{iss}"):
            if taken(candidate):
                continue
            try:
                with self.engine.begin() as conn:
                    conn.execute(learners.insert(), [{
                        "quiz": quiz, "iss": iss, "sub": sub, "student": candidate,
                        "name": name, "email": email, "updated_at": self.clock()}])
                return candidate
            except IntegrityError:  # another process was first: with this user, or this id
                return self.learner(quiz, iss, sub, name=name, email=email,
                                    taken=lambda s, used=candidate: s == used or taken(s))
        raise ValueError(f"no free student id for {sub!r} of {iss!r}")

    def learners_of(self, quiz: str) -> dict[str, str]:
        """{student: name} of the quiz's LMS users, in the order they arrived."""
        with self.engine.connect() as conn:
            return {r.student: r.name for r in conn.execute(
                select(learners.c.student, learners.c.name).where(learners.c.quiz == quiz)
                .order_by(learners.c.id))}

    def learner_details(self, quiz: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(learners).where(learners.c.quiz == quiz)
                                     .order_by(learners.c.id)))

    def enrol(self, link: Link, student: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._insert(enrolments).on_conflict_do_nothing(),
                         [{"link_id": link.id, "quiz": link.quiz, "student": student}])

    def user_id(self, quiz: str, student: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(learners.c.sub).where(
                learners.c.quiz == quiz, learners.c.student == student)).scalar()

    # -- the score outbox ---------------------------------------------------------------------

    def queue_score(self, quiz: str, student: str, points: float, maximum: float,
                    timestamp: str) -> int:
        """Make (points, maximum) the score to send to every graded link the learner
        launched, replacing one not yet sent; returns how many links will get it."""
        user_id = self.user_id(quiz, student)
        if user_id is None:
            return 0
        now = self.clock()
        with self.engine.begin() as conn:
            targets = [_link(r) for r in conn.execute(
                select(links).join(enrolments, enrolments.c.link_id == links.c.id)
                .where(enrolments.c.quiz == quiz, enrolments.c.student == student))]
            targets = [t for t in targets if t.ags and t.ags.get("lineitem")
                       and SCORE_SCOPE in (t.ags.get("scope") or [])]
            for t in targets:
                fresh = {"score_given": points, "score_maximum": maximum,
                         "timestamp": timestamp, "status": "pending", "tries": 0,
                         "next_at": now, "last_error": "", "user_id": user_id}
                stmt = self._insert(scores)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["link_id", "student"],
                    set_={**fresh, "version": scores.c.version + 1})
                conn.execute(stmt, [{"link_id": t.id, "quiz": quiz, "student": student,
                                     "claimed_until": 0.0, "version": 1, "sent_at": None,
                                     **fresh}])
        return len(targets)

    def due_scores(self, limit: int = 20) -> list[ScoreRow]:
        now = self.clock()
        with self.engine.connect() as conn:
            return [_score(r) for r in conn.execute(
                select(scores).where(scores.c.status == "pending", scores.c.next_at <= now,
                                     scores.c.claimed_until <= now)
                .order_by(scores.c.next_at).limit(limit))]

    def claim(self, row: ScoreRow, lease: float) -> bool:
        """Take the row for sending for ``lease`` seconds; False if another process has it
        or its score changed meanwhile."""
        now = self.clock()
        with self.engine.begin() as conn:
            got = conn.execute(update(scores).where(
                scores.c.id == row.id, scores.c.version == row.version,
                scores.c.status == "pending", scores.c.claimed_until <= now)
                .values(claimed_until=now + lease))
        return got.rowcount == 1

    def finish(self, row: ScoreRow, *, sent: bool, error: str = "", retry_at: float | None = None,
               ) -> None:
        """Record how sending version ``row.version`` went. A newer score queued meanwhile
        stays pending (and is sent next), whatever happened to this one."""
        values_ = {"claimed_until": 0.0}
        if sent:
            values_.update(status="sent", sent_at=self.clock(), last_error="")
        else:
            values_.update(status="pending" if retry_at is not None else "failed",
                           tries=row.tries + 1, next_at=retry_at or 0.0,
                           last_error=error[:500])
        with self.engine.begin() as conn:
            changed = conn.execute(update(scores).where(
                scores.c.id == row.id, scores.c.version == row.version).values(**values_))
            if changed.rowcount == 0:  # superseded: only give the claim back
                conn.execute(update(scores).where(scores.c.id == row.id)
                             .values(claimed_until=0.0))

    def resend(self, quiz: str, ids: list[int] | None = None) -> int:
        """Send again: the given rows of ``quiz`` (default: every failed one)."""
        where = scores.c.quiz == quiz
        where = where & (scores.c.id.in_(ids) if ids else scores.c.status == "failed")
        with self.engine.begin() as conn:
            done = conn.execute(update(scores).where(where).values(
                status="pending", tries=0, next_at=self.clock(), claimed_until=0.0,
                version=scores.c.version + 1))
        return done.rowcount

    def scores_of(self, quiz: str) -> list[ScoreRow]:
        with self.engine.connect() as conn:
            return [_score(r) for r in conn.execute(
                select(scores).where(scores.c.quiz == quiz).order_by(scores.c.id))]

    def score_counts(self, quiz: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r.status: r.n for r in conn.execute(
                select(scores.c.status, func.count().label("n")).where(scores.c.quiz == quiz)
                .group_by(scores.c.status))}

    def counts(self) -> dict[str, int]:
        """Rows per table (what a refused launch must leave as it was)."""
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in lti_metadata.sorted_tables}


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch data storage over ``lti_values``: what one process stores at the
    OIDC login, any process finds at the launch."""

    def __init__(self, store: LtiStore, lifetime: float = 3600.0) -> None:
        super().__init__()
        self.store = store
        self.lifetime = lifetime

    def get_session_cookie_name(self) -> None:
        return None  # keys are random (nonces, launch ids): nothing to scope them by

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self.store.get_value(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.store.set_value(self._prepare_key(key), value, float(exp or self.lifetime))

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def take_value(self, key: str) -> bool:
        return self.store.take(self._prepare_key(key))

    def drop_value(self, key: str) -> None:
        self.store.drop(self._prepare_key(key))

