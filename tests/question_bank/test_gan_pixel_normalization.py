"""gan.pixel_normalization against ToTensor + Normalize(0.5, 0.5) written with torch ops."""

import pytest

from question_bank.gan import pixel_normalization as family
from quizgen.sampling import rng_for


def test_answer_matches_totensor_normalize_recipe_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "pixel-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_endpoints_and_hand_values():
    forward = {"direction": "forward", "values": [0, 127, 255], "round": False}
    assert family.answer(forward) == pytest.approx([-1.0, -0.5 / 127.5, 1.0])
    inverse = {"direction": "inverse", "values": [0.5], "round": False}
    assert family.answer(inverse) == pytest.approx(191.25)
    clamped = {"direction": "inverse", "values": [1.05, -1.03, 0.5], "round": True}
    assert family.answer(clamped) == [255.0, 0.0, 191.0]
    wrong = {m.name: m.value for m in family.mistakes(clamped)}
    assert wrong["no_clamp"] == [261.0, -4.0, 191.0]


def test_rounded_questions_never_sit_on_a_half():
    for seed in range(300):
        params = family.sample(rng_for(seed, "pixel-ties"), 3)
        if params["round"]:
            for y in params["values"]:
                assert ((y + 1) * 127.5) % 1 != pytest.approx(0.5, abs=1e-9)
