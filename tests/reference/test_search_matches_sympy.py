"""reference.search against SymPy closed forms, brute force and a seeded Monte Carlo."""

import itertools
import math

import pytest
import sympy
import torch

from reference import search


def _objective(params):
    """A cheap bowl in (log10 lr, momentum) with its minimum at lr=1e-2, momentum=0.9."""
    return (math.log10(params["lr"]) + 2) ** 2 + 4 * (params["momentum"] - 0.9) ** 2


SPACE = {"lr": [1e-4, 1e-3, 1e-2, 1e-1], "momentum": [0.0, 0.5, 0.9, 0.99]}


def test_grid_size_is_k_to_the_d_and_the_product_of_counts():
    k, d = sympy.symbols("k d", positive=True, integer=True)
    for kv, dv in [(3, 2), (4, 5), (10, 3)]:
        assert search.grid_size(kv, dv) == (k**d).subs({k: kv, d: dv})
    assert search.grid_size([4, 3, 2]) == 24
    assert search.grid_size([len(v) for v in SPACE.values()]) == len(search.grid_points(SPACE))
    with pytest.raises(ValueError):
        search.grid_size(3)


def test_grid_search_finds_the_brute_force_minimum():
    result = search.grid_search(_objective, SPACE)
    combos = [dict(zip(SPACE, values)) for values in itertools.product(*SPACE.values())]
    brute = min(combos, key=_objective)
    assert result.best_params == brute == {"lr": 1e-2, "momentum": 0.9}
    assert result.best_value == pytest.approx(0.0, abs=1e-15)
    assert [params for params, _ in result.trials] == combos


def test_random_search_is_seeded_in_range_and_keeps_the_best():
    space = {
        "lr": search.LogUniform(1e-5, 1.0),
        "momentum": search.Uniform(0.0, 1.0),
        "batch": [32, 64, 128],
    }
    first = search.random_search(_objective, space, n_trials=40, seed=3)
    again = search.random_search(_objective, space, n_trials=40, seed=3)
    other = search.random_search(_objective, space, n_trials=40, seed=4)
    assert first.trials == again.trials and first.trials != other.trials
    assert first.best_value == min(value for _, value in first.trials)
    units = torch.rand(40, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    for (params, _), (u_lr, u_m, u_b) in zip(first.trials, units.tolist()):
        assert params["lr"] == pytest.approx(10 ** (-5 + 5 * u_lr), rel=1e-12)
        assert params["momentum"] == pytest.approx(u_m, rel=1e-15)
        assert params["batch"] == [32, 64, 128][int(3 * u_b)]
        assert 1e-5 <= params["lr"] <= 1.0


def test_random_search_tries_more_distinct_values_of_the_parameter_that_matters():
    """Bergstra & Bengio: a 3x3 grid tries 3 learning rates; 9 random trials try 9."""
    grid = search.grid_search(_objective, {"lr": [1e-4, 1e-2, 1.0], "momentum": [0, 0.5, 0.9]})
    rand = search.random_search(
        _objective,
        {"lr": search.LogUniform(1e-4, 1.0), "momentum": search.Uniform(0, 0.9)},
        n_trials=9,
    )
    assert len({p["lr"] for p, _ in grid.trials}) == 3
    assert len({p["lr"] for p, _ in rand.trials}) == 9


@pytest.mark.parametrize(("q", "n"), [(0.05, 60), (0.01, 100), (0.1, 1), (0.5, 7), (0.2, 0)])
def test_probability_of_a_top_q_hit_matches_sympy(q, n):
    qs, ns = sympy.symbols("q n", positive=True)
    closed = 1 - (1 - qs) ** ns
    exact = closed.subs({qs: sympy.Rational(str(q)), ns: n})
    assert search.probability_top_hit(q, n) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    assert search.probability_top_hit(0.05, 60) == pytest.approx(0.954, abs=5e-4)


@pytest.mark.parametrize(
    ("q", "p"), [(0.05, 0.95), (0.01, 0.99), (0.5, 0.75), (0.1, 0.271), (0.2, 0.5), (1.0, 0.9)]
)
def test_trials_needed_is_the_least_n_reaching_p_in_exact_arithmetic(q, p):
    q_exact, p_exact = sympy.Rational(str(q)), sympy.Rational(str(p))
    n = search.trials_needed(q, p)
    assert 1 - (1 - q_exact) ** n >= p_exact
    assert n == 1 or 1 - (1 - q_exact) ** (n - 1) < p_exact
    if q < 1:
        closed = sympy.ceiling(sympy.log(1 - p_exact) / sympy.log(1 - q_exact))
        assert n == int(closed)
    assert search.trials_needed(0.05, 0.95) == 59


def test_monte_carlo_hit_rate_matches_one_minus_one_minus_q_to_the_n():
    """Random search on a 1-D space where the objective is x itself: the top q is x < q."""
    q, n, runs = 0.05, 20, 600
    hits = 0
    for seed in range(runs):
        result = search.random_search(lambda p: p["x"], {"x": search.Uniform(0.0, 1.0)}, n, seed)
        hits += result.best_value < q
    expected = search.probability_top_hit(q, n)
    standard_error = math.sqrt(expected * (1 - expected) / runs)
    assert abs(hits / runs - expected) < 4 * standard_error


def test_invalid_fractions_are_rejected():
    with pytest.raises(ValueError, match="q must be in"):
        search.probability_top_hit(0.0, 3)
    with pytest.raises(ValueError, match="p must be in"):
        search.trials_needed(0.1, 1.0)
