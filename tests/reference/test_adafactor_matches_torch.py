"""reference.optim Adafactor/adafactor_step against torch.optim.Adafactor; hf_adafactor_step
against torch where the two agree and against a SymPy closed form where HF differs."""

import random

import pytest
import sympy
import torch
from optimizer_oracle import (
    FLOAT64_TOLERANCE,
    assert_continues_from_a_library_state_dict,
    assert_same_trajectory,
    float32_tolerance,
    random_shapes,
    run_side_by_side,
)

from reference.optim import Adafactor, adafactor_step, hf_adafactor_step


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {
        "lr": rng.choice([1e-3, 1e-2, 0.1]),
        "beta2_decay": rng.choice([-0.8, -0.5]),
        "eps": rng.choice([(None, 1e-3), (1e-12, 1e-3), (None, 0.5)]),
        "d": rng.choice([1.0, 1.5]),
        "weight_decay": rng.choice([0.0, 1e-2, 0.5]),
        "maximize": rng.random() < 0.3,
    }


def _run(seed, foreach, dtype, device):
    config = _random_config(seed)
    return run_side_by_side(
        Adafactor,
        torch.optim.Adafactor,
        config,
        foreach,
        dtype,
        device,
        seed,
        # Mostly matrices and 3-D tensors (factored), with vectors and scalars among them.
        shapes=random_shapes(seed, count=5, min_dims=0) + [(3, 4), (2, 3, 5)],
    )


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_adafactor_matches_torch_in_float64(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float64, device), **FLOAT64_TOLERANCE)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_adafactor_matches_torch_in_float32_within_a_few_ulp(seed, foreach, device):
    assert_same_trajectory(*_run(seed, foreach, torch.float32, device), **float32_tolerance())


def test_functional_steps_chained_through_state_match_torch(device):
    gen = torch.Generator().manual_seed(6)
    param = torch.randn(3, 4, generator=gen, dtype=torch.float64).to(device)
    p_torch = param.clone().requires_grad_()
    config = {"lr": 0.05, "weight_decay": 0.1, "d": 1.2}
    opt = torch.optim.Adafactor([p_torch], **config)
    state: dict = {}
    for step in range(1, 5):
        grad = torch.randn(3, 4, generator=gen, dtype=torch.float64).to(device)
        p_torch.grad = grad.clone()
        opt.step()
        result = adafactor_step(param, grad, state, **config)
        torch.testing.assert_close(result.param, p_torch.detach(), rtol=1e-13, atol=1e-15)
        assert result.rho == min(0.05, step**-0.5)
        assert result.beta2 == pytest.approx(1 - step**-0.8, abs=1e-15)
        assert result.row_var.shape == (3, 1) and result.col_var.shape == (1, 4)
        param, state = result.param, result.state
    assert state.keys() == {"step", "row_var", "col_var"}


def test_factored_second_moment_is_normalized_by_the_mean_row():
    # Seed erratum: V = r c^T without the normalizer. For a constant G^2 = s, r = c = s, and
    # r c^T = s^2, while r c^T / mean(r) = s, which is G^2 itself.
    s = 9.0
    grad = torch.full((3, 4), s**0.5, dtype=torch.float64)
    result = adafactor_step(torch.ones(3, 4, dtype=torch.float64), grad)
    torch.testing.assert_close(result.var_estimate, torch.full((3, 4), s, dtype=torch.float64))
    torch.testing.assert_close(
        result.row_var * result.col_var, torch.full((3, 4), s * s, dtype=torch.float64)
    )
    torch.testing.assert_close(result.scaled_update, torch.ones(3, 4, dtype=torch.float64))


def test_vectors_are_not_factored():
    result = adafactor_step(torch.ones(5), torch.arange(5.0))
    assert result.row_var is None and result.col_var is None
    torch.testing.assert_close(result.variance, torch.arange(5.0) ** 2)
    assert result.state.keys() == {"step", "variance"}


def test_adafactor_step_does_not_mutate_its_inputs():
    param, grad = torch.ones(2, 3), torch.full((2, 3), 0.5)
    row, col = torch.full((2, 1), 0.1), torch.full((1, 3), 0.2)
    adafactor_step(param, grad, {"step": 1, "row_var": row, "col_var": col}, weight_decay=0.5)
    assert torch.equal(param, torch.ones(2, 3)) and torch.equal(grad, torch.full((2, 3), 0.5))
    assert torch.equal(row, torch.full((2, 1), 0.1)) and torch.equal(col, torch.full((1, 3), 0.2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Learning rate should be >= 0 but is: -1"),
        ({"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
        ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0 but is: -1.0"),
        ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
        ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
        ({"weight_decay": -0.1}, "weight_decay should be >= 0 but is: -0.1"),
    ],
)
def test_invalid_arguments_are_rejected_with_torchs_message(kwargs, message):
    for cls in (Adafactor, torch.optim.Adafactor):
        with pytest.raises(ValueError, match=message):
            cls([torch.zeros(1, requires_grad=True)], **kwargs)


def test_defaults_mirror_torchs_code_not_its_docstring():
    p = [torch.zeros(1, requires_grad=True)]
    ours, theirs = Adafactor(p), torch.optim.Adafactor(p)
    for key in ("lr", "beta2_decay", "eps", "d", "weight_decay", "maximize"):
        assert ours.defaults[key] == theirs.defaults[key], key
    assert ours.defaults["weight_decay"] == 0.0


def test_adafactor_continues_from_a_torch_state_dict():
    config = {"lr": 0.05, "weight_decay": 0.1}
    assert_continues_from_a_library_state_dict(Adafactor, torch.optim.Adafactor, config)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (6,)])
def test_hf_form_equals_torch_form_without_weight_decay(shape):
    # With lr = 1e-2 (HF's fixed cap), no decay and G^2 >> eps1, the two forms coincide.
    gen = torch.Generator().manual_seed(11)
    start = torch.randn(shape, generator=gen, dtype=torch.float64)
    p_torch = start.clone().requires_grad_()
    opt = torch.optim.Adafactor([p_torch], lr=1e-2)
    param, state = start, {}
    for _ in range(5):
        grad = torch.randn(shape, generator=gen, dtype=torch.float64)
        p_torch.grad = grad.clone()
        opt.step()
        result = hf_adafactor_step(param, grad, state)
        param, state = result.param, result.state
    torch.testing.assert_close(param, p_torch.detach(), rtol=1e-12, atol=1e-15)


def _hf_closed_form(theta, grad, row, col, m, t, *, lr, wd, beta1, warmup_init, scale_parameter):
    """HF's Adafactor on a matrix as exact SymPy arithmetic, from the paper's definitions."""
    eps1, eps2, decay_rate = (
        sympy.Rational(1, 10**30),
        sympy.Rational(1, 1000),
        -sympy.Rational(4, 5),
    )
    n_rows, n_cols = theta.shape

    def rms(a):
        return sympy.sqrt(sum(x**2 for x in a) / len(a))

    if lr is None:
        cap = sympy.Rational(t, 10**6) if warmup_init else sympy.Rational(1, 100)
        rho = sympy.Min(cap, 1 / sympy.sqrt(t))
    else:
        rho = lr
    step_lr = rho * (sympy.Max(eps2, rms(theta)) if scale_parameter else 1)
    beta2 = 1 - sympy.Integer(t) ** decay_rate
    sq = grad.applyfunc(lambda g: g**2 + eps1)
    row = beta2 * row + (1 - beta2) * sympy.Matrix([sum(sq.row(i)) / n_cols for i in range(n_rows)])
    col = beta2 * col + (1 - beta2) * sympy.Matrix([sum(sq.col(j)) / n_rows for j in range(n_cols)])
    mean_row = sum(row) / n_rows
    u = sympy.Matrix(
        n_rows, n_cols, lambda i, j: grad[i, j] / sympy.sqrt(row[i] * col[j] / mean_row)
    )
    u = u * step_lr / sympy.Max(1, rms(u))
    m = beta1 * m + (1 - beta1) * u
    return theta - wd * step_lr * theta - m


@pytest.mark.parametrize(
    "options",
    [
        {"lr": None, "warmup_init": True, "scale_parameter": True},
        {"lr": sympy.Rational(1, 20), "warmup_init": False, "scale_parameter": False},
    ],
)
def test_hf_first_moment_decay_and_switches_equal_the_sympy_closed_form(options):
    r = sympy.Rational
    theta = sympy.Matrix([[r(3, 2), r(-1, 2), r(1, 4)], [r(2, 5), r(-3, 10), r(7, 10)]])
    grad = sympy.Matrix([[r(-7, 10), r(1, 5), r(9, 10)], [r(3, 10), r(-1, 2), r(1, 10)]])
    row, col = sympy.Matrix([r(1, 10), r(1, 5)]), sympy.Matrix([r(3, 10), r(1, 20), r(1, 10)])
    m = sympy.Matrix([[r(1, 100), r(-1, 50), 0], [r(1, 25), 0, r(-1, 100)]])
    t_prev, beta1, wd = 3, r(9, 10), r(1, 10)
    exact = _hf_closed_form(
        theta,
        grad,
        row,
        col,
        m,
        t_prev + 1,
        lr=options["lr"],
        wd=wd,
        beta1=beta1,
        warmup_init=options["warmup_init"],
        scale_parameter=options["scale_parameter"],
    )

    def f64(matrix):
        return torch.tensor(matrix.evalf(30).tolist(), dtype=torch.float64)

    lr = options["lr"]
    result = hf_adafactor_step(
        f64(theta),
        f64(grad),
        {
            "step": t_prev,
            "exp_avg_sq_row": f64(row).flatten(),
            "exp_avg_sq_col": f64(col).flatten(),
            "exp_avg": f64(m),
        },
        lr=None if lr is None else float(lr),
        beta1=float(beta1),
        weight_decay=float(wd),
        relative_step=lr is None,
        warmup_init=options["warmup_init"],
        scale_parameter=options["scale_parameter"],
    )
    torch.testing.assert_close(result.param, f64(exact), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.1}, "Cannot combine manual `lr` and `relative_step=True` options"),
        ({"relative_step": False, "lr": 0.1, "warmup_init": True}, "`warmup_init=True` requires"),
        ({"relative_step": False}, "needs an explicit `lr`"),
    ],
)
def test_hf_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        hf_adafactor_step(torch.ones(2, 2), torch.ones(2, 2), **kwargs)
