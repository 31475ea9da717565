"""Helpers for a family's multi-part variant (its optional ``parts(params)`` hook).

A family asks in parts half of the time at difficulty 3 (:func:`chosen`): its params are those
of an ordinary variant plus ``"parts": True``, so ``answer``/``closed_form`` still give the
family's own answer, which is one of the parts. Each part is a :class:`quizgen.model.Part`; a
dependent one names the earlier parts it ``uses`` and a ``formula`` in their ids, written in the
grader's notation with the sampled constants spelled by :func:`lit`, so grading can follow
through from a student's own earlier values without the family or torch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from quizgen.model import Mistake, Part

SHARE = 0.5  # of difficulty-3 variants asked in parts
IDS = "abcdefgh"


def chosen(rng: random.Random, difficulty: int) -> bool:
    """Ask this difficulty-3 variant in parts? (draws from ``rng`` only at difficulty 3)."""
    return difficulty == 3 and rng.random() < SHARE


def lit(x: float) -> str:
    """``x`` as the grader's formula grammar reads it: 12 significant digits (as quiz.json
    stores answers, far below any tolerance; 0.6 * 3 is written 1.8, not 1.8000000000000003),
    whole numbers without ".0", negative numbers in parentheses so that ``2*(-0.5)`` and
    ``(-0.5)^2`` parse as meant."""
    x = float(f"{float(x):.12g}")
    text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    return f"({text})" if text.startswith("-") else text


def stem(setup: dict[str, str], count: int, lang: str) -> str:
    """The question's prompt: the family's setup, then what answering in parts means."""
    last = IDS[count - 1]
    if lang == "zh":
        return (f"{setup['zh']}本题分为 (a)–({last}) 小题，逐题作答；后面的小题要用到前面小题的"
                f"结果（评分时会按你自己前面的答案检查后面的小题）。")
    return (f"{setup['en']} This question is in parts (a)–({last}); answer each part. Later "
            f"parts build on earlier ones (a later part is also checked against your own "
            f"earlier answers).")


def part(index: int, prompt: dict[str, str], answer, answer_tex: str, tolerance: dict,
         solution: dict[str, list[str]], mistakes: Sequence[Mistake] = (),
         uses: Sequence[str] = (), formula: str = "", kind: str = "number",
         points: float = 1.0) -> Part:
    """Part ``IDS[index]`` (sheets label it "(a)"; its prompt is the sentence after the label);
    ``uses``/``formula`` only for a part that follows from earlier ones (the formula's
    variables are exactly ``uses``)."""
    prompt = {lang: text[:1].upper() + text[1:] for lang, text in prompt.items()}
    return Part(IDS[index], prompt, kind, answer, answer_tex, dict(tolerance), points,
                {lang: list(lines) for lang, lines in solution.items()}, list(mistakes),
                uses=list(uses), formula=formula)


def mistake(name: str, value, feedback: dict[str, str]) -> Mistake:
    return Mistake(name, value, dict(feedback))


def both(*lines: str) -> dict[str, list[str]]:
    """Worked steps that are pure LaTeX, the same in both languages."""
    return {"en": list(lines), "zh": list(lines)}
