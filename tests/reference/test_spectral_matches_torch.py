"""reference.spectral against torch.nn.utils.spectral_norm, its parametrization and the SVD."""

import pytest
import torch
from torch.nn.utils import parametrizations

from reference.spectral import (
    exact_spectral_norm,
    lipschitz_constant_linear,
    spectral_norm_from_vectors,
    spectral_norm_parametrized,
    spectral_norm_power_iteration,
)

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
F64 = torch.float64


def _layers():
    return {
        "linear": (torch.nn.Linear(7, 5), 0),
        "linear-wide": (torch.nn.Linear(3, 9), 0),
        "conv2d": (torch.nn.Conv2d(3, 4, (3, 2)), 0),
        "conv-transpose2d": (torch.nn.ConvTranspose2d(4, 6, 3), 1),
    }


def _unit(n, gen, device):
    x = torch.randn(n, generator=gen, dtype=F64)
    return (x / x.norm()).to(device)


@pytest.mark.parametrize("n_iter", [1, 2, 5])
@pytest.mark.parametrize("layer", ["linear", "linear-wide", "conv2d", "conv-transpose2d"])
def test_original_api_matches_torch_over_several_forwards(layer, n_iter, device):
    module, dim = _layers()[layer]
    module = torch.nn.utils.spectral_norm(
        module.to(device=device, dtype=F64), n_power_iterations=n_iter
    )
    gen = torch.Generator().manual_seed(1)
    u = _unit(module.weight_u.numel(), gen, device)
    module.weight_u.copy_(u)
    for _ in range(3):  # the buffer carries u from one training forward to the next
        result = spectral_norm_power_iteration(module.weight_orig.detach(), u, n_iter, dim=dim)
        module(torch.randn((2, *_input_shape(module)), dtype=F64, device=device))
        torch.testing.assert_close(result.weight_sn, module.weight.detach(), **TIGHT)
        torch.testing.assert_close(result.u, module.weight_u, **TIGHT)
        torch.testing.assert_close(result.v, module.weight_v, **TIGHT)
        u = result.u
    assert len(result.iterations) == n_iter


@pytest.mark.parametrize("n_iter", [1, 3])
@pytest.mark.parametrize("layer", ["linear", "linear-wide", "conv2d", "conv-transpose2d"])
def test_parametrization_api_updates_u_first_like_torch(layer, n_iter, device):
    module, dim = _layers()[layer]
    module = parametrizations.spectral_norm(
        module.to(device=device, dtype=F64), n_power_iterations=n_iter
    )
    sn = module.parametrizations.weight[0]
    assert sn.dim == dim
    gen = torch.Generator().manual_seed(2)
    v = _unit(sn._v.numel(), gen, device)
    with torch.no_grad():
        sn._v.copy_(v)
        sn._u.copy_(_unit(sn._u.numel(), gen, device))  # overwritten before use: u comes first
    original = module.parametrizations.weight.original.detach()
    for _ in range(3):
        result = spectral_norm_parametrized(original, v, n_iter, dim=dim)
        torch.testing.assert_close(result.weight_sn, module.weight.detach(), **TIGHT)
        torch.testing.assert_close(result.u, sn._u, **TIGHT)
        torch.testing.assert_close(result.v, sn._v, **TIGHT)
        v = result.v
    # Eval: no iteration, sigma from the stored vectors.
    module.eval()
    sigma = spectral_norm_from_vectors(result.weight_mat, sn._u, sn._v)
    torch.testing.assert_close(original / sigma, module.weight.detach(), **TIGHT)


def test_the_parametrized_order_is_half_a_step_ahead_of_the_original():
    """From v0 = normalize(W^T u0), the parametrization's (u, v) is the original API's
    (u_1, v_2): same u, but v has taken one more half-step, so sigma differs."""
    weight = torch.randn(5, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    u0 = _unit(5, torch.Generator().manual_seed(4), "cpu")
    one = spectral_norm_power_iteration(weight, u0, 1)
    two = spectral_norm_power_iteration(weight, u0, 2)
    parametrized = spectral_norm_parametrized(weight, one.v, 1)
    torch.testing.assert_close(parametrized.u, one.u, **TIGHT)
    torch.testing.assert_close(parametrized.v, two.v, **TIGHT)
    assert not torch.allclose(parametrized.sigma, one.sigma, rtol=1e-9)


def test_power_iteration_is_a_lower_bound_that_converges_to_the_svd_value(device):
    weight = torch.randn(6, 8, generator=torch.Generator().manual_seed(4), dtype=F64).to(device)
    exact = torch.linalg.matrix_norm(weight, ord=2)
    torch.testing.assert_close(exact_spectral_norm(weight), exact, **TIGHT)
    u = _unit(6, torch.Generator().manual_seed(5), device)
    sigmas = [spectral_norm_power_iteration(weight, u, n).sigma for n in (1, 2, 4, 8)]
    assert all(s <= exact * (1 + 1e-12) for s in sigmas)
    assert sigmas[0] <= sigmas[1] <= sigmas[2] <= sigmas[3]
    converged = spectral_norm_power_iteration(weight, u, 500)
    torch.testing.assert_close(converged.sigma, exact, **TIGHT)
    torch.testing.assert_close(
        torch.linalg.matrix_norm(converged.weight_sn, ord=2),
        torch.ones((), dtype=F64, device=device),
        **TIGHT,
    )


def test_exact_spectral_norm_of_a_conv_weight_uses_the_reshaped_matrix():
    weight = torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(6), dtype=F64)
    expected = torch.linalg.matrix_norm(weight.reshape(4, -1), ord=2)
    torch.testing.assert_close(exact_spectral_norm(weight), expected, **TIGHT)
    expected_dim1 = torch.linalg.matrix_norm(weight.transpose(0, 1).reshape(3, -1), ord=2)
    torch.testing.assert_close(exact_spectral_norm(weight, dim=1), expected_dim1, **TIGHT)


def test_lipschitz_constant_of_a_linear_layer_is_attained_and_never_exceeded():
    layer = torch.nn.Linear(5, 3).double()
    weight = layer.weight.detach()
    lipschitz = lipschitz_constant_linear(weight)
    torch.testing.assert_close(lipschitz, torch.linalg.matrix_norm(weight, ord=2), **TIGHT)
    gen = torch.Generator().manual_seed(7)
    x, y = torch.randn(2, 100, 5, generator=gen, dtype=F64)
    ratios = (layer(x) - layer(y)).norm(dim=1) / (x - y).norm(dim=1)
    assert ratios.max() <= lipschitz * (1 + 1e-12)
    top_right = torch.linalg.svd(weight).Vh[0]
    attained = (layer(top_right) - layer(torch.zeros(5, dtype=F64))).norm()
    torch.testing.assert_close(attained, lipschitz, **TIGHT)


def test_iteration_count_is_validated_like_torch():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        spectral_norm_power_iteration(torch.eye(2), torch.ones(2), 0)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        parametrizations.spectral_norm(torch.nn.Linear(2, 2), n_power_iterations=0)


def _input_shape(module):
    if isinstance(module, torch.nn.Linear):
        return (module.in_features,)
    return (module.in_channels, 5, 5)
