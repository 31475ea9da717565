"""Real headless Chromium against the app under waitress on loopback: a student signs in, types
``\\frac{1}{2}`` and sees it read as 1/2 = 0.5, submits, sees the verdicts; the teacher page
shows the submission. Screenshots go to tests/artifacts/ (git-ignored) for a person to look at.

Uses the system Chromium (no browser download): /usr/bin/chromium, or QUIZGEN_CHROMIUM.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from web_helpers import ADMIN, TOKENS, right_answers

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("QUIZGEN_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture
def live_server(make_app):
    from quizgen.web.server import ServerOptions, make_server

    app, room, _ = make_app(attempts=2)
    server = make_server(app, "127.0.0.1", 0, ServerOptions(threads=4))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", room
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


def watch(page, problems: list[str]) -> None:
    """Collect console errors (a CSP violation shows up here) and failed requests."""
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))


def test_student_and_teacher_in_chromium(live_server, browser):
    url, room = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    student = browser.new_page(viewport={"width": 1000, "height": 900})
    watch(student, problems)
    student.goto(url + "/")
    student.fill("#token", TOKENS["s1"])
    student.click("button[type=submit]")
    student.wait_for_url(url + "/quiz")
    assert student.locator("math").count() == 3  # q1-q3 prompts, MathML drawn natively

    # Type \frac{1}{2} key by key: the live preview reads it as 1/2 = 0.5.
    student.locator("#a-q1").press_sequentially(r"\frac{1}{2}", delay=15)
    # (expect() polls without eval: the page's CSP forbids eval, even for Playwright)
    expect(student.locator("#read-q1 .read-as-text")).to_have_text("1/2")
    assert student.text_content("#read-q1 .read-as-value") == "= 0.5"
    assert student.get_attribute("#read-q1", "data-state") == "ok"
    student.locator("#a-q2").press_sequentially("x^3/11 - 17(", delay=10)
    expect(student.locator("#read-q2")).to_have_attribute("data-state", "error")
    student.screenshot(path=str(ARTIFACTS / "web_student_preview.png"), full_page=True)

    answers = right_answers("s1")
    student.fill("#a-q2", answers["q2"])
    student.fill("#a-q3", "[0.4444447, 2]")  # second entry wrong
    student.check("input[name=a_q4][value=A]")
    student.check("input[name=a_q4][value=C]")
    student.click("#submit")
    student.wait_for_url(url + "/quiz?m=submitted")
    assert "Submitted and graded." in student.text_content("#flash")
    for qid, status in (("q1", "correct"), ("q2", "correct"), ("q3", "incorrect"),
                        ("q4", "correct")):
        assert student.locator(f"#q-{qid} .verdict.status-{status}").count() == 1, qid
    assert student.text_content("#score").split(":")[1].split()[0] == "4.5"
    student.screenshot(path=str(ARTIFACTS / "web_student_verdicts.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                             is_mobile=True, has_touch=True)
    watch(phone, problems)
    phone.goto(url + "/?lang=zh")
    phone.fill("#token", TOKENS["s2"])
    phone.click("button[type=submit]")
    phone.wait_for_url(url + "/quiz")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone's screen
    phone.locator("#a-q1").press_sequentially("1/3", delay=15)
    expect(phone.locator("#read-q1 .read-as-text")).to_have_text("1/3")
    phone.screenshot(path=str(ARTIFACTS / "web_student_phone_zh.png"), full_page=True)

    teacher = browser.new_page(viewport={"width": 1200, "height": 700})
    watch(teacher, problems)
    teacher.goto(url + "/admin")
    teacher.fill("#token", ADMIN)
    teacher.click("button[type=submit]")
    teacher.wait_for_url(url + "/admin")
    row = teacher.locator("tr[data-student=s1]")
    assert "4.5 / 5" in row.text_content()
    assert row.locator("td.status-correct").count() == 3
    assert "\\frac{1}{2}" in row.text_content()  # the raw answer, as typed
    teacher.screenshot(path=str(ARTIFACTS / "web_teacher_table.png"), full_page=True)
    teacher.goto(url + "/admin/report")
    assert teacher.locator("img").count() == 2  # the plots load under the report's CSP
    assert teacher.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
    teacher.screenshot(path=str(ARTIFACTS / "web_teacher_report.png"), full_page=True)
    assert problems == []


def test_the_page_works_without_javascript(live_server, browser):
    url, room = live_server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#token", TOKENS["s1"])
    page.click("button[type=submit]")
    page.fill("#a-q1", r"\frac{1}{2}")
    page.click("button[value=save]")
    page.wait_for_url(url + "/quiz?m=saved")
    assert page.text_content("#read-q1 .read-as-text") == "1/2"  # read by the server
    page.click("#submit")
    page.wait_for_url(url + "/quiz?m=submitted")
    assert page.locator("#q-q1 .verdict.status-correct").count() == 1
    context.close()
    assert len(room.attempts("s1")) == 1
