"""The gradebook: every answer a class submitted and every verdict it got, in one SQL database.

This is the only module that touches the database, through SQLAlchemy Core, so another engine
is a different URL (``postgresql://...``), not a different module. A plain path means a SQLite
file, opened in WAL mode with ``synchronous=FULL``.

Tables::

    quizzes      one row per quiz, keyed by its identity (seed, topic, question ids, families)
    specs        grading rules (answer, kind, tolerance, points, mistakes), keyed by their SHA-256
    variants     (quiz, variant, question) -> the spec now in force; variant "" is the shared quiz
    students     (quiz, student) -> variant, name, SHA-256 of the web token (never the token)
    submissions  raw text exactly as received, unique on (quiz, student, question, text hash)
    verdicts     one per (submission, spec, grader version, context): status, score, points,
                 feedback, interpreted, method, mistake
    quiz_secrets (quiz) -> the secret the grader draws its sample points from: never in
                 quiz.json or a page, so nobody can predict them; kept here, so a regrade
                 draws the same points and reproduces every verdict

A multi-part question is stored part by part: each part is an answer of its own, with the
answer id ``q3.a`` as its question id and its own spec (its answer, kind, tolerance, points and
mistakes; for a dependent part also the parts it ``uses``, with their kinds, its ``formula`` and
the quiz's ``follow_through`` credit). A dependent part's verdict depends on the student's own
earlier answers too (follow-through, quizgen/multipart.py), so it is graded with them and its
verdict's ``context`` is the SHA-256 of the raw texts of the parts it uses ("" for every other
answer): a changed earlier answer finds no verdict in its new context and grades the later part
again, and the verdict of each context stays.

A key fix changes a variant's spec hash; the verdicts of the old key stay (history), and the
current verdict of an answer is the one graded under its variant's current spec. Grading the
same file twice therefore adds nothing: its submissions already exist and already have a
verdict under the current spec. Writes are committed per chunk of students *before* the caller
hears about them, so a killed process loses nothing it had reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable

from . import __version__
from .grading import ExpectedError, Verdict, check
from .model import Part, Question, Quiz
from .multipart import METHOD as FOLLOW_THROUGH
from .multipart import apply_follow_through, read_value

GRADER_VERSION = f"quizgen {__version__}"
SHARED = ""  # the variant of every student of a quiz without a roster
DEFAULT_CHUNK = 25  # students per transaction: small enough to lose little, big enough to be fast
MEMO_LIMIT = 200_000  # remembered (key, answer) verdicts; a class types the same text often

metadata = MetaData()

quizzes = Table(
    "quizzes", metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(64), nullable=False, unique=True),
    Column("topic", String, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("title", String, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("question_ids", Text, nullable=False),  # JSON list, in quiz order
    Column("created_at", String, nullable=False),
)
specs = Table(
    "specs", metadata,
    Column("hash", String(64), primary_key=True),
    Column("spec", Text, nullable=False),  # canonical JSON
)
variants = Table(
    "variants", metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz_id", ForeignKey("quizzes.id"), nullable=False),
    Column("variant", String, nullable=False),
    Column("question_id", String, nullable=False),
    Column("spec_hash", ForeignKey("specs.hash"), nullable=False),
    UniqueConstraint("quiz_id", "variant", "question_id"),
)
students = Table(
    "students", metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz_id", ForeignKey("quizzes.id"), nullable=False),
    Column("student", String, nullable=False),
    Column("name", String, nullable=False, default=""),
    Column("variant", String, nullable=False),
    Column("token", String),
    UniqueConstraint("quiz_id", "student"),
)
submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("quiz_id", ForeignKey("quizzes.id"), nullable=False),
    Column("student", String, nullable=False),
    Column("question_id", String, nullable=False),
    Column("raw", Text, nullable=False),
    Column("raw_hash", String(64), nullable=False),
    Column("source", String, nullable=False),  # "answers.csv line 7"
    Column("received_at", String, nullable=False),
    # Arrival order within the quiz. A text sent again after a different one takes a new seq,
    # so "the latest answer" is the last one sent even when it repeats an earlier row.
    Column("seq", Integer, nullable=False),
    UniqueConstraint("quiz_id", "student", "question_id", "raw_hash"),
)
verdicts = Table(
    "verdicts", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", ForeignKey("submissions.id"), nullable=False),
    Column("spec_hash", ForeignKey("specs.hash"), nullable=False),
    Column("grader_version", String, nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=False),  # fraction of the question, 0..1
    Column("points", Float, nullable=False),  # score * the question's points
    Column("feedback", Text, nullable=False),
    Column("interpreted", Text, nullable=False),
    Column("method", String, nullable=False),
    Column("mistake", String),
    Column("graded_at", String, nullable=False),
    # SHA-256 of the raw answers a dependent part was graded with ("" for any other answer).
    Column("context", String(64), nullable=False, server_default=""),
    UniqueConstraint("submission_id", "spec_hash", "grader_version", "context"),
)
quiz_secrets = Table(
    "quiz_secrets", metadata,
    Column("quiz_id", ForeignKey("quizzes.id"), primary_key=True),
    Column("secret", String(64), nullable=False),  # hex
)


class GradebookError(ValueError):
    """The database cannot be opened or used, or the key it is asked to grade with is broken."""


# -- specs: what grading needs of a question ----------------------------------------------------

def question_spec(question: Question) -> dict[str, Any]:
    """The grading rules of a question: enough to grade without quiz.json, nothing more."""
    return {"family": question.family, **_rules(question)}


def _rules(unit: Question | Part) -> dict[str, Any]:
    """What grading reads of a question or a part (the spec, less where it comes from)."""
    return {
        "kind": unit.kind,
        "answer": unit.answer,
        "vars": list(unit.vars),
        "tolerance": dict(unit.tolerance),
        "points": unit.points,
        "mistakes": [{"name": m.name, "value": m.value, "feedback": m.feedback}
                     for m in unit.mistakes],
        "choices": [c["id"] for c in unit.choices],
    }


def answer_specs(question: Question, follow_through: str = "full") -> dict[str, dict[str, Any]]:
    """{answer id: spec}: the question's own spec, or one per part (``q3.a``, see the module)."""
    if not question.parts:
        return {question.id: question_spec(question)}
    kinds = {p.id: p.kind for p in question.parts}
    return {f"{question.id}.{p.id}": part_spec(question, p, kinds, follow_through)
            for p in question.parts}


def part_spec(question: Question, part: Part, kinds: dict[str, str],
              follow_through: str = "full") -> dict[str, Any]:
    """The grading rules of one part: a question's, plus, for a part that follows from earlier
    ones, the kinds of the parts it uses (how their answers are read as values), its formula
    and the credit follow-through earns."""
    spec = {"family": question.family, "part": part.id, **_rules(part)}
    if part.formula:
        spec.update(uses={u: kinds[u] for u in part.uses}, formula=part.formula,
                    follow_through=follow_through)
    return spec


def used_answers(answer_id: str, spec: dict[str, Any]) -> dict[str, str]:
    """{part id: answer id} of the earlier parts a dependent part uses ({} for any other)."""
    prefix = answer_id.rsplit(".", 1)[0]
    return {u: f"{prefix}.{u}" for u in spec.get("uses", {})}


def given_answers(answer_id: str, spec: dict[str, Any],
                  answers: Mapping[str, str]) -> dict[str, str] | None:
    """{part id: raw text} of the parts a dependent part uses, from a student's ``answers``
    {answer id: raw} (a part not answered counts as empty); None for an answer graded alone."""
    uses = used_answers(answer_id, spec)
    if not uses:
        return None
    return {u: answers.get(aid, "") for u, aid in uses.items()}


def context_hash(given: Mapping[str, str] | None) -> str:
    """A verdict's ``context``: "" for an answer graded alone, else the SHA-256 of the raw
    texts it was graded with."""
    if given is None:
        return ""
    return hashlib.sha256(json.dumps(dict(given), sort_keys=True).encode()).hexdigest()


def token_digest(token: str | None) -> str | None:
    """What the gradebook keeps of a web token: a copied database signs nobody in."""
    return None if token is None else hashlib.sha256(token.encode("utf-8")).hexdigest()


def spec_hash(spec: dict[str, Any]) -> str:
    canonical = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _raw_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", errors="surrogatepass")).hexdigest()


def quiz_identity(quiz: Quiz) -> str:
    """Stable across key fixes (answers, tolerances), different for a different quiz."""
    shape = [quiz.topic, quiz.seed, [(q.id, q.family) for q in quiz.questions]]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()


def grade_with_spec(spec: dict[str, Any], raw: str, lang: str, secret: bytes | None = None,
                    given: Mapping[str, str] | None = None) -> Verdict:
    """The verdict of ``raw`` under ``spec``; a dependent part's also follows through from
    ``given`` {part id: raw text}, the student's own answers to the parts it uses."""
    verdict = check(spec["answer"], raw, kind=spec["kind"], variables=spec["vars"],
                    mistakes=spec["mistakes"], lang=lang, choices=spec.get("choices", ()),
                    secret=secret, **spec["tolerance"])
    if not spec.get("formula"):
        return verdict
    given = given or {}
    values = {u: read_value(kind, given.get(u, "")) for u, kind in spec["uses"].items()}
    part = Part(spec["part"], {}, spec["kind"], spec["answer"], "", spec["tolerance"],
                spec["points"], {}, uses=list(spec["uses"]), formula=spec["formula"])
    return apply_follow_through(part, raw, values, verdict, spec["follow_through"], lang,
                                secret)


# -- what callers get back ---------------------------------------------------------------------

@dataclass
class Answer:
    """One student's answer to one question and its verdict under the current key."""

    student: str
    question_id: str
    raw: str
    verdict: Verdict | None  # None: not yet graded under the current key (run regrade)
    points: float = 0.0  # verdict.score * the question's points
    max_points: float = 0.0


@dataclass
class Graded:
    """A student's answers from one batch, committed to the database."""

    student: str
    where: str
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def points(self) -> float:
        return round(sum(a.points for a in self.answers.values()), 6)


@dataclass
class Change:
    """A verdict that a regrade changed."""

    student: str
    question_id: str
    raw: str
    before: Verdict | None
    after: Verdict
    points_before: float
    points_after: float


@dataclass
class QuizRecord:
    """A quiz as registered: its row id and the spec now in force for every (variant, question)."""

    id: int
    lang: str
    question_ids: list[str]
    specs: dict[tuple[str, str], tuple[str, dict[str, Any]]]  # (variant, qid) -> (hash, spec)
    variant_of: dict[str, str]  # student -> variant, for students known to the gradebook
    names: dict[str, str] = field(default_factory=dict)
    secret: bytes | None = None  # where the grader's sample points come from (quiz_secrets)
    _related: tuple[tuple[int, int], frozenset[str]] | None = field(
        default=None, repr=False, compare=False)

    def spec_for(self, student: str, question_id: str) -> tuple[str, dict[str, Any]]:
        return self.specs[(self.variant_of.get(student, SHARED), question_id)]

    def has(self, student: str, question_id: str) -> bool:
        """Whether the student's variant has this answer id under the key in force."""
        return (self.variant_of.get(student, SHARED), question_id) in self.specs

    def related(self) -> frozenset[str]:
        """The answer ids of dependent parts and of the parts they use (empty for a quiz
        without any): what grading a row must know of a student's stored answers. Computed
        once per ``specs`` (a class's variants hold many)."""
        key = (id(self.specs), len(self.specs))
        if self._related is None or self._related[0] != key:
            found: set[str] = set()
            for (_, aid), (_, spec) in self.specs.items():
                uses = used_answers(aid, spec)
                if uses:
                    found.add(aid)
                    found.update(uses.values())
            self._related = (key, frozenset(found))
        return self._related[1]


# -- the gradebook -----------------------------------------------------------------------------

def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL as given, or a file path as a SQLite URL."""
    target = str(target)
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def masked_url(url: str) -> str:
    """The URL as it may be shown: its password replaced by ``***``."""
    scheme = url.find("://")
    at = url.rfind("@")
    if scheme < 0 or at < scheme:
        return url
    colon = url.find(":", scheme + 3, at)
    return url if colon < 0 else url[:colon + 1] + "***" + url[at:]


def mask_secrets(text: str, url: str) -> str:
    """``text`` (an error message) without the URL's password in any spelling."""
    for spelling in _passwords(url):
        text = text.replace(spelling, "***")
    return text.replace(url, masked_url(url))


def _passwords(url: str) -> set[str]:
    """The password of ``url`` as written and percent-decoded ({} when there is none)."""
    from urllib.parse import unquote

    scheme, at = url.find("://"), url.rfind("@")
    colon = url.find(":", scheme + 3, at) if 0 <= scheme < at else -1
    if colon < 0 or colon + 1 == at:
        return set()
    raw = url[colon + 1:at]
    return {raw, unquote(raw)}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (a report) never block the grader. FULL: a commit survives power loss too,
    # not only a killed process; with a commit per chunk of students it costs little.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Gradebook:
    """A gradebook database; ``Gradebook("gradebook.sqlite")`` creates the file if needed."""

    def __init__(self, target: str | Path, *, create: bool = True) -> None:
        url = database_url(target)
        self.url = masked_url(url)  # for messages: never the password
        if url.startswith("sqlite:///") and not create:
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                raise GradebookError(f"{path}: no gradebook there (grade with --db first)")
        # Grading is a function of (spec, text, language) for one grader version, so a class's
        # many identical answers ("0", blanks, the right value) are graded once per key.
        self._memo: dict[tuple[str, str, str], Verdict] = {}
        try:
            self.engine: Engine = create_engine(url, hide_parameters=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            metadata.create_all(self.engine)
            self._add_verdict_context()
        except SQLAlchemyError as e:
            raise GradebookError(f"{self.url}: cannot open the gradebook "
                                 f"({mask_secrets(_reason(e), url)})") from None
        except ImportError as e:  # the URL names a driver that is not installed
            raise GradebookError(f"{self.url}: cannot open the gradebook (its database driver "
                                 f"is not installed: {e})") from None

    def close(self) -> None:
        self.engine.dispose()

    def _add_verdict_context(self) -> None:
        """A gradebook written before multi-part questions gets the verdicts' ``context``
        column, in the unique key with the rest, in one transaction; its verdicts keep theirs
        (every one was graded alone: context "")."""
        if "context" in {c["name"] for c in inspect(self.engine).get_columns("verdicts")}:
            return
        kept = ", ".join(c.name for c in verdicts.columns if c.name != "context")
        if self.engine.dialect.name == "sqlite":
            # SQLite changes no unique key in place: the table is made again, and the driver
            # opens no transaction before DDL by itself, so BEGIN is explicit.
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                for statement in (
                        "BEGIN IMMEDIATE",
                        "ALTER TABLE verdicts RENAME TO verdicts_before_parts",
                        str(CreateTable(verdicts).compile(dialect=self.engine.dialect)),
                        f"INSERT INTO verdicts ({kept}) SELECT {kept} FROM verdicts_before_parts",
                        "DROP TABLE verdicts_before_parts"):
                    cursor.execute(statement)
                raw.commit()
            except Exception as e:  # the driver's own errors (a locked file): said, not raised
                raw.rollback()
                raise GradebookError(f"{self.url}: cannot upgrade the gradebook to this "
                                     f"quizgen's tables ({e})") from None
            finally:
                raw.close()
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE verdicts ADD COLUMN context VARCHAR(64) "
                                 "NOT NULL DEFAULT ''")
            for unique in inspect(conn).get_unique_constraints("verdicts"):
                conn.exec_driver_sql(f'ALTER TABLE verdicts DROP CONSTRAINT "{unique["name"]}"')
            conn.exec_driver_sql("ALTER TABLE verdicts ADD UNIQUE (submission_id, spec_hash, "
                                 "grader_version, context)")

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _insert(self, table: Table):
        if self.engine.dialect.name == "sqlite":
            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)

    # -- registering a quiz and its key ------------------------------------------------------

    def register(self, quiz: Quiz, roster: Any = None,
                 tokens: dict[str, str] | None = None) -> QuizRecord:
        """Record ``quiz`` (and a roster's Variants) and make their key the one in force.

        Safe to call on every run: an unchanged key writes nothing; a changed answer or
        tolerance updates the variant's spec hash, after which its answers need regrading.
        """
        now = _now()
        wanted: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        for q in quiz.questions:
            for aid, spec in answer_specs(q, quiz.follow_through).items():
                wanted[(SHARED, aid)] = (spec_hash(spec), spec)
        roster_rows = []
        if roster is not None:
            for v in roster.students:
                for q in v.questions:
                    for aid, spec in answer_specs(q, quiz.follow_through).items():
                        wanted[(v.student.id, aid)] = (spec_hash(spec), spec)
                roster_rows.append({"student": v.student.id, "name": v.student.name,
                                    "variant": v.student.id,
                                    "token": token_digest((tokens or {}).get(v.student.id))})
        with self.engine.begin() as conn:
            identity = quiz_identity(quiz)
            conn.execute(self._insert(quizzes).on_conflict_do_nothing(), [{
                "identity": identity, "topic": quiz.topic, "seed": quiz.seed,
                "title": quiz.title, "lang": quiz.lang,
                "question_ids": json.dumps([q.id for q in quiz.questions]), "created_at": now}])
            quiz_id = conn.execute(
                select(quizzes.c.id).where(quizzes.c.identity == identity)).scalar_one()
            current = {(r.variant, r.question_id): r.spec_hash for r in conn.execute(
                select(variants.c.variant, variants.c.question_id, variants.c.spec_hash)
                .where(variants.c.quiz_id == quiz_id))}
            changed = {k: v for k, v in wanted.items() if current.get(k) != v[0]}
            if changed:
                known = set(conn.execute(select(specs.c.hash).where(
                    specs.c.hash.in_({h for h, _ in changed.values()}))).scalars())
                new_specs = {h: s for h, s in changed.values() if h not in known}
                if new_specs:
                    conn.execute(specs.insert(), [
                        {"hash": h, "spec": json.dumps(s, sort_keys=True, ensure_ascii=False)}
                        for h, s in new_specs.items()])
                stmt = self._insert(variants)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["quiz_id", "variant", "question_id"],
                    set_={"spec_hash": stmt.excluded.spec_hash}), [
                    {"quiz_id": quiz_id, "variant": k[0], "question_id": k[1], "spec_hash": h}
                    for k, (h, _) in changed.items()])
            if roster_rows:
                stmt = self._insert(students)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["quiz_id", "student"],
                    set_={"name": stmt.excluded.name, "variant": stmt.excluded.variant,
                          "token": func.coalesce(stmt.excluded.token, students.c.token)}),
                    [{"quiz_id": quiz_id, **r} for r in roster_rows])
            variant_of, names = {}, {}
            for r in conn.execute(select(students.c.student, students.c.variant,
                                         students.c.name).where(students.c.quiz_id == quiz_id)):
                variant_of[r.student], names[r.student] = r.variant, r.name
            secret = self._secret(conn, quiz_id)
        return QuizRecord(quiz_id, quiz.lang, _answer_ids(quiz, wanted), wanted,
                          variant_of, names, secret)

    def _secret(self, conn: Connection, quiz_id: int) -> bytes:
        """The quiz's point secret, drawn on first use (a gradebook made before secrets existed
        gets one the first time it is opened)."""
        conn.execute(self._insert(quiz_secrets).on_conflict_do_nothing(),
                     [{"quiz_id": quiz_id, "secret": os.urandom(32).hex()}])
        return bytes.fromhex(conn.execute(select(quiz_secrets.c.secret).where(
            quiz_secrets.c.quiz_id == quiz_id)).scalar_one())

    def load_record(self, quiz: Quiz) -> QuizRecord | None:
        """The quiz as the gradebook knows it, with the key in force there (None if unknown)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(quizzes.c.id, quizzes.c.lang).where(
                quizzes.c.identity == quiz_identity(quiz))).first()
            if row is None:
                return None
            specs_in_force = {}
            for r in conn.execute(
                    select(variants.c.variant, variants.c.question_id, specs.c.hash, specs.c.spec)
                    .join(specs, specs.c.hash == variants.c.spec_hash)
                    .where(variants.c.quiz_id == row.id)):
                specs_in_force[(r.variant, r.question_id)] = (r.hash, json.loads(r.spec))
            variant_of, names = {}, {}
            for r in conn.execute(select(students.c.student, students.c.variant,
                                         students.c.name).where(students.c.quiz_id == row.id)):
                variant_of[r.student], names[r.student] = r.variant, r.name
            secret = self._secret(conn, row.id)
        return QuizRecord(row.id, row.lang, _answer_ids(quiz, specs_in_force), specs_in_force,
                          variant_of, names, secret)

    # -- grading -----------------------------------------------------------------------------

    def grade(self, record: QuizRecord, rows: Iterable[Any], *, source: str = "",
              chunk: int = DEFAULT_CHUNK,
              on_graded: Callable[[Graded], None] | None = None,
              write_lock: Any = None) -> list[Graded]:
        """Store and grade ``rows`` (batch.Submission: student, answers, where).

        Only the questions a row holds are stored: a file without a column for q5 leaves every
        student's q5 as it was (an empty cell is an answer, the empty one). A chunk of students
        is committed in one transaction, and only then passed to ``on_graded``; an answer
        already graded under the current key is not graded again. Grading happens before the
        chunk's transaction opens, so a costly answer never holds the database's write lock
        (nor ``write_lock``, a lock the caller's writers share, taken around each transaction).

        A dependent part is graded with the student's own answers to the parts it uses: the
        row's, or the latest stored ones where the row has none. A row that changes such an
        earlier part also grades the later part the student answered before, in its new
        context (stored, not in the row's ``Graded``: the row did not hold it).
        """
        results: list[Graded] = []
        for group in _chunks(rows, chunk):
            stored = self._latest_raws(record, [row.student for row in group])
            items: list[_Item] = []
            graded = []
            for row in group:
                g = Graded(row.student, row.where)
                graded.append(g)
                items.extend(_items(record, g, row.answers, stored.get(row.student, {})))
            where = {g.student: f"{source} {g.where}".strip() for g in graded}
            known = self._verdicts_to_store(record, items)  # graded before the transaction
            with write_lock or contextlib.nullcontext(), self.engine.begin() as conn:
                self._ensure_students(conn, record, [g.student for g in graded])
                self._store_and_grade(conn, record, items, where, known)
            results.extend(graded)
            if on_graded:
                for g in graded:
                    on_graded(g)
        return results

    def _latest_raws(self, record: QuizRecord, names: list[str]) -> dict[str, dict[str, str]]:
        """{student: {answer id: latest raw}} of the parts whose answers other parts' verdicts
        depend on, and of those dependent parts ({} when the quiz has none)."""
        related = record.related()
        if not related:
            return {}
        out: dict[str, dict[str, str]] = {}
        with self.engine.connect() as conn:
            for r in self._latest_submissions(record, conn, names, sorted(related)):
                out.setdefault(r.student, {})[r.question_id] = r.raw
        return out

    def _verdicts_to_store(self, record: QuizRecord,
                           items: list[_Item]) -> dict[tuple[str, str, str], Verdict]:
        """{(spec hash, text, context): verdict} for the items not yet graded under the key in
        force, computed outside any transaction (a read-only look-up finds the graded ones)."""
        names = list({item.graded.student for item in items})
        with self.engine.connect() as conn:
            rows = self._submission_rows(conn, record, names)
            existing = self._existing_verdicts(conn, [r[0] for r in rows.values()])
        known: dict[tuple[str, str, str], Verdict] = {}
        for item in items:
            h, spec = record.spec_for(item.graded.student, item.aid)
            ctx = context_hash(item.given)
            row = rows.get((item.graded.student, item.aid, _raw_hash(item.raw)))
            if (row is None or (row[0], h, ctx) not in existing) \
                    and (h, item.raw, ctx) not in known:
                known[(h, item.raw, ctx)] = self._grade(h, spec, item.raw, record, item.aid,
                                                        item.given)
        return known

    def _ensure_students(self, conn: Connection, record: QuizRecord, names: list[str]) -> None:
        unknown = [s for s in names if s not in record.variant_of]
        if unknown:
            conn.execute(self._insert(students).on_conflict_do_nothing(), [
                {"quiz_id": record.id, "student": s, "name": "", "variant": SHARED}
                for s in unknown])
            for s in unknown:
                record.variant_of[s] = SHARED

    def _store_and_grade(self, conn: Connection, record: QuizRecord, items: list[_Item],
                         where: dict[str, str],
                         known: dict[tuple[str, str, str], Verdict]) -> None:
        now = _now()
        keyed = [(item, _raw_hash(item.raw)) for item in items]
        names = list({item.graded.student for item in items})
        rows = self._submission_rows(conn, record, names)
        next_seq = 1 + (conn.execute(select(func.max(submissions.c.seq))
                                     .where(submissions.c.quiz_id == record.id)).scalar() or 0)
        latest: dict[tuple[str, str], int] = {}
        for (student, qid, _), (_, seq) in rows.items():
            latest[(student, qid)] = max(seq, latest.get((student, qid), 0))
        new, resent = [], []
        for item, h in keyed:
            student, qid = item.graded.student, item.aid
            row = rows.get((student, qid, h))
            if row is None:
                new.append({"quiz_id": record.id, "student": student, "question_id": qid,
                            "raw": item.raw, "raw_hash": h, "source": where.get(student, ""),
                            "received_at": now, "seq": next_seq})
            elif row[1] != latest[(student, qid)]:  # an earlier text sent again
                resent.append({"row_id": row[0], "new_seq": next_seq})
            else:
                continue  # already the latest: re-running a batch changes nothing
            next_seq += 1
        if new:  # a concurrent writer may have stored the same text meanwhile: keep theirs
            conn.execute(self._insert(submissions).on_conflict_do_nothing(), new)
        if resent:
            conn.execute(submissions.update().where(submissions.c.id == bindparam("row_id"))
                         .values(seq=bindparam("new_seq")), resent)
        rows = self._submission_rows(conn, record, names) if new else rows
        sub_ids = [rows[(item.graded.student, item.aid, h)][0] for item, h in keyed]
        existing = self._existing_verdicts(conn, sub_ids)
        new_rows = []
        for (item, _), sub_id in zip(keyed, sub_ids):
            g, qid, raw = item.graded, item.aid, item.raw
            h, spec = record.spec_for(g.student, qid)
            ctx = context_hash(item.given)
            verdict = existing.get((sub_id, h, ctx))
            if verdict is None:
                verdict = known.get((h, raw, ctx)) or self._grade(h, spec, raw, record, qid,
                                                                  item.given)
                new_rows.append(_verdict_row(sub_id, h, spec, verdict, now, ctx))
            if item.held:
                g.answers[qid] = Answer(g.student, qid, raw, verdict,
                                        round(verdict.score * spec["points"], 6),
                                        spec["points"])
        if new_rows:  # one row per (answer, key, context), even where an item came twice
            conn.execute(verdicts.insert(), list({(r["submission_id"], r["context"]): r
                                                  for r in new_rows}.values()))

    @staticmethod
    def _submission_rows(conn: Connection, record: QuizRecord,
                         names: list[str]) -> dict[tuple[str, str, str], tuple[int, int]]:
        """{(student, question, text hash): (row id, seq)} of these students' submissions."""
        return {(r.student, r.question_id, r.raw_hash): (r.id, r.seq) for r in conn.execute(
            select(submissions.c.id, submissions.c.student, submissions.c.question_id,
                   submissions.c.raw_hash, submissions.c.seq)
            .where(submissions.c.quiz_id == record.id, submissions.c.student.in_(names)))}

    def _grade(self, h: str, spec: dict[str, Any], raw: str, record: QuizRecord,
               qid: str, given: Mapping[str, str] | None = None) -> Verdict:
        memo_key = (h, raw, record.lang, record.secret, context_hash(given))
        verdict = self._memo.get(memo_key)
        if verdict is None:
            try:
                verdict = grade_with_spec(spec, raw, record.lang, record.secret, given)
            except ExpectedError as e:
                raise GradebookError(f"question {qid}: the key is malformed ({e})") from None
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            if not verdict.timed_out:  # out of time once is no reason to give up next time
                self._memo[memo_key] = verdict
        return verdict

    def _existing_verdicts(self, conn: Connection,
                           sub_ids: list[int]) -> dict[tuple[int, str, str], Verdict]:
        """{(submission, spec hash, context): verdict} of this grader version."""
        found = {}
        for start in range(0, len(sub_ids), 5000):  # bound the number of SQL parameters
            part = sub_ids[start:start + 5000]
            for r in conn.execute(select(verdicts).where(
                    verdicts.c.submission_id.in_(part),
                    verdicts.c.grader_version == GRADER_VERSION)):
                found[(r.submission_id, r.spec_hash, r.context)] = _verdict_of(r)
        return found

    # -- regrading ---------------------------------------------------------------------------

    def regrade(self, record: QuizRecord, before: list[Answer], *, chunk: int = 200,
                on_change: Callable[[Change], None] | None = None) -> list[Change]:
        """Grade every current answer under the key in force (see ``register``), and again any
        whose verdict ran out of time, and return the verdicts that differ from ``before``
        (``answers(record)`` taken before the key was registered). A dependent part is graded
        with the student's latest answers to the parts it uses. Committed chunk by chunk;
        running it again finds nothing to do."""
        previous = {(a.student, a.question_id): a for a in before}
        latest = [r for r in self._latest_submissions(record)
                  if record.has(r.student, r.question_id)]
        held = _held(latest)
        changes: list[Change] = []
        for group in _chunks(latest, chunk):
            now = _now()
            with self.engine.begin() as conn:
                existing = self._existing_verdicts(conn, [r.id for r in group])
                new_rows, retried, found = [], [], []
                for r in group:
                    h, spec = record.spec_for(r.student, r.question_id)
                    given = given_answers(r.question_id, spec, held.get(r.student, {}))
                    ctx = context_hash(given)
                    verdict = existing.get((r.id, h, ctx))
                    if verdict is None or verdict.timed_out:
                        stored = verdict is not None
                        verdict = self._grade(h, spec, r.raw, record, r.question_id, given)
                        (retried if stored else new_rows).append(
                            _verdict_row(r.id, h, spec, verdict, now, ctx))
                    found.append((r, spec, verdict))
                if new_rows:
                    conn.execute(verdicts.insert(), new_rows)
                for row in retried:  # a verdict that ran out of time, tried again
                    conn.execute(verdicts.update().where(
                        verdicts.c.submission_id == row["submission_id"],
                        verdicts.c.spec_hash == row["spec_hash"],
                        verdicts.c.grader_version == GRADER_VERSION,
                        verdicts.c.context == row["context"]).values(**row))
            for r, spec, verdict in found:
                old = previous.get((r.student, r.question_id))
                points = round(verdict.score * spec["points"], 6)
                if old is None or old.verdict is None or _differs(old.verdict, verdict) \
                        or old.points != points:
                    change = Change(r.student, r.question_id, r.raw,
                                    old.verdict if old else None, verdict,
                                    old.points if old else 0.0, points)
                    changes.append(change)
                    if on_change:
                        on_change(change)
        return changes

    def _latest_submissions(self, record: QuizRecord, conn: Connection | None = None,
                            names: list[str] | None = None,
                            answer_ids: list[str] | None = None) -> list[Any]:
        """(id, student, question_id, raw) of each student's latest answer to each answer id
        (of ``names`` and ``answer_ids`` only, where given)."""
        where = [submissions.c.quiz_id == record.id]
        if names is not None:
            where.append(submissions.c.student.in_(names))
        if answer_ids is not None:
            where.append(submissions.c.question_id.in_(answer_ids))
        latest = (select(submissions.c.student, submissions.c.question_id,
                         func.max(submissions.c.seq).label("seq"))
                  .where(*where)
                  .group_by(submissions.c.student, submissions.c.question_id).subquery())
        query = (select(submissions.c.id, submissions.c.student, submissions.c.question_id,
                        submissions.c.raw)
                 .join(latest, (latest.c.student == submissions.c.student)
                       & (latest.c.question_id == submissions.c.question_id)
                       & (latest.c.seq == submissions.c.seq))
                 .where(submissions.c.quiz_id == record.id)
                 .order_by(submissions.c.student, submissions.c.id))
        if conn is not None:
            return list(conn.execute(query))
        with self.engine.connect() as own:
            return list(own.execute(query))

    # -- reading -----------------------------------------------------------------------------

    def answers(self, record: QuizRecord) -> list[Answer]:
        """Every student's latest answer to every question (every part of a multi-part one),
        with its verdict under the key in force (``verdict`` None where that answer still
        needs a regrade); a dependent part's in the context of the student's latest answers
        to the parts it uses."""
        latest = [r for r in self._latest_submissions(record)
                  if record.has(r.student, r.question_id)]
        held = _held(latest)
        by_sub: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            ids = [r.id for r in latest]
            for start in range(0, len(ids), 5000):
                part = ids[start:start + 5000]
                rows = conn.execute(select(verdicts).where(verdicts.c.submission_id.in_(part))
                                    .order_by(verdicts.c.id))
                for r in rows:
                    by_sub.setdefault(r.submission_id, {})[
                        (r.spec_hash, r.grader_version, r.context)] = r
        out = []
        for r in latest:
            h, spec = record.spec_for(r.student, r.question_id)
            ctx = context_hash(given_answers(r.question_id, spec, held.get(r.student, {})))
            graded = by_sub.get(r.id, {})
            row = graded.get((h, GRADER_VERSION, ctx))
            if row is None:  # graded by another grader version under this key: still the key's
                matching = [v for (sh, _, c), v in graded.items() if sh == h and c == ctx]
                row = max(matching, key=lambda v: v.id) if matching else None
            verdict = _verdict_of(row) if row is not None else None
            points = round(verdict.score * spec["points"], 6) if verdict else 0.0
            out.append(Answer(r.student, r.question_id, r.raw, verdict, points, spec["points"]))
        return out

    def counts(self) -> dict[str, int]:
        """Rows per table (what a test compares before and after an idempotent run)."""
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table, in id order: the whole content, for comparisons."""
        with self.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(
                select(t).order_by(*t.primary_key.columns))] for t in metadata.sorted_tables}

    def integrity_ok(self) -> bool:
        if self.engine.dialect.name != "sqlite":
            return True
        with self.engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"


# -- helpers -----------------------------------------------------------------------------------

def _answer_ids(quiz: Quiz, specs_in_force: dict[tuple[str, str], Any]) -> list[str]:
    """The quiz's answer ids in order ("q1", "q3.a", "q3.b"), then any only a student's
    variant has (a family may ask some variants in parts)."""
    ids = [aid for q in quiz.questions for aid in q.part_ids()]
    seen = set(ids)
    return ids + sorted({aid for _, aid in specs_in_force} - seen)


@dataclass
class _Item:
    """One answer a batch grades: the row's own (``held``), or a dependent part the student
    answered before, graded again because the row changed a part it uses."""

    graded: Graded
    aid: str
    raw: str
    given: dict[str, str] | None  # the raw answers of the parts it uses (None: graded alone)
    held: bool


def _items(record: QuizRecord, g: Graded, row: Mapping[str, str],
           stored: Mapping[str, str]) -> list[_Item]:
    """What grading a row means: its answers, each dependent part with the student's answers
    as they stand once the row is stored, and the stored later parts whose context changed."""
    now = {**stored, **row}
    out = []
    for aid in record.question_ids:
        if not record.has(g.student, aid):
            continue
        _, spec = record.spec_for(g.student, aid)
        given = given_answers(aid, spec, now)
        if aid in row:
            out.append(_Item(g, aid, row[aid], given, True))
        elif aid in stored and given is not None \
                and any(u in row for u in used_answers(aid, spec).values()):
            out.append(_Item(g, aid, stored[aid], given, False))
    return out


def _held(latest: list[Any]) -> dict[str, dict[str, str]]:
    """{student: {answer id: raw}} of latest submissions."""
    out: dict[str, dict[str, str]] = {}
    for r in latest:
        out.setdefault(r.student, {})[r.question_id] = r.raw
    return out


def _verdict_row(sub_id: int, h: str, spec: dict[str, Any], v: Verdict, now: str,
                 context: str = "") -> dict:
    return {"submission_id": sub_id, "spec_hash": h, "grader_version": GRADER_VERSION,
            "status": v.status, "score": v.score, "points": round(v.score * spec["points"], 6),
            "feedback": v.feedback, "interpreted": v.interpreted, "method": v.method,
            "mistake": v.mistake, "graded_at": now, "context": context}


def _verdict_of(row: Any) -> Verdict:
    return Verdict(row.status, row.score, row.feedback, row.interpreted, row.method, row.mistake)


def _differs(a: Verdict, b: Verdict) -> bool:
    # Right by the key and right by follow-through differ even at the same score: a key fix
    # in an earlier part turns one into the other, and the student is told a different thing.
    return (a.status, a.score, a.mistake, a.method == FOLLOW_THROUGH) \
        != (b.status, b.score, b.mistake, b.method == FOLLOW_THROUGH)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    group: list[Any] = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reason(e: SQLAlchemyError) -> str:
    return str(getattr(e, "orig", None) or e).splitlines()[0]
