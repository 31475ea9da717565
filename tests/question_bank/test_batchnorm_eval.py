"""normalization.batchnorm_eval against torch.nn.BatchNorm1d in eval mode."""

import pytest

from question_bank.normalization import batchnorm_eval as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_batchnorm_eval_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "bne-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_conventions_checked_eval_value():
    # conventions.md section 1: after the batch (1, 2, 3, 6), eval on x = 3 gives 2.30957.
    params = {"x": [[3], [1], [2]], "running_mean": [0.3], "running_var": [0.9 + 0.1 * 14 / 3],
              "gamma": [1.0], "beta": [0.0], "channel": 0, "ask": "entry", "index": 0}
    assert family.answer(params) == pytest.approx(2.30957, abs=1e-5)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["batch_stats_in_eval"] == pytest.approx(1.0 / (2 / 3 + 1e-5) ** 0.5)


def test_difficulty_3_asks_a_whole_feature_column():
    params = family.sample(rng_for(3, "bne-d3"), 3)
    assert family.kind(params) == "vector" and len(family.answer(params)) == 3
