"""The quiz model: what `quizgen make` writes to quiz.json and what grading and export read.

quiz.json is the single source for grading and re-export (contract ``quizgen/1``): nothing
downstream re-samples or re-computes, so this module imports neither torch nor sympy.

A multi-part question (kind ``parts``) holds its parts in ``parts``, each graded on its own; a
dependent part names the earlier parts it ``uses`` and the ``formula`` that gives its answer from
their values, so a later part computed correctly from a student's own wrong earlier value can
earn follow-through credit (the quiz's ``follow_through``: full, half or off; see
quizgen/multipart.py). A reader of ``quizgen/1`` would misread such a question, so a quiz with
parts is written as ``quizgen/2``; every other quiz stays ``quizgen/1``, byte for byte.

A quiz made for LMS imports (``make --variants N``) also holds, per slot, the slot's other
variants: the design's growing field ``variants`` of a question in quiz.json. The slot's own
fields stay variant 1, a complete question, so a reader that does not know the field still reads
a whole quiz (the one the sheets show); the field leaves the format as it is (``quizgen/1``
without parts), and a quiz without variants is written exactly as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "quizgen/1"
FORMAT_PARTS = "quizgen/2"  # a quiz with multi-part questions
FORMATS = (FORMAT, FORMAT_PARTS)
LANGS = ("en", "zh")
KINDS = ("number", "vector", "expression", "choice")
PART_KINDS = KINDS  # what one part of a multi-part question may ask for
FOLLOW_THROUGH = ("full", "half", "off")


class QuizFileError(ValueError):
    """quiz.json is missing, unreadable or does not follow the quizgen/1 format."""


@dataclass
class Mistake:
    """A named wrong answer: the value a common mistake produces and the feedback it deserves."""

    name: str
    value: Any
    feedback: dict[str, str]  # {"en": ..., "zh": ...}


@dataclass
class Part:
    """One part of a multi-part question: its own prompt, answer, tolerance, points, mistakes
    and solution; ``uses`` and ``formula`` for a part whose answer follows from earlier parts
    (``formula`` in their ids, in the grader's notation: ``"max_norm/(a + 1e-6)"``)."""

    id: str  # "a", "b", ...; answers and CSV columns name it "<question id>.<part id>"
    prompt: dict[str, str]
    kind: str
    answer: Any
    answer_tex: str
    tolerance: dict[str, float]
    points: float
    solution: dict[str, list[str]]
    mistakes: list[Mistake] = field(default_factory=list)
    vars: list[str] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    formula: str = ""


@dataclass
class Question:
    id: str
    family: str
    kind: str
    params: dict[str, Any]
    prompt: dict[str, str]  # text with $LaTeX$, one per language
    answer: Any  # number, list of numbers, or an expression string in `vars`
    answer_tex: str
    tolerance: dict[str, float]  # {"rtol": r, "atol": a} or {"sigfigs": n}
    points: float
    solution: dict[str, list[str]]  # worked steps with $LaTeX$, one list per language
    mistakes: list[Mistake]
    difficulty: int = 1
    vars: list[str] = field(default_factory=list)  # declared variables of an expression answer
    # Options of a choice question, in display order: {"id": "A", "text": {"en": .., "zh": ..}}.
    # The answer is one id ("B"), or a list of ids when several options are right.
    choices: list[dict[str, Any]] = field(default_factory=list)
    # Where the family came from: {"source": "built-in"}, or a course bank's file and its
    # content hash {"source": "bank", "bank", "file", "sha256"} (regrade warns if it changed).
    origin: dict[str, str] = field(default_factory=dict)
    # The parts of a multi-part question (kind "parts"); empty for every other question.
    parts: list[Part] = field(default_factory=list)

    def part_ids(self) -> list[str]:
        """The answer keys of this question: its own id, or "<id>.<part>" for each part."""
        return [f"{self.id}.{p.id}" for p in self.parts] if self.parts else [self.id]

    def part_as_question(self, part: Part) -> Question:
        """``part`` as a question of its own, with its answer id ("q3.a"): what a page box, an
        LMS item or a preview shows and grades for one part."""
        return Question(
            id=f"{self.id}.{part.id}", family=self.family, kind=part.kind, params=self.params,
            prompt=part.prompt, answer=part.answer, answer_tex=part.answer_tex,
            tolerance=part.tolerance, points=part.points, solution=part.solution,
            mistakes=part.mistakes, difficulty=self.difficulty, vars=part.vars,
            choices=part.choices, origin=self.origin)

    def same_parts(self, other: Question) -> bool:
        """Asked in the same parts as ``other`` (none, or the same part ids in order): variants
        of one slot must be, so that one set of answer columns serves them all."""
        return [p.id for p in self.parts] == [p.id for p in other.parts]


@dataclass
class Quiz:
    seed: int
    topic: str
    lang: str
    questions: list[Question]
    created_with: dict[str, str]
    title: str = ""
    follow_through: str = "full"  # credit for a part that follows from a wrong earlier one
    # Slot id -> variants 2..N of that slot, each a complete question with its own id ("q3.v2");
    # empty unless the quiz was made with --variants.
    variants: dict[str, list[Question]] = field(default_factory=dict)

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def has_parts(self) -> bool:
        return any(q.parts for q in self.questions)

    def to_dict(self) -> dict[str, Any]:
        data = {**vars(self), "questions": [question_to_dict(q) for q in self.questions]}
        if not self.has_parts:  # written exactly as before multi-part questions existed
            data.pop("follow_through")
        variants = data.pop("variants")  # written inside each slot, as the design says
        for question in data["questions"]:
            if variants.get(question["id"]):
                question["variants"] = [question_to_dict(v) for v in variants[question["id"]]]
        return {"format": FORMAT_PARTS if self.has_parts else FORMAT, **data}

    def to_json(self) -> str:
        # sort_keys + fixed separators: the same quiz is the same bytes on every machine.
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "quiz.json") -> Quiz:
        if not isinstance(data, dict) or data.get("format") not in FORMATS:
            raise QuizFileError(f"{source}: field 'format' must be {FORMAT!r} or "
                                f"{FORMAT_PARTS!r}")
        try:
            if not isinstance(data["questions"], list):
                raise QuizFileError(f"{source}: field 'questions' must be a list")
            questions, variants = [], {}
            for i, q in enumerate(data["questions"]):
                where = f"{source}: question {i + 1}"
                _check_question(q, where)
                q = dict(q)
                others = q.pop("variants", [])
                if not isinstance(others, list):
                    raise QuizFileError(f"{where} ({q['id']}): field 'variants' must be a list")
                for k, v in enumerate(others, start=2):
                    _check_question(v, f"{where}, variant {k}")
                    if "variants" in v:
                        raise QuizFileError(f"{where}, variant {k}: a variant has no variants")
                questions.append(_question(q))
                if others:
                    variants[q["id"]] = [_question(v) for v in others]
            follow_through = data.get("follow_through", "full")
            if follow_through not in FOLLOW_THROUGH:
                raise QuizFileError(f"{source}: field 'follow_through' must be one of "
                                    f"{', '.join(FOLLOW_THROUGH)}")
            return cls(
                seed=data["seed"],
                topic=data["topic"],
                lang=data["lang"],
                questions=questions,
                created_with=data["created_with"],
                title=data.get("title", ""),
                follow_through=follow_through,
                variants=variants,
            )
        except KeyError as e:
            raise QuizFileError(f"{source}: missing field {e.args[0]!r}") from None
        except TypeError as e:
            raise QuizFileError(f"{source}: malformed question ({e})") from None

    @classmethod
    def load(cls, path: str | Path) -> Quiz:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise QuizFileError(f"{path}: cannot read ({e.strerror})") from None
        except json.JSONDecodeError as e:
            raise QuizFileError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
        return cls.from_dict(data, source=str(path))


def _question(q: dict[str, Any]) -> Question:
    return Question(**{**q, "mistakes": [Mistake(**m) for m in q.get("mistakes", [])],
                       "parts": [_part(p) for p in q.get("parts", [])]})


def question_to_dict(q: Question) -> dict[str, Any]:
    """The JSON form of a question (without the deep copy of ``dataclasses.asdict``: its
    values are JSON data already); a question without parts is written without the field."""
    data = {**vars(q), "mistakes": [vars(m) for m in q.mistakes]}
    if q.parts:
        data["parts"] = [{**vars(p), "mistakes": [vars(m) for m in p.mistakes]}
                         for p in q.parts]
    else:
        del data["parts"]
    return data


def _part(p: dict[str, Any]) -> Part:
    return Part(**{**p, "mistakes": [Mistake(**m) for m in p.get("mistakes", [])]})


def _is_text_map(value: Any, item: type = str) -> bool:
    return isinstance(value, dict) and all(isinstance(v, item) for v in value.values())


def _is_value(value: Any) -> bool:
    """An answer as quiz.json holds it: a number, a text, or a (nested) list of them."""
    if isinstance(value, list):
        return all(_is_value(v) for v in value)
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _check_question(q: Any, where: str) -> None:
    """Field types a hand-edited quiz.json must keep; a bad one is named, never a crash later."""
    if not isinstance(q, dict):
        raise QuizFileError(f"{where}: must be an object")
    where = f"{where} ({q.get('id', '?')})"
    parts = q.get("parts", [])
    checks = {
        "id": isinstance(q.get("id"), str),
        "kind": q.get("kind") in KINDS or (q.get("kind") == "parts" and bool(parts)),
        "prompt": _is_text_map(q.get("prompt")),
        "tolerance": _is_text_map(q.get("tolerance", {}), (int, float)),
        "points": isinstance(q.get("points"), (int, float)) and not isinstance(q["points"], bool),
        "solution": _is_text_map(q.get("solution"), list),
        "answer": _is_value(q.get("answer")),
        "mistakes": isinstance(q.get("mistakes", []), list)
        and all(isinstance(m, dict) and _is_value(m.get("value"))
                and _is_text_map(m.get("feedback")) for m in q.get("mistakes", [])),
        "choices": isinstance(q.get("choices", []), list)
        and all(isinstance(c, dict) and "id" in c and _is_text_map(c.get("text"))
                for c in q.get("choices", [])),
        "origin": _is_text_map(q.get("origin", {})),
        "vars": isinstance(q.get("vars", []), list)
        and all(isinstance(v, str) for v in q.get("vars", [])),
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise QuizFileError(f"{where}: field {bad[0]!r} is missing or malformed")
    if not isinstance(parts, list):
        raise QuizFileError(f"{where}: field 'parts' must be a list")
    seen: list[str] = []
    for k, p in enumerate(parts, start=1):
        _check_part(p, f"{where}, part {k}", seen)
        seen.append(p["id"])


def _check_part(p: Any, where: str, earlier: list[str]) -> None:
    if not isinstance(p, dict):
        raise QuizFileError(f"{where}: must be an object")
    where = f"{where} ({p.get('id', '?')})"
    uses = p.get("uses", [])
    checks = {
        "id": isinstance(p.get("id"), str) and p.get("id", "").isidentifier()
        and p.get("id") not in earlier,
        "kind": p.get("kind") in PART_KINDS,
        "prompt": _is_text_map(p.get("prompt")),
        "answer": _is_value(p.get("answer")),
        "tolerance": _is_text_map(p.get("tolerance", {}), (int, float)),
        "points": isinstance(p.get("points"), (int, float)) and not isinstance(p["points"], bool),
        "solution": _is_text_map(p.get("solution"), list),
        "mistakes": isinstance(p.get("mistakes", []), list)
        and all(isinstance(m, dict) and _is_value(m.get("value"))
                and _is_text_map(m.get("feedback")) for m in p.get("mistakes", [])),
        "uses": isinstance(uses, list) and all(u in earlier for u in uses),
        "formula": isinstance(p.get("formula", ""), str) and (bool(p.get("formula")) == bool(uses)),
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise QuizFileError(f"{where}: field {bad[0]!r} is missing or malformed")
