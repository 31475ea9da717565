"""Tolerances, points and numbers in words."""

from __future__ import annotations

import pytest

from quizgen.export.wording import UI, number_tex, points_label, tolerance_words, value_tex


@pytest.mark.parametrize(
    ("tolerance", "en", "zh"),
    [
        ({"rtol": 1e-4}, "within 0.01 % relative", "相对误差不超过 0.01 %"),
        (
            {"rtol": 1e-4, "atol": 1e-9},
            "within 0.01 % relative, plus $10^{-9}$ absolute",
            "相对误差不超过 0.01 %，另加绝对误差 $10^{-9}$",
        ),
        ({"sigfigs": 3}, "to 3 significant figures", "保留 3 位有效数字"),
        ({"atol": 0.5}, "within 0.5 absolute", "绝对误差不超过 0.5"),
        ({"rtol": 1e-7, "atol": 0}, "within $10^{-5}$ % relative", "相对误差不超过 $10^{-5}$ %"),
    ],
)
def test_tolerance_in_words(tolerance, en, zh):
    assert tolerance_words(tolerance, "en") == en
    assert tolerance_words(tolerance, "zh") == zh


@pytest.mark.parametrize(
    ("x", "tex"),
    [
        (0.01, "0.01"),
        (0.001, "0.001"),
        (12345.6, "12345.6"),
        (1 / 3, "0.333333"),
        (1e-9, "10^{-9}"),
        (-2.5e-8, r"-2.5 \times 10^{-8}"),
        (123456.0, r"1.23456 \times 10^{5}"),
        (0.0, "0"),
        (7, "7"),
    ],
)
def test_number_tex(x, tex):
    assert number_tex(x) == tex


def test_value_tex_vectors_and_matrices():
    assert value_tex([0.5, -1e-6]) == r"\left(0.5,\ -10^{-6}\right)"
    assert value_tex([[1, 2], [3, 4]]) == r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"


def test_points_label():
    assert points_label(1, "en") == "1 point"
    assert points_label(2.0, "en") == "2 points"
    assert points_label(1.5, "zh") == "1.5 分"


def test_both_languages_have_the_same_labels():
    assert UI["en"].keys() == UI["zh"].keys()
    assert len(UI["en"]["instruction_lines"]) == len(UI["zh"]["instruction_lines"])
