"""gan.wgan_gp_penalty against torch.autograd on an independently built critic."""

import pytest

from question_bank.gan import wgan_gp_penalty as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_autograd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "gp-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_hand_worked_penalties():
    one = {"ask": "penalty", "critic": "given", "grads": [[3.0, 4.0]], "lam": 10}
    assert family.answer(one) == pytest.approx(160.0)  # 10 * (5 - 1)^2
    batch = {"ask": "penalty", "critic": "given", "grads": [[3.0, 4.0], [0.0, 0.5]], "lam": 10}
    assert family.answer(batch) == pytest.approx(10 * (16 + 0.25) / 2)
    wrong = {m.name: m.value for m in family.mistakes(batch)}
    assert wrong["one_sided"] == pytest.approx(10 * 16 / 2)
    assert wrong["no_averaging"] == pytest.approx(10 * 16.25)
    assert wrong["squared_norm"] == pytest.approx(10 * (25 + 0.25) / 2)


def test_interpolate_and_quadratic_critic_by_hand():
    mix = {"ask": "interpolate", "real": [[1.0, 0.0]], "fake": [[0.0, 1.0]], "eps": [0.3],
           "lam": 10}
    assert family.answer(mix) == pytest.approx([0.3, 0.7])
    # D = x1 + 0 x2 + x1^2: grad (1 + 2 x1, 0); x1_hat = 0.5 and 0 give norms 2 and 1.
    quad = {"ask": "penalty", "critic": "quadratic", "w": [1.0, 0.0], "c": 1.0,
            "real": [[1.0, 0.0], [0.0, 0.0]], "fake": [[0.0, 0.0], [0.0, 0.0]],
            "eps": [0.5, 0.5], "lam": 10}
    assert family.answer(quad) == pytest.approx(10 * (1 + 0) / 2)
