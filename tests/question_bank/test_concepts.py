"""Conceptual items: the files load, every item renders in both languages, and grading works."""

import pytest

from question_bank import Family, families
from question_bank.concepts import ConceptFileError, ConceptPool, _check_item, pools
from quizgen.batch import grade_answer
from quizgen.sampling import build_question, rng_for

POOLS = {pool.ID: pool for pool in pools()}


def _tf_item(**changes):
    item = {"id": "x", "section": 1, "type": "truefalse", "difficulty": 1, "answer": True,
            "question": {"en": "Q?", "zh": "问？"}, "explanation": {"en": "E.", "zh": "解。"}}
    return {**item, **changes}


def test_every_concept_pool_is_a_family():
    assert POOLS, "no concept files found"
    for pool_id in POOLS:
        assert families()[pool_id].KIND == "choice"


@pytest.mark.parametrize("pool_id", sorted(POOLS))
def test_every_item_grades_its_key_correct_and_its_distractors_incorrect(pool_id):
    family = families()[pool_id]
    for item_id, item in POOLS[pool_id].items.items():
        rng = rng_for(0, item_id)
        params = {"item": item_id, "order": list(range(len(item.get("choices", []))))}
        rng.shuffle(params["order"])
        family.module.sample = lambda rng, difficulty, params=params: params  # noqa: B023
        try:
            question = build_question(family, rng, item["difficulty"], "q1")
        finally:
            del family.module.sample
        ids = {c["id"] for c in question.choices}
        answer = question.answer if isinstance(question.answer, list) else [question.answer]
        assert set(answer) <= ids, item_id
        for lang in ("en", "zh"):
            assert question.prompt[lang].strip() and question.solution[lang][0].strip()
            assert all(c["text"][lang].strip() for c in question.choices)
            assert grade_answer(question, ", ".join(answer), lang).status == "correct", item_id
            for m in question.mistakes:
                verdict = grade_answer(question, m.value, lang)
                assert verdict.status == "incorrect", (item_id, m.name)
                assert verdict.feedback == m.feedback[lang], (item_id, m.name)


def test_true_false_accepts_chinese_answers():
    pool = ConceptPool("demo", [_tf_item()])
    question = build_question(Family(pool), rng_for(1), 1, "q1")
    assert question.answer == "T"
    assert grade_answer(question, "对", "zh").status == "correct"
    assert grade_answer(question, "错", "zh").status == "incorrect"


def test_sampling_prefers_items_at_the_requested_difficulty():
    pool = ConceptPool("demo", [_tf_item(id="easy"), _tf_item(id="hard", difficulty=3)])
    assert {pool.sample(rng_for(s), 3)["item"] for s in range(20)} == {"hard"}


@pytest.mark.parametrize("changes, needle", [
    ({"type": "essay"}, "type must be"),
    ({"answer": "yes"}, "answer = true/false"),
    ({"question": {"en": "Q?"}}, "both 'en' and 'zh'"),
    ({"type": "single", "choices": [{"text": {"en": "a", "zh": "甲"}, "correct": True},
                                    {"text": {"en": "b", "zh": "乙"}, "correct": True}]},
     "exactly the right number"),
])
def test_malformed_items_are_rejected_with_the_item_named(changes, needle):
    with pytest.raises(ConceptFileError, match=needle) as info:
        _check_item("demo", _tf_item(**changes))
    assert "'x'" in str(info.value)


SEED_SECTIONS = range(1, 26)  # the 25 sections of the source notes (docs/question_bank.md)


def test_every_seed_section_has_at_least_four_conceptual_items():
    per_section = {s: 0 for s in SEED_SECTIONS}
    for pool in POOLS.values():
        for item in pool.items.values():
            per_section[item["section"]] = per_section.get(item["section"], 0) + 1
    thin = {s: n for s, n in per_section.items() if n < 4}
    assert not thin, f"sections with fewer than 4 items: {thin}"
    assert set(per_section) == set(SEED_SECTIONS), "an item names a section the seed lacks"


def test_the_seed_section_table_in_the_docs_names_every_computational_family():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "question_bank.md").read_text("utf-8")
    table = doc.split("## Seed sections", 1)[1].split("\n## ", 1)[0]
    missing = [f for f in families() if not f.endswith(".concepts") and f"`{f}`" not in table]
    assert not missing, f"add to docs/question_bank.md's section table: {missing}"
