"""A course bank's Python family: imported like a plugin, every failure one line naming the file."""

import textwrap

import pytest
from bank_helpers import write

from quizgen.bank import BankError, load, sampling_problems
from quizgen.validate import sample_question, validate_family

GOOD = '''\
import random

from quizgen.model import Mistake

from ._helpers import double

ID = "course.double"
TOPIC = "course"
TITLE = {"en": "Double it", "zh": "乘以二"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    return {"a": rng.randint(1, 9)}


def prompt(p, lang):
    return f"Double ${p['a']}$." if lang == "en" else f"${p['a']}$ 乘以二。"


def answer(p):
    return double(p["a"])


def answer_tex(p):
    return str(answer(p))


def closed_form(p):
    import sympy
    return sympy.Integer(2) * p["a"]


def oracle(p):
    return p["a"] + p["a"]


def solution(p, lang):
    return [f"$2 \\\\cdot {p['a']} = {answer(p)}$"]


def mistakes(p):
    fb = {"en": "no", "zh": "不对"}
    return [Mistake("same", p["a"], fb), Mistake("plus", p["a"] + 2 if p["a"] != 2 else 5, fb)]
'''
HELPERS = "def double(x):\n    return 2 * x\n"


def _bank(tmp_path, text, name="double.py"):
    return write(tmp_path / "bank", {f"course/{name}": text, "course/_helpers.py": HELPERS})


def test_a_good_module_loads_imports_its_helper_and_validates(tmp_path):
    loaded = load([_bank(tmp_path, GOOD)])
    assert loaded.problems == []
    (family,) = loaded.families
    assert family.origin["file"] == "course/double.py" and len(family.origin["sha256"]) == 64
    report = validate_family(family, seeds=20, formats=[])
    assert report.ok, report.failures
    assert sampling_problems(loaded) == []


def test_a_wrong_oracle_is_caught_by_validate(tmp_path):
    loaded = load([_bank(tmp_path, GOOD.replace('p["a"] + p["a"]', 'p["a"] * 3'))])
    report = validate_family(loaded.families[0], seeds=3, formats=[])
    assert not report.ok and "oracle" in report.failures[0]


@pytest.mark.parametrize("change, phrase", [
    (("def sample(rng: random.Random, difficulty: int) -> dict:", "def sample(rng:"),
     r"double\.py: line \d+: SyntaxError"),
    (("def closed_form(p):", "def closed_form_(p):"), r"double\.py: missing closed_form"),
    (("import random\n", "import random\nimport not_a_module_xyz\n"),
     r"double\.py: line 2: on import: ModuleNotFoundError: No module named 'not_a_module_xyz'"),
    (('TOPIC = "course"', 'TOPIC = "other"'), r"double\.py: TOPIC is 'other'.*folder 'course'"),
    (('KIND = "number"', 'KIND = "matrix"'), r"double\.py: KIND is 'matrix'"),
    (('ID = "course.double"', 'ID = "optimizers.adam_step"'),
     r"double\.py: id 'optimizers.adam_step' is already a built-in family"),
])
def test_a_broken_module_is_one_line_naming_the_file(tmp_path, change, phrase):
    loaded = load([_bank(tmp_path, GOOD.replace(*change))])
    assert loaded.families == []
    (problem,) = loaded.problems
    assert "\n" not in problem
    import re
    assert re.search(phrase, problem), problem


def test_an_exception_in_sample_names_file_line_function_and_seed(tmp_path):
    broken = GOOD.replace('return {"a": rng.randint(1, 9)}', 'return {"a": 1 // 0}')
    loaded = load([_bank(tmp_path, broken)])
    (problem,) = sampling_problems(loaded)
    assert problem.endswith(": line 14, in sample: ZeroDivisionError: integer division or "
                            "modulo by zero (seed 0)")
    assert problem.startswith(str(tmp_path / "bank" / "course" / "double.py"))
    with pytest.raises(BankError, match=r"line 14, in sample"):
        sample_question(loaded.families[0], 0)


def test_an_exception_in_a_helper_names_both_files(tmp_path):
    bank = _bank(tmp_path, GOOD)
    (bank / "course" / "_helpers.py").write_text("def double(x):\n    return x / 0\n")
    (problem,) = sampling_problems(load([bank]))
    assert "double.py: answer(): " in problem and "_helpers.py: line 2, in double" in problem


def test_a_wrong_signature_and_bad_return_values_are_named(tmp_path):
    wrong_args = GOOD.replace("def sample(rng: random.Random, difficulty: int)",
                              "def sample(rng: random.Random)")
    (problem,) = sampling_problems(load([_bank(tmp_path, wrong_args)]))
    assert "double.py: sample(): TypeError" in problem and "(seed 0)" in problem
    not_json = GOOD.replace('return {"a": rng.randint(1, 9)}',
                            'return {"a": rng.randint(1, 9), "f": object()}')
    (problem,) = sampling_problems(load([_bank(tmp_path / "2", not_json)]))
    assert "double.py: TypeError: Object of type object is not JSON serializable" in problem


def test_one_broken_family_does_not_hide_the_others(tmp_path):
    bank = _bank(tmp_path, GOOD.replace("def prompt(", "def prompt_("))
    write(bank, {"course/twice.py": textwrap.dedent(GOOD).replace("course.double", "course.t")
                 .replace('return {"a": rng.randint(1, 9)}', "raise ValueError('boom')"),
                 "course/thrice.toml": "kind = 3\n"})
    loaded = load([bank])
    problems = loaded.problems + sampling_problems(loaded)
    files = sorted({p.split(": ")[0].rsplit("/", 1)[1] for p in problems})
    assert files == ["double.py", "thrice.toml", "twice.py"], problems
