"""averaging.ewc_penalty against torch.func (per-sample gradients, grad) and a hand example."""

import pytest

from question_bank.averaging import ewc_penalty as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_func_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "ewc-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_hand_worked_penalty_gradient_and_fisher():
    params = {"theta": [1.5, -1.0], "anchor": [1.0, 0.0], "fisher": [1.0, 0.5], "lam": 2,
              "ask": "penalty"}
    assert family.answer(params) == pytest.approx(1.0 * (0.25 + 0.5))  # (2/2)(1*0.25 + 0.5*1)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["no_half"] == pytest.approx(1.5)
    assert family.answer({**params, "ask": "gradient"}) == pytest.approx([1.0, -1.0])
    # Empirical Fisher: square each sample's gradient, then average; not (mean g)^2.
    estimated = {"theta": [1.5, -1.0], "anchor": [1.0, 0.0], "lam": 2, "ask": "penalty",
                 "sample_grads": [[1.0, 2.0], [-1.0, 0.0]]}
    assert family.fisher(estimated) == pytest.approx([1.0, 2.0])
    wrong = {m.name: m.value for m in family.mistakes(estimated)}
    assert wrong["squared_mean_gradient"] == pytest.approx(0.0 * 0.25 + 1.0 * 1.0)
