"""Conceptual items: single choice, multiple choice and true/false, one TOML file per topic.

Each ``<topic>.toml`` holds ``[[items]]`` tables::

    [[items]]
    id = "bn-train-vs-eval"          # unique within the file
    section = 2                      # the seed section it covers (docs/question_bank.md)
    type = "single"                  # single | multiple | truefalse
    difficulty = 1                   # 1..3
    question = { en = "...", zh = "..." }
    explanation = { en = "...", zh = "..." }
    answer = true                    # truefalse only
    fixed_order = false              # keep the options in file order ("all of the above")

    [[items.choices]]                # single / multiple only
    text = { en = "...", zh = "..." }
    correct = true
    why = { en = "...", zh = "..." } # optional: feedback for a student who picks this option
    name = "..."                     # optional: the misconception's name (default: the text)

Every topic file becomes one family, ``<topic>.concepts``, seen through the same interface as a
computational family: ``sample`` picks an item and an option order, ``answer`` is the letter
(or letters) of the right option(s), ``mistakes`` are the wrong options with their feedback.
"""

from __future__ import annotations

import random
import string
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

from quizgen.model import Mistake

TYPES = ("single", "multiple", "truefalse")
TRUE_FALSE = [
    {"id": "T", "text": {"en": "True", "zh": "对"}},
    {"id": "F", "text": {"en": "False", "zh": "错"}},
]


class ConceptFileError(ValueError):
    pass


class ConceptPool:
    """The conceptual items of one topic, as a question family."""

    KIND = "choice"
    TITLE = {"en": "Concepts", "zh": "概念题"}

    def __init__(self, topic: str, items: list[dict[str, Any]]):
        self.TOPIC = topic
        self.ID = f"{topic}.concepts"
        self.items = {item["id"]: item for item in items}

    def sample(self, rng: random.Random, difficulty: int) -> dict:
        at_level = [i for i in self.items.values() if i["difficulty"] == difficulty]
        item = rng.choice(at_level or list(self.items.values()))
        order = list(range(len(item.get("choices", []))))
        if not item.get("fixed_order"):
            rng.shuffle(order)
        return {"item": item["id"], "order": order}

    def _item(self, params: dict) -> dict:
        return self.items[params["item"]]

    def _options(self, params: dict) -> list[tuple[str, dict]]:
        """(letter, option) in display order."""
        item = self._item(params)
        return [(string.ascii_uppercase[k], item["choices"][i])
                for k, i in enumerate(params["order"])]

    def choices(self, params: dict) -> list[dict]:
        if self._item(params)["type"] == "truefalse":
            return [dict(c) for c in TRUE_FALSE]
        return [{"id": letter, "text": dict(option["text"])}
                for letter, option in self._options(params)]

    def prompt(self, params: dict, lang: str) -> str:
        item = self._item(params)
        hint = {
            "single": {"en": " (one answer)", "zh": "（单选）"},
            "multiple": {"en": " (select all that apply)", "zh": "（多选）"},
            "truefalse": {"en": " (true or false)", "zh": "（判断对错）"},
        }[item["type"]][lang]
        return item["question"][lang] + hint

    def answer(self, params: dict) -> str | list[str]:
        item = self._item(params)
        if item["type"] == "truefalse":
            return "T" if item["answer"] else "F"
        right = [letter for letter, option in self._options(params) if option.get("correct")]
        return right if item["type"] == "multiple" else right[0]

    def answer_tex(self, params: dict) -> str:
        answer = self.answer(params)
        return "\\text{" + (", ".join(answer) if isinstance(answer, list) else answer) + "}"

    def closed_form(self, params: dict) -> None:
        return None  # nothing to derive: the item file is the source

    def solution(self, params: dict, lang: str) -> list[str]:
        return [self._item(params)["explanation"][lang]]

    def mistakes(self, params: dict) -> list[Mistake]:
        item = self._item(params)
        explanation = item["explanation"]
        if item["type"] == "truefalse":
            wrong = "F" if item["answer"] else "T"
            return [Mistake(f"answered {wrong}", wrong, dict(explanation))]
        if item["type"] == "multiple":
            return []  # partial credit per option; no single wrong answer to name
        return [
            Mistake(_name(option, original), letter, dict(option.get("why", explanation)))
            for (letter, option), original in zip(self._options(params), params["order"])
            if not option.get("correct")
        ]

    def tolerance(self, params: dict) -> dict:
        return {}  # options are matched exactly


def _name(option: dict, original_index: int, limit: int = 48) -> str:
    """The name of the mistake of choosing `option`: its `name`, else its text cut at a word
    boundary, else (text with math) its position in the item file, which no shuffle changes."""
    if option.get("name"):
        return option["name"]
    text = " ".join(option["text"]["en"].split())
    if "$" in text or "\\" in text:
        return f"distractor {string.ascii_uppercase[original_index]}"
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + " …"


def _check_item(topic: str, item: dict, source: str = "") -> None:
    where = f"{source or f'concepts/{topic}.toml'}, item {item.get('id', '?')!r}"
    for key in ("id", "section", "type", "difficulty", "question", "explanation"):
        if key not in item:
            raise ConceptFileError(f"{where}: missing {key!r}")
    if item["type"] not in TYPES:
        raise ConceptFileError(f"{where}: type must be one of {TYPES}")
    texts = [item["question"], item["explanation"]]
    if item["type"] == "truefalse":
        if not isinstance(item.get("answer"), bool):
            raise ConceptFileError(f"{where}: a truefalse item needs answer = true/false")
    else:
        choices = item.get("choices", [])
        right = sum(bool(c.get("correct")) for c in choices)
        if len(choices) < 2 or right < 1 or (item["type"] == "single" and right != 1):
            raise ConceptFileError(f"{where}: needs >= 2 choices and exactly the right number "
                                   f"of correct ones ({right} marked)")
        texts += [c["text"] for c in choices] + [c["why"] for c in choices if "why" in c]
    for text in texts:
        if not (isinstance(text, dict) and text.get("en", "").strip() and text.get("zh", "").strip()):
            raise ConceptFileError(f"{where}: every text needs both 'en' and 'zh'")


@cache
def pools() -> tuple[ConceptPool, ...]:
    """One pool per topic file shipped in this package."""
    found = []
    for path in sorted(files(__name__).iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml"):
            continue
        topic = path.name.removesuffix(".toml")
        items = tomllib.loads(path.read_text(encoding="utf-8")).get("items", [])
        ids = set()
        for item in items:
            _check_item(topic, item)
            if item["id"] in ids:
                raise ConceptFileError(f"concepts/{topic}.toml: duplicate id {item['id']!r}")
            ids.add(item["id"])
        if items:
            found.append(ConceptPool(topic, items))
    return tuple(found)
