"""reference.zero_init against the same training done with torch.nn.Linear + torch.optim.SGD."""

import pytest
import torch

from reference.zero_init import train_constant_init_mlp

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
TORCH_ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


def _torch_run(x, y, hidden, steps, lr, value, activation):
    model = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], hidden),
        TORCH_ACTIVATIONS[activation](),
        torch.nn.Linear(hidden, y.shape[1]),
    ).to(device=x.device, dtype=x.dtype)
    for p in model.parameters():
        torch.nn.init.constant_(p, value)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history, grads = [model[0].weight.detach().clone()], []
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
        optimizer.step()
        history.append(model[0].weight.detach().clone())
    return model, history, grads


def _data(device, batch=6, n_in=3, n_out=2):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, n_in, generator=gen, dtype=torch.float64).to(device)
    y = torch.randn(batch, n_out, generator=gen, dtype=torch.float64).to(device)
    return x, y


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("value", [0.0, 0.3])
def test_training_matches_torch_linear_and_sgd(activation, value, device):
    x, y = _data(device)
    ours = train_constant_init_mlp(
        x, y, hidden_size=4, steps=5, lr=0.2, init_value=value, activation=activation
    )
    model, history, grads = _torch_run(x, y, 4, 5, 0.2, value, activation)
    for w_ours, w_torch in zip(ours.hidden_weights, history):
        torch.testing.assert_close(w_ours, w_torch, **TIGHT)
    for step_ours, step_torch in zip(ours.gradients, grads):
        for name, g_torch in zip(("weight1", "bias1", "weight2", "bias2"), step_torch):
            torch.testing.assert_close(step_ours[name], g_torch, **TIGHT)
    final = dict(zip(("weight1", "bias1", "weight2", "bias2"), model.parameters()))
    for name, p in final.items():
        torch.testing.assert_close(ours.parameters[name], p.detach(), **TIGHT)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("value", [0.0, 0.3, -1.2])
def test_constant_init_keeps_hidden_units_identical_in_torch_too(activation, value):
    x, y = _data("cpu")
    result = train_constant_init_mlp(x, y, 5, steps=8, init_value=value, activation=activation)
    assert result.hidden_units_identical
    _, history, _ = _torch_run(x, y, 5, 8, 0.1, value, activation)
    assert all(torch.equal(w, w[:1].expand_as(w)) for w in history)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_all_zero_init_with_phi_of_zero_zero_only_trains_the_output_bias(activation):
    x, y = _data("cpu")
    result = train_constant_init_mlp(x, y, 4, steps=6, activation=activation)
    assert result.always_zero_gradients == ("weight1", "bias1", "weight2")
    assert not result.hidden_weights[-1].any() and result.parameters["bias2"].any()


def test_all_zero_init_with_sigmoid_trains_w2_but_not_at_step_one():
    x, y = _data("cpu")
    result = train_constant_init_mlp(x, y, 4, steps=3, activation="sigmoid")
    assert result.always_zero_gradients == ()
    assert not result.gradients[0]["weight1"].any()  # W2 = 0 on the first step
    assert result.gradients[0]["weight2"].any() and result.gradients[1]["weight1"].any()
    assert result.hidden_units_identical
