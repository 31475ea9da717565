r"""Why zero (or any constant) initialization fails: a two-layer MLP trained by plain SGD.

The network is :math:`\hat y = W_2\,\phi(W_1 x + b_1) + b_2` with MSE loss
:math:`L = \frac{1}{BO}\sum (\hat y - y)^2`; backpropagation written out:

.. math::
   \begin{aligned}
     z &= x W_1^\top + b_1,\quad h = \phi(z),\quad \hat y = h W_2^\top + b_2 \\
     \delta_{out} &= 2(\hat y - y)/(BO),\quad
         \nabla W_2 = \delta_{out}^\top h,\quad \nabla b_2 = \textstyle\sum_b \delta_{out} \\
     \delta_z &= (\delta_{out} W_2) \odot \phi'(z),\quad
         \nabla W_1 = \delta_z^\top x,\quad \nabla b_1 = \textstyle\sum_b \delta_z \\
     \theta &\leftarrow \theta - \eta\,\nabla\theta
   \end{aligned}

With every weight equal, every hidden unit computes the same :math:`z_j` and receives the same
:math:`\delta_{z,j}`, so the rows of :math:`W_1` stay identical forever (symmetry never breaks).
With all zeros and :math:`\phi(0)=0` (tanh, ReLU) it is worse: :math:`h=0` makes
:math:`\nabla W_2 = 0`, and :math:`W_2 = 0` makes :math:`\nabla W_1 = \nabla b_1 = 0`, so only
:math:`b_2` learns. With sigmoid (:math:`h = 1/2`) :math:`W_2` learns but the units stay copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["ConstantInitTraining", "PARAMETER_NAMES", "train_constant_init_mlp"]

PARAMETER_NAMES = ("weight1", "bias1", "weight2", "bias2")

_ACTIVATIONS = {
    # name: (phi, phi') with torch's derivative conventions (relu'(0) = 0)
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z).square()),
    "relu": (lambda z: z.clamp_min(0), lambda z: (z > 0).to(z.dtype)),
    "sigmoid": (torch.sigmoid, lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))),
}


@dataclass(frozen=True)
class ConstantInitTraining:
    r"""What k SGD steps on a constant-initialized two-layer MLP did.

    Attributes:
        parameters: the final ``weight1`` (H, I), ``bias1`` (H), ``weight2`` (O, H), ``bias2``.
        hidden_weights: :math:`W_1` before the first step and after each step (k+1 tensors).
        gradients: for each step, the gradient of every parameter (by name).
        losses: the loss at each step, before its update.
        hidden_units_identical: every row of :math:`W_1` (and entry of :math:`b_1`) was
            bitwise equal to the first at every step.
        always_zero_gradients: the parameters whose gradient was exactly 0 at every step.
    """

    parameters: dict[str, Tensor]
    hidden_weights: list[Tensor]
    gradients: list[dict[str, Tensor]]
    losses: list[float]
    hidden_units_identical: bool
    always_zero_gradients: tuple[str, ...]


def train_constant_init_mlp(
    inputs: Tensor,
    targets: Tensor,
    hidden_size: int,
    steps: int,
    lr: float = 0.1,
    init_value: float = 0.0,
    activation: str = "tanh",
) -> ConstantInitTraining:
    r"""Initialize :math:`W_1, b_1, W_2, b_2` to ``init_value``, run ``steps`` full-batch SGD
    steps (no momentum) on the MSE loss, and report what moved (see the module docstring).

    ``inputs`` is (B, I), ``targets`` (B, O); parameters take their device and dtype. The same
    thing in torch is ``nn.Sequential(nn.Linear(I, H), act, nn.Linear(H, O))`` with
    ``nn.init.constant_`` on every parameter, ``nn.MSELoss()`` and ``optim.SGD(lr=lr)``.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if steps < 0 or hidden_size < 1:
        raise ValueError("steps must be >= 0 and hidden_size >= 1")
    phi, phi_prime = _ACTIVATIONS[activation]
    batch, in_features = inputs.shape
    out_features = targets.shape[1]
    like = {"device": inputs.device, "dtype": inputs.dtype}
    params = {
        "weight1": torch.full((hidden_size, in_features), float(init_value), **like),
        "bias1": torch.full((hidden_size,), float(init_value), **like),
        "weight2": torch.full((out_features, hidden_size), float(init_value), **like),
        "bias2": torch.full((out_features,), float(init_value), **like),
    }
    hidden_weights = [params["weight1"].clone()]
    gradients: list[dict[str, Tensor]] = []
    losses: list[float] = []
    identical = _units_identical(params)
    for _ in range(steps):
        z = inputs @ params["weight1"].T + params["bias1"]
        h = phi(z)
        prediction = h @ params["weight2"].T + params["bias2"]
        error = prediction - targets
        losses.append(error.square().mean().item())
        delta_out = 2 * error / (batch * out_features)
        delta_z = (delta_out @ params["weight2"]) * phi_prime(z)
        grads = {
            "weight1": delta_z.T @ inputs,
            "bias1": delta_z.sum(dim=0),
            "weight2": delta_out.T @ h,
            "bias2": delta_out.sum(dim=0),
        }
        params = {name: params[name] - lr * grads[name] for name in PARAMETER_NAMES}
        gradients.append(grads)
        hidden_weights.append(params["weight1"].clone())
        identical = identical and _units_identical(params)
    always_zero = tuple(
        name for name in PARAMETER_NAMES if all(not g[name].any() for g in gradients)
    )
    return ConstantInitTraining(
        parameters=params,
        hidden_weights=hidden_weights,
        gradients=gradients,
        losses=losses,
        hidden_units_identical=identical,
        always_zero_gradients=always_zero if gradients else (),
    )


def _units_identical(params: dict[str, Tensor]) -> bool:
    """Every hidden unit (a row of W1, an entry of b1, a column of W2) equals unit 0."""
    w1, b1, w2 = params["weight1"], params["bias1"], params["weight2"]
    return bool(
        torch.equal(w1, w1[:1].expand_as(w1))
        and torch.equal(b1, b1[:1].expand_as(b1))
        and torch.equal(w2, w2[:, :1].expand_as(w2))
    )
