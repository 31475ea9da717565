"""Single choice, multiple choice and true/false: the set of labels named must be the key's.

Labels are read loosely and in linear time: ``B``, ``(b)``, ``B.``, full-width ``Ｂ``, quoted
``"D"`` (as a key pasted back), several as ``A, C``, ``A C``, ``AC`` or ``["A", "C"]``;
true/false in English and Chinese. Multiple choice scores (right picks - wrong picks) / correct.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..context import Context, ExpectedError
from ..messages import AnswerError, message
from ..mistakes import incorrect, matched
from ..normalize import MAX_LENGTH
from ..verdict import Verdict

_TRUE = {"TRUE", "T", "YES", "Y", "对", "是", "正确", "真", "√", "✓", "✔"}
_FALSE = {"FALSE", "F", "NO", "N", "错", "否", "错误", "假", "×", "✗", "✘"}
# One character class or one word: no nested quantifiers, linear in the text.
_LABEL_SPLIT = re.compile(r"[\s,;/、，；和及与]+|\band\b", re.I)
_WRAPPING = "()[]{}.:：。 \"'“”‘’「」"


def labels(value: Any, letters_only: bool) -> frozenset[str]:
    if isinstance(value, bool):
        return frozenset({"TRUE" if value else "FALSE"})
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset().union(*(labels(v, letters_only) for v in value))
    text = unicodedata.normalize("NFKC", str(value)).upper()
    found = set()
    for piece in _LABEL_SPLIT.split(text):
        piece = piece.strip(_WRAPPING)
        if not piece:
            continue
        if piece in _TRUE:
            found.add("TRUE")
        elif piece in _FALSE:
            found.add("FALSE")
        elif letters_only and piece.isalpha() and piece.isascii():
            found.update(piece)  # "AC" is A and C when every option is one letter
        else:
            found.add(piece)
    return frozenset(found)


def grade(expected, answer: str, ctx: Context) -> Verdict:
    want = labels(expected, letters_only=False)
    if not want:
        raise ExpectedError(f"expected choice {expected!r} has no label")
    if len(answer) > MAX_LENGTH:
        raise AnswerError("too_long", n=len(answer), limit=MAX_LENGTH)
    letters_only = all(len(w) == 1 for w in want)
    got = labels(answer, letters_only)
    interpreted = ", ".join(sorted(got))
    if not got:
        example = ", ".join(sorted(want)[:1]) if letters_only else "A"
        raise AnswerError("no_choice", example=example)
    allowed = labels(list(ctx.choices), letters_only=False) if ctx.choices else frozenset()
    if allowed and not got <= allowed:
        unknown = ", ".join(sorted(got - allowed))
        raise AnswerError("not_an_option", unknown=unknown, options=", ".join(sorted(allowed)))
    if got == want:
        return Verdict("correct", 1.0, message("correct", ctx.lang), interpreted, "choice")
    right, extra = len(got & want), len(got - want)
    score = max(0.0, (right - extra) / len(want)) if len(want) > 1 else 0.0
    mistake = matched(ctx.mistakes, lambda v: labels(v, letters_only) == got, ctx.deadline)
    if score > 0:
        feedback = message("choice_partial", ctx.lang, right=right, total=len(want), extra=extra)
    else:
        feedback = message("incorrect", ctx.lang)
    return incorrect(score, feedback, interpreted, "choice", mistake, ctx.lang)
