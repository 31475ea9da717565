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
