"""averaging.effective_window against the impulse response of torch's own EMA."""


import pytest

from question_bank.averaging import effective_window as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_ema_impulse_response_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "window-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9), params


def test_hand_checked_values():
    assert family.answer({"decay": 0.9, "ask": "window", "given": "decay"}) == pytest.approx(10)
    half = family.answer({"decay": 0.9, "ask": "half_life", "given": "decay"})
    assert half == pytest.approx(6.578813, rel=1e-6)
    assert 0.9**half == pytest.approx(0.5)
    bn = {"momentum": 0.1, "decay": 0.9, "ask": "window", "given": "momentum"}
    assert family.answer(bn) == pytest.approx(10)
    wrong = {m.name: m.value for m in family.mistakes(bn)}
    assert wrong["momentum_as_decay"] == pytest.approx(1 / 0.9)
    assert wrong["mean_age"] == pytest.approx(9)
