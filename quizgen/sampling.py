"""Turn (topic, count, seed) into a Quiz: pick families, sample variants, compute answers.

Every question gets its own random stream derived from (quiz seed, position, family id) with
SHA-256, so a quiz is reproducible on any machine and adding a question does not reshuffle the
others. Answers are rounded to 12 significant digits before they are stored: far beyond any
tolerance, and it keeps quiz.json byte-identical across CPUs whose float64 reductions differ
by an ulp.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from question_bank import DIFFICULTIES, Family, families, topics

from .model import Mistake, Part, Question, Quiz

STORED_DIGITS = 12
MAX_RESAMPLES = 50
MIN_MISTAKES = 2  # distinct named wrong answers per question; they double as distractors


class UnknownTopicError(LookupError):
    pass


def rng_for(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def stored(value: Any) -> Any:
    """The JSON form of an answer: floats to 12 significant digits, lists entry by entry."""
    if isinstance(value, (list, tuple)):
        return [stored(v) for v in value]
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    x = float(value)
    return float(f"{x:.{STORED_DIGITS}g}")


def select_families(topic: str) -> list[Family]:
    """A topic name, a family id, or "all"."""
    if topic == "all":
        return list(families().values())
    by_topic = topics()
    if topic in by_topic:
        return by_topic[topic]
    if topic in families():
        return [families()[topic]]
    known = ", ".join(sorted(by_topic))
    raise UnknownTopicError(f"unknown topic {topic!r}; known topics: {known} (or 'all')")


def coincides(answer: Any, value: Any, kind: str, tolerance: dict, variables: list[str]) -> bool:
    """Would a student typing `value` be graded correct for `answer`?"""
    if kind in ("number", "vector") and not variables:
        same = _same_numbers(answer, value, tolerance)
        if same is not None:
            return same
    from .grading import check

    text = value if isinstance(value, str) else repr(value) if kind != "vector" else str(value)
    return check(answer, text, kind=kind, variables=variables, **tolerance).status == "correct"


def _same_numbers(answer: Any, value: Any, tolerance: dict) -> bool | None:
    """The grader's own number rule (Tolerance.numbers, on the decimal text check() would read)
    for plain numbers or numeric lists of one shape, without writing and parsing them back:
    the generator asks this tens of times per question. None: let check() decide."""
    from .grading.context import Tolerance

    if isinstance(answer, list) or isinstance(value, list):
        if not (isinstance(answer, list) and isinstance(value, list)) or len(answer) != len(value):
            return None
        results = [_same_numbers(a, v, tolerance) for a, v in zip(answer, value)]
        return None if None in results else all(results)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
               for x in (answer, value)):
        return None
    return Tolerance(**tolerance).numbers(float(value), float(answer), repr(value))


def build_question(family: Family, rng: random.Random, difficulty: int, qid: str) -> Question:
    """Sample until no named mistake would be graded as the right answer.

    Mistakes that would be graded as each other are merged, and a variant with fewer than
    MIN_MISTAKES distinct ones is resampled. A variant the family asks in parts (its optional
    ``parts(params)`` hook returns them) becomes a multi-part question.
    """
    for _ in range(MAX_RESAMPLES):
        question = _question_of(family, family.sample(rng, difficulty), difficulty)
        if question is not None:
            return replace(question, id=qid)
    # A family whose mistakes always coincide is a bank bug.
    raise RuntimeError(  # pragma: no cover
        f"{family.id}: no sample with {MIN_MISTAKES} distinct wrong answers")


BUILT_LIMIT = 4096  # variants remembered; a class of students draws the same ones many times
# (the family's module, its id, the variant's JSON) -> the question, or None for a variant with
# too few distinct mistakes. The module is kept in the entry so its id cannot be reused.
_built: dict[tuple[int, str], tuple[Any, Question | None]] = {}


def _question_of(family: Family, params: dict, difficulty: int) -> Question | None:
    """The question a variant's parameters make (None: too few distinct mistakes), built once
    per family module: every hook is a function of ``params``, and a formula family has only a
    handful of variants that a course's students draw again and again. A fresh deep copy goes
    out each time, so no caller can change what the next one gets."""
    key = (id(family.module), json.dumps([params, difficulty], sort_keys=True))
    if key not in _built:
        if len(_built) >= BUILT_LIMIT:
            _built.clear()
        _built[key] = (family.module, _build(family, params, difficulty))
    built = _built[key][1]
    return None if built is None else copy.deepcopy(built)


def _build(family: Family, params: dict, difficulty: int) -> Question | None:
    parts_hook = getattr(family.module, "parts", None)
    parts = parts_hook(params) if parts_hook else None
    if parts:
        return _multipart_question(family, params, parts, difficulty, "")
    kind = family.kind(params)
    tolerance = family.tolerance(params)
    variables = family.variables(params)
    answer = stored(family.answer(params))
    mistakes: list[Mistake] = []
    for m in family.mistakes(params):
        value = stored(m.value)
        # Two mistakes that give the same value could not be told apart: keep the first.
        if not any(coincides(k.value, value, kind, tolerance, variables) for k in mistakes):
            mistakes.append(Mistake(m.name, value, m.feedback))
    enough = kind == "choice" or len(mistakes) >= MIN_MISTAKES  # options are distractors
    if not enough or any(coincides(answer, m.value, kind, tolerance, variables)
                         for m in mistakes):
        return None
    return Question(
        id="",
        family=family.id,
        kind=kind,
        params=params,
        prompt={lang: family.prompt(params, lang) for lang in ("en", "zh")},
        answer=answer,
        answer_tex=family.answer_tex(params),
        tolerance=tolerance,
        points=float(difficulty),
        solution={lang: family.solution(params, lang) for lang in ("en", "zh")},
        mistakes=mistakes,
        difficulty=difficulty,
        vars=variables,
        choices=family.choices(params),
        origin=family.origin,
    )


def _multipart_question(family: Family, params: dict, parts: list[Part], difficulty: int,
                        qid: str) -> Question:
    """A question asked in parts: each part's answer and mistakes stored as a question's are;
    a mistake that would be graded as its part's answer (or as an earlier mistake) is dropped."""
    stored_parts = []
    for part in parts:
        answer = stored(part.answer)
        mistakes: list[Mistake] = []
        for m in part.mistakes:
            value = stored(m.value)
            if not coincides(answer, value, part.kind, part.tolerance, part.vars) and not any(
                    coincides(k.value, value, part.kind, part.tolerance, part.vars)
                    for k in mistakes):
                mistakes.append(Mistake(m.name, value, m.feedback))
        stored_parts.append(replace(part, answer=answer, mistakes=mistakes))
    return Question(
        id=qid, family=family.id, kind="parts", params=params,
        prompt={lang: family.prompt(params, lang) for lang in ("en", "zh")},
        answer=[p.answer for p in stored_parts], answer_tex="", tolerance={},
        points=float(sum(p.points for p in stored_parts)),
        solution={lang: family.solution(params, lang) for lang in ("en", "zh")},
        mistakes=[], difficulty=difficulty, origin=family.origin, parts=stored_parts,
    )


def make_quiz(
    topic: str, count: int = 5, seed: int = 0, lang: str = "en", difficulty: int | None = None,
    follow_through: str = "full",
) -> Quiz:
    """A quiz of `count` questions cycling through the topic's families in a seeded order."""
    pool = select_families(topic)
    order = list(pool)
    rng_for(seed, "order").shuffle(order)
    questions: list[Question] = []
    seen: set[str] = set()
    for i in range(count):
        family = order[i % len(order)]
        for attempt in range(MAX_RESAMPLES):
            rng = rng_for(seed, i, family.id, attempt) if attempt else rng_for(seed, i, family.id)
            level = difficulty if difficulty is not None else rng.choice(DIFFICULTIES)
            question = build_question(family, rng, level, qid=f"q{i + 1}")
            fingerprint = _fingerprint(question)
            if fingerprint not in seen:  # no two identical questions in one quiz
                break
        seen.add(fingerprint)
        questions.append(question)
    return Quiz(
        seed=seed,
        topic=topic,
        lang=lang,
        questions=questions,
        created_with=_versions(),
        title=_title(topic, lang),
        follow_through=follow_through,
    )


def _fingerprint(question: Question) -> str:
    params = dict(question.params)
    params.pop("order", None)  # the same conceptual item with options reordered is a repeat
    return question.family + json.dumps(params, sort_keys=True)


TOPIC_TITLES = {
    "all": ("Deep-learning optimization", "深度学习优化综合"),
    "optimizers": ("Optimizers", "优化器"),
    "schedules": ("Learning-rate schedules", "学习率调度"),
    "normalization": ("Normalization layers", "归一化层"),
    "initialization": ("Initialization", "参数初始化"),
    "clipping": ("Gradient clipping", "梯度裁剪"),
    "calculus": ("Gradients and directional derivatives", "梯度与方向导数"),
    "spectral": ("Spectral normalization", "谱归一化"),
    "averaging": ("EMA and weight averaging", "EMA 与权重融合"),
    "gan": ("GAN training tricks", "GAN 训练技巧"),
    "hyperparameters": ("Hyper-parameter search", "超参数搜索"),
    "architecture": ("CNN generalization and architectures", "CNN 泛化与网络结构"),
}


def _title(topic: str, lang: str) -> str:
    if topic in TOPIC_TITLES:
        en, zh = TOPIC_TITLES[topic]
    elif topic in families():
        en, zh = families()[topic].title["en"], families()[topic].title["zh"]
    else:
        en = zh = topic.replace("_", " ")
    return f"{en} — quiz" if lang == "en" else f"{zh}测验"


def _versions() -> dict[str, str]:
    found = {}
    for package in ("quizgen", "torch", "sympy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found
