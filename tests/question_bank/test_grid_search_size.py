"""hyperparameters.grid_search_size against torch.cartesian_prod and SymPy."""

import pytest

from question_bank.hyperparameters import grid_search_size as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_cartesian_product_and_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "grid-oracle"), difficulty)
        got = family.answer(params)
        assert got == pytest.approx(family.oracle(params), rel=1e-12), params
        assert got == pytest.approx(float(family.closed_form(params)), rel=1e-12), params


def test_hand_example_rounds_of_parallel_trials():
    # 4 x 3 x 5 = 60 trials on 8 GPUs: 8 rounds of 30 minutes = 4 hours (not 3.75).
    space = {"learning rate": [1e-4, 1e-3, 1e-2, 1e-1], "batch size": [32, 64, 128],
             "dropout": [0.0, 0.1, 0.2, 0.3, 0.5]}
    params = {"names": list(space), "space": space, "counts": [4, 3, 5], "ask": "wall_hours",
              "minutes": 30, "gpus": 8}
    assert family.answer(params) == 4.0
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["no_whole_rounds"] == pytest.approx(3.75)
    assert wrong["gpus_ignored"] == pytest.approx(30.0)
