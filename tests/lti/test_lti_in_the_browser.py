"""The whole launch in real headless Chromium, the way a student meets it: the platform's
course page (one site) shows quizgen (another site) in an iframe; the login, the platform's
auto-posted id_token and the quiz all happen inside the frame, so the state and session
cookies must survive as cross-site cookies (SameSite=None; Secure; Partitioned) and the
frame must be allowed by frame-ancestors. The learner answers in the frame and the score
reaches the platform. A screenshot goes to tests/artifacts/lti_course_frame.png."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
from lti_platform import CLIENT_ID, Expect, User

from quizgen.roster import Variants, typed_answer

playwright_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("QUIZGEN_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


def test_a_learner_takes_the_quiz_inside_the_course_frame(make_world, chromium):
    from quizgen.web.server import ServerOptions, make_server

    world = make_world(secure=True)  # as behind HTTPS: cross-site cookies
    server = make_server(world.site, "127.0.0.1", 0, ServerOptions(threads=4))
    threading.Thread(target=server.run, daemon=True).start()
    tool = f"http://localhost:{server.effective_port}"  # another site than 127.0.0.1
    platform = world.platform
    platform.tool_launch_url = f"{tool}/lti/launch"
    hint = platform.expect(Expect(User("u-1", "Ann Lee")))
    platform.course_frame = f"{tool}/lti/login?" + urlencode({
        "iss": platform.issuer, "login_hint": "u-1", "lti_message_hint": hint,
        "target_link_uri": f"{tool}/lti/launch", "client_id": CLIENT_ID})
    problems: list[str] = []
    try:
        page = chromium.new_page(viewport={"width": 1100, "height": 950})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{platform.url}/course")
        frame = page.frame_locator("iframe")
        playwright_api.expect(frame.locator("#submit")).to_be_visible(timeout=20_000)
        mine = Variants.load(world.quiz_paths[0].with_name("variants.json")).get("u-1")
        for q in mine.questions:
            if q.kind == "choice":
                for label in typed_answer(q).split(", "):
                    frame.locator(f'input[name="a_{q.id}"][value="{label}"]').check()
            else:
                frame.locator(f"#a-{q.id}").fill(typed_answer(q))
        frame.locator("#submit").click()
        playwright_api.expect(frame.locator(".flash")).to_contain_text("Submitted",
                                                                       timeout=20_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lti_course_frame.png"), full_page=True)
    finally:
        server.close()
    assert world.send_scores() == 1
    [score] = platform.scores
    assert score["userId"] == "u-1"
    assert score["scoreGiven"] == pytest.approx(world.room.classroom.quiz.total_points)
    assert not [p for p in problems if "frame" in p.lower() or "cookie" in p.lower()], problems
