"""hyperparameters.random_search_hits against SymPy, brute force and a Monte Carlo run."""

import math

import pytest
import torch

from question_bank.hyperparameters import random_search_hits as family
from quizgen.sampling import rng_for


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_answer_matches_closed_form(difficulty):
    for seed in range(170):
        params = family.sample(rng_for(seed, "rs-closed"), difficulty)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        assert family.answer(params) == pytest.approx(float(family.closed_form(params)),
                                                      rel=1e-9), params


def test_trials_needed_is_the_smallest_n_by_brute_force():
    for seed in range(100):
        params = family.sample(rng_for(seed, "rs-brute"), 2)
        if params.get("formula"):
            continue  # the formula variant: tests/question_bank/test_families.py
        q, p = params["q"], params["p"]
        smallest = next(n for n in range(1, 10_000) if 1 - (1 - q) ** n >= p)
        assert family.answer(params) == smallest


def test_probability_matches_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    for q, n in ((0.05, 60), (0.02, 30), (0.1, 10)):
        draws = torch.rand(20_000, n, generator=generator, dtype=torch.float64)
        hit = (draws < q).any(dim=1).double().mean().item()
        p = family.answer({"q": q, "n": n, "ask": "probability"})
        assert abs(hit - p) < 4 * math.sqrt(p * (1 - p) / 20_000)


def test_conventions_example_sixty_trials_top_five_percent():
    params = {"q": 0.05, "n": 60, "ask": "probability"}
    assert family.answer(params) == pytest.approx(0.954, abs=5e-4)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["n_times_q"] == pytest.approx(3.0)
    assert wrong["miss_probability"] == pytest.approx(0.0461, abs=1e-4)
