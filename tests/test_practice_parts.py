"""`quizgen practice` on a multi-part question, driven through click's CliRunner with typed
input: part by part, a verdict after each, follow-through said when a later part is right for
the learner's own wrong earlier answer (English and Chinese), the score the parts'
points-weighted sum. The question is tests/web_parts_quiz.py's (answers from torch); the expected
verdicts come from quizgen.multipart called directly."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from web_parts_quiz import NORM, clip_question, slipped_answers

from quizgen import practice
from quizgen.cli import cli
from quizgen.multipart import grade_parts, question_score


@pytest.fixture(autouse=True)
def one_multipart_question(monkeypatch):
    monkeypatch.setattr(practice, "practice_questions",
                        lambda topic, seed: iter([clip_question("p1")]))


def practise(lang: str, lines: list[str]) -> str:
    result = CliRunner().invoke(cli, ["practice", "--topic", "optimizers", "--seed", "1",
                                      "--lang", lang, "--count", "1"],
                                input="".join(f"{line}\n" for line in lines))
    assert result.exit_code == 0, result.output
    return result.output


def slipped() -> list[str]:
    answers = slipped_answers(7.0)  # (a) wrong; (b) and (c) right for it; (d) right
    return [answers[f"q2.{p}"] for p in "abcd"]


def expected_score(lines: list[str]) -> float:
    q = clip_question()
    verdicts = grade_parts(q, {p: text for p, text in zip("abcd", lines) if text.strip()})
    return question_score(q, verdicts) * q.points


@pytest.mark.parametrize("lang, words", [
    ("en", {"part": "Part ({})", "wrong": "✗ Incorrect.", "answer": "Answer: ",
            "follows": "✓ Correct by follow-through: right for your answer to ({}).",
            "invalid": "? Could not read that", "ft": "follow-through",
            "bye": "Final score: 4 / 5 over 1 question(s)"}),
    ("zh", {"part": "小题（{}）", "wrong": "✗ 错误。", "answer": "答案：",
            "follows": "✓ 按延续评分正确：依据你在（{}）中的答案计算正确。",
            "invalid": "? 无法识别", "ft": "延续", "bye": "最终得分：4 / 5，共 1 题"}),
])
def test_part_by_part_with_follow_through_from_the_learners_own_slip(lang, words):
    lines = slipped()
    out = practise(lang, [lines[0], "2*(", *lines[1:]])  # an unreadable (b) is asked again
    q = clip_question()
    assert practice.to_terminal(q.prompt[lang]) in out  # the stem, then the parts in order
    at = [out.index(words["part"].format(p)) for p in "abcd"]
    assert at == sorted(at)
    a, b, c, d = (out[i:j] for i, j in zip(at, [*at[1:], len(out)]))
    assert words["wrong"] in a and words["answer"] + f"{NORM:.6g}" in a
    assert words["invalid"] in b  # unreadable is not wrong: asked again
    assert words["follows"].format("a") in b and words["answer"] in b  # and the key's value
    assert words["follows"].format("b") in c
    assert "✓" in d and words["ft"] not in d
    assert expected_score(lines) == 4
    assert words["bye"] in out


def test_a_named_mistake_keeps_its_feedback_and_is_followed_through():
    b = 1 / (NORM ** 2 + 1e-6)
    out = practise("en", [str(NORM ** 2), repr(b), "[1, 1]", "B"])
    assert "Common mistake (squared norm): That is the squared norm." in out
    assert "right for your answer to (a)." in out
    assert "right for your answer to (b)." not in out  # (c) fits neither
    assert expected_score([str(NORM ** 2), repr(b), "[1, 1]", "B"]) == 1
    assert "Final score: 1 / 5" in out


def test_a_skipped_part_gives_nothing_to_follow_through_from():
    lines = slipped()
    out = practise("en", ["", *lines[1:]])
    assert "Skipped. Answer: 5" in out
    # (b) was right only for an (a) never given: wrong; (c) is right for the (b) given
    assert "right for your answer to (a)" not in out and "✗ Incorrect." in out
    assert "✓ Correct by follow-through: right for your answer to (b)." in out
    assert "Final score: 3 / 5" in out and expected_score(["", *lines[1:]]) == 3


def test_ctrl_d_inside_a_question_ends_with_the_parts_so_far():
    out = practise("en", [repr(NORM)])  # (a) right, then end of input
    assert "✓ Correct." in out and "Final score: 1 / 1 over 0 question(s)" in out
