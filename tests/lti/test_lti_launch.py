"""Launches from a real LTI 1.3 platform (lti_platform.py): a learner lands on their own variant
(seeded as `make --students` seeds a roster student whose id is the platform's sub), answers,
and the score arrives at the platform with the right user and value; an instructor lands on the
teacher page; a learner cannot open the teacher's routes; the pages may be framed by the
registered platform only; cookies fit an LMS iframe."""

from __future__ import annotations

import re

import pytest
from lti_platform import INSTRUCTOR, Expect, User

from quizgen.roster import Variants, student_questions, typed_answer

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def answer_all(world, browser, student: str, *, right: bool = True):
    """Submit the learner's own variant (from variants.json), every answer right (or every
    one wrong)."""
    page = browser.get("/quiz")
    assert page.status_code == 200
    csrf = CSRF.search(page.get_data(as_text=True)).group(1)
    mine = Variants.load(world.quiz_paths[0].with_name("variants.json")).get(student)
    form = {"csrf_token": csrf, "action": "submit"}
    for q in mine.questions:
        form[f"a_{q.id}"] = typed_answer(q) if right else "123456789"
    r = browser.post("/quiz", data=form)
    assert r.status_code == 303 and r.headers["Location"].endswith("m=submitted")
    return mine


def test_a_learner_launches_answers_and_the_score_reaches_the_platform(make_world, db_url):
    world = make_world(db_url)
    browser = world.learner("user-42", name="Ann Lee", email="ann@example.edu")
    # the student id is the platform's sub, as a roster student's id seeds make --students
    mine = answer_all(world, browser, "user-42")
    base = world.room.classroom.quiz
    seeded = student_questions(base, "user-42")
    assert [q.params for q in mine.questions] == [q.params for q in seeded]
    assert world.send_scores() == 1
    [score] = world.platform.scores
    total = base.total_points
    assert score["userId"] == "user-42" and score["lineitem"] == "link-1"
    assert score["scoreGiven"] == pytest.approx(total) and score["scoreMaximum"] == total
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", score["timestamp"])
    assert world.send_scores() == 0 and len(world.platform.scores) == 1
    # the gradebook keeps the LMS user under the sub, with the name; the LTI table the email
    record = world.room.classroom.book.load_record(base)
    assert record.names["user-42"] == "Ann Lee"
    [learner] = world.site.lti.store.learner_details(world.room.slug)
    assert (learner.sub, learner.name, learner.email) == ("user-42", "Ann Lee",
                                                          "ann@example.edu")


def test_two_learners_get_two_variants_kept_in_variants_json(make_world):
    world = make_world()
    first, second = world.learner("u-1"), world.learner("u-2")
    variants = Variants.load(world.quiz_paths[0].with_name("variants.json"))
    assert variants.ids() == {"u-1", "u-2"}
    one, two = variants.get("u-1"), variants.get("u-2")
    assert [q.params for q in one.questions] != [q.params for q in two.questions]
    page1 = first.get("/quiz").get_data(as_text=True)
    page2 = second.get("/quiz").get_data(as_text=True)
    assert page1 != page2
    # a second launch of the same learner keeps their variant
    again = world.learner("u-1")
    assert again.get("/quiz").get_data(as_text=True).count("<li") == page1.count("<li")
    assert Variants.load(world.quiz_paths[0].with_name("variants.json")).get("u-1") \
        .questions == one.questions


def test_an_instructor_lands_on_the_teacher_page(make_world):
    world = make_world()
    world.learner("u-1")
    browser = world.browser()
    r = world.launch(browser, Expect(User("t-1", "Prof", roles=[INSTRUCTOR])))
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin")
    page = browser.get("/admin").get_data(as_text=True)
    assert "u-1" in page and 'id="lms-page"' in page  # the learner is in the class table
    lms = browser.get("/admin/lms").get_data(as_text=True)
    assert "Optimization 101" in lms and "Quiz (link-1)" in lms


def test_a_learner_cannot_open_the_teacher_routes(make_world):
    world = make_world()
    browser = world.learner("u-1")
    for path in ("/admin/answers.csv", "/admin/scores.csv", "/admin/report", "/admin/table",
                 "/admin/student/u-1", "/admin/lms"):
        assert browser.get(path).status_code == 401, path
    page = browser.get("/admin").get_data(as_text=True)
    assert "Teacher sign-in" in page  # the dashboard is the sign-in form, nothing else


def test_pages_may_be_framed_by_the_registered_platform_only(make_world):
    world = make_world()
    browser = world.learner("u-1")
    for path in ("/quiz", "/lti/jwks"):
        headers = browser.get(path).headers
        assert f"frame-ancestors {world.platform.url}" in headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in headers


def test_over_https_the_cookies_fit_an_lms_iframe(make_world):
    world = make_world(secure=True)
    browser = world.browser()
    spec = Expect(User("u-1"))
    login = world.start_login(browser, spec)
    state_cookie = login.headers["Set-Cookie"]
    assert "SameSite=None" in state_cookie and "Secure" in state_cookie
    assert "Partitioned" in state_cookie and "HttpOnly" in state_cookie
    assert "Path=/lti/" in state_cookie


def test_the_login_redirects_to_the_platform_with_the_oidc_parameters(make_world):
    from lti_platform import query_of

    world = make_world()
    login = world.start_login(world.browser(), Expect(User("u-1")))
    assert login.headers["Location"].startswith(f"{world.platform.url}/auth?")
    q = query_of(login.headers["Location"])
    assert q["scope"] == "openid" and q["response_type"] == "id_token"
    assert q["response_mode"] == "form_post" and q["prompt"] == "none"
    assert q["redirect_uri"] == "http://localhost/lti/launch"
    assert q["client_id"] == "quizgen-client" and q["login_hint"] == "u-1"
    assert len(q["nonce"]) >= 32 and len(q["state"]) >= 32


def _add(quiz_path: str, ids: list[str]) -> None:
    from quizgen.model import Quiz
    from quizgen.roster import Student, add_students

    for sid in ids:
        add_students(quiz_path, Quiz.load(quiz_path), [Student(sid)])


def test_two_processes_adding_learners_lose_none(tmp_path, quiz_folder):
    """variants.json is rewritten under a lock: concurrent additions all land."""
    import multiprocessing
    import shutil

    from quizgen.model import Quiz

    shutil.copytree(quiz_folder, tmp_path / "q")
    path = str(tmp_path / "q" / "quiz.json")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add, args=(path, [f"p{w}-{i}" for i in range(4)]))
               for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    variants = Variants.load(tmp_path / "q" / "variants.json")
    assert variants.ids() == {f"p{w}-{i}" for w in range(2) for i in range(4)}
    assert [q.params for q in variants.get("p1-3").questions] == \
        [q.params for q in student_questions(Quiz.load(path), "p1-3")]


def test_learners_added_one_by_one_give_the_bytes_make_students_writes(tmp_path, quiz_folder):
    """variants.json grown by splicing each new learner in is byte for byte what
    `make --students` writes for the same roster (and stays one quizgen can read)."""
    import shutil

    from quizgen.model import Quiz
    from quizgen.roster import Student, add_students, make_variants

    shutil.copytree(quiz_folder, tmp_path / "q")
    path = tmp_path / "q" / "quiz.json"
    base = Quiz.load(path)
    roster = [Student("u-1", "Ann Lee"), Student("u-2", "王小明\u2028"), Student("u-3")]
    assert add_students(path, base, roster[:1]).before == set()
    again = add_students(path, base, roster[:1])
    assert again.variants == [] and again.before == {"u-1"}
    add_students(path, base, roster[1:])
    written = path.with_name("variants.json").read_text(encoding="utf-8")
    assert written == make_variants(base, roster).to_json()
    empty = Variants(seed=base.seed, topic=base.topic, shuffle=False,
                     question_ids=[q.id for q in base.questions])
    empty.save(path.with_name("variants.json"))
    add_students(path, base, roster)
    assert path.with_name("variants.json").read_text(encoding="utf-8") == written
