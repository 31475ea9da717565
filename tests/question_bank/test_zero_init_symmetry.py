"""initialization.zero_init_symmetry against nn.Linear + torch.optim.SGD + nn.MSELoss."""

import pytest

from question_bank.initialization import zero_init_symmetry as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_sgd_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "zi-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_zero_init_tanh_moves_only_the_output_bias():
    params = {"activation": "tanh", "init": 0.0, "lr": 0.1, "inputs": [[1.0, 2.0]],
              "targets": [[1.5]], "ask": ["bias2", 0]}
    assert family.answer(params) == pytest.approx(0.1 * 2 * 1.5)
    r = family.run(params)
    assert set(r.always_zero_gradients) == {"weight1", "bias1", "weight2"}
    for name in ("weight1", "weight2"):
        assert family.answer({**params, "ask": [name, 0, 1]}) == 0.0


def test_zero_init_sigmoid_output_weight_sees_h_one_half():
    params = {"activation": "sigmoid", "init": 0.0, "lr": 0.5, "inputs": [[1.0, -1.0]],
              "targets": [[2.0]], "ask": ["weight2", 0, 1]}
    assert family.answer(params) == pytest.approx(0.5 * 2 * 2.0 * 0.5)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["hidden_output_zero"] == 0.0


def test_constant_init_keeps_hidden_units_identical():
    for seed in range(60):
        params = family.sample(rng_for(seed, "zi-sym"), 2 + seed % 2)
        assert family.run(params).hidden_units_identical
