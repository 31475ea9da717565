"""Grade passback: a platform that is down or refuses loses no grade. Scores wait in the
database, are tried again with backoff, arrive exactly once when the platform recovers; the
teacher's LMS page shows what is pending or failed and sends it again; a regrade that changes
a score sends the new one."""

from __future__ import annotations

import json
import time

import pytest
from lti_platform import INSTRUCTOR, Expect, User
from test_lti_launch import CSRF, answer_all

from quizgen.roster import Variants
from quizgen.web.lti.passback import Backoff


def teacher(world):
    browser = world.browser()
    r = world.launch(browser, Expect(User("t-1", roles=[INSTRUCTOR])))
    assert r.status_code == 303
    return browser


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_the_score_endpoint_fails_then_recovers_and_the_score_arrives_once(make_world, db_url):
    world = make_world(db_url, backoff=Backoff(base=10))
    world.site.lti.store.clock = clock = Clock()
    browser = world.learner("u-1")
    world.platform.fail_scores = [503, 503]
    answer_all(world, browser, "u-1")
    assert world.send_scores() == 0  # 503: kept, tried again in 10 s
    [row] = world.site.lti.store.scores_of(world.room.slug)
    assert (row.status, row.tries) == ("pending", 1) and "503" in row.last_error
    clock.now += 9
    assert world.send_scores() == 0 and world.platform.score_attempts == 1  # not due yet
    clock.now += 1
    assert world.send_scores() == 0 and world.platform.score_attempts == 2  # 503 again
    clock.now += 19  # the second wait is twice as long
    assert world.send_scores() == 0 and world.platform.score_attempts == 2
    clock.now += 1
    assert world.send_scores() == 1
    assert world.send_scores() == 0
    clock.now += 3600
    assert world.send_scores() == 0
    assert world.platform.score_attempts == 3
    assert len(world.platform.scores) == 1 and world.platform.scores[0]["userId"] == "u-1"
    [row] = world.site.lti.store.scores_of(world.room.slug)
    assert row.status == "sent" and row.last_error == ""


def test_a_refused_score_is_failed_shown_to_the_teacher_and_sent_again(make_world):
    world = make_world()
    browser = world.learner("u-1", name="Ann Lee")
    world.platform.fail_scores = [400]
    answer_all(world, browser, "u-1")
    assert world.send_scores() == 0
    [row] = world.site.lti.store.scores_of(world.room.slug)
    assert row.status == "failed" and "HTTP 400" in row.last_error
    prof = teacher(world)
    page = prof.get("/admin/lms").get_data(as_text=True)
    assert 'class="lti-failed"' in page and "HTTP 400" in page and "Ann Lee" in page
    assert "Failed: 1" in page
    csrf = CSRF.search(page).group(1)
    r = prof.post("/admin/lms/resend", data={"csrf_token": csrf})  # every failed one
    assert r.status_code == 303
    assert "1 score(s) will be sent again" in prof.get(r.headers["Location"]).get_data(
        as_text=True)
    assert world.send_scores() == 1
    assert [s["userId"] for s in world.platform.scores] == ["u-1"]
    assert "Sent: 1" in prof.get("/admin/lms").get_data(as_text=True)


def test_the_teacher_page_shows_a_pending_score_with_its_next_try(make_world):
    world = make_world(backoff=Backoff(base=600))
    browser = world.learner("u-1")
    world.platform.fail_scores = [503]
    answer_all(world, browser, "u-1")
    world.send_scores()
    page = teacher(world).get("/admin/lms").get_data(as_text=True)
    assert 'class="lti-pending"' in page and "Pending: 1" in page and "HTTP 503" in page


def test_a_regrade_that_changes_a_score_sends_the_new_one(make_world):
    world = make_world()
    browser = world.learner("u-1")
    answer_all(world, browser, "u-1", right=False)
    assert world.send_scores() == 1
    assert world.platform.scores[-1]["scoreGiven"] == 0
    # the teacher finds a key "wrong": the typed wrong answer becomes the key of a number
    path = world.quiz_paths[0].with_name("variants.json")
    data = json.loads(path.read_text())
    [mine] = [s for s in data["students"] if s["id"] == "u-1"]
    fixed = next(q for q in mine["questions"] if q["kind"] == "number")
    fixed["answer"] = 123456789.0
    fixed["mistakes"] = []
    path.write_text(json.dumps(data))
    prof = teacher(world)
    csrf = CSRF.search(prof.get("/admin").get_data(as_text=True)).group(1)
    r = prof.post("/admin/regrade", data={"csrf_token": csrf})
    assert "m=regraded" in r.headers["Location"]
    assert world.send_scores() == 1
    assert world.platform.scores[-1]["scoreGiven"] == pytest.approx(fixed["points"])
    first, second = world.platform.scores
    assert second["timestamp"] > first["timestamp"]
    # pressing Regrade again changes nothing, and sends nothing
    prof.post("/admin/regrade", data={"csrf_token": csrf})
    assert world.send_scores() == 0 and len(world.platform.scores) == 2
    assert 123456789.0 in [q.answer for q in Variants.load(path).get("u-1").questions]


def test_the_background_sender_delivers_without_being_asked(make_world):
    world = make_world(backoff=Backoff(base=0.05))
    world.site.lti.passback.poll = 0.05
    world.site.start()
    browser = world.learner("u-1")
    world.platform.fail_scores = [503]
    answer_all(world, browser, "u-1")
    deadline = time.monotonic() + 10
    while not world.platform.scores and time.monotonic() < deadline:
        time.sleep(0.02)
    world.site.stop()
    assert len(world.platform.scores) == 1 and world.platform.score_attempts == 2


def test_two_processes_never_send_the_same_score(make_world, db_url):
    """Two serve processes on one database: each claims a row before sending it."""
    from quizgen.web.lti.store import LtiStore

    world = make_world(db_url)
    browser = world.learner("u-1")
    answer_all(world, browser, "u-1")
    store = world.site.lti.store
    other = LtiStore(world.room.classroom.book.engine)
    [row] = store.due_scores()
    assert store.claim(row, lease=60)
    assert other.due_scores() == [] and not other.claim(row, lease=60)
    store.finish(row, sent=True)
    assert other.due_scores() == []
