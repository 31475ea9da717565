"""normalization.batchnorm_train against torch.nn.BatchNorm1d/2d in training mode."""

import pytest
import torch

from question_bank.normalization import batchnorm_train as family
from quizgen.sampling import rng_for


@pytest.fixture
def one_thread():
    # A (2, 2, 1, 2) batch norm is slower on 2 threads than on 1 when the machine is busy.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_answer_matches_torch_batchnorm_over_500_seeds(one_thread):
    for seed in range(500):
        params = family.sample(rng_for(seed, "bnt-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def _fresh(ask, index=0):
    return {"shape": [4, 1], "x": [[1.0], [2.0], [3.0], [6.0]], "gamma": [1.0],
            "beta": [0.0], "running_mean": [0.0], "running_var": [1.0], "ask": ask,
            "channel": 0, "index": index}


def test_conventions_checked_example_1_2_3_6():
    # conventions.md section 1: biased variance 3.5 normalizes; unbiased 4.6667 updates.
    outputs = [family.answer(_fresh("output", i)) for i in (0, 1, 3)]
    assert outputs == pytest.approx([-1.0690, -0.5345, 1.6036], abs=1e-4)
    assert family.answer(_fresh("running_mean")) == pytest.approx(0.3)
    assert family.answer(_fresh("running_var")) == pytest.approx(0.9 + 0.1 * 14 / 3)
    wrong = {m.name: m.value for m in family.mistakes(_fresh("running_var"))}
    assert wrong["biased_running_var"] == pytest.approx(0.9 + 0.1 * 3.5)
    assert wrong["momentum_as_decay"] == pytest.approx(0.1 + 0.9 * 14 / 3)


def test_conv_statistics_cover_batch_and_positions():
    params = family.sample(rng_for(7, "bnt-2d"), 3)
    assert params["shape"] == [2, 2, 1, 2]
    names = {m.name for m in family.mistakes(params)}
    assert "stats_over_n_only" in names or "bessel_over_n" in names
