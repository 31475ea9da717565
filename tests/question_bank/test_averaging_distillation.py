"""averaging.distillation against F.softmax, F.kl_div(batchmean) and F.cross_entropy."""

import math

import pytest
import torch

from question_bank.averaging import distillation as family
from quizgen.sampling import rng_for


@pytest.fixture
def one_thread():
    # log_softmax over a (2, 3) batch wakes torch's thread pool: ~8 ms a call on a busy
    # 2-core machine, ~10 us on one thread.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_answer_matches_torch_functional_over_500_seeds(one_thread):
    for seed in range(500):
        params = family.sample(rng_for(seed, "kd-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(family.oracle(params), rel=1e-9,
                                                      abs=1e-12), params


def test_hand_worked_soft_targets_and_loss():
    base = {"teacher": [[2, 0, 0]], "student": [[0, 2, 0]], "labels": [0], "T": 2,
            "alpha": 0.7}
    e = math.e
    p = [e / (e + 2), 1 / (e + 2), 1 / (e + 2)]
    assert family.answer({**base, "ask": "soft_targets"}) == pytest.approx(p, rel=1e-12)
    q = [p[1], p[0], p[2]]  # the student's soft distribution is the teacher's, permuted
    kl = sum(a * math.log(a / b) for a, b in zip(p, q))
    assert family.answer({**base, "ask": "soft_loss"}) == pytest.approx(4 * kl, rel=1e-12)
    ce = -math.log(1 / (e**2 + 2))
    loss = family.answer({**base, "ask": "loss"})
    assert loss == pytest.approx(0.7 * 4 * kl + 0.3 * ce, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes({**base, "ask": "loss"})}
    assert wrong["alpha_on_hard"] == pytest.approx(0.3 * 4 * kl + 0.7 * ce, rel=1e-12)
    assert wrong["missing_t2"] == pytest.approx(0.7 * kl + 0.3 * ce, rel=1e-12)


def test_soft_cross_entropy_exceeds_the_kl_by_the_teacher_entropy():
    params = {"teacher": [[3, 1, -1]], "student": [[0, 2, 1]], "labels": [1], "T": 3,
              "alpha": 0.5, "ask": "soft_loss"}
    p = family.answer({**params, "ask": "soft_targets"})
    entropy = -sum(x * math.log(x) for x in p)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["soft_cross_entropy"] - family.answer(params) == pytest.approx(9 * entropy)
