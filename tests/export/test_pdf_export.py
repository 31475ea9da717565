"""The PDF sheet and key, read back with poppler: text in both languages, fonts embedded, no
question split across pages, and every page rendered to PNG under tests/artifacts/."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from quizgen.export import FontNotFoundError, export, render_pdf
from quizgen.export.fonts import covers, find_cjk_font
from quizgen.model import Quiz

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm"))
pytestmark = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing (Debian: apt-get install poppler-utils)"
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def has_cjk_font() -> bool:
    try:
        find_cjk_font()
    except FontNotFoundError:
        return False
    return True


needs_cjk = pytest.mark.skipif(not has_cjk_font(), reason="no CJK font (fonts-noto-cjk)")


def pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_of(pdf: Path) -> list[dict[str, str]]:
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    # name type... encoding emb sub uni object ID: read the columns from the right
    rows = []
    for line in lines:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return rows


def long_quiz(quiz: Quiz, copies: int) -> Quiz:
    """The mixed quiz repeated: enough questions to fill several pages."""
    questions = []
    for k in range(copies):
        for q in copy.deepcopy(quiz.questions):
            q.id = f"{q.id}-{k}"
            questions.append(q)
    quiz.questions = questions
    return quiz


@pytest.mark.parametrize("key", [False, True], ids=["sheet", "key"])
def test_english_pdf_text_and_embedded_fonts(mixed_quiz, tmp_path, key):
    pdf = export(mixed_quiz, "pdf", tmp_path / "out.pdf", key=key, lang="en")
    text = flat("".join(pages_text(pdf)))
    for words in ("Optimization quiz", "Question 1", "Question 6", "2 points", "Seed: 7"):
        assert flat(words) in text
    assert flat("Clip the gradient") in text and flat("the running mean and variance") in text
    for leaked in ("Worked solution", "Common mistakes", "0.099999998", "running estimates"):
        assert (flat(leaked) in text) == key
    assert (flat("Student ID") in text) != key
    fonts = fonts_of(pdf)
    assert fonts and all(f["emb"] == "yes" for f in fonts), fonts
    assert not any("CJK" in f["name"] for f in fonts)  # no Chinese, no CJK font loaded


@needs_cjk
@pytest.mark.parametrize("key", [False, True], ids=["sheet", "key"])
def test_chinese_pdf_text_uses_an_embedded_cjk_font(mixed_quiz, tmp_path, key):
    pdf = export(mixed_quiz, "pdf", tmp_path / "out.pdf", key=key, lang="zh")
    text = flat("".join(pages_text(pdf)))
    expected = ("第1题", "第6题", "Adam优化器的参数为", "求裁剪后的梯度", "训练时跟踪的滑动均值")
    for words in expected:
        assert words in text
    assert ("解题步骤" in text) == key and ("学号" in text) != key
    fonts = fonts_of(pdf)
    assert all(f["emb"] == "yes" for f in fonts), fonts
    assert any(re.search("CJK|Han|Song|Hei|PingFang", f["name"]) for f in fonts), fonts


@needs_cjk
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("key", [False, True], ids=["sheet", "key"])
def test_no_question_is_split_across_pages(mixed_quiz, tmp_path, lang, key):
    quiz = long_quiz(mixed_quiz, copies=4)  # 24 questions, several pages
    pdf = export(quiz, "pdf", tmp_path / "out.pdf", key=key, lang=lang)
    pages = [re.sub(r"\s+", " ", p) for p in pages_text(pdf)]
    assert len(pages) >= 3

    def heading(number: int) -> re.Pattern:
        # Typst spaces CJK and digits itself: the zh heading may come out without spaces
        return re.compile(rf"Question {number}(?!\d)" if lang == "en" else rf"第\s*{number}\s*题")

    last_label = "ANSWER" if lang == "en" else "答案"
    for number, q in enumerate(quiz.questions, start=1):
        where = [k for k, page in enumerate(pages) if heading(number).search(page)]
        assert len(where) == 1, (number, where)
        after = heading(number).split(pages[where[0]])[1]
        body = flat(heading(number + 1).split(after)[0])
        if key:
            # the last paragraph of the question's key, its plain words (formulas are glyphs)
            tail = q.mistakes[-1].feedback[lang] if q.mistakes else q.solution[lang][-1]
            plain = flat(max(re.split(r"\$[^$]*\$", tail), key=len))
            assert plain[-6:] in body, (number, tail)
        else:
            assert last_label in body, number  # the answer box is on the question's page


@needs_cjk
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("key", [False, True], ids=["sheet", "key"])
def test_pages_render_to_png_artifacts(mixed_quiz, tmp_path, lang, key):
    """Pages to look at: tests/artifacts/pdf_{sheet,key}_{en,zh}-N.png."""
    variant = "key" if key else "sheet"
    pdf = export(mixed_quiz, "pdf", tmp_path / f"{variant}.pdf", key=key, lang=lang)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / f"pdf_{variant}_{lang}"
    for old in ARTIFACTS.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(prefix)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{prefix.name}-*.png"))
    assert len(pngs) == len(pages_text(pdf)) >= 1
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_a_chinese_pdf_without_a_cjk_font_fails_with_install_advice(mixed_quiz, tmp_path):
    empty = tmp_path / "fonts"
    empty.mkdir()
    with pytest.raises(FontNotFoundError, match="apt-get install fonts-noto-cjk.*--font-dir"):
        render_pdf(mixed_quiz, key=False, lang="zh", font_dir=empty)
    # English needs no CJK font, whatever the folder holds
    assert render_pdf(mixed_quiz, key=False, lang="en", font_dir=empty)[:5] == b"%PDF-"


@needs_cjk
def test_font_dir_with_a_cjk_font_is_used(mixed_quiz, tmp_path):
    font = find_cjk_font()
    pdf = tmp_path / "zh.pdf"
    pdf.write_bytes(render_pdf(mixed_quiz, key=False, lang="zh", font_dir=font.folder))
    assert "第1题" in flat("".join(pages_text(pdf)))


def test_cmap_coverage_is_read_from_the_font_file():
    latin = next(
        (p for p in Path("/usr/share/fonts").rglob("DejaVuSans.ttf")), None
    ) if Path("/usr/share/fonts").is_dir() else None
    if latin is None:
        pytest.skip("no DejaVuSans.ttf to read")
    assert covers(latin, 0, "Adam") and not covers(latin, 0, "中")
    assert not covers(latin.with_name("missing.ttf"), 0, "A")


def test_the_same_quiz_gives_the_same_pdf_bytes(mixed_quiz):
    first = render_pdf(mixed_quiz, key=True, lang="en")
    assert render_pdf(mixed_quiz, key=True, lang="en") == first
