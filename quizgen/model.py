"""The quiz model: what `quizgen make` writes to quiz.json and what grading and export read.

quiz.json is the single source for grading and re-export (contract ``quizgen/1``): nothing
downstream re-samples or re-computes, so this module imports neither torch nor sympy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "quizgen/1"
LANGS = ("en", "zh")
KINDS = ("number", "vector", "expression", "choice")


class QuizFileError(ValueError):
    """quiz.json is missing, unreadable or does not follow the quizgen/1 format."""


@dataclass
class Mistake:
    """A named wrong answer: the value a common mistake produces and the feedback it deserves."""

    name: str
    value: Any
    feedback: dict[str, str]  # {"en": ..., "zh": ...}


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


@dataclass
class Quiz:
    seed: int
    topic: str
    lang: str
    questions: list[Question]
    created_with: dict[str, str]
    title: str = ""

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    def to_json(self) -> str:
        # sort_keys + fixed separators: the same quiz is the same bytes on every machine.
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "quiz.json") -> Quiz:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise QuizFileError(f"{source}: field 'format' must be {FORMAT!r}")
        try:
            if not isinstance(data["questions"], list):
                raise QuizFileError(f"{source}: field 'questions' must be a list")
            for i, q in enumerate(data["questions"]):
                _check_question(q, f"{source}: question {i + 1}")
            questions = [
                Question(
                    **{
                        **q,
                        "mistakes": [Mistake(**m) for m in q.get("mistakes", [])],
                    }
                )
                for q in data["questions"]
            ]
            return cls(
                seed=data["seed"],
                topic=data["topic"],
                lang=data["lang"],
                questions=questions,
                created_with=data["created_with"],
                title=data.get("title", ""),
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
    checks = {
        "id": isinstance(q.get("id"), str),
        "kind": q.get("kind") in KINDS,
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
