"""The student pages of ``quizgen serve`` for a quiz with a multi-part question
(tests/web_parts_quiz.py: clip_grad_norm_ asked in four parts), in headless Chromium, English and
Chinese: the live "read as" line of each part's box, a saved draft, the verdicts per part with
follow-through, the key per part. Each page passes the Nu Html Checker (as sent, and as web.js
left it) and axe-core; the keyboard reaches every part's box in order; screenshots are kept in
the artifacts folder (conformance-parts-*.png).
"""

from __future__ import annotations

import threading

import pytest
from consumers import ARTIFACTS, describe_axe, describe_nu, run_axe
from web_parts_quiz import slipped_answers, write_parts_classroom

TOKENS = {"s1": "parts-token-s1-0123456789abcdef", "s2": "parts-token-s2-0123456789abcdef",
          "s3": "parts-token-s3-0123456789abcdef"}
pytestmark = pytest.mark.xdist_group("served-parts")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from quizgen.web import Classroom, Settings, WebOptions, create_app
    from quizgen.web.server import ServerOptions, make_server

    folder = tmp_path_factory.mktemp("parts-classroom")
    quiz_path = write_parts_classroom(folder, TOKENS)
    room = Classroom(quiz_path, db=str(folder / "gradebook.sqlite"),
                     settings=Settings(attempts=2, show_solutions=True))
    app = create_app(room, WebOptions(admin_token="parts-admin-token-0123456789"))
    httpd = make_server(app, "127.0.0.1", 0, ServerOptions(threads=4))
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()
    thread.join(timeout=5)
    room.close()


def sign_in(page, url: str, token: str, lang: str) -> str:
    page.goto(f"{url}/?lang={lang}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/quiz")
    return page.context.request.get(url + "/quiz").text()


def box(page, key: str):
    return page.locator(f'[id="a-{key}"]')


def wait_read(page, key: str, state: str) -> None:
    page.wait_for_function("([id, s]) => document.getElementById(id).dataset.state === s",
                           arg=[f"read-{key}", state])


@pytest.fixture(scope="module")
def pages(server, chromium_browser, axe_source) -> dict[str, dict]:
    url = server
    seen: dict[str, dict] = {}

    def record(name: str, page, sent: str | None = None) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"conformance-parts-{name}.png"), full_page=True)
        seen[name] = {"sent": sent if sent is not None
                      else page.context.request.get(page.url).text(),
                      "shown": page.content(), "axe": run_axe(page, axe_source)}

    answers = slipped_answers(7.0)
    for lang, token in (("en", TOKENS["s1"]), ("zh", TOKENS["s2"])):
        context = chromium_browser.new_context(viewport={"width": 1000, "height": 900},
                                               bypass_csp=True)
        page = context.new_page()
        sent = sign_in(page, url, token, lang)
        # Each part's box has its own live line: (a) reads, (c) cannot be read yet.
        box(page, "q2.a").press_sequentially(r"\frac{14}{2}", delay=10)
        box(page, "q2.c").press_sequentially("[0.4, ", delay=10)
        wait_read(page, "q2.a", "ok")
        wait_read(page, "q2.c", "error")
        seen[f"{lang}-live"] = {}
        record(f"{lang}-live-preview", page, sent)
        seen[f"{lang}-live-texts"] = {
            key: page.text_content(f'[id="read-{key}"] .read-as-text') for key in
            ("q2.a", "q2.c")}
        for key in ("q1", "q2.a", "q2.b", "q2.c"):
            box(page, key).fill(answers[key])
        page.check('input[name="a_q2.d"][value="A"]')
        page.click("button[value=save]")
        page.wait_for_url(url + "/quiz?m=saved")
        record(f"{lang}-draft-saved", page)
        page.click("#submit")
        page.wait_for_url(url + "/quiz?m=submitted")
        record(f"{lang}-verdicts", page)
        page.click("#submit")
        page.wait_for_url(url + "/quiz?m=submitted")
        record(f"{lang}-solutions", page)
        context.close()
    return {k: v for k, v in seen.items() if "sent" in v} | {
        "texts": {k: v for k, v in seen.items() if k.endswith("-live-texts")}}


def test_the_multipart_pages_pass_the_nu_html_checker(pages, nu_checker, tmp_path):
    files = []
    for name, seen in pages.items():
        if name == "texts":
            continue
        for what in ("sent", "shown"):
            path = tmp_path / f"parts-{name}.{what}.html"
            path.write_text(seen[what], encoding="utf-8")
            files.append(path)
    found = nu_checker(files)
    assert len(found) == len(files) == 16
    errors = [f"{name}: {e}" for name, msgs in found.items() for e in describe_nu(msgs)]
    assert not errors, "\n".join(errors[:40])


def test_the_multipart_pages_have_no_axe_violation(pages):
    found = [f"{name}: {v}" for name, seen in pages.items() if name != "texts"
             for v in describe_axe(seen["axe"])]
    assert not found, "\n".join(found)


def test_the_tour_saw_a_preview_and_a_verdict_per_part(pages):
    for lang in ("en", "zh"):
        texts = pages["texts"][f"{lang}-live-texts"]
        assert texts["q2.a"] == "14/2"  # (a)'s own line, read by the parser
        assert texts["q2.c"] and texts["q2.c"] != "[0.4,"  # (c)'s: where and why not
        verdicts = pages[f"{lang}-verdicts"]["sent"]
        assert verdicts.count('class="verdict ') == 5  # q1 and the four parts
        assert verdicts.count('class="badge follow-through"') == 2
        assert "<strong>6</strong> / 7" in verdicts
        assert pages[f"{lang}-solutions"]["sent"].count('class="key-answer"') == 5
    assert "小题（a）的答案" in pages["zh-live-preview"]["sent"]
    assert "Answer to part (a)" in pages["en-live-preview"]["sent"]


def test_the_keyboard_reaches_every_part_in_order(server, chromium_browser):
    url = server
    context = chromium_browser.new_context(viewport={"width": 1000, "height": 700},
                                           bypass_csp=True)
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#token", TOKENS["s3"])  # one who has not submitted: every box editable
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/quiz")
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.name || document.activeElement.id"))
        if stops[-1] == "action":  # Save draft
            break
    boxes = [s for s in stops if s.startswith("a_")]
    assert list(dict.fromkeys(boxes)) == ["a_q1", "a_q2.a", "a_q2.b", "a_q2.c", "a_q2.d"]
    context.close()
