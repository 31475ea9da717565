"""Properties every family in the bank must have, checked over many seeds.

This is `quizgen validate` as a test: the reference answer equals the independent SymPy closed
form, the key as printed in quiz.json grades itself correct, and every named mistake grades
incorrect with its own feedback. An expression's closed form and key also equal the family's
reference computation (its ``evaluate`` hook) at points inside the variables' domains. A question
asked in parts gets the same checks part by part (quizgen.validate.part_problems; its formulas
and oracles: test_multipart_families.py).
"""

import json

import pytest
import sympy as sp

from question_bank import DIFFICULTIES, _formula, families
from quizgen.batch import grade_answer
from quizgen.sampling import build_question, rng_for
from quizgen.validate import part_problems, reference_problems

SEEDS = range(500)
FAMILIES = sorted(families())
COMPUTED = [f for f in FAMILIES if families()[f].KIND != "choice"]  # concepts have no formula


def _numbers(value):
    if isinstance(value, sp.MatrixBase):
        return [float(v) for v in value]
    return float(value)


@pytest.mark.parametrize("family_id", COMPUTED)
def test_reference_answer_equals_sympy_closed_form(family_id):
    """Numbers and vectors to 1e-9. An expression's key equals its closed form (SymPy), and both
    equal the family's reference computation (its evaluate hook) at points drawn inside the
    variables' domains: each distinct formula once; a family without the hook, or a variable
    without a domain, fails here."""
    family = families()[family_id]
    formulas = set()
    for seed in SEEDS:
        rng = rng_for(seed, family_id)
        params = family.sample(rng, DIFFICULTIES[seed % 3])
        if family.kind(params) == "choice":
            continue  # a choice variant's key is its option letter: nothing to derive
        expected = family.closed_form(params)
        got = family.answer(params)
        if family.kind(params) == "expression":
            fingerprint = json.dumps(params, sort_keys=True)
            if fingerprint in formulas:
                continue  # the same formula again: proved already
            formulas.add(fingerprint)
            problems = reference_problems(family, params, family.variables(params), got,
                                          seed=seed)
            assert not problems, (seed, params, problems[:3])
            got = _formula.parse(got, expected.free_symbols)  # trusted: our own key string
            assert sp.simplify(got - expected) == 0, (seed, params)
            continue
        if isinstance(got, list) and got and isinstance(got[0], list):  # a matrix, row by row
            got = [x for row in got for x in row]
        assert got == pytest.approx(_numbers(expected), rel=1e-9, abs=1e-12), (seed, params)


@pytest.mark.parametrize("family_id", FAMILIES)
def test_key_grades_correct_and_mistakes_incorrect_with_feedback(family_id):
    family = families()[family_id]
    for seed in range(100):
        question = build_question(family, rng_for(seed, family_id), DIFFICULTIES[seed % 3], "q1")
        if question.parts:
            assert part_problems(family, question) == [], (seed, question.params)
            continue
        key = question.answer
        if not isinstance(key, str):
            key = ", ".join(key) if question.kind == "choice" else repr(key)
        assert grade_answer(question, key).status == "correct", (seed, question.params)
        for lang in ("en", "zh"):
            for mistake in question.mistakes:
                text = mistake.value if isinstance(mistake.value, str) else repr(mistake.value)
                verdict = grade_answer(question, text, lang)
                assert verdict.status == "incorrect", (seed, mistake.name)
                assert verdict.feedback == mistake.feedback[lang], (seed, mistake.name)


@pytest.mark.parametrize("family_id", FAMILIES)
def test_texts_exist_in_both_languages(family_id):
    family = families()[family_id]
    for seed in range(30):
        question = build_question(family, rng_for(seed, family_id), DIFFICULTIES[seed % 3], "q1")
        assert len(question.mistakes) >= 2 or question.kind in ("choice", "parts")
        assert sum(len(p.mistakes) for p in question.parts) >= 2 or not question.parts
        for part in question.parts:
            for lang in ("en", "zh"):
                assert part.prompt[lang].strip() and part.solution[lang]
                assert all(m.feedback[lang].strip() for m in part.mistakes)
        for lang in ("en", "zh"):
            assert question.prompt[lang].strip()
            assert question.solution[lang] and all(s.strip() for s in question.solution[lang])
            assert all(m.feedback[lang].strip() for m in question.mistakes)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in question.prompt["zh"])
