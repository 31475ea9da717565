"""Per-student variants: deterministic from (quiz seed, student id), independent of who else is
on the roster, the same positions and families for everyone, and a roster's errors named."""

import json

import pytest

from quizgen.roster import (
    RosterError,
    Student,
    Variants,
    assign_tokens,
    make_variants,
    read_roster,
    student_questions,
)
from quizgen.sampling import make_quiz


@pytest.fixture(scope="module")
def base():
    return make_quiz("all", count=5, seed=21)


def test_variants_depend_only_on_seed_and_student(base):
    alone = student_questions(base, "s042")
    among_others = make_variants(base, [Student("s001"), Student("s042")]).get("s042").questions
    assert [q.params for q in alone] == [q.params for q in among_others]
    other = student_questions(base, "s043")
    assert [q.params for q in alone] != [q.params for q in other]
    assert [(q.id, q.family, q.difficulty) for q in alone] == \
        [(q.id, q.family, q.difficulty) for q in base.questions]


def test_shuffle_reorders_but_keeps_question_ids(base):
    orders = {tuple(q.id for q in student_questions(base, f"s{i}", shuffle=True))
              for i in range(12)}
    assert len(orders) > 1
    assert all(sorted(o) == sorted(q.id for q in base.questions) for o in orders)


def test_variants_file_round_trips(base, tmp_path):
    made = make_variants(base, [Student("a", "Ann"), Student("b")], shuffle=True)
    made.save(tmp_path / "variants.json")
    loaded = Variants.load(tmp_path / "variants.json")
    assert loaded.to_json() == made.to_json() and loaded.matches(base)
    assert loaded.quiz_for(base, "a").title.endswith("Ann (a)")


def test_roster_problems_are_named_by_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("学号,姓名\n001,甲\n,乙\n001,丙\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"line 3: no student id \(and 1 more\)"):
        read_roster(path)
    path.write_text("学号,姓名\n００１,甲\n002,乙\n", encoding="utf-8")  # full-width digits
    assert read_roster(path) == [Student("001", "甲"), Student("002", "乙")]


def test_tokens_are_random_and_survive_a_second_make(tmp_path):
    students = [Student("a"), Student("b")]
    first = assign_tokens(students, tmp_path / "tokens.csv")
    again = assign_tokens([*students, Student("c")], tmp_path / "tokens.csv")
    assert first["a"] != first["b"] and len(first["a"]) >= 20
    assert {k: again[k] for k in first} == first and "c" in again
    assert "token" not in json.dumps(json.loads(
        make_variants(make_quiz("optimizers", count=1, seed=1), students).to_json()))


def test_the_gradebook_keeps_a_digest_of_each_web_token_never_the_token(tmp_path):
    import hashlib

    from quizgen.gradebook import Gradebook
    from quizgen.roster import Student, make_variants
    from quizgen.sampling import make_quiz

    quiz = make_quiz("clipping", count=2, seed=1)
    variants = make_variants(quiz, [Student("s1", "Ann")])
    with Gradebook(tmp_path / "book.sqlite") as book:
        book.register(quiz, variants, {"s1": "secret-token-123"})
        stored = book.dump()["students"]
    assert "secret-token-123" not in repr(stored)
    assert hashlib.sha256(b"secret-token-123").hexdigest() in repr(stored)


def test_a_large_class_sampled_in_worker_processes_is_the_same_bytes():
    import multiprocessing

    import pytest

    from quizgen.roster import Student, make_variants
    from quizgen.sampling import make_quiz

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("worker processes are forked; elsewhere the class is sampled in one")
    base = make_quiz("all", count=6, seed=11)
    students = [Student(f"s{i:03d}", f"Name {i}") for i in range(60)]
    one = make_variants(base, students, shuffle=True, jobs=1)
    several = make_variants(base, students, shuffle=True, jobs=2)
    assert several.to_json() == one.to_json()
