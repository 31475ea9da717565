"""A multi-part question reached through an LTI launch: the learner gets the same student page
(a box per part, named by answer id), a verdict per part with follow-through, and the score
passed back to the platform is the parts' points-weighted sum."""

from __future__ import annotations

import pytest
from lti_world import build_world
from test_lti_launch import CSRF
from web_parts_quiz import parts_quiz, slipped_answers

from quizgen.roster import Variants


def test_a_learner_answers_a_multipart_question_and_the_weighted_score_is_passed_back(
        tmp_path, platform, tool_keys):
    folder = tmp_path / "quizzes" / "week4"
    folder.mkdir(parents=True)
    quiz = parts_quiz()
    quiz.save(folder / "quiz.json")
    world = build_world(tmp_path, platform, tool_keys, folder)
    try:
        browser = world.learner("u-7", name="Ann Lee")
        # The launch gave the learner a variant sampled from the bank; no family on this
        # branch asks in parts yet, so the teacher's copy of the quiz becomes their variant
        # (a key fix in variants.json, then Regrade, as a teacher would do it).
        room = world.room.classroom
        variants = Variants.load(world.quiz_paths[0].with_name("variants.json"))
        [mine] = variants.students
        mine.questions = quiz.questions
        variants.save(world.quiz_paths[0].with_name("variants.json"))
        room.regrade()
        page = browser.get("/quiz").get_data(as_text=True)
        for key in ("q2.a", "q2.b", "q2.c"):
            assert f'name="a_{key}"' in page and f'<label class="answer-label-web" ' \
                f'for="a-{key}">' in page
        form = {"csrf_token": CSRF.search(page).group(1), "action": "submit",
                **{f"a_{k}": v for k, v in slipped_answers(7.0).items()}}
        r = browser.post("/quiz", data=form)
        assert r.headers["Location"].endswith("m=submitted")
        shown = browser.get("/quiz").get_data(as_text=True)
        assert shown.count("Correct by follow-through") == 2
        assert world.send_scores() == 1
        [score] = world.platform.scores
        # q1 (2) + (a) 0 + (b) 1 + (c) 2 by follow-through + (d) 1, of 7
        assert score["userId"] == "u-7"
        assert (score["scoreGiven"], score["scoreMaximum"]) == (pytest.approx(6.0), 7.0)
    finally:
        world.site.close()
