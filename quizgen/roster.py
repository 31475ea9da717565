"""A class roster and each student's own variant of a quiz.

A student's variant keeps the quiz's positions (question ids ``q1..qN``, each with the base
quiz's family and difficulty, so item analysis compares like with like) and draws fresh
parameters from a random stream derived from (quiz seed, student id, position, family) with
SHA-256: the same roster and seed give the same variants on any machine, and adding a student
changes no one else's. Option order of choice items is part of the variant (concept families
shuffle it from the same stream unless an item fixes its order); ``shuffle`` also permutes the
order in which a student's sheet shows the questions, which never changes their ids.

variants.json (format ``quizgen-variants/1``) holds every student's questions in full and is,
beside quiz.json, the key that grading reads. Tokens for the web mode are secrets, so they live
in tokens.csv, not in variants.json, and survive re-running ``make`` over the same folder.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from .batch import SubmissionError, find_column, normalize_student_id, read_table
from .model import Question, Quiz, QuizFileError, question_to_dict
from .progress import tracked
from .spreadsheet import write_csv

FORMAT = "quizgen-variants/1"
VARIANTS_FILE = "variants.json"
TOKENS_FILE = "tokens.csv"
ID_COLUMNS = ("student", "student_id", "id", "学号")
NAME_COLUMNS = ("name", "full name", "姓名")
MAX_RESAMPLES = 50


class RosterError(ValueError):
    """The roster (or variants.json) cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""


@dataclass
class StudentVariant:
    student: Student
    questions: list[Question]  # in the order the student's sheet shows them


@dataclass
class Variants:
    """Every student's variant of one base quiz, in roster order."""

    seed: int
    topic: str
    question_ids: list[str]  # the base quiz's, in its order
    shuffle: bool
    students: list[StudentVariant] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {v.student.id: v for v in self.students}

    def ids(self) -> set[str]:
        return set(self._by_id)

    def get(self, student_id: str) -> StudentVariant | None:
        return self._by_id.get(student_id)

    def quiz_for(self, base: Quiz, student_id: str) -> Quiz:
        """The student's own quiz: the base quiz's settings with the student's questions."""
        variant = self._by_id[student_id]
        label = variant.student.name or variant.student.id
        if variant.student.name:
            label = f"{variant.student.name} ({variant.student.id})"
        return replace(base, questions=variant.questions, title=f"{base.title} · {label}")

    def matches(self, quiz: Quiz) -> bool:
        return (self.seed, self.topic, self.question_ids) == (
            quiz.seed, quiz.topic, [q.id for q in quiz.questions])

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "quiz": {"seed": self.seed, "topic": self.topic, "questions": self.question_ids},
            "shuffle": self.shuffle,
            "students": [
                {"id": v.student.id, "name": v.student.name,
                 "questions": [question_to_dict(q) for q in v.questions]}
                for v in self.students
            ],
        }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8", newline="\n")

    @classmethod
    def load(cls, path: str | Path) -> Variants:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise RosterError(f"{path}: cannot read ({e.strerror})") from None
        except json.JSONDecodeError as e:
            raise RosterError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RosterError(f"{path}: field 'format' must be {FORMAT!r}")
        try:
            students = []
            for item in data["students"]:
                # Quiz.from_dict validates questions exactly as it does for quiz.json.
                quiz = Quiz.from_dict({"format": "quizgen/1", "seed": 0, "topic": "",
                                       "lang": "en", "created_with": {},
                                       "questions": item["questions"]}, source=str(path))
                students.append(StudentVariant(Student(item["id"], item.get("name", "")),
                                               quiz.questions))
            return cls(seed=data["quiz"]["seed"], topic=data["quiz"]["topic"],
                       question_ids=list(data["quiz"]["questions"]),
                       shuffle=bool(data.get("shuffle", False)), students=students)
        except QuizFileError as e:
            raise RosterError(str(e)) from None
        except (KeyError, TypeError) as e:
            raise RosterError(f"{path}: malformed ({e})") from None


def read_roster(path: str | Path) -> list[Student]:
    """Students from a CSV with an id column (student, student_id, id or 学号) and optionally a
    name column; every bad line is named in the one error raised."""
    path = Path(path)
    try:
        header, rows = read_table(path)
    except SubmissionError as e:
        raise RosterError(str(e)) from None
    id_col = find_column(header, ID_COLUMNS)
    if id_col is None:
        raise RosterError(f"{path}: line 1: no student id column; name one of "
                          f"{', '.join(ID_COLUMNS)}")
    name_col = find_column(header, NAME_COLUMNS)
    students: list[Student] = []
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for line, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))
        sid = normalize_student_id(cells[id_col])
        name = cells[name_col].strip() if name_col is not None else ""
        if not sid:
            problems.append(f"line {line}: no student id")
        elif sid in first_line:
            problems.append(f"line {line}: student {sid!r} is already on line {first_line[sid]}")
        else:
            first_line[sid] = line
            students.append(Student(sid, name))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RosterError(f"{path}: {problems[0]}{more}")
    if not students:
        raise RosterError(f"{path}: no students")
    return students


def student_questions(base: Quiz, student_id: str, *, shuffle: bool = False) -> list[Question]:
    """The student's variant of every question of ``base`` (needs the question bank)."""
    from question_bank import families

    from .sampling import _fingerprint, build_question, rng_for

    bank = families()
    questions: list[Question] = []
    seen: set[str] = set()
    for position, q in enumerate(base.questions):
        family = bank[q.family]
        # No two identical questions on one sheet; a slot asked in parts is asked in the same
        # parts on every sheet, so one answer file (columns q3.a, q3.b) serves the class.
        for attempt in range(MAX_RESAMPLES):
            rng = rng_for(base.seed, "student", student_id, position, q.family, attempt)
            question = build_question(family, rng, q.difficulty, qid=q.id)
            if _fingerprint(question) not in seen and question.same_parts(q):
                break
        seen.add(_fingerprint(question))
        questions.append(question)
    if shuffle:
        rng_for(base.seed, "student", student_id, "order").shuffle(questions)
    return questions


PARALLEL_FROM = 200  # students: below this, starting worker processes costs more than it saves
CHUNK = 25  # students per job sent to a worker


def make_variants(base: Quiz, students: list[Student], *, shuffle: bool = False,
                  progress: bool = False, jobs: int | None = None) -> Variants:
    """Every student's variant; ``progress`` shows a bar on a terminal's stderr.

    A student's variant depends only on the quiz and the student's id, so a large class is
    sampled in ``jobs`` worker processes (default: one per core) with the same result, byte for
    byte. Workers are forked, so they see the course banks this process loaded; where fork is
    not available the class is sampled here, in one process.
    """
    chunks = [students[i:i + CHUNK] for i in range(0, len(students), CHUNK)]
    jobs = _workers(jobs, len(students))
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.imap(_sample_chunk, [(base, chunk, shuffle) for chunk in chunks])
            if progress:
                done = tracked(done, len(chunks), "variants")
            questions = [q for part in done for q in part]
    else:
        shown = tracked(students, len(students), "variants") if progress else students
        questions = [student_questions(base, s.id, shuffle=shuffle) for s in shown]
    return Variants(
        seed=base.seed,
        topic=base.topic,
        question_ids=[q.id for q in base.questions],
        shuffle=shuffle,
        students=[StudentVariant(s, qs) for s, qs in zip(students, questions)],
    )


def _workers(jobs: int | None, n_students: int) -> int:
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs is None:
        jobs = os.cpu_count() or 1 if n_students >= PARALLEL_FROM else 1
    return max(1, min(jobs, -(-n_students // CHUNK)))


def _sample_chunk(job) -> list[list[Question]]:
    base, chunk, shuffle = job
    return [student_questions(base, s.id, shuffle=shuffle) for s in chunk]


def variants_beside(quiz_path: str | Path, quiz: Quiz) -> Variants | None:
    """The variants.json next to quiz.json, checked to belong to it; None for a shared quiz."""
    path = Path(quiz_path).with_name(VARIANTS_FILE)
    if not path.exists():
        return None
    variants = Variants.load(path)
    if not variants.matches(quiz):
        raise RosterError(f"{path}: made for another quiz (seed {variants.seed}, topic "
                          f"{variants.topic!r}) than {quiz_path}")
    return variants


class Added(NamedTuple):
    variants: list[StudentVariant]  # the students added, with their variants
    before: set[str]  # the ids variants.json held before
    stamp: tuple[int, int] | None  # (mtime in ns, size) of the file as written


def add_students(quiz_path: str | Path, base: Quiz, students: list[Student]) -> Added:
    """Add ``students`` to the variants.json beside ``quiz_path`` (made if there is none), each
    with the variant ``make --students`` would give them; students already there keep theirs.

    Several ``quizgen serve`` processes may add students at once (learners arriving from an
    LMS): the file is re-read and rewritten under an exclusive lock, and replaced atomically,
    so no process's addition is lost and no reader sees half a file. The new students are
    spliced into the text as :meth:`Variants.to_json` writes it (the same bytes), so adding one
    to a class of hundreds does not re-encode everyone.
    """
    path = Path(quiz_path).with_name(VARIANTS_FILE)
    with _locked(path.with_name(VARIANTS_FILE + ".lock")):
        text = path.read_text(encoding="utf-8") if path.exists() else None
        data = _variants_data(path, text, base)
        known = {item.get("id") for item in data["students"]} if data else set()
        new = [s for s in dict.fromkeys(students) if s.id not in known]
        if not new:
            return Added([], known, file_stamp(path))
        shuffle = bool(data.get("shuffle", False)) if data else False
        added = [StudentVariant(s, student_questions(base, s.id, shuffle=shuffle))
                 for s in new]
        blocks = ",\n".join(_student_block(v) for v in added)
        if text is None:
            text = Variants(seed=base.seed, topic=base.topic, shuffle=False,
                            question_ids=[q.id for q in base.questions],
                            students=added).to_json()
        elif text.endswith(_LIST_END):  # the students list closes the file
            text = text[:-len(_LIST_END)] + ",\n" + blocks + _LIST_END
        elif text.endswith('"students": []' + _FILE_END):
            text = text[:-len("[]" + _FILE_END)] + "[\n" + blocks + _LIST_END
        else:  # written by hand in another layout: read it whole and write it as quizgen does
            variants = Variants.load(path)
            text = replace(variants, students=variants.students + added).to_json()
        temporary = path.with_name(f".{VARIANTS_FILE}.{secrets.token_hex(4)}.tmp")
        temporary.write_text(text, encoding="utf-8", newline="\n")
        temporary.replace(path)
        return Added(added, known, file_stamp(path))


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


_FILE_END = "\n}\n"
_LIST_END = "\n ]" + _FILE_END


def _variants_data(path: Path, text: str | None, base: Quiz) -> dict[str, Any] | None:
    """variants.json's JSON (None without a file), checked to be of this quiz."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RosterError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or not isinstance(data.get("students"), list):
        raise RosterError(f"{path}: field 'format' must be {FORMAT!r}")
    quiz = data.get("quiz") or {}
    if (quiz.get("seed"), quiz.get("topic"), quiz.get("questions")) != (
            base.seed, base.topic, [q.id for q in base.questions]):
        raise RosterError(f"{path}: made for another quiz than {base.title or base.topic!r}")
    return data


def _student_block(v: StudentVariant) -> str:
    """One student as :meth:`Variants.to_json` writes it inside the students list."""
    one = json.dumps({"id": v.student.id, "name": v.student.name,
                      "questions": [question_to_dict(q) for q in v.questions]},
                     ensure_ascii=False, indent=1, sort_keys=True)
    return "\n".join("  " + line for line in one.split("\n"))  # (no raw newline in a string)


class _locked:
    """An exclusive lock on ``path`` across processes (``fcntl``; where there is none, as on
    Windows, only this process's threads are kept apart)."""

    _threads = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            import fcntl
        except ImportError:
            self.handle = None
            return
        self.handle = self.path.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *_exc) -> None:
        if self.handle is not None:
            self.handle.close()  # closing releases the lock
        self._threads.release()


# -- tokens for the web mode ------------------------------------------------------------------

def new_token() -> str:
    """128 random bits, URL-safe: what a student types or follows to reach their own sheet.

    Drawn again when it would start with ``-`` (1 in 64), which a spreadsheet reads as a
    formula and tokens.csv would have to mark with an apostrophe: 127.98 bits remain.
    """
    while True:
        token = secrets.token_urlsafe(16)
        if not token.startswith("-"):
            return token


def load_tokens(path: Path) -> dict[str, str]:
    """{student: token} from tokens.csv ({} when there is none); RosterError if unreadable."""
    if not path.exists():
        return {}
    try:
        header, rows = read_table(path)
    except SubmissionError as e:
        raise RosterError(str(e)) from None
    id_col, token_col = find_column(header, ID_COLUMNS), find_column(header, ("token",))
    if id_col is None or token_col is None:
        return {}
    tokens = {}
    for _, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))
        if cells[token_col].strip():
            tokens[normalize_student_id(cells[id_col])] = cells[token_col].strip()
    return tokens


def assign_tokens(students: list[Student], path: Path) -> dict[str, str]:
    """Each student's token, keeping any already in ``path`` (tokens handed out stay valid)."""
    tokens = load_tokens(path)
    for s in students:
        tokens.setdefault(s.id, new_token())
    # Secrets: readable by the teacher's account only (0600), whatever the umask.
    write_csv(path, ["student", "name", "token"],
              ([s.id, s.name, tokens[s.id]] for s in students), private=True)
    return {s.id: tokens[s.id] for s in students}


def safe_filename(student_id: str, taken: set[str]) -> str:
    """A file name stem for the student's sheet: the id with unsafe characters replaced."""
    stem = re.sub(r"[^\w.-]", "_", student_id).strip("._") or "student"
    candidate, n = stem, 2
    while candidate.lower() in taken:  # case-insensitive file systems
        candidate, n = f"{stem}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def typed_answer(question: Question) -> str:
    """The key's answer as a student would type it, so that pasting it back grades correct:
    ``D`` and ``A, B, C`` for choices, an expression as written, numbers and vectors in
    Python/JSON notation (``0.5``, ``[0.1, -2.0]``)."""
    answer = question.answer
    if question.kind == "choice" and isinstance(answer, list):
        return ", ".join(str(a) for a in answer)
    if isinstance(answer, str):
        return answer
    return json.dumps(answer)


KEY_COLUMNS = ["student", "name", "position", "question", "family", "answer", "tolerance"]


def key_rows(variants: Variants) -> list[list[Any]]:
    """One row per (student, question) for key.csv (``KEY_COLUMNS``), in sheet order; a
    multi-part question has a row per part, named as its answer column (``q3.a``)."""
    return [[v.student.id, v.student.name, position, answer_id, q.family, typed_answer(unit),
             json.dumps(unit.tolerance, sort_keys=True)]
            for v in variants.students for position, q in enumerate(v.questions, start=1)
            for answer_id, unit in zip(q.part_ids(), q.parts or [q])]


# -- what `quizgen make --students` writes ----------------------------------------------------

def merged_key(base: Quiz, variants: Variants) -> Quiz:
    """One quiz holding every student's questions, each prompt labelled with the student: the
    single answer key a teacher prints or searches, in any format a sheet can be written in."""
    questions = []
    for v in variants.students:
        label = f"{v.student.id} {v.student.name}".strip().replace("$", "").replace("\\", "")
        for q in v.questions:
            prompt = {lang: f"[{label} · {q.id}] {text}" for lang, text in q.prompt.items()}
            questions.append(replace(q, id=f"{v.student.id}/{q.id}", prompt=prompt))
    return replace(base, questions=questions)


def write_roster_files(base: Quiz, students: list[Student], out_dir: Path, formats: list[str],
                       *, shuffle: bool = False, notes: list[str] | None = None,
                       progress: bool = False, **options: Any) -> tuple[list[Path], list[str]]:
    """variants.json, tokens.csv, key.csv, one sheet per student and format under
    ``students/``, and one merged key per format; returns (paths written, notes).
    ``progress`` shows a bar on a terminal's stderr while variants and sheets are made."""
    from .export import export, writer

    variants = make_variants(base, students, shuffle=shuffle, progress=progress)
    variants.save(out_dir / VARIANTS_FILE)
    assign_tokens(students, out_dir / TOKENS_FILE)
    write_csv(out_dir / "key.csv", KEY_COLUMNS, key_rows(variants))
    written = [out_dir / VARIANTS_FILE, out_dir / TOKENS_FILE, out_dir / "key.csv"]
    notes = [] if notes is None else notes
    options["notes"] = notes
    sheets = out_dir / "students"
    sheets.mkdir(exist_ok=True)
    stems: set[str] = set()
    names = {s.id: safe_filename(s.id, stems) for s in students}
    for fmt in formats:
        w = writer(fmt)
        if not w.keyed:  # an LMS file: one quiz for everyone, not per-student paper
            written.append(export(base, fmt, out_dir / f"quiz{w.suffix}", key=True, **options))
            notes.append(f"{fmt}: the LMS file holds the base quiz, not the students' variants")
            continue
        shown = tracked(students, len(students), f"{fmt} sheets") if progress else students
        for s in shown:
            written.append(export(variants.quiz_for(base, s.id), fmt,
                                  sheets / f"{names[s.id]}{w.suffix}", key=False, **options))
        written.append(export(merged_key(base, variants), fmt, out_dir / f"key{w.suffix}",
                              key=True, **options))
    return written, notes
