"""Server-side sessions, kept in the gradebook's database.

A signed-in browser holds only a random session id (256 bits) in its cookie; everything else
lives in the ``web_sessions`` table, so every ``quizgen serve`` process on the same database
sees the same sessions, and ending one (sign-out, the teacher's "end all sessions", the idle
timeout, the absolute lifetime) takes effect at once everywhere. The table keeps the SHA-256 of
the id, never the id, so a copy of the database signs nobody in (as with the students' tokens).

Tables (SQLAlchemy Core, SQLite and PostgreSQL)::

    web_sessions   digest (unique) -> quiz, role, subject, how it began, JSON data,
                   created / last seen / expires (epoch seconds), idle limit
    web_secrets    name -> a random value shared by every process on the database (the key
                   that signs the anonymous cookie below)

``role`` is ``student`` or ``teacher`` and ``subject`` the student id; ``method`` records how
the session began (``token``, ``admin-token``), so a later sign-in method (an LMS launch) adds
a method, not a table, and a per-session ``idle_seconds`` lets it choose its own idle limit.
``data`` is what a page keeps per session (CSRF token, language).

Before sign-in a visitor has no row: the CSRF token of the sign-in form and the chosen language
ride in a small signed cookie instead, so anonymous visits cannot fill the database. The cookie
is ``__Host-quizgen`` when it is ``Secure`` (``--secure-cookies``, or a request that arrived over
HTTPS, as a trusted proxy reports it), which pins it to this host and path ``/``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.datastructures import CallbackDict

from .store import web_metadata

web_sessions = Table(
    "web_sessions", web_metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("quiz_id", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("subject", String),
    Column("method", String(32), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("idle_seconds", Float, nullable=False),
    Index("ix_web_sessions_quiz_subject", "quiz_id", "subject"),
    Index("ix_web_sessions_expires", "expires_at"),
)
web_secrets = Table(
    "web_secrets", web_metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

COOKIE = "quizgen_session"
SECURE_COOKIE = "__Host-quizgen"  # the prefix a browser honours only with Secure, Path=/
IDLE_MINUTES = 60  # no request for an hour ends a session (the live preview counts as one)
LIFETIME_MINUTES = 4 * 60  # a 3-hour exam, with room to start late
MAX_COOKIE = 4096


@dataclass(frozen=True)
class Lifetimes:
    idle: float = IDLE_MINUTES * 60.0  # seconds
    absolute: float = LIFETIME_MINUTES * 60.0

    def __post_init__(self) -> None:
        if not (0 < self.idle and 0 < self.absolute):
            raise ValueError("session lifetimes must be positive")


@dataclass(frozen=True)
class SessionRow:
    digest: str
    role: str
    subject: str | None
    data: dict[str, Any]
    seen_at: float


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", errors="surrogatepass")).hexdigest()


class SessionStore:
    """The ``web_sessions`` rows of one quiz."""

    def __init__(self, engine: Engine, quiz_id: int, lifetimes: Lifetimes | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.quiz_id = quiz_id
        self.lifetimes = lifetimes or Lifetimes()
        self.clock = clock
        # Refreshing "last seen" is a write: at most once a minute per session is plenty.
        self.touch_after = min(60.0, self.lifetimes.idle / 4)
        self._swept = 0.0
        self._sweep_lock = threading.Lock()
        web_metadata.create_all(engine)

    def _live(self, now: float):
        return ((web_sessions.c.quiz_id == self.quiz_id) & (web_sessions.c.expires_at > now)
                & (web_sessions.c.seen_at + web_sessions.c.idle_seconds > now))

    def create(self, role: str, subject: str | None, method: str,
               data: dict[str, Any]) -> str:
        """A new session; returns its id (the cookie's value), which is stored only hashed."""
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(web_sessions.insert(), [{
                "digest": digest(session_id), "quiz_id": self.quiz_id, "role": role,
                "subject": subject, "method": method, "data": json.dumps(data),
                "created_at": now, "seen_at": now, "expires_at": now + self.lifetimes.absolute,
                "idle_seconds": self.lifetimes.idle}])
        self._sweep(now)
        return session_id

    def find(self, session_id: str) -> SessionRow | None:
        """The live session with this id (refreshing its last-seen time), else None."""
        if not session_id or len(session_id) > 128:
            return None
        now = self.clock()
        key = digest(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(web_sessions).where(
                web_sessions.c.digest == key, self._live(now))).first()
        if row is None:
            return None
        if now - row.seen_at > self.touch_after:
            try:
                with self.engine.begin() as conn:
                    conn.execute(update(web_sessions).where(web_sessions.c.digest == key)
                                 .values(seen_at=now))
            except OperationalError:
                pass  # a busy SQLite writer: the next request refreshes it
        try:
            data = json.loads(row.data)
        except ValueError:
            data = {}
        return SessionRow(key, row.role, row.subject, data if isinstance(data, dict) else {},
                          now)

    def save_data(self, key: str, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.digest == key)
                         .values(data=json.dumps(data)))

    def end(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.digest == key))

    def end_all(self, *, keep: str | None = None) -> int:
        """End every session of this quiz but ``keep``'s; returns how many live ones ended."""
        now = self.clock()
        with self.engine.begin() as conn:
            live = conn.execute(select(web_sessions.c.digest).where(self._live(now))).scalars()
            ended = sum(1 for key in live if key != keep)
            where = web_sessions.c.quiz_id == self.quiz_id
            if keep is not None:
                where = where & (web_sessions.c.digest != keep)
            conn.execute(delete(web_sessions).where(where))
        return ended

    def count(self) -> int:
        """Live sessions of this quiz."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(web_sessions).where(
                self._live(self.clock()))).scalar_one()

    def _sweep(self, now: float) -> None:
        """Delete this quiz's dead rows, at most every five minutes per process."""
        with self._sweep_lock:
            if now - self._swept < 300:
                return
            self._swept = now
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(
                web_sessions.c.quiz_id == self.quiz_id,
                (web_sessions.c.expires_at <= now)
                | (web_sessions.c.seen_at + web_sessions.c.idle_seconds <= now)))

    def shared_secret(self, name: str) -> str:
        """A random value under ``name``, the same for every process on this database."""
        with self.engine.connect() as conn:
            value = conn.execute(select(web_secrets.c.value).where(
                web_secrets.c.name == name)).scalar()
        if value is not None:
            return value
        try:
            with self.engine.begin() as conn:
                conn.execute(web_secrets.insert(), [{"name": name,
                                                     "value": secrets.token_urlsafe(32),
                                                     "created_at": self.clock()}])
        except IntegrityError:
            pass  # another process made it first: use theirs
        with self.engine.connect() as conn:
            return conn.execute(select(web_secrets.c.value).where(
                web_secrets.c.name == name)).scalar_one()


class WebSession(CallbackDict, SessionMixin):
    """``flask.session``: a dict of page data (CSRF token, language) plus who signed in.

    ``role``/``subject`` come from the database row and change only through :meth:`start`
    and :meth:`end`; ``ended_by_server`` says a cookie named a session that no longer lives.
    """

    def __init__(self, data: dict[str, Any] | None = None, *, key: str | None = None,
                 role: str | None = None, subject: str | None = None) -> None:
        def on_update(_self) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.key, self.role, self.subject = key, role, subject
        self.new_id: str | None = None  # a session begun by this request: set its cookie
        self.ended_key: str | None = None  # a session ended by this request: delete its row
        self.ended_by_server = False
        self.modified = False

    def start(self, store: SessionStore, role: str, subject: str | None, method: str,
              data: dict[str, Any]) -> None:
        """Sign in: a fresh session id (never one the browser offered), fresh data."""
        if self.key is not None:
            self.ended_key = self.key
        self.new_id = store.create(role, subject, method, data)
        self.key, self.role, self.subject = digest(self.new_id), role, subject
        self.clear()
        self.update(data)
        self.modified = False  # stored already

    def end(self, keep: dict[str, Any] | None = None) -> None:
        """Sign out: the row goes, the browser keeps an anonymous session with ``keep``."""
        if self.key is not None:
            self.ended_key = self.key
        self.key = self.role = self.subject = self.new_id = None
        self.clear()
        self.update(keep or {})


class ServerSessions(SessionInterface):
    """Flask's session interface over :class:`SessionStore` and the anonymous signed cookie.

    ``suffix`` names the cookie apart when one server hosts several quizzes (each its own
    app, its own sessions), so signing in to one does not sign the browser out of another.
    """

    def __init__(self, store: SessionStore, secret: str, *, always_secure: bool = False,
                 suffix: str = "") -> None:
        self.store = store
        self.always_secure = always_secure
        self.suffix = f"-{suffix}" if suffix else ""
        self.anonymous = URLSafeTimedSerializer(secret, salt="quizgen-anonymous-session")

    def secure(self, request: Request) -> bool:
        return self.always_secure or request.is_secure

    def cookie_name(self, request: Request) -> str:
        return (SECURE_COOKIE if self.secure(request) else COOKIE) + self.suffix

    def issue(self, request: Request, response: Response, session_id: str, *,
              cross_site: bool = False) -> None:
        """Set the cookie of a session begun elsewhere (an LMS launch).

        ``cross_site``: the pages are shown in an LMS's iframe, where a ``SameSite=Lax``
        cookie is never sent: over HTTPS the cookie is ``SameSite=None; Secure;
        Partitioned`` (kept apart per LMS site, so it works where third-party cookies are
        blocked). Over plain HTTP browsers refuse ``SameSite=None``, so it stays ``Lax``.
        """
        secure = self.secure(request)
        extra = {"samesite": "None", "partitioned": True} if cross_site and secure else \
            {"samesite": "Lax"}
        response.set_cookie(self.cookie_name(request), "s." + session_id, path="/",
                            secure=secure, httponly=True, **extra)

    def open_session(self, app: Flask, request: Request) -> WebSession:
        raw = request.cookies.get(self.cookie_name(request), "")
        if len(raw) > MAX_COOKIE:
            raw = ""
        if raw.startswith("s."):
            row = self.store.find(raw[2:])
            if row is not None:
                return WebSession(row.data, key=row.digest, role=row.role, subject=row.subject)
            session = WebSession()
            session.ended_by_server = True
            return session
        if raw.startswith("a."):
            try:
                data = self.anonymous.loads(raw[2:], max_age=self.store.lifetimes.absolute)
            except (BadSignature, ValueError):
                data = None
            if isinstance(data, dict):
                return WebSession({k: v for k, v in data.items() if isinstance(v, str)})
        return WebSession()

    def save_session(self, app: Flask, session: WebSession, response: Response) -> None:
        name, secure = self.cookie_name(request), self.secure(request)
        if session.ended_key is not None:
            self.store.end(session.ended_key)
        if session.key is not None:
            if session.modified:
                self.store.save_data(session.key, dict(session))
            value = "s." + session.new_id if session.new_id else None
        elif session.modified or session.ended_key is not None or session.ended_by_server:
            value = "a." + self.anonymous.dumps(dict(session)) if session else ""
        else:
            return
        if value is None:
            return
        if value == "":
            response.delete_cookie(name, path="/", secure=secure, httponly=True,
                                   samesite="Lax")
            return
        # A session cookie (no Max-Age): closing the browser drops it; the server enforces
        # the idle timeout and the lifetime whatever the browser keeps.
        response.set_cookie(name, value, path="/", secure=secure, httponly=True,
                            samesite="Lax")

