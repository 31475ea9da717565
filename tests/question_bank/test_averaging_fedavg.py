"""averaging.fedavg against a torch sample-weighted mean over the participating clients."""

import pytest

from question_bank.averaging import fedavg as family
from quizgen.sampling import rng_for


def test_answer_matches_torch_weighted_mean_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "fedavg-oracle"), 1 + seed % 3)
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_only_participants_count_and_their_weights_sum_to_one():
    params = {"counts": [100, 300, 600], "weights": [[1.0], [3.0], [0.0]], "active": [0, 1],
              "ask": "weight"}
    assert family.answer(params) == pytest.approx((100 * 1 + 300 * 3) / 400)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["all_clients_total"] == pytest.approx(1000 / 1000)
    assert wrong["unweighted_mean"] == pytest.approx(2.0)
    assert wrong["included_absent"] == pytest.approx(1000 / 1000 + 0.0)
    total = sum(family.answer({**params, "ask": "coefficient", "client": k}) for k in (0, 1))
    assert total == pytest.approx(1.0)
