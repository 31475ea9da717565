"""Sampling a quiz: reproducible, mixed, and never the same question twice."""

import json

from quizgen.sampling import _fingerprint, make_quiz


def test_a_quiz_mixes_computed_and_conceptual_questions_without_repeats():
    quiz = make_quiz("clipping", count=20, seed=4)
    fingerprints = [_fingerprint(q) for q in quiz.questions]
    assert len(set(fingerprints)) == len(fingerprints)
    kinds = {q.kind for q in quiz.questions}
    assert "choice" in kinds and kinds - {"choice"}
    assert {q.family for q in quiz.questions} >= {"clipping.clip_grad_norm", "clipping.concepts"}


def test_the_same_seed_gives_the_same_quiz_and_another_seed_another():
    a, b = make_quiz("calculus", count=6, seed=9), make_quiz("calculus", count=6, seed=9)
    assert a.to_json() == b.to_json()
    c = make_quiz("calculus", count=6, seed=10)
    assert json.loads(c.to_json())["questions"] != json.loads(a.to_json())["questions"]


def test_a_fixed_difficulty_is_respected():
    quiz = make_quiz("optimizers", count=9, seed=2, difficulty=3)
    assert {q.difficulty for q in quiz.questions} == {3}
