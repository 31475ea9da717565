"""Several variants of every question slot, for one LMS import that gives each student their own.

``make --variants N`` draws, for each slot of a quiz, N variants of the slot's family at the
slot's difficulty (R/exams' ``exams2moodle(n = N)``). The LMS files put each slot's variants in a
category (Moodle, GIFT) or a section selecting one of them (QTI), so the LMS picks one per
student. quiz.json keeps them all (:attr:`quizgen.model.Quiz.variants`) and a key CSV lists
every variant's answer.

Variants of a slot are distinct twice over: different parameters, and question texts that
Moodle's Responses report tells apart (no variant's text, read as :func:`text_tokens`, begins
with another's), so that a student's response maps back to the variant they were shown
(:mod:`quizgen.moodle_responses`). A conceptual family can have fewer items at a level than N:
its slot then holds every distinct variant there is, and ``make`` says so.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace

from .model import LANGS, Question, Quiz

MAX_VARIANTS = 100
# Draws per variant before a slot counts as exhausted (a conceptual family with few items at
# the slot's level); draws are cheap, and this many makes missing an unseen item unlikely.
MAX_DRAWS = 200
KEY_COLUMNS = ["question", "variant", "family", "difficulty", "answer", "tolerance"]


class VariantError(ValueError):
    """--variants cannot be honoured (a bad count, or more variants than the quiz holds)."""


@dataclass(frozen=True)
class SlotVariant:
    slot: Question  # the slot's own question (variant 1)
    number: int  # 1..N
    question: Question  # the variant itself; its id is the variant id

    @property
    def id(self) -> str:
        return variant_id(self.slot.id, self.number)


def variant_id(slot_id: str, number: int) -> str:
    """``q3.v2``: the id of variant 2 of slot q3, in quiz.json, the LMS files and the key."""
    return f"{slot_id}.v{number}"


def slot_variants(quiz: Quiz, slot: Question, limit: int | None = None) -> list[SlotVariant]:
    """The slot's variants, its own question first, at most ``limit`` of them."""
    others = quiz.variants.get(slot.id, [])
    found = [SlotVariant(slot, 1, replace(slot, id=variant_id(slot.id, 1)))]
    found += [SlotVariant(slot, k, q) for k, q in enumerate(others, start=2)]
    return found[:limit] if limit is not None else found


def variant_count(quiz: Quiz) -> int:
    """How many variants the quiz's slots hold at most (1 for a quiz made without --variants)."""
    return max((1 + len(quiz.variants.get(q.id, [])) for q in quiz.questions), default=1)


def check_count(quiz: Quiz, requested: int | None) -> int:
    """The number of variants an export writes: ``requested``, or all the quiz holds."""
    held = variant_count(quiz)
    if requested is None:
        return held
    if not 1 <= requested <= MAX_VARIANTS:
        raise VariantError(f"--variants must be between 1 and {MAX_VARIANTS}, not {requested}")
    if requested > held:
        made = f"made with --variants {held}" if held > 1 else "made without --variants"
        raise VariantError(f"--variants {requested}: this quiz holds {held} variant(s) per "
                           f"question ({made}); run `quizgen make ... --variants {requested}` "
                           "to draw more (export never re-samples)")
    return requested


# -- telling variants apart as Moodle's Responses report shows them ---------------------------

_TOKEN = re.compile(r"[^\W_]+|-")


def text_tokens(text: str) -> tuple[str, ...]:
    """The words and numbers of a question text, without markup: what survives Moodle's
    ``html_to_text`` whatever it does to tags, entities, emphasis (``**b**``, upper case),
    line breaks and TeX delimiters. A minus sign is kept, so ``-0.5`` and ``0.5`` differ."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2212", "-")
    return tuple(_TOKEN.findall(text))


def begins_with(tokens: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return len(prefix) <= len(tokens) and tokens[: len(prefix)] == prefix


def _tells_apart(a: Question, b: Question) -> bool:
    """Neither question's text begins with the other's, in either language."""
    for lang in LANGS:
        ta, tb = text_tokens(a.prompt.get(lang, "")), text_tokens(b.prompt.get(lang, ""))
        if begins_with(ta, tb) or begins_with(tb, ta):
            return False
    return True


# -- drawing variants -------------------------------------------------------------------------

def add_variants(quiz: Quiz, count: int, notes: list[str] | None = None) -> Quiz:
    """The quiz with ``count`` variants per slot (its own question first), drawn from each
    slot's family at the slot's difficulty and asked in the slot's parts; a slot whose family
    has fewer distinct variants holds them all, with a sentence in ``notes``. Needs the
    question bank."""
    from question_bank import families

    from .sampling import _fingerprint, build_question, rng_for

    if not 1 <= count <= MAX_VARIANTS:
        raise VariantError(f"--variants must be between 1 and {MAX_VARIANTS}, not {count}")
    bank = families()
    taken = {_fingerprint(q) for q in quiz.questions}  # across slots, avoided while possible
    variants: dict[str, list[Question]] = {}
    for position, slot in enumerate(quiz.questions):
        family = bank[slot.family]
        mine, fingerprints = [slot], {_fingerprint(slot)}
        for k in range(2, count + 1):
            found = None
            for draw in range(MAX_DRAWS):
                rng = rng_for(quiz.seed, "variant", position, slot.family, k, draw)
                candidate = build_question(family, rng, slot.difficulty, variant_id(slot.id, k))
                fingerprint = _fingerprint(candidate)
                repeats = fingerprint in fingerprints or (
                    draw < MAX_DRAWS // 2 and fingerprint in taken)
                if (not repeats and candidate.same_parts(slot)
                        and all(_tells_apart(candidate, q) for q in mine)):
                    found = candidate
                    break
            if found is None:
                if notes is not None:
                    notes.append(f"{slot.id} ({slot.family}): {len(mine)} distinct variant(s) "
                                 f"at difficulty {slot.difficulty}, not {count}; its category "
                                 "holds those")
                break
            mine.append(found)
            fingerprints.add(_fingerprint(found))
            taken.add(_fingerprint(found))
        if len(mine) > 1:
            variants[slot.id] = mine[1:]
    return replace(quiz, variants=variants)


# -- the key ----------------------------------------------------------------------------------

def key_rows(quiz: Quiz) -> list[list[object]]:
    """One row per (slot, variant) for the key CSV (:data:`KEY_COLUMNS`): the answer as a
    student types it, which pasted back into an answers file grades correct. A multi-part
    question has a row per part, its question named as its answer column (``q3.a``)."""
    from .roster import typed_answer

    rows: list[list[object]] = []
    for slot in quiz.questions:
        for v in slot_variants(quiz, slot):
            q = v.question
            units = [(f"{slot.id}.{p.id}", p) for p in q.parts] or [(slot.id, q)]
            rows += [[answer_id, v.id, q.family, q.difficulty, typed_answer(unit),
                      json.dumps(unit.tolerance, sort_keys=True)] for answer_id, unit in units]
    return rows
