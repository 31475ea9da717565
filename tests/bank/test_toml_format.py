"""A broken declarative family gets one line per problem, naming the file and the key.

Each row: what is changed in a small valid family, and a phrase the problem line must hold.
"""

import pytest
from bank_helpers import write

from quizgen.bank import load

VALID = """\
[params]
a = { int = [1, 5] }
[answer]
formula = "2*a"
[prompt]
en = "What is twice {a}?"
zh = "{a} 的两倍是多少？"
[[mistakes]]
name = "same"
formula = "a"
feedback = { en = "Twice means times two.", zh = "两倍是乘以二。" }
[[mistakes]]
name = "plus_two"
formula = "a + 2"
feedback = { en = "Twice is a product.", zh = "两倍是乘积。" }
"""

ROWS = [
    # (description, old text, new text, key, phrase)
    ("TOML syntax", "[answer]", "[answer", "line 3, column", "TOML syntax"),
    ("unknown top key", "[params]", 'titel = "x"\n[params]', "titel", "unknown key"),
    ("unknown param key", "[1, 5] }", "[1, 5], seed = 1 }", "params.a.seed", "unknown key"),
    ("two ways for one param", "[1, 5] }", "[1, 5], step = 1 }", "params.a", "mixes int"),
    ("misspelt param form", "{ int = [1, 5] }", "{ itn = [1, 5] }", "params.a.itn",
     "unknown key"),
    ("formula does not parse", '"2*a"', '"2*a +"', "answer.formula", "'2*a +'"),
    ("unknown name in formula", '"2*a"', '"2*b"', "answer.formula", "Unknown name 'b'"),
    ("code in a formula", '"2*a"', "\"__import__('os')\"", "answer.formula", "__import__"),
    ("attribute access", '"2*a"', '"a.__class__"', "answer.formula", "formula"),
    ("placeholder not defined", "twice {a}", "twice {b}", "prompt.en",
     "{b} is not a parameter"),
    ("answer in the prompt", "twice {a}", "twice {answer}", "prompt.en",
     "cannot show the answer"),
    ("stray brace", "twice {a}?", r"twice \\frac{1}{2}?", "prompt.en", "stray '{'"),
    ("one mistake only", '[[mistakes]]\nname = "same"', '[[mistake]]\nname = "same"',
     "mistakes", "1 given"),
    ("mistake name twice", 'name = "plus_two"', 'name = "same"', "mistakes[2].name",
     "used twice"),
    ("mistake without feedback", "feedback = { en = \"Twice means", "text = { en = \"Twice means",
     "mistakes[1].text", "unknown key"),
    ("feedback without English", 'en = "Twice means times two.", ', "",
     "mistakes[1].feedback.en", "missing"),
    ("vector kind, scalar answer", "[params]", 'kind = "vector"\n[params]',
     "answer.formula", "a vector answer is a list"),
    ("list answer, number kind", '"2*a"', '"[a, 2*a]"', "answer.formula",
     'needs kind = "vector"'),
    ("unknown kind", "[params]", 'kind = "matrix"\n[params]', "kind", "must be one of"),
    ("variables on a number", "[params]", 'variables = ["x"]\n[params]', "variables",
     "only an expression answer"),
    ("expression without variables", "[params]", 'kind = "expression"\n[params]',
     "variables", "declares its variables"),
    ("unknown domain", "[params]", 'kind = "expression"\nvariables = ["x:complex"]\n[params]',
     "variables", "unknown domain 'complex' for variable 'x'"),
    ("derived from a later one", "a = { int = [1, 5] }",
     'b = { formula = "a + 1" }\na = { int = [1, 5] }', "params.b.formula",
     "uses a, defined after it"),
    ("param named answer", "a = { int = [1, 5] }", "a = { int = [1, 5] }\nanswer = 3",
     "params.answer", "reserved"),
    ("no answer", '[answer]\nformula = "2*a"\n', "", "answer", "needs formula"),
    ("no prompt", '[prompt]\nen = "What is twice {a}?"\nzh = "{a} 的两倍是多少？"\n', "",
     "prompt", "missing"),
    ("tolerance key", "[params]", "tolerance = { rtl = 1e-3 }\n[params]", "tolerance.rtl",
     "unknown key"),
    ("sigfigs and rtol", "[params]", "tolerance = { sigfigs = 3, rtol = 1e-3 }\n[params]",
     "tolerance", "one or the other"),
    ("topic of another folder", "[params]", 'topic = "other"\n[params]', "topic",
     "in the folder 'course'"),
    ("int bounds reversed", "[1, 5]", "[5, 1]", "params.a.int", "low <= high"),
    ("grid too fine", "{ int = [1, 5] }", "{ min = 0, max = 1e9, step = 1e-3 }", "params.a",
     "values between min and max"),
    ("grid incomplete", "{ int = [1, 5] }", "{ min = 0, max = 1 }", "params.a",
     "missing step"),
    ("title not a text", "[params]", "title = 3\n[params]", "title", "must be a text"),
    ("name the grader splits", "a = { int = [1, 5] }", "a = { int = [1, 5] }\nx_y_z = 2",
     "params.x_y_z", "not a name"),
]


@pytest.mark.parametrize("description, old, new, key, phrase", ROWS,
                         ids=[row[0] for row in ROWS])
def test_each_problem_names_the_file_and_the_key(tmp_path, description, old, new, key, phrase):
    assert old in VALID, description
    write(tmp_path / "bank", {"course/twice.toml": VALID.replace(old, new, 1)})
    loaded = load([tmp_path / "bank"])
    assert not loaded.families, description
    prefix = f"{tmp_path / 'bank' / 'course' / 'twice.toml'}: {key}"
    assert any(p.startswith(prefix) and phrase in p for p in loaded.problems), loaded.problems
    assert all("\n" not in p and "Traceback" not in p for p in loaded.problems)


def test_the_valid_family_loads_without_problems(tmp_path):
    write(tmp_path / "bank", {"course/twice.toml": VALID})
    loaded = load([tmp_path / "bank"])
    assert loaded.problems == [] and loaded.warnings == []
    assert [f.id for f in loaded.families] == ["course.twice"]  # id and topic from the path


def test_every_problem_of_a_file_is_reported_not_only_the_first(tmp_path):
    text = (VALID.replace("[params]", 'titel = "x"\n[params]')
            .replace('"2*a"', '"2*b"').replace("twice {a}", "twice {c}"))
    write(tmp_path / "bank", {"course/twice.toml": text})
    problems = load([tmp_path / "bank"]).problems
    assert [p.split(": ")[1] for p in problems] == ["titel", "answer.formula", "prompt.en"]


def test_a_missing_zh_falls_back_to_english_with_a_warning(tmp_path):
    text = VALID.replace('zh = "{a} 的两倍是多少？"\n', "")
    write(tmp_path / "bank", {"course/twice.toml": text})
    loaded = load([tmp_path / "bank"])
    (family,) = loaded.families
    assert loaded.problems == []
    assert len(loaded.warnings) == 1 and "no zh for prompt;" in loaded.warnings[0]
    assert family.prompt({"a": 3}, "zh") == family.prompt({"a": 3}, "en") == "What is twice 3?"


def test_a_file_too_big_is_refused_before_it_is_parsed(tmp_path):
    write(tmp_path / "bank", {"course/big.toml": "# " + "x" * 300_000 + "\n" + VALID})
    (problem,) = load([tmp_path / "bank"]).problems
    assert "big.toml" in problem and "at most" in problem
