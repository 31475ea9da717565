"""Choice questions in the HTML sheet and key: options listed, short ones in columns, the right
ones marked only on the key; the column layout checked in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from quizgen.export import render_html
from quizgen.export.sheet import choice_columns

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


def options(page: str, question: int) -> list[tuple[str, str]]:
    """(choice id, class) of each option of question ``question`` (1-based)."""
    block = page.split(f'id="q{question}"')[1].split("</li>\n    <li class=\"question")[0]
    return re.findall(r'<li class="(choice[^"]*)" data-choice="(\w)"', block)


def test_columns_follow_option_length():
    assert choice_columns(["True", "False"]) == 2
    assert choice_columns(["a", "b", "c", "d"]) == 4
    assert choice_columns(["a medium length option text", "b"]) == 2
    assert choice_columns(["an option far too long to share its line with any other option"]) == 1
    assert choice_columns(["对", "错"]) == 2
    assert choice_columns([]) == 1


def test_sheet_lists_options_without_marking_the_right_ones(mixed_quiz):
    page = render_html(mixed_quiz, key=False)
    assert [c for _, c in options(page, 4)] == ["T", "F"]
    assert [c for _, c in options(page, 5)] == ["A", "B", "C", "D"]
    assert "correct" not in "".join(cls for q in (4, 5, 6) for cls, _ in options(page, q))
    assert 'class="choices cols-2"' in page and 'class="choices cols-4"' in page
    assert 'class="choices cols-1"' in page  # the long BatchNorm options
    assert "✓" not in page
    assert page.count('<math ') > 0 and "a larger <math" in page


def test_key_marks_every_right_option(mixed_quiz):
    page = render_html(mixed_quiz, key=True)
    marked = {
        q: [c for cls, c in options(page, q) if "correct" in cls] for q in (4, 5, 6)
    }
    assert marked == {4: ["F"], 5: ["A", "C"], 6: ["B"]}
    assert page.count("✓") == 4
    zh = render_html(mixed_quiz, key=True, lang="zh")
    assert "训练时跟踪的滑动均值和方差" in zh and "正确选项" in zh


PROBE = """<script>
const rows = [...document.querySelectorAll(".choices")].map((list) =>
  [...list.children].map((li) => Math.round(li.getBoundingClientRect().top)));
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify(rows);
document.body.append(probe);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH")
def test_short_options_share_a_row_in_chromium(mixed_quiz, tmp_path):
    page = render_html(mixed_quiz, key=True).replace("</body>", PROBE + "</body>")
    probed = tmp_path / "probed.html"
    probed.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1400", "--dump-dom",
         probed.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, "the probe script did not run"
    true_false, four, long_options = json.loads(html.unescape(found.group(1)))
    assert len(set(true_false)) == 1  # True | False side by side
    assert len(set(four)) == 1  # A B C D on one row
    assert len(set(long_options)) == 3  # one option per line
