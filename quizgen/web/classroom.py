"""One quiz being taken on the web: its students, their variants, tokens and the gradebook.

Everything the routes do to data goes through :class:`Classroom`, which keeps the rules in one
place: a student reaches only their own variant (looked up by the id their token resolved to,
never by anything the request names), submits at most ``attempts`` times, and every submission
is stored and graded by quizgen.gradebook, the same code ``quizgen grade --db`` runs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from quizgen.batch import Submission, SubmissionError, find_column, read_table
from quizgen.gradebook import Answer, Gradebook, GradebookError, quiz_identity
from quizgen.model import Question, Quiz, QuizFileError
from quizgen.roster import (
    ID_COLUMNS,
    NAME_COLUMNS,
    TOKENS_FILE,
    VARIANTS_FILE,
    RosterError,
    Student,
    StudentVariant,
    Variants,
    add_students,
    assign_tokens,
    file_stamp,
    read_roster,
    variants_beside,
)

from .results import answers_of
from .security import TokenIndex
from .store import AlreadySubmitted, Attempt, WebStore
from .work import Busy, StillRunning, StudentWork

MAX_ANSWER_CHARS = 2000  # a box's text is stored as typed; the grader reads at most this much
log = logging.getLogger("quizgen.web")


class ServeError(ValueError):
    """The quiz, roster or database cannot be served; the message names the file."""


class NoAttemptsLeft(Exception):
    pass


SUBMIT_WAIT = 8.0  # seconds a submit waits for its verdicts before the page says "checking"


class _KeyLock:
    """Many gradings at once, or one regrade alone: an answer graded while a regrade swaps the
    key in force would be graded under the old one and missed."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.readers = 0
        self.writing = False

    @contextlib.contextmanager
    def grading(self):
        with self.cond:
            while self.writing:
                self.cond.wait()
            self.readers += 1
        try:
            yield
        finally:
            with self.cond:
                self.readers -= 1
                self.cond.notify_all()

    @contextlib.contextmanager
    def regrading(self):
        with self.cond:
            while self.writing:
                self.cond.wait()
            self.writing = True  # new gradings wait from now on
            while self.readers:
                self.cond.wait()
        try:
            yield
        finally:
            with self.cond:
                self.writing = False
                self.cond.notify_all()


@dataclass
class Settings:
    """What the teacher allows; ``show_*`` can be changed on the teacher page while serving."""

    attempts: int = 1
    show_verdicts: bool = True
    show_solutions: bool = False
    refresh_seconds: int = 5


@dataclass
class StudentRow:
    """One line of the teacher's live table."""

    student: str
    name: str
    attempts: int
    submitted_at: str | None
    points: float
    max_points: float
    answers: dict[str, Answer] = field(default_factory=dict)


def read_students(quiz_path: Path, roster: str | Path | None, *,
                  required: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """({student: token}, {student: name}).

    ``roster`` may be tokens.csv (a ``token`` column: used as is) or a plain roster (tokens are
    assigned and written to tokens.csv beside the quiz, keeping any already there). Without it,
    tokens.csv beside the quiz, as ``quizgen make --students`` writes it, is used.
    """
    path = Path(roster) if roster else quiz_path.with_name(TOKENS_FILE)
    if not path.exists() and not roster and not required:
        return {}, {}  # students arrive from an LMS instead
    if not path.exists():
        raise ServeError(f"{path}: no such file; pass --roster roster.csv, or make the quiz "
                         "with `quizgen make --students roster.csv`")
    try:
        header, rows = read_table(path)
    except SubmissionError as e:
        raise ServeError(str(e)) from None
    token_col = find_column(header, ("token",))
    if token_col is None:
        try:
            students = read_roster(path)
        except RosterError as e:
            raise ServeError(str(e)) from None
        tokens = assign_tokens(students, quiz_path.with_name(TOKENS_FILE))
        return tokens, {s.id: s.name for s in students}
    id_col = find_column(header, ID_COLUMNS)
    if id_col is None:
        raise ServeError(f"{path}: line 1: no student id column; name one of "
                         f"{', '.join(ID_COLUMNS)}")
    name_col = find_column(header, NAME_COLUMNS)
    tokens, names = {}, {}
    for line, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))
        sid, token = cells[id_col].strip(), cells[token_col].strip()
        if not sid or not token:
            raise ServeError(f"{path}: line {line}: a student id and a token are both needed")
        if sid in tokens:
            raise ServeError(f"{path}: line {line}: student {sid!r} appears twice")
        tokens[sid] = token
        names[sid] = cells[name_col].strip() if name_col is not None else ""
    if not tokens:
        raise ServeError(f"{path}: no students")
    if len(set(tokens.values())) != len(tokens):
        raise ServeError(f"{path}: two students share a token")
    return tokens, names


class Classroom:
    """The quiz being served, and everything done to its data.

    The contract with the pages, multi-part questions included: **answers are a dict keyed by
    answer id** (``"q1"`` for a question, ``"q3.a"``, ``"q3.b"`` for each part of a multi-part
    one: :meth:`answer_ids`), the raw text of each box; :meth:`submit`, :meth:`save_draft` and
    :meth:`draft` take and give that dict. **Verdicts are a dict keyed by answer id too**:
    :meth:`verdicts` gives ``{"q3.b": Answer}``, each with its ``verdict`` (status, score,
    feedback, method ``follow-through`` where a part was right for the student's own earlier
    answer) and ``points`` (the part's score times its points). A question's score is the
    points-weighted sum of its parts: :meth:`question_scores`.
    """

    def __init__(self, quiz_path: str | Path, *, db: str | None = None,
                 roster: str | Path | None = None, settings: Settings | None = None,
                 tokens_required: bool = True) -> None:
        """``tokens_required=False``: a quiz without tokens.csv is served too (its students
        arrive from an LMS, see :meth:`add_learners`)."""
        self.quiz_path = Path(quiz_path)
        self.settings = settings or Settings()
        self.quiz, self.variants = self._load_quiz()
        self._variants_stamp = self._stamp()
        self.tokens, self.names = read_students(self.quiz_path, roster,
                                                required=tokens_required)
        # Students from elsewhere than tokens.csv ({id: name}; the LTI layer's learners).
        self.learner_source: Callable[[], dict[str, str]] = dict
        self._score_listeners: list[Callable[[set[str]], None]] = []
        self.index = TokenIndex(self.tokens)
        target = db or str(self.quiz_path.with_name("gradebook.sqlite"))
        try:
            self.book = Gradebook(target)
            self.record = self.book.register(self.quiz, self.variants, self.tokens)
        except GradebookError as e:
            raise ServeError(f"--db: {e}") from None
        self.store = WebStore(self.book.engine, self.record.id)
        # SQLite has one writer at a time: queue writers here rather than in busy-wait loops.
        # Grading itself takes no such lock: verdicts are computed before a write begins.
        self._write_lock = threading.Lock()
        self._sqlite = self.book.engine.dialect.name == "sqlite"
        self._key = _KeyLock()
        self._quizzes: dict[str, Quiz] = {}
        self.work = StudentWork()
        self.recovered = 0

    # -- loading ------------------------------------------------------------------------------

    def _load_quiz(self) -> tuple[Quiz, Variants | None]:
        try:
            quiz = Quiz.load(self.quiz_path)
            return quiz, variants_beside(self.quiz_path, quiz)
        except (QuizFileError, RosterError) as e:
            raise ServeError(str(e)) from None

    def close(self) -> None:
        self.work.shutdown()
        self.book.close()

    # -- who is who ---------------------------------------------------------------------------

    def student_for_token(self, token: str) -> str | None:
        return self.index.owner(token)

    def roster(self) -> list[str]:
        return list(self.tokens) + [s for s in self.learner_source() if s not in self.tokens]

    def knows(self, student: str) -> bool:
        """A student with a token, or with a variant added by another process meanwhile."""
        if student in self.tokens or self._has_variant(student):
            return True
        if self._stamp() != self._variants_stamp:
            with self._key.regrading(), self._locked():
                self._reload_variants()
        return self._has_variant(student)

    def _has_variant(self, student: str) -> bool:
        return self.variants is not None and self.variants.get(student) is not None

    # -- students from an LMS -----------------------------------------------------------------

    def add_learners(self, students: list[Student]) -> None:
        """Give each student who has none their own variant, seeded from (quiz seed, student
        id) exactly as ``quizgen make --students`` seeds a roster student, and kept in
        variants.json like one, so a key fix and Regrade reach them too."""
        new = [s for s in students if not self._has_variant(s.id)]
        if not new:
            return
        with self._key.regrading(), self._locked():  # the key in force grows: no grading now
            from quizgen.bank import BankError

            try:
                added = add_students(self.quiz_path, self.quiz, new)
            except BankError as e:
                raise ServeError(f"{self.quiz_path}: a learner's variant: {e}") from None
            except KeyError as e:
                raise ServeError(f"{self.quiz_path}: question family {e} is not known here; "
                                 "start `quizgen serve` with the --bank it came from") from None
            except RosterError as e:
                raise ServeError(str(e)) from None
            mine = self.variants.ids() if self.variants is not None else set()
            if added.before - mine:  # another process added students too: read them all
                self._reload_variants()
            elif added.variants:  # only ours are new: register just them (O(new), not O(class))
                self._add_variants(added.variants, added.stamp)

    def _add_variants(self, added: list[StudentVariant], stamp) -> None:
        """Make ``added`` (just written to variants.json) known here and in the gradebook."""
        base = self.variants or Variants(
            seed=self.quiz.seed, topic=self.quiz.topic, shuffle=False,
            question_ids=[q.id for q in self.quiz.questions])
        try:
            record = self.book.register(self.quiz, replace(base, students=added), {})
        except GradebookError as e:
            raise ServeError(str(e)) from None
        record.specs = {**self.record.specs, **record.specs}
        self.record = record
        self.variants = replace(base, students=base.students + added)
        self._variants_stamp = stamp
        for v in added:
            self._quizzes.pop(v.student.id, None)

    def _stamp(self) -> tuple[int, int] | None:
        return file_stamp(self.quiz_path.with_name(VARIANTS_FILE))

    def _reload_variants(self) -> None:
        """variants.json as it now is on disk (the caller holds the key exclusively)."""
        stamp = self._stamp()
        quiz, variants = self._load_quiz()
        if quiz_identity(quiz) != quiz_identity(self.quiz):
            return  # quiz.json now describes another quiz: regrade() says so
        try:
            self.record = self.book.register(self.quiz, variants, self.tokens)
        except GradebookError as e:
            raise ServeError(str(e)) from None
        self.variants, self._variants_stamp = variants, stamp
        self._quizzes = {}

    # -- what an LMS is told ------------------------------------------------------------------

    def on_scores_changed(self, listener: Callable[[set[str]], None]) -> None:
        """Call ``listener(students)`` after an attempt of theirs was graded, and after a
        regrade changed their points (LTI grade passback hooks in here)."""
        self._score_listeners.append(listener)

    def _scores_changed(self, students: set[str]) -> None:
        for listener in self._score_listeners if students else ():
            try:
                listener(students)
            except Exception:  # a listener's failure never undoes a grade
                log.exception("a score listener failed for %d student(s)", len(students))

    def score_of(self, student: str) -> tuple[float, float] | None:
        """(points, max points) of the student's latest graded attempt, or None."""
        attempts = self.store.attempts(student)
        if not attempts or attempts[-1].graded_at is None:
            return None
        verdicts = self.verdicts(attempts[-1])
        return (round(sum(a.points for a in verdicts.values()), 6),
                self.quiz_of(student).total_points)

    def quiz_of(self, student: str) -> Quiz:
        """The student's own quiz: their variant if the roster has one, else the shared quiz."""
        quiz = self._quizzes.get(student)
        if quiz is None:
            if self.variants is not None and self.variants.get(student) is not None:
                quiz = self.variants.quiz_for(self.quiz, student)
            else:
                quiz = self.quiz
            self._quizzes[student] = quiz
        return quiz

    def answer_ids(self, student: str) -> list[str]:
        """The answer ids of the student's quiz, in order: a question's id, or one per part."""
        return [aid for q in self.quiz_of(student).questions for aid in q.part_ids()]

    def question_scores(self, student: str,
                        answers: dict[str, Answer]) -> dict[str, tuple[float, float]]:
        """{question id: (points, max points)} of ``answers`` (as :meth:`verdicts` gives them):
        a multi-part question's points are the sum of its parts' (score times points)."""
        out = {}
        for q in self.quiz_of(student).questions:
            got = [answers[aid] for aid in q.part_ids() if aid in answers]
            out[q.id] = (round(sum(a.points for a in got), 6), q.points)
        return out

    def question(self, student: str, question_id: str) -> Question | None:
        for q in self.quiz_of(student).questions:
            if q.id == question_id:
                return q
        return None

    # -- writing ------------------------------------------------------------------------------

    def _locked(self):
        return self._write_lock if self._sqlite else contextlib.nullcontext()

    def clean(self, student: str, answers: dict[str, str]) -> dict[str, str]:
        """Only this student's answer ids (``q1``, ``q3.a``); text capped, line ends unified."""
        return {aid: str(answers.get(aid, ""))[:MAX_ANSWER_CHARS].replace("\r\n", "\n")
                for aid in self.answer_ids(student) if aid in answers}

    def save_draft(self, student: str, answers: dict[str, str]) -> None:
        with self._locked():
            self.store.save_draft(student, self.clean(student, answers))

    def draft(self, student: str) -> dict[str, str]:
        return self.store.draft(student)

    def attempts(self, student: str) -> list[Attempt]:
        return self.store.attempts(student)

    def submit(self, student: str, answers: dict[str, str],
               wait: float = SUBMIT_WAIT) -> tuple[Attempt, bool]:
        """Reserve the next attempt and grade it on the grading pool, waiting up to ``wait``
        seconds: (the attempt, whether its verdicts are in). ``answers`` is keyed by answer id
        (one field per part, ``q3.a``); an id not sent is stored as an empty answer, one not
        in the student's quiz is dropped. Raises NoAttemptsLeft, AlreadySubmitted, or Busy
        while this student's previous submit is still being graded.
        """
        used = len(self.store.attempts(student))
        if used >= self.settings.attempts:
            raise NoAttemptsLeft(student)
        answers = self.clean(student, answers)
        answers = {aid: answers.get(aid, "") for aid in self.answer_ids(student)}
        slot = self.work.claim("grade", student)
        try:
            with self._locked():
                attempt = self.store.reserve(student, used + 1, answers)
        except BaseException:
            self.work.release(slot)
            raise
        try:
            self.work.start(slot, self._grade, attempt).result(timeout=wait)
        except StillRunning:
            return attempt, False  # it goes on; the page shows its answers as being checked
        return attempt, True

    def _grade(self, attempt: Attempt) -> None:
        row = Submission(attempt.student, attempt.answers, f"attempt {attempt.number}")
        with self._key.grading():
            # Gradebook.grade computes verdicts before it takes the write lock: only writes wait.
            self.book.grade(self.record, [row], source="web", write_lock=self._locked())
            with self._locked():
                self.store.mark_graded(attempt.student, attempt.number)
        self._scores_changed({attempt.student})

    def recover(self) -> list:
        """Grade, in the background on the grading pool, the attempts a crash left reserved but
        ungraded; called once the server listens, so a stored answer can never hold a start
        hostage. Returns the futures (``recovered`` counts them)."""
        pending = self.store.ungraded()
        self.recovered = len(pending)
        return [self.work.background(self._grade, attempt) for attempt in pending]

    # -- reading ------------------------------------------------------------------------------

    def verdicts(self, attempt: Attempt) -> dict[str, Answer]:
        """{answer id: Answer} of the attempt, under the key in force; a dependent part's
        verdict is the one graded with this attempt's own earlier parts."""
        wanted = [(attempt.student, qid, raw) for qid, raw in attempt.answers.items()]
        return {a.question_id: a for a in answers_of(self.book.engine, self.record, wanted)}

    def class_answers(self) -> tuple[list[Answer], dict[str, tuple[Attempt, int]]]:
        """Every student's current answers: the latest web attempt's texts, and for students
        graded only from files (``quizgen grade --db``) the gradebook's latest rows."""
        latest = self.store.latest_attempts()
        wanted = [(s, qid, raw) for s, (att, _) in latest.items()
                  for qid, raw in att.answers.items()]
        web = answers_of(self.book.engine, self.record, wanted)
        others = [a for a in self.book.answers(self.record) if a.student not in latest]
        return others + web, latest

    def table(self) -> list[StudentRow]:
        answers, latest = self.class_answers()
        by_student: dict[str, dict[str, Answer]] = {}
        for a in answers:
            by_student.setdefault(a.student, {})[a.question_id] = a
        order = self.roster()
        order += sorted(set(by_student) - set(order))
        rows = []
        for sid in order:
            got = by_student.get(sid, {})
            attempt, count = latest.get(sid, (None, 0))
            rows.append(StudentRow(
                sid, self.names.get(sid, "") or self.record.names.get(sid, ""), count,
                attempt.submitted_at if attempt else None,
                round(sum(a.points for a in got.values()), 6),
                self.quiz_of(sid).total_points, got))
        return rows

    def names_map(self) -> dict[str, str]:
        return {**self.record.names, **{k: v for k, v in self.learner_source().items() if v},
                **{k: v for k, v in self.names.items() if v}}

    # -- the teacher fixes the key ------------------------------------------------------------

    def regrade(self) -> int:
        """Reload quiz.json (and variants.json), make its key the one in force, grade every
        stored answer under it; returns how many current verdicts changed."""
        quiz, variants = self._load_quiz()
        if quiz_identity(quiz) != quiz_identity(self.quiz):
            raise ServeError(f"{self.quiz_path} now describes another quiz (other questions "
                             "or seed); restart `quizgen serve` for it")
        before, _ = self.class_answers()
        with self._key.regrading(), self._locked():
            try:
                old_rows = self.book.answers(self.record)
                record = self.book.register(quiz, variants, self.tokens)
                self.book.regrade(record, old_rows)
                latest = self.store.latest_attempts()
                # The texts of the latest web attempts, graded under the new key if regrade's
                # "latest stored row" missed one (see results.py).
                self.book.grade(record, [Submission(s, att.answers, f"attempt {att.number}")
                                         for s, (att, _) in latest.items()], source="web")
            except GradebookError as e:
                raise ServeError(str(e)) from None
            self.quiz, self.variants, self.record = quiz, variants, record
            self._quizzes = {}
        after, _ = self.class_answers()
        self._scores_changed(_points_changed(before, after))
        old = {(a.student, a.question_id): a for a in before}
        def state(a: Answer | None):
            if a is None or a.verdict is None:
                return None
            # right by the key and right by follow-through differ (as in Gradebook.regrade)
            return (a.verdict.status, a.verdict.score, a.verdict.mistake, a.points,
                    a.verdict.method == "follow-through")

        return sum(state(a) != state(old.get((a.student, a.question_id))) for a in after)

    def attempt_for(self, student: str) -> tuple[list[Attempt], int]:
        attempts = self.store.attempts(student)
        return attempts, max(0, self.settings.attempts - len(attempts))


def _points_changed(before: list[Answer], after: list[Answer]) -> set[str]:
    """Students whose total points differ between two sets of answers."""
    def totals(answers: list[Answer]) -> dict[str, float]:
        out: dict[str, float] = {}
        for a in answers:
            out[a.student] = out.get(a.student, 0.0) + a.points
        return out

    old, new = totals(before), totals(after)
    return {s for s in old.keys() | new.keys()
            if abs(old.get(s, 0.0) - new.get(s, 0.0)) > 1e-9}


__all__ = ["Classroom", "Settings", "ServeError", "NoAttemptsLeft", "AlreadySubmitted", "Busy",
           "StudentRow", "read_students"]
