"""The HTML sheet and key, checked as text (the Chromium test checks them as rendered pages)."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest

from quizgen.export import (
    MathConversionError,
    MissingTextError,
    UnknownFormatError,
    default_filename,
    export,
    render_html,
    write_html,
)
from quizgen.export.math import _latex_to_mathml
from quizgen.export.templating import template_root

# Independent of quizgen.export.math: the fixture has no escaped dollars.
FORMULA = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.S)
BLOCK_MATH = re.compile(r'<math [^>]*display="block"')
# Formulas the key adds in its "Accepted" lines: 10^{-9} (Adam), 10^{-4} % and 10^{-9} (sigmoid).
TOLERANCE_FORMULAS = 3


def formulas(text: str) -> list[str]:
    return FORMULA.findall(text)


def display_formulas(text: str) -> int:
    return sum(1 for display, _ in FORMULA.findall(text) if display)


def test_every_prompt_formula_becomes_one_math_element_on_the_sheet(quiz):
    page = render_html(quiz, key=False)
    prompts = [q.prompt["en"] for q in quiz.questions]
    # 9 + 3 + 6 formulas, counted by hand
    assert page.count("<math ") == sum(len(formulas(p)) for p in prompts) == 18
    assert len(BLOCK_MATH.findall(page)) == sum(display_formulas(p) for p in prompts) == 1
    # nothing left unconverted: outside the <math> elements no dollar sign remains
    assert "$" not in MATH_ELEMENT.sub("", page)


def test_every_key_formula_becomes_one_math_element(quiz):
    page = render_html(quiz, key=True)
    texts = [q.prompt["en"] for q in quiz.questions]
    texts += [step for q in quiz.questions for step in q.solution["en"]]
    texts += [m.feedback["en"] for q in quiz.questions for m in q.mistakes]
    numeric_mistakes = sum(not isinstance(m.value, str) for q in quiz.questions for m in q.mistakes)
    expected = sum(len(formulas(t)) for t in texts)
    expected += len(quiz.questions) + numeric_mistakes + TOLERANCE_FORMULAS
    assert page.count("<math ") == expected
    # answers are displayed formulas, as are the $$...$$ in prompts and solutions
    assert len(BLOCK_MATH.findall(page)) == len(quiz.questions) + sum(
        display_formulas(t) for t in texts
    )
    assert "$" not in MATH_ELEMENT.sub("", page)


def test_text_outside_math_is_escaped(quiz):
    quiz.questions[0].prompt["en"] = "<script>alert('x')</script> & <b>bold</b> if $a < b$"
    page = render_html(quiz, key=False)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<b>" not in page
    # the < inside the formula is MathML text, escaped too
    assert "<mo>&lt;</mo>" in page


def test_the_sheet_has_no_answers_solutions_or_mistakes_and_the_key_has_them(quiz):
    sheet = render_html(quiz, key=False)
    key = render_html(quiz, key=True)
    for q in quiz.questions:
        annotation = f'<annotation encoding="application/x-tex">{q.answer_tex}</annotation>'
        assert annotation not in sheet
        assert annotation in key
        for m in q.mistakes:
            assert m.name.replace("_", " ") in key
            assert m.name.replace("_", " ") not in sheet
    for leaked in ("0.099999998", "First moment", "Chain rule", "cancel", "Accepted"):
        assert leaked not in sheet
        assert leaked in key
    assert "Worked solution" in key and "Common mistakes" in key
    assert "within 0.01 % relative" in key
    assert "to 3 significant figures" in key


def test_sheet_header_has_student_fields_points_and_instructions(quiz):
    page = render_html(quiz, key=False)
    for text in ("Optimization midterm", "Name", "Student ID", "Date", "Score", "Instructions"):
        assert text in page
    assert "Seed: 20240917" in page
    assert "Total: 6.5 points" in page and "/ 6.5" in page
    assert [int(n) for n in re.findall(r"Question (\d+)</h2>", page)] == [1, 2, 3]
    assert re.findall(r'class="question-points">([^<]+)<', page) == [
        "2 points",
        "1.5 points",
        "3 points",
    ]
    assert page.count('class="answer-box"') == 3
    # the significant-figures question tells the student so
    assert page.count("Give your answer to 3 significant figures.") == 1
    assert "Student ID" not in render_html(quiz, key=True)


def test_chinese_sheet_uses_chinese_prompts_labels_and_lang(quiz):
    page = render_html(quiz, key=False, lang="zh")
    assert '<html lang="zh">' in page
    labels = ("姓名", "学号", "得分", "答题说明", "第 1 题", "2 分")
    for text in (*labels, "Adam 优化器的参数为", "求裁剪后的梯度"):
        assert text in page
    assert "starts from" not in page and "Student ID" not in page
    key = render_html(quiz, key=True, lang="zh")
    for text in ("参考答案", "解题步骤", "常见错误", "保留 3 位有效数字", "偏差校正后"):
        assert text in key


def test_lang_defaults_to_the_quizs_language(quiz):
    quiz.lang = "zh"
    assert render_html(quiz, key=True) == render_html(quiz, key=True, lang="zh")
    assert '<html lang="en">' in render_html(quiz, key=True, lang="en")


def test_unsupported_or_missing_language_is_an_error(quiz):
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        render_html(quiz, key=False, lang="fr")
    del quiz.questions[2].prompt["zh"]
    with pytest.raises(MissingTextError, match=r"calculus.sigmoid_derivative#3.*'zh'"):
        render_html(quiz, key=False, lang="zh")


def test_output_is_deterministic(quiz, tmp_path):
    first = render_html(quiz, key=True, lang="zh")
    _latex_to_mathml.cache_clear()
    assert render_html(quiz, key=True, lang="zh") == first
    a = write_html(quiz, tmp_path / "a" / "key.html", key=True, lang="zh")
    b = write_html(quiz, tmp_path / "b" / "key.html", key=True, lang="zh")
    assert a.read_bytes() == b.read_bytes() == first.encode("utf-8")


def test_a_bad_formula_in_a_prompt_names_its_question(quiz):
    quiz.questions[1].prompt["en"] = r"Clip $\frac{a}$ now."
    with pytest.raises(MathConversionError) as info:
        render_html(quiz, key=False)
    assert info.value.question_id == "clipping.clip_grad_norm#2"
    assert info.value.formula == r"\frac{a}"
    assert "clipping.clip_grad_norm#2" in str(info.value) and r"\\frac{a}" in str(info.value)


def test_a_bad_formula_in_a_solution_fails_the_key_only(quiz):
    quiz.questions[2].solution["en"].append(r"Then $\undefinedmacro x$.")
    render_html(quiz, key=False)  # the sheet does not print solutions
    with pytest.raises(MathConversionError, match=r"calculus.sigmoid_derivative#3.*undefinedmacro"):
        render_html(quiz, key=True)


def test_an_unclosed_dollar_in_feedback_names_its_question(quiz):
    quiz.questions[0].mistakes[0].feedback["en"] = "Divide by $1 - \\beta_1^t"
    with pytest.raises(MathConversionError, match="unclosed") as info:
        render_html(quiz, key=True)
    assert info.value.question_id == "optimizers.adam_step#1"


def test_page_is_self_contained_with_print_styles(quiz):
    page = render_html(quiz, key=True)
    for external in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert external not in page
    # the only URL is the MathML namespace
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/1998/Math/MathML"}
    style = page[page.index("<style>") : page.index("</style>")]
    for rule in ("size: A4", "break-inside: avoid", "@media print", '"Noto Sans CJK SC"'):
        assert rule in style


def test_export_registry_writes_the_same_page(quiz, tmp_path):
    path = export(quiz, "html", tmp_path / "out" / "key.html", key=True, lang="zh")
    assert path.read_text(encoding="utf-8") == render_html(quiz, key=True, lang="zh")
    assert default_filename("html", key=True) == "key.html"
    assert default_filename("html", key=False) == "sheet.html"
    with pytest.raises(UnknownFormatError, match="'docx'.*html"):
        export(quiz, "docx", tmp_path / "x.docx")


def test_templates_load_from_the_package_or_the_source_tree(monkeypatch):
    root = template_root()
    for name in ("sheet.html.j2", "key.html.j2", "macros.html.j2", "quiz.css"):
        assert root.joinpath(name).is_file()

    def not_installed(package):
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(importlib.resources, "files", not_installed)
    fallback = template_root()
    assert fallback == Path(__file__).resolve().parents[2] / "templates"
    assert fallback.joinpath("sheet.html.j2").is_file()
