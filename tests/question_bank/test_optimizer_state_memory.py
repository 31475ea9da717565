"""optimizers.optimizer_state_memory against the state torch.optim's own classes allocate."""

import pytest
import torch

from question_bank.optimizers import optimizer_state_memory as family
from quizgen.sampling import rng_for


def torch_state_bytes(name, shape):
    tensors = family.state_tensors(torch.optim, name, shape)
    return sum(t.numel() * t.element_size() for t in tensors.values()), tensors


def test_answer_matches_torch_optim_state_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "memory-oracle"), 1 + seed % 3)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        shape = (params["m"], params["n"])
        if params["ask"] in ("floats", "bytes"):
            size, tensors = torch_state_bytes(params["optimizer"], shape)
            floats = sum(t.numel() for t in tensors.values())
            expected = size if params["ask"] == "bytes" else floats
        else:
            adam, _ = torch_state_bytes("adam", shape)
            adafactor, _ = torch_state_bytes("adafactor", shape)
            expected = adam / adafactor if params["ask"] == "ratio" else adam - adafactor
        assert family.answer(params) == pytest.approx(expected, rel=1e-12), params
        assert family.oracle(params) == pytest.approx(expected, rel=1e-12)


def test_torch_keeps_the_documented_state_tensors():
    shape = (4096, 1024)
    adam = family.state_tensors(torch.optim, "adam", shape)
    assert {k: tuple(v.shape) for k, v in adam.items()} == {
        "exp_avg": shape, "exp_avg_sq": shape}
    adafactor = family.state_tensors(torch.optim, "adafactor", shape)
    assert {k: tuple(v.shape) for k, v in adafactor.items()} == {
        "row_var": (4096, 1), "col_var": (1, 1024)}
    assert all(v.dtype == torch.float32 for v in adafactor.values())


def test_a_square_4096_matrix_in_numbers():
    params = {"m": 4096, "n": 4096, "optimizer": "adam", "ask": "ratio"}
    assert family.answer(params) == pytest.approx(4096.0)  # 2 * 4096^2 / 8192
    assert family.answer({**params, "ask": "saving"}) == 4 * (2 * 4096**2 - 8192)
    assert family.answer({**params, "optimizer": "adafactor", "ask": "floats"}) == 8192
    bytes_params = {**params, "optimizer": "rmsprop_centered_momentum", "ask": "bytes"}
    assert family.answer(bytes_params) == 3 * 4 * 4096**2
