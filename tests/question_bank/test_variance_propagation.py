"""initialization.variance_propagation: the exact law against torch.nn.init's variances, and a
Monte Carlo run of torch.nn.Linear layers initialized by torch.nn.init."""

import math

import pytest
import torch

from question_bank.initialization import variance_propagation as family
from quizgen.sampling import rng_for


def torch_weight_variance(params, layer):
    """Var(W) from torch.nn.init's fan function and gains, for a torch.nn.Linear weight."""
    weight = torch.nn.Linear(params["widths"][layer], params["widths"][layer + 1],
                             device="meta").weight
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(weight)
    return {"normal": params["std"] ** 2, "lecun": 1 / fan_in,
            "xavier": 2 / (fan_in + fan_out),
            "he": torch.nn.init.calculate_gain("relu") ** 2 / fan_in}[params["scheme"]]


def test_law_with_torch_variances_matches_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "vp-oracle"), 1 + seed % 3)
        expected = family.variances(params, variance_of=torch_weight_variance)[-1]
        assert family.answer(params) == pytest.approx(expected, rel=1e-9), params


@pytest.mark.parametrize("seed", range(6))
def test_monte_carlo_with_torch_linear_layers(seed):
    params = family.sample(rng_for(seed, "vp-mc"), 1 + seed % 3)
    generator = torch.Generator().manual_seed(seed)
    h = torch.randn(4000, params["widths"][0], generator=generator) * math.sqrt(params["var_x"])
    samples = []
    for _ in range(4):  # average over fresh weights too: the law is over W and x
        y = h
        for layer, (n_in, n_out) in enumerate(zip(params["widths"], params["widths"][1:])):
            if layer and params["relu"]:
                y = torch.relu(y)
            linear = torch.nn.Linear(n_in, n_out, bias=False)
            init = {"normal": lambda w: torch.nn.init.normal_(w, 0, params["std"],
                                                              generator=generator),
                    "lecun": lambda w: torch.nn.init.kaiming_normal_(
                        w, nonlinearity="linear", generator=generator),
                    "xavier": lambda w: torch.nn.init.xavier_normal_(w, generator=generator),
                    "he": lambda w: torch.nn.init.kaiming_normal_(
                        w, nonlinearity="relu", generator=generator)}[params["scheme"]]
            with torch.no_grad():
                init(linear.weight)
                y = linear(y)
        samples.append(y.var().item())
    assert sum(samples) / len(samples) == pytest.approx(family.answer(params), rel=0.15)


def test_he_with_relu_keeps_the_variance_and_lecun_keeps_it_without():
    he = {"widths": [100, 256, 64, 128], "scheme": "he", "std": 0.1, "relu": True, "var_x": 2.0}
    assert family.answer(he) == pytest.approx(4.0)  # 2 after layer 1, then kept
    lecun = {"widths": [100, 256, 64], "scheme": "lecun", "std": 0.1, "relu": False,
             "var_x": 2.0}
    assert family.answer(lecun) == pytest.approx(2.0)
    wrong = {m.name: m.value for m in family.mistakes(he)}
    assert wrong["relu_not_halved"] == pytest.approx(16.0)
