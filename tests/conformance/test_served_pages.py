"""Every page of ``quizgen serve``, as a student and a teacher meet it in headless Chromium,
checked by the Nu Html Checker (the HTML the server sent, and the page again after web.js
changed it) and by axe-core (the page as shown); then what axe cannot check: the keyboard
path through the student page, the focus ring, what a screen reader gets for a formula, and
the teacher's table updating in place.

The classroom is ``quizgen make --topic all --count 20 --seed 5 --students roster.csv``, served
by waitress on loopback with two attempts and solutions after the last one.
"""

from __future__ import annotations

import csv
import re
import threading

import pytest
from click.testing import CliRunner
from consumers import ARTIFACTS, describe_axe, describe_nu, run_axe

ADMIN = "conformance-admin-token-0123456789"
# one worker runs the whole module, so the classroom and the tour are made once (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("served-pages")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from quizgen.cli import cli
    from quizgen.web import Classroom, Settings, WebOptions, create_app
    from quizgen.web.server import ServerOptions, make_server

    folder = tmp_path_factory.mktemp("classroom")
    (folder / "roster.csv").write_text("id,name\ns1,Ann Lee\ns2,王小明\ns3,Kim Park\n",
                                       encoding="utf-8")
    made = CliRunner().invoke(cli, ["make", "--topic", "all", "--count", "20", "--seed", "5",
                                     "--students", str(folder / "roster.csv"),
                                     "--out", str(folder / "q")])
    assert made.exit_code == 0, made.output
    with (folder / "q" / "tokens.csv").open(encoding="utf-8") as f:
        tokens = {row["student"]: row["token"] for row in csv.DictReader(f)}
    room = Classroom(folder / "q" / "quiz.json", db=str(folder / "gradebook.sqlite"),
                     settings=Settings(attempts=2, show_solutions=True, refresh_seconds=1))
    app = create_app(room, WebOptions(admin_token=ADMIN))
    httpd = make_server(app, "127.0.0.1", 0, ServerOptions(threads=4))
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}", tokens, room
    httpd.close()
    thread.join(timeout=5)
    room.close()


class Tour:
    """Pages visited, each with the HTML the server sent, the DOM as shown, axe's findings."""

    def __init__(self, axe_source: str):
        self.axe_source = axe_source
        self.pages: dict[str, dict] = {}

    def record(self, name: str, page, *, sent: str | None = None) -> None:
        """``sent``: the server's HTML (fetched again with the page's cookies when omitted)."""
        if sent is None:
            sent = page.context.request.get(page.url).text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"conformance-{name}.png"), full_page=True)
        self.pages[name] = {"sent": sent, "shown": page.content(),
                            "axe": run_axe(page, self.axe_source)}


def sign_in(page, url: str, token: str, lang: str) -> str:
    """Sign a student in; the quiz page's HTML as the server sends it."""
    page.goto(f"{url}/?lang={lang}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/quiz")
    return page.context.request.get(url + "/quiz").text()


def answer_boxes(page):
    return page.locator("input.answer-input")


def type_answers(page, valid: str, invalid: str) -> None:
    boxes = answer_boxes(page)
    boxes.nth(0).press_sequentially(valid, delay=10)
    boxes.nth(1).press_sequentially(invalid, delay=10)
    # an attribute selector: a part's answer id ("q2.a") would read as a class after "#"
    first, second = (page.locator(f"[id='read-{boxes.nth(i).get_attribute('data-question')}']")
                     for i in (0, 1))
    page.wait_for_function("([a, b]) => a.dataset.state === 'ok' && b.dataset.state === 'error'",
                           arg=[first.element_handle(), second.element_handle()])


@pytest.fixture(scope="module")
def tour(server, chromium_browser, axe_source) -> Tour:
    url, tokens, room = server
    tour = Tour(axe_source)
    # bypass_csp lets axe be injected; the pages' own CSP is tested in tests/web
    student = chromium_browser.new_context(viewport={"width": 1000, "height": 900},
                                           bypass_csp=True)
    page = student.new_page()
    sent = page.goto(url + "/").text()
    tour.record("sign-in", page, sent=sent)
    sent = page.goto(url + "/?lang=zh").text()
    tour.record("sign-in-zh", page, sent=sent)
    page.goto(url + "/?lang=en")
    page.fill("#token", "not-a-token")
    with page.expect_navigation() as nav:
        page.click("button[type=submit]")
    tour.record("sign-in-refused", page, sent=nav.value.text())
    page.goto(url + "/nowhere")
    tour.record("not-found", page, sent=page.context.request.get(url + "/nowhere").text())

    sent = sign_in(page, url, tokens["s1"], "en")
    type_answers(page, "1/2", "3*(")
    tour.record("student-en-live-preview", page, sent=sent)
    page.click("button[value=save]")
    page.wait_for_url(url + "/quiz?m=saved")
    tour.record("student-draft-saved", page)
    page.click("#submit")
    page.wait_for_url(url + "/quiz?m=submitted")
    tour.record("student-verdicts", page)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/quiz\?m="))
    tour.record("student-solutions", page)

    other = chromium_browser.new_context(viewport={"width": 390, "height": 844},
                                         is_mobile=True, has_touch=True, bypass_csp=True)
    phone = other.new_page()
    sent = sign_in(phone, url, tokens["s2"], "zh")
    type_answers(phone, "0.25", "（1")
    tour.record("student-zh-live-preview", phone, sent=sent)

    teacher = chromium_browser.new_context(viewport={"width": 1200, "height": 800},
                                           bypass_csp=True)
    desk = teacher.new_page()
    sent = desk.goto(url + "/admin").text()
    tour.record("teacher-sign-in", desk, sent=sent)
    desk.fill("#token", ADMIN)
    desk.click("button[type=submit]")
    desk.wait_for_url(url + "/admin")
    tour.record("teacher-table", desk)
    # s2 submits while the teacher watches: the table changes without a reload
    desk.evaluate("window.quizgenMarker = 'still the same page'")
    phone.click("#submit")
    phone.wait_for_url(re.compile(r"/quiz\?m="))
    desk.wait_for_function(
        "document.querySelector('tr[data-student=s2]').textContent.includes('/')", timeout=15000)
    tour.teacher_kept_page = desk.evaluate("window.quizgenMarker")
    tour.teacher_status = desk.text_content("#live-status")
    tour.record("teacher-table-updated", desk)
    desk.click("#live-toggle")
    tour.paused = (desk.text_content("#live-toggle"), desk.text_content("#live-status"))
    desk.goto(url + "/admin/student/s1")
    tour.record("teacher-student-page", desk)
    desk.goto(url + "/admin/report")
    tour.record("teacher-report", desk)
    desk.goto(url + "/admin?lang=zh")
    tour.record("teacher-table-zh", desk)
    for context in (student, other, teacher):
        context.close()
    return tour


def test_every_served_page_passes_the_nu_html_checker(tour, nu_checker, tmp_path):
    files = []
    for name, seen in tour.pages.items():
        for what in ("sent", "shown"):
            path = tmp_path / f"{name}.{what}.html"
            path.write_text(seen[what], encoding="utf-8")
            files.append(path)
    found = nu_checker(files)
    assert len(found) == len(files) >= 26
    errors = [f"{name}: {e}" for name, msgs in found.items() for e in describe_nu(msgs)]
    assert not errors, "\n".join(errors[:40])


def test_every_served_page_has_no_axe_violation(tour):
    found = [f"{name}: {v}" for name, seen in tour.pages.items()
             for v in describe_axe(seen["axe"])]
    assert not found, "\n".join(found)


def test_the_tour_saw_what_it_meant_to(tour, server):
    pages, room = tour.pages, server[2]
    assert "read-as" in pages["student-en-live-preview"]["shown"]
    # a verdict per answer: per question, or per part of a question asked in parts
    assert pages["student-verdicts"]["sent"].count('class="verdict ') == len(room.answer_ids("s1"))
    assert 'class="key-answer"' in pages["student-solutions"]["sent"]
    assert 'lang="zh"' in pages["student-zh-live-preview"]["sent"]
    assert "<img" in pages["teacher-report"]["sent"]


def test_the_teacher_table_updates_in_place_and_says_so_politely(tour):
    assert tour.teacher_kept_page == "still the same page"  # no reload
    assert "s2" in tour.teacher_status and "Updated at" in tour.teacher_status
    assert tour.paused == ("Resume updates", "Updates paused.")
    sent = tour.pages["teacher-table"]["sent"]
    assert 'http-equiv="refresh"' not in sent
    assert re.search(r'id="live-status" role="status"', sent)


# What the element with the keyboard focus is, where it is in the page, whether its focus ring
# shows, and whether anything (the sticky Save/Submit bar) covers it.
FOCUSED = """() => {
  const e = document.activeElement;
  const all = [...document.querySelectorAll('*')];
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {id: e.id, tag: e.tagName, type: e.type || '', order: all.indexOf(e),
          question: (e.closest('[data-question-id]') || {dataset: {}}).dataset.questionId || '',
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          covered: !(hit && (e.contains(hit) || hit.contains(e) || hit === e.labels?.[0]
                             || e.labels?.[0]?.contains(hit))),
          inView: box.top >= 0 && box.bottom <= innerHeight};
}"""


def test_the_student_page_works_by_keyboard_alone(server, chromium_browser):
    """Tab from the top of the page: the sign-in field, then every question in order, then
    Save and Submit; each stop shows a focus ring and is not hidden under the sticky bar;
    Enter on Submit submits."""
    url, tokens, _ = server
    context = chromium_browser.new_context(viewport={"width": 1000, "height": 700},
                                           bypass_csp=True)
    page = context.new_page()
    page.goto(url + "/")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "token":
            break
    page.keyboard.type(tokens["s3"])
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/quiz")
    stops = []
    for _ in range(150):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1]["id"] == "submit":
            break
    assert stops[-1]["id"] == "submit", [s["id"] or s["tag"] for s in stops]
    assert [s["order"] for s in stops] == sorted(s["order"] for s in stops)  # document order
    questions = page.evaluate("[...document.querySelectorAll('[data-question-id]')]"
                              ".map(e => e.dataset.questionId)")
    reached = list(dict.fromkeys(s["question"] for s in stops if s["question"]))
    assert reached == questions  # every question, in order
    assert [s for s in stops if not s["ring"]] == []  # a visible focus ring at every stop
    assert [s for s in stops if s["covered"] or not s["inView"]] == []
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/quiz?m=submitted")
    context.close()


def test_a_formula_reaches_a_screen_reader_as_mathml(server, chromium_browser):
    """Chromium's accessibility tree (what a screen reader reads): each formula is a math
    node with its structure (fractions, scripts) for MathML-aware readers, and none of the
    TeX source is read out; the TeX stays in alttext and the annotation for copy and paste."""
    url, tokens, _ = server
    context = chromium_browser.new_context()
    page = context.new_page()
    sign_in(page, url, tokens["s3"], "en")
    math = page.locator("math").first
    tex = math.get_attribute("alttext")
    assert tex and tex == math.locator("annotation").text_content()
    tree = context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = {n.get("role", {}).get("value") for n in tree}
    assert {"MathMLMath", "MathMLSub", "MathMLFraction"} <= roles
    spoken = " ".join(str(n.get("name", {}).get("value", "")) for n in tree)
    assert "\\frac" not in spoken and "\\sqrt" not in spoken
    assert page.locator("math").count() == page.locator("math[alttext]").count()
    context.close()
