"""Hostile input: nothing is executed, everything comes back invalid, fast."""

import subprocess
import sys
import time

import pytest

from quizgen.grading import check

HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "getattr(x, 'y')",
    "eval('1+1')",
    "exec('import os')",
    "lambda: 1",
    "(lambda x: x)(1)",
    "[x for x in range(10)]",
    "{k: v for k, v in x}",
    "f'{1+1}'",
    "f\"{__import__('os')}\"",
    "'a' * 10",
    "1 if 1 else 0",
    "import os",
    "os.system('ls')",
    "1\x00",
    "\x00",
    "1;\x1b[2J",
    r"\input{/etc/passwd}",
    r"\include{x}",
    r"\write18{rm -rf /}",
    r"\def\x{1}\x",
    "9**9**9",
    "9^9^9^9",
    "10^10^10",
    "2^(2^(2^(2^(2^2))))",
    "1000!",
    "171!",
    "(10^10)!",
    "x!",
    "[0]*10**9",
    "[0] * 10^9",
    "1" * 100_000,
    "1+" * 50_000 + "1",
    "(" * 5000 + "1" + ")" * 5000,
    "-" * 1999 + "1",
    "sqrt(" * 300 + "1" + ")" * 300,
    "[" * 500 + "]" * 500,
    "1e999999",
    "9" * 61,
    "\ud800",
    "1\u202e2",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("kind, expected, variables", [
    ("number", 1.0, ()), ("expression", "x", ("x",)), ("vector", [1, 2], ())])
def test_hostile_input_is_invalid_and_fast(answer, kind, expected, variables):
    start = time.perf_counter()
    verdict = check(expected, answer, kind=kind, variables=variables)
    elapsed = time.perf_counter() - start
    assert verdict.status == "invalid", (answer[:60], verdict)
    assert verdict.feedback
    assert elapsed < 1.0, (answer[:60], elapsed)


def test_canary_nothing_is_ever_executed(tmp_path):
    canary = tmp_path / "canary"
    payloads = [
        f"__import__('pathlib').Path('{canary}').touch()",
        f"open('{canary}', 'w').write('x')",
        f"__import__('os').system('touch {canary}')",
        f"exec(\"open('{canary}','w')\")",
        f"eval(\"__import__('os').system('touch {canary}')\")",
    ]
    for answer in payloads:
        for kind, expected, variables in [("number", 1.0, ()), ("expression", "x", ("x",))]:
            assert check(expected, answer, kind=kind, variables=variables).status == "invalid"
    assert not canary.exists()


def test_template_syntax_is_only_ever_read_as_math():
    # braces group and $ delimits maths: these are arithmetic, never templates
    assert check(49.0, "{{7*7}}").interpreted == "7*7"
    assert check(2.0, "${1+1}").status == "correct"


def test_power_towers_are_rejected_before_computing():
    from quizgen.grading.parser import parse

    start = time.perf_counter()
    with pytest.raises(Exception, match="too_big_exponent"):
        parse("9^9^9")
    assert time.perf_counter() - start < 0.5  # computing 9^9^9 would not end


def test_grading_imports_neither_sympy_nor_torch_nor_numpy_for_numbers():
    code = (
        "import sys; from quizgen.grading import check;"
        "assert check(0.001, '1×10^-3').status == 'correct';"
        "assert check([1, 2], '[1, 2]').status == 'correct';"
        "assert check(1.0, '__import__(1)').status == 'invalid';"
        "bad = [m for m in ('sympy', 'torch', 'numpy') if m in sys.modules];"
        "assert not bad, bad;"
        "check('2*x', '2x', variables=['x']);"
        "assert 'sympy' not in sys.modules and 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
