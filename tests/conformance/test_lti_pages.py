"""The pages of the LTI tool, as an instructor and a learner meet them in headless Chromium,
checked by the Nu Html Checker and axe-core like every other served page: a refused launch,
the deep-linking chooser, the answer page that returns to the LMS, the teacher's LMS page
(links, a sent and a failed score, learners), the learner's quiz after a launch, and the list
of quizzes of a server that hosts several."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
from consumers import ARTIFACTS, describe_axe, describe_nu, run_axe
from lti_platform import CLIENT_ID, INSTRUCTOR, Expect, Platform, User
from lti_world import build_world

pytestmark = pytest.mark.xdist_group("lti-pages")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from quizgen.sampling import make_quiz
    from quizgen.web.lti.config import write_key_pair
    from quizgen.web.server import ServerOptions, make_server

    root = tmp_path_factory.mktemp("lti-pages")
    (root / "week3").mkdir()
    make_quiz("optimizers", count=3, seed=11, lang="en").save(root / "week3" / "quiz.json")
    platform = Platform()
    (root / "served").mkdir()
    world = build_world(root / "served", platform, write_key_pair(root / "keys"),
                        root / "week3", quizzes=2)
    server = make_server(world.site, "127.0.0.1", 0, ServerOptions(threads=4))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    platform.tool_launch_url = f"{url}/lti/launch"
    yield world, url
    server.close()
    thread.join(timeout=5)
    world.site.close()
    platform.close()


def login_url(world, url: str, spec: Expect) -> str:
    hint = world.platform.expect(spec)
    return f"{url}/lti/login?" + urlencode({
        "iss": world.platform.issuer, "login_hint": spec.user.sub, "lti_message_hint": hint,
        "target_link_uri": f"{url}/lti/launch", "client_id": CLIENT_ID})


@pytest.fixture(scope="module")
def tour(served, chromium_browser, axe_source):
    world, url = served
    pages: dict[str, dict] = {}

    def record(name: str, page, sent: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"conformance-lti-{name}.png"), full_page=True)
        pages[name] = {"sent": sent, "shown": page.content(),
                       "axe": run_axe(page, axe_source)}

    teacher = chromium_browser.new_context(bypass_csp=True, viewport={"width": 1200,
                                                                      "height": 800})
    page = teacher.new_page()
    refused = page.goto(f"{url}/lti/launch")
    record("refused", page, refused.text())
    page.goto(login_url(world, url, Expect(User("t-1", "Prof", roles=[INSTRUCTOR]),
                                           message_type="LtiDeepLinkingRequest")))
    page.wait_for_selector("#choose-week3")
    record("chooser", page, page.content())
    # the answer page posts itself to the LMS at once: answer that post with 204 (which
    # leaves the page in place), to look at the page; and see that it was posted
    posted: list[str] = []

    def lms(route) -> None:
        posted.append(route.request.post_data or "")
        route.fulfill(status=204)

    page.route(f"{world.platform.url}/deep_link_return", lms)
    sent: list[str] = []

    def keep(route) -> None:
        response = route.fetch()
        sent.append(response.text())
        route.fulfill(response=response)

    page.route("**/lti/choose", keep)
    page.click("#choose-week3")
    page.wait_for_selector("input[name=JWT]", state="attached")
    for _ in range(200):
        if posted:
            break
        page.wait_for_timeout(50)
    record("return", page, sent[0])
    assert posted and posted[0].startswith("JWT=")  # web.js sent it to the LMS by itself

    learner = chromium_browser.new_context(bypass_csp=True)
    student = learner.new_page()
    student.goto(login_url(world, url, Expect(User("u-1", "Ann Lee"),
                                              custom={"quiz": "week3"})))
    student.wait_for_url(f"{url}/week3/quiz")
    record("learner-quiz", student, student.context.request.get(student.url).text())
    student.click("#submit")
    student.wait_for_url("**/quiz?m=submitted")
    world.platform.fail_scores = [400]
    world.send_scores()

    page.goto(login_url(world, url, Expect(User("t-1", "Prof", roles=[INSTRUCTOR]),
                                           custom={"quiz": "week3"})))
    page.wait_for_url(f"{url}/week3/admin")
    page.goto(f"{url}/week3/admin/lms")
    record("teacher-lms", page, page.context.request.get(page.url).text())
    index = page.goto(f"{url}/")
    record("index", page, index.text())
    for context in (teacher, learner):
        context.close()
    return pages


def test_the_lti_pages_pass_the_nu_html_checker(tour, nu_checker, tmp_path):
    files = []
    for name, seen in tour.items():
        for what in ("sent", "shown"):
            path = tmp_path / f"{name}.{what}.html"
            path.write_text(seen[what], encoding="utf-8")
            files.append(path)
    found = nu_checker(files)
    assert len(found) == len(files) >= 12
    errors = [f"{name}: {e}" for name, msgs in found.items() for e in describe_nu(msgs)]
    assert not errors, "\n".join(errors[:40])


def test_the_lti_pages_have_no_axe_violation(tour):
    found = [f"{name}: {v}" for name, seen in tour.items() for v in describe_axe(seen["axe"])]
    assert not found, "\n".join(found)


def test_the_tour_saw_what_it_meant_to(tour):
    assert "Check: request" in tour["refused"]["sent"]
    assert 'id="choose-week3-b1"' in tour["chooser"]["sent"]
    assert 'name="JWT"' in tour["return"]["sent"]
    assert 'class="lti-failed"' in tour["teacher-lms"]["sent"]
    assert "Ann Lee" in tour["teacher-lms"]["sent"]
    assert 'href="/week3-b1/"' in tour["index"]["sent"]
