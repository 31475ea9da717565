"""optimizers.adafactor_factored against torch.optim.Adafactor's own state."""

import pytest
import torch

from question_bank.optimizers import adafactor_factored as family
from quizgen.sampling import rng_for


def torch_statistics(params):
    shape = (len(params["grads"][0]), len(params["grads"][0][0]))
    p = torch.nn.Parameter(torch.ones(shape, dtype=torch.float64))
    opt = torch.optim.Adafactor([p], foreach=False)
    for g in params["grads"]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return opt.state[p]["row_var"].flatten(), opt.state[p]["col_var"].flatten()


def test_answer_matches_torch_optim_adafactor_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "adafactor-oracle"), 1 + seed % 3)
        r, c = torch_statistics(params)
        i, j = params["index"]
        expected = {"row": r.tolist(), "col": c.tolist(),
                    "vhat": (r[i] * c[j] / r.mean()).item()}[params["ask"]]
        assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_first_step_statistics_are_plain_means_of_g_squared():
    # Conventions 5.6: beta2-hat_1 = 0. G = [[1, 2, 2], [3, 0, 1]]: G^2 rows 1+4+4 and 9+0+1.
    params = {"grads": [[[1, 2, 2], [3, 0, 1]]], "ask": "row", "index": [0, 1]}
    assert family.answer(params) == pytest.approx([3.0, 10 / 3])
    assert family.answer({**params, "ask": "col"}) == pytest.approx([5.0, 2.0, 2.5])
    vhat = {**params, "ask": "vhat"}
    mean_r = (3.0 + 10 / 3) / 2
    assert family.answer(vhat) == pytest.approx(3.0 * 2.0 / mean_r)
    wrong = {m.name: m.value for m in family.mistakes(vhat)}
    assert wrong["no_normalizer"] == pytest.approx(6.0)  # the seed's r c^T
    assert wrong["full_second_moment"] == 4.0


def test_a_constant_g_squared_is_rebuilt_exactly_only_with_the_normalizer():
    # Conventions 5.6's check: G^2 = s everywhere gives V-hat = s, and r c^T = s^2.
    params = {"grads": [[[2, -2, 2], [-2, 2, 2]]], "ask": "vhat", "index": [1, 2]}
    assert family.answer(params) == pytest.approx(4.0)
    assert {m.name: m.value for m in family.mistakes(params)}["no_normalizer"] == 16.0


def test_step_two_averages_with_one_minus_two_to_the_minus_0_8():
    params = {"grads": [[[1, 1], [1, 1], [1, 1]], [[3, 3], [3, 3], [3, 3]]], "ask": "row",
              "index": [0, 0]}
    beta = 1 - 2**-0.8
    assert family.answer(params) == pytest.approx([beta + (1 - beta) * 9] * 3)
