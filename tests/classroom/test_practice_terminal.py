"""`quizgen practice` driven through a pseudo-terminal, as a student would use it, in English and
in Chinese: the answer is echoed as read before the verdict, a named mistake gets its feedback,
an unreadable answer is asked again, and Ctrl-C or Ctrl-D ends cleanly with the score."""

import os
import sys

import pexpect
import pytest

from quizgen.practice import latex_to_text, practice_questions, to_terminal

FAMILY = "optimizers.adam_step"  # every question a number: the test can type the key
SEED = 3


def spawn(lang: str, *extra: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return pexpect.spawn(sys.executable, ["-m", "quizgen.cli", "practice", "--topic", FAMILY,
                                          "--seed", str(SEED), "--lang", lang, *extra],
                         env=env, encoding="utf-8", timeout=60, dimensions=(50, 200))


@pytest.mark.parametrize("lang, words", [
    ("en", {"read": "Read as: ", "mistake": "Common mistake (", "invalid": "Could not read",
            "correct": "✓ Correct.", "score": "Score: 1 / 2", "bye": "Final score: 1 / 2"}),
    ("zh", {"read": "识别为：", "mistake": "典型错误（", "invalid": "无法识别",
            "correct": "✓ 正确。", "score": "得分：1 / 2", "bye": "最终得分：1 / 2"}),
])
def test_practice_reads_grades_explains_and_keeps_score(lang, words):
    first, second = (q for q, _ in zip(practice_questions(FAMILY, SEED), range(2)))
    mistake = first.mistakes[0]
    child = spawn(lang, "--count", "2")
    child.expect_exact(to_terminal(first.prompt[lang])[:40])
    child.expect_exact("> ")
    child.sendline(repr(mistake.value))
    child.expect_exact(words["read"] + repr(mistake.value))  # how it was read, first
    child.expect_exact(words["mistake"] + mistake.name.replace("_", " "))
    child.expect_exact(to_terminal(first.solution[lang][0]))  # the worked solution
    child.expect_exact(to_terminal(second.prompt[lang])[:40])
    child.expect_exact("> ")
    child.sendline("2*(")  # unreadable: explained, and the same question asked again
    child.expect_exact(words["invalid"])
    child.expect_exact("> ")
    child.sendline(repr(second.answer))
    child.expect_exact(words["read"])
    child.expect_exact(words["correct"])
    child.expect_exact(words["score"])
    child.expect_exact(words["bye"])
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("lang, stop, bye", [
    ("en", "interrupt", "Final score: 0 / 0 over 0 question(s)"),
    ("zh", "eof", "最终得分：0 / 0，共 0 题"),
])
def test_ctrl_c_and_ctrl_d_exit_cleanly(lang, stop, bye):
    child = spawn(lang)
    child.expect_exact("> ")
    child.sendintr() if stop == "interrupt" else child.sendeof()
    child.expect_exact(bye)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_latex_becomes_readable_unicode():
    assert latex_to_text(r"\hat m_t / (\sqrt{\hat v_t} + \epsilon)") == "m̂ₜ / (√(v̂ₜ) + ε)"
    assert latex_to_text(r"\frac{2}{\mathrm{fan}_{\mathrm{in}} + 1}") == "2/(fanᵢₙ + 1)"
    assert latex_to_text(r"\beta_1 = 0.9,\ 10^{-8}") == "β₁ = 0.9, 10⁻⁸"
    assert latex_to_text(r"\lVert g \rVert_2") == "‖ g ‖₂"
    assert to_terminal("Let $x^{2}$ be $\\alpha$.") == "Let x² be α."
    # a superscript with no Unicode form keeps a readable caret
    assert latex_to_text(r"e^{x+y}") == "e^(x+y)"
