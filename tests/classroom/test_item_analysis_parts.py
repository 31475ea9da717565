"""Item analysis of a multi-part question, part by part, counted by hand: the share correct,
right by the key, and by follow-through; the plot of the share correct per part exists only
for a quiz with parts."""

from __future__ import annotations

import pytest
from parts_quiz import parts_quiz, plain_question

from quizgen.gradebook import Answer
from quizgen.grading import Verdict
from quizgen.model import Quiz
from quizgen.report import build_report, plots, report_dict, terminal_table

RIGHT = Verdict("correct", 1.0, "", "1", "numeric")
WRONG = Verdict("incorrect", 0.0, "", "0", "numeric")
FOLLOWED = Verdict("correct", 1.0, "", "1", "follow-through")
NO_CREDIT = Verdict("incorrect", 0.0, "", "1", "follow-through")


def answers() -> list[Answer]:
    """10 students: (a) right for 4; (b) right by the key for 4, by follow-through for 3,
    consistent but uncredited for 1, wrong for 2; (c) not answered by 5 of them."""
    b = [RIGHT] * 4 + [FOLLOWED] * 3 + [NO_CREDIT] + [WRONG] * 2
    out = []
    for i in range(10):
        s = f"s{i}"
        a = RIGHT if i < 4 else WRONG
        out.append(Answer(s, "q1.a", "5", a, a.score, 1.0))
        out.append(Answer(s, "q1.b", "0.2", b[i], b[i].score, 1.0))
        if i < 5:
            out.append(Answer(s, "q1.c", "[0.6, 0.8]", RIGHT, 2.0, 2.0))
    return out


def test_each_part_is_an_item_with_its_follow_through_shares():
    report = build_report(parts_quiz(), answers())
    items = {i.question_id: i for i in report.items}
    assert list(items) == ["q1.a", "q1.b", "q1.c", "q2"]
    b = items["q1.b"]
    assert (b.question, b.part, b.points, b.n) == ("q1", "b", 1.0, 10)
    assert b.share_correct == pytest.approx(0.7)
    assert b.share_by_key == pytest.approx(0.4)
    assert b.share_followed == pytest.approx(0.4) and b.followed_correct == 3
    assert items["q1.a"].share_correct == pytest.approx(0.4)
    assert items["q1.c"].n == 5 and items["q1.c"].points == 2.0
    assert items["q2"].n == 0 and items["q2"].part == ""
    scores = {s.student: (s.points, s.max_points) for s in report.students}
    assert scores["s0"] == (4.0, 5.0) and scores["s9"] == (0.0, 5.0)
    assert report_dict(report)["items"][1]["follow_through"] == 4
    assert "q1.b" in terminal_table(report)


def test_the_plot_of_the_share_correct_per_part_is_drawn_for_parts_only():
    assert "parts" in plots(build_report(parts_quiz(), answers()))
    plain = Quiz(1, "t", "en", [plain_question()], {})
    graded = [Answer("s0", "q2", "0.5", RIGHT, 1.0, 1.0)]
    assert set(plots(build_report(plain, graded))) == {"histogram", "scatter"}
