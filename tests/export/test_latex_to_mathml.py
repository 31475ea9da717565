"""Splitting text into text and formulas, and LaTeX → MathML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from quizgen.export.math import MathConversionError, Segment, latex_to_mathml, split_math

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def parse(mathml: str) -> ET.Element:
    return ET.fromstring(mathml)  # the converter's output is well-formed XML


def test_split_inline_and_display_formulas_in_order():
    assert split_math(r"Let $x = 1$ then $$\frac{a}{b}$$ done.") == [
        Segment("Let "),
        Segment("x = 1", math=True),
        Segment(" then "),
        Segment(r"\frac{a}{b}", math=True, display=True),
        Segment(" done."),
    ]


def test_escaped_dollar_outside_math_is_a_dollar_sign():
    assert split_math(r"It costs \$5 and \$6.") == [Segment("It costs $5 and $6.")]


def test_escaped_dollar_inside_math_stays_in_the_formula():
    assert split_math(r"price $\$5 + x$ here") == [
        Segment("price "),
        Segment(r"\$5 + x", math=True),
        Segment(" here"),
    ]


def test_text_without_math_is_one_segment_and_empty_text_none():
    assert split_math("学习率 0.1") == [Segment("学习率 0.1")]
    assert split_math("") == []


@pytest.mark.parametrize("text", ["cost $x + 1", "display $$x", "$$x$ only one"])
def test_unclosed_dollar_is_an_error(text):
    with pytest.raises(MathConversionError, match="unclosed"):
        split_math(text)


def test_mathml_keeps_the_latex_as_tex_annotation_and_alttext():
    latex = r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}"
    root = parse(latex_to_mathml(latex))
    assert root.tag == MATHML + "math"
    assert root.get("display") == "inline"
    assert root.get("alttext") == latex
    (semantics,) = list(root)
    assert semantics.tag == MATHML + "semantics"
    presentation, annotation = list(semantics)
    assert annotation.get("encoding") == "application/x-tex"
    assert annotation.text == latex
    assert presentation.find(f".//{MATHML}mfrac") is not None


def test_display_formula_is_a_block():
    assert parse(latex_to_mathml(r"\sum_{i=1}^{n} x_i", display=True)).get("display") == "block"


def test_entities_are_decoded_and_markup_in_text_is_escaped():
    mathml = latex_to_mathml(r"\text{a<b & c} \le \beta_1")
    assert "<b" not in mathml.replace("<b>", "")  # no raw tag smuggled through \text{}
    texts = "".join(parse(mathml).itertext())
    assert "a<b & c" in texts
    assert "≤" in texts and "β" in texts
    assert "&#x" not in mathml


@pytest.mark.parametrize(
    "latex",
    [
        r"\lVert g \rVert_2",
        r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}",
        r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
        r"\operatorname{Var}(x) \approx \sigma^2",
        r"\left( \frac{a}{b} \right) \cdot \nabla f \times \mathbf{x}",
        r"\theta_{t} \leftarrow \theta_{t-1} - \eta \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)",
        r"\varepsilon \le 10^{-3}",
        r"\text{if } x > 0",
    ],
)
def test_the_banks_latex_converts(latex):
    assert parse(latex_to_mathml(latex)).find(f".//{MATHML}annotation").text == latex


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        (r"\frac{a}", "mfrac"),
        (r"\foo x", r"unknown command \\foo"),
        (r"x^", "Missing"),
        (r"{x", "unclosed"),
        (r"x}", "unbalanced"),
        (r"a & b", "matrix"),
        (r"\begin{pmatrix} 1", "Missing"),
    ],
)
def test_bad_latex_raises_naming_the_formula(latex, reason):
    with pytest.raises(MathConversionError, match=reason) as info:
        latex_to_mathml(latex)
    assert info.value.formula == latex
    assert info.value.question_id is None


def test_unary_minus_after_relation_and_fixed_size_norm_bars():
    unary = parse(latex_to_mathml("x = -0.2"))
    minus = [mo for mo in unary.iter(MATHML + "mo") if mo.text == "−"]
    assert [mo.get("form") for mo in minus] == ["prefix"]
    binary = parse(latex_to_mathml("x - 0.2"))
    assert [mo.get("form") for mo in binary.iter(MATHML + "mo") if mo.text == "−"] == [None]

    norm = parse(latex_to_mathml(r"\lVert g \rVert_2 = \sqrt{2}"))
    bars = [mo for mo in norm.iter(MATHML + "mo") if mo.text == "‖"]
    assert len(bars) == 2 and all(mo.get("stretchy") == "false" for mo in bars)
    # matrix delimiters must still grow around the table
    matrix = parse(latex_to_mathml(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"))
    assert all(mo.get("stretchy") is None for mo in matrix.iter(MATHML + "mo"))


def test_operator_names_are_identifiers():
    root = parse(latex_to_mathml(r"\operatorname{Var}(x)"))
    assert [mi.text for mi in root.iter(MATHML + "mi")] == ["Var", "x"]


def test_conversions_are_cached_and_identical():
    first = latex_to_mathml(r"\frac{1}{1 + e^{-x}}")
    assert latex_to_mathml(r"\frac{1}{1 + e^{-x}}") is first
