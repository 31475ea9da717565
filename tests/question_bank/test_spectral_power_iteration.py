"""spectral.power_iteration against torch.nn.utils.spectral_norm and its parametrization."""

import math

import pytest

from question_bank.spectral import power_iteration as family
from quizgen.sampling import rng_for


def test_answer_matches_torchs_spectral_norm_modules_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "power-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_difficulty_three_covers_both_torch_orders_and_two_steps():
    seen = {(p["order"], p["steps"], p["ask"]) for p in (
        family.sample(rng_for(seed, "power-kinds"), 3) for seed in range(300))}
    assert {o for o, _, _ in seen} == {"original", "parametrized"}
    assert ("original", 2, "sigma") in seen and ("parametrized", 1, "u") in seen
    d1 = family.sample(rng_for(0, "power-kinds"), 1)
    assert (d1["order"], d1["steps"], d1["ask"]) == ("original", 1, "sigma")


def test_hand_worked_step_and_the_estimate_is_a_lower_bound():
    # W = diag(2, 1), u0 = (0.6, 0.8): v ~ (1.2, 0.8), u ~ (2.4, 0.8), sigma = sqrt(6.4/2.08).
    params = {"W": [[2, 0], [0, 1]], "order": "original", "start": [0.6, 0.8], "steps": 1,
              "ask": "sigma"}
    assert family.answer(params) == pytest.approx(math.sqrt(6.4 / 2.08), rel=1e-12)
    assert family.answer({**params, "ask": "u"}) == pytest.approx(
        [2.4 / math.sqrt(6.4), 0.8 / math.sqrt(6.4)], rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["converged_value"] == pytest.approx(2.0)
    assert family.answer(params) < wrong["converged_value"]
    # The stale u0 with the new v: u0 . W v = (0.6 * 2.4 + 0.8 * 0.8) / sqrt(2.08)
    assert wrong["stale_vector"] == pytest.approx(2.08 / math.sqrt(2.08))
    two = family.answer({**params, "steps": 2})
    assert family.answer(params) < two < 2.0
