"""Bank folders: what is a family, ids that clash, concept files, and mixing with the built-ins."""

import hashlib

from bank_helpers import LABEL_SMOOTHING, write

from question_bank import builtin_families, families, topics
from quizgen.bank import Loaded, load, use

CONCEPTS = """\
[[items]]
id = "why-smooth"
type = "single"
difficulty = 1
question = { en = "Why smooth labels?", zh = "为什么平滑标签？" }
explanation = { en = "Less over-confidence.", zh = "减少过度自信。" }
[[items.choices]]
text = { en = "Calibration", zh = "校准" }
correct = true
[[items.choices]]
text = { en = "Speed", zh = "速度" }
"""


def test_families_concepts_and_origins(bank):
    write(bank, {"concepts/course.toml": CONCEPTS, "course/_draft.toml": "not = [toml",
                 ".hidden/x.toml": "broken", "README.md": "notes"})
    loaded = load([bank])
    assert loaded.problems == [] and loaded.warnings == []
    assert sorted(f.id for f in loaded.families) == ["course.concepts", "course.label_smoothing"]
    family = next(f for f in loaded.families if f.id == "course.label_smoothing")
    digest = hashlib.sha256((bank / "course" / "label_smoothing.toml").read_bytes()).hexdigest()
    assert family.origin == {"source": "bank", "bank": "ml101",
                             "file": "course/label_smoothing.toml", "sha256": digest}
    assert builtin_families()["optimizers.adam_step"].origin == {"source": "built-in"}


def test_use_mixes_bank_families_into_topics_and_undoes(bank):
    before = len(families())
    use(load([bank]))
    assert "course.label_smoothing" in families() and len(families()) == before + 1
    assert [f.id for f in topics()["course"]] == ["course.label_smoothing"]
    use(Loaded())
    assert "course" not in topics() and len(families()) == before


def test_a_bank_may_add_families_and_concepts_to_a_builtin_topic(tmp_path):
    text = LABEL_SMOOTHING.replace("course.label_smoothing", "optimizers.label_smoothing") \
        .replace('topic = "course"', 'topic = "optimizers"')
    concepts = 'id = "optimizers.ml101"\n' + CONCEPTS
    bank = write(tmp_path / "b", {"optimizers/label_smoothing.toml": text,
                                  "concepts/optimizers.toml": concepts})
    loaded = load([bank])
    assert loaded.problems == []
    use(loaded)
    ids = [f.id for f in topics()["optimizers"]]
    assert {"optimizers.label_smoothing", "optimizers.ml101", "optimizers.adam_step"} <= set(ids)


def test_ids_that_clash_are_problems_naming_both_files(tmp_path, bank):
    other = write(tmp_path / "other", {"course/copy.toml": LABEL_SMOOTHING,
                                       "concepts/optimizers.toml": CONCEPTS})
    loaded = load([bank, other])
    assert [f.id for f in loaded.families] == ["course.label_smoothing"]
    assert sorted(loaded.problems) == sorted([
        f"{other}/concepts/optimizers.toml: id 'optimizers.concepts' is already a built-in "
        "family; choose another id",
        f"{other}/course/copy.toml: id 'course.label_smoothing' is already used by "
        f"{bank}/course/label_smoothing.toml",
    ])


def test_the_same_folder_twice_loads_once_and_a_missing_folder_is_named(tmp_path, bank):
    loaded = load([bank, str(bank) + "/", "", tmp_path / "nope"])
    assert [f.id for f in loaded.families] == ["course.label_smoothing"]
    assert loaded.problems == [f"{tmp_path / 'nope'}: no such bank folder"]


def test_a_family_outside_a_topic_folder_is_ignored_with_a_warning(bank):
    write(bank, {"stray.toml": LABEL_SMOOTHING})
    loaded = load([bank])
    assert loaded.warnings == [f"{bank}/stray.toml: ignored; a family goes in a topic folder, "
                               "<topic>/<family>.toml"]


def test_broken_concept_items_are_each_named(tmp_path):
    broken = CONCEPTS.replace('type = "single"', 'type = "single"\ncolour = "red"') + (
        '[[items]]\nid = "why-smooth"\ntype = "essay"\ndifficulty = 1\n'
        'question = "Q"\nexplanation = "E"\n')
    loaded = load([write(tmp_path / "b", {"concepts/course.toml": broken})])
    shown = f"{tmp_path / 'b'}/concepts/course.toml"
    assert loaded.problems == [
        f"{shown}: items[1].colour: unknown key (expected one of: id, section, type, difficulty,"
        " question, explanation, answer, fixed_order, choices)",
        f"{shown}, item 'why-smooth': type must be one of ('single', 'multiple', 'truefalse')",
        f"{shown}: items[2].id: 'why-smooth' is used twice",
    ]
    assert "no zh for items[2].question, items[2].explanation" in loaded.warnings[0]
