"""Deep linking 2.0 round trip (the instructor picks one of the quizzes this server hosts; the
platform verifies the signed LtiDeepLinkingResponse with the tool's JWKS; a launch of the new
link opens that quiz), and the course roster pulled through NRPS into the class table."""

from __future__ import annotations

from lti_platform import INSTRUCTOR, LEARNER, LTI, Expect, User, form_fields
from test_lti_launch import CSRF

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def test_deep_linking_round_trip(make_world):
    world = make_world(quizzes=2)
    slugs = list(world.site.rooms)
    assert slugs == ["week3", "week3-b1"]
    prof = world.browser()
    chooser = world.launch(prof, Expect(User("t-1", roles=[INSTRUCTOR]),
                                        message_type="LtiDeepLinkingRequest"))
    page = chooser.get_data(as_text=True)
    assert chooser.status_code == 200
    for slug in slugs:
        assert f'id="choose-{slug}"' in page
    launch_id = form_fields(page)[1]["launch"]
    answer = prof.post("/lti/choose", data={"launch": launch_id, "quiz": "week3-b1"})
    assert answer.status_code == 200
    action, fields = form_fields(answer.get_data(as_text=True))
    assert action == f"{world.platform.url}/deep_link_return"
    assert f"form-action {world.platform.url}" in answer.headers["Content-Security-Policy"]
    claims = world.platform.read_deep_link_response(fields["JWT"])
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == \
        "opaque-platform-data"
    [item] = claims[CONTENT_ITEMS]
    room = world.site.rooms["week3-b1"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://localhost/lti/launch"
    assert item["title"] == room.title and item["custom"] == {"quiz": "week3-b1"}
    assert item["lineItem"]["scoreMaximum"] == room.total_points
    # the same choice cannot be answered twice
    again = prof.post("/lti/choose", data={"launch": launch_id, "quiz": "week3"})
    assert again.status_code == 400 and "Check: deep linking" in again.get_data(as_text=True)
    # the platform now launches the new link, with the custom parameter it was given
    learner = world.browser()
    r = world.launch(learner, Expect(User("u-1"), link="link-9", custom=item["custom"]))
    assert r.headers["Location"] == "/week3-b1/quiz"
    assert learner.get("/week3-b1/quiz").status_code == 200
    assert learner.get("/week3/quiz").status_code == 303  # another quiz: not signed in there
    assert world.quiz_paths[1].with_name("variants.json").exists()
    assert not world.quiz_paths[0].with_name("variants.json").exists()


def test_with_several_quizzes_a_link_must_name_one(make_world):
    world = make_world(quizzes=2)
    browser = world.browser()
    r = world.launch(browser, Expect(User("u-1")))
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Check: quiz</strong>" in page and "week3-b1" in page
    r = world.launch(world.browser(), Expect(User("u-1"), custom={"quiz": "nope"}))
    assert "is not served here" in r.get_data(as_text=True)


def test_the_roster_lists_students_who_have_not_launched(make_world):
    world = make_world()
    world.platform.members = [
        {"user_id": "t-1", "name": "Prof", "roles": [INSTRUCTOR], "status": "Active"},
        {"user_id": "u-1", "name": "Ann Lee", "email": "ann@example.edu",
         "roles": [LEARNER], "status": "Active"},
        {"user_id": "u-2", "given_name": "Bo", "family_name": "Wu", "roles": [LEARNER]},
        {"user_id": "u-3", "name": "Gone", "roles": [LEARNER], "status": "Deleted"},
        {"user_id": "u-4", "name": "王小明", "roles": ["Learner"], "status": "Active"},
    ]
    prof = world.browser()
    world.launch(prof, Expect(User("t-1", roles=[INSTRUCTOR])))
    lms = prof.get("/admin/lms").get_data(as_text=True)
    csrf = CSRF.search(lms).group(1)
    link_id = world.site.lti.store.links_of("week3")[0].id
    r = prof.post("/admin/lms/roster", data={"csrf_token": csrf, "link": str(link_id)})
    assert "lists 3 learner(s)" in prof.get(r.headers["Location"]).get_data(as_text=True)
    table = prof.get("/admin").get_data(as_text=True)
    for name in ("Ann Lee", "Bo Wu", "王小明"):
        assert name in table
    assert "Gone" not in table and "Prof" not in table
    # each has their variant already, and launching later keeps the same student id
    variants = world.quiz_paths[0].with_name("variants.json").read_text()
    assert '"u-4"' in variants
    world.learner("u-2")
    assert set(world.site.lti.store.learners_of("week3")) == {"u-1", "u-2", "u-4"}


def test_a_sub_that_a_token_student_has_gets_a_student_id_of_its_own(make_world, tmp_path):
    world = make_world()
    world.room.classroom.tokens["u-1"] = "tok-u1-AAAAAAAAAAAAAAAAAA"  # a roster student
    world.learner("u-1")
    learners = world.site.lti.store.learners_of("week3")
    assert list(learners) == ["u-1@127.0.0.1"]


def test_the_launch_locale_picks_the_page_language(make_world):
    world = make_world()
    browser = world.browser()
    world.launch(browser, Expect(User("u-1"), claims={
        LTI + "launch_presentation": {"locale": "zh-CN"}}))
    assert 'lang="zh"' in browser.get("/quiz").get_data(as_text=True)
