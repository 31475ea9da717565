"""Open the HTML sheet and key in headless Chromium: every formula laid out as MathML, the text
in the chosen language, and a screenshot of each page saved under tests/artifacts/.

The product has no JavaScript; this test injects a probe script into a copy of each page that
measures every <math> element after layout and writes the figures into the DOM, which
``--dump-dom`` returns.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from quizgen.export import render_html

CHROMIUM = next(
    (path for path in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if path),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (Debian: apt-get install chromium fonts-noto-cjk)",
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

PROBE = """<script>
const math = [...document.querySelectorAll("math")].map((m) => {
  const box = m.getBoundingClientRect();
  const annotation = m.querySelector("annotation");
  return {
    tex: m.getAttribute("alttext"),
    width: box.width,
    height: box.height,
    display: getComputedStyle(m).display,
    annotationWidth: annotation ? annotation.getBoundingClientRect().width : -1,
    // a laid-out fraction has its numerator above its denominator
    fractionsStacked: [...m.querySelectorAll("mfrac")].every((f) => {
      const [numerator, denominator] = [...f.children].map((c) => c.getBoundingClientRect());
      return numerator.bottom <= denominator.top + 1;
    }),
  };
});
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify({math, text: document.body.innerText});
document.body.append(probe);
</script>
"""

# Text that must be visible, per language (prompt text of the fixture and sheet labels).
VISIBLE = {
    "en": ("starts from", "Clip the gradient", "Question 3"),
    "zh": ("Adam 优化器的参数为", "求裁剪后的梯度", "第 3 题"),
}
HIDDEN = {"en": "优化器", "zh": "starts from"}


def test_a_chinese_font_is_installed_for_the_zh_pages():
    """Without one, Chromium draws the zh sheet as empty boxes (Debian: fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        pytest.skip("no fc-list to ask fontconfig for fonts")
    fonts = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True
    ).stdout
    assert fonts.strip(), "no Chinese font installed: apt-get install fonts-noto-cjk"


def chromium(*args: str, profile: Path) -> str:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("variant", ["sheet", "key"])
def test_every_formula_renders_in_chromium(quiz, tmp_path, lang, variant):
    page = render_html(quiz, key=variant == "key", lang=lang)
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")

    dom = chromium("--dump-dom", probed.as_uri(), profile=tmp_path / "profile")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe script did not run"
    result = json.loads(html.unescape(found.group(1)))

    formulas = result["math"]
    assert len(formulas) == page.count("<math ") > 0
    for formula in formulas:
        assert formula["display"] in ("math", "block math"), formula  # MathML layout, not text
        assert formula["width"] > 0 and formula["height"] > 0, formula
        assert formula["annotationWidth"] == 0, formula  # TeX source hidden
        assert formula["fractionsStacked"], formula
    for text in VISIBLE[lang]:
        assert text in result["text"]
    assert HIDDEN[lang] not in result["text"]

    # The screenshot is of the page as shipped (no probe). Keys are long: a taller window.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shipped = tmp_path / f"{variant}.html"
    shipped.write_text(page, encoding="utf-8")
    png = ARTIFACTS / f"html_{variant}_{lang}.png"
    png.unlink(missing_ok=True)
    height = 1800 if variant == "key" else 1400
    chromium(
        f"--screenshot={png}",
        f"--window-size=1000,{height}",
        "--hide-scrollbars",
        shipped.as_uri(),
        profile=tmp_path / "profile",
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
