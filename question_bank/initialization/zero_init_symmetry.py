r"""Zero and constant initialization: one SGD step on a 2-2-1 MLP, and what it does.

The network is ``nn.Sequential(nn.Linear(2, 2), act, nn.Linear(2, 1))`` with every weight and
bias set to the same constant c, trained by one full-batch step of ``torch.optim.SGD(lr)`` on
``nn.MSELoss()``. With c = 0 and tanh or ReLU only the output bias moves (h = 0 and W2 = 0 stop
every other gradient); with sigmoid (h = 1/2) W2 moves too, but every hidden unit stays a copy of
the others. With any constant c the hidden units receive identical updates, so the symmetry is
never broken. Difficulty 1: c = 0, ask the output bias after the step (tanh, ReLU or sigmoid)
or an output weight (sigmoid). 2: c != 0, ReLU, one example, ask a hidden weight.
3: c != 0, tanh or ReLU, two examples, ask a hidden or an output weight. Answers from
``reference.zero_init.train_constant_init_mlp``.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.zero_init import train_constant_init_mlp

ID = "initialization.zero_init_symmetry"
TOPIC = "initialization"
TITLE = {"en": "Zero and constant initialization", "zh": "零初始化与常数初始化"}
KIND = "number"

HIDDEN = 2
INPUTS = (-1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
TARGETS = (-1.0, 0.5, 1.0, 1.5, 2.0)
CONSTANTS = (0.1, 0.2, 0.5)
LEARNING_RATES = (0.1, 0.05, 0.5)
ACTIVATION_MODULE = {"tanh": "nn.Tanh()", "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()"}


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        activation = rng.choice(["tanh", "relu", "sigmoid"])
        c = 0.0
        ask = rng.choice([["bias2", 0], ["weight2", 0, rng.randrange(HIDDEN)]]) if (
            activation == "sigmoid") else ["bias2", 0]
        batch = 1
    else:
        activation = "relu" if difficulty == 2 else rng.choice(["tanh", "relu"])
        c = rng.choice(CONSTANTS)
        batch = 1 if difficulty == 2 else 2
        j, i = rng.randrange(HIDDEN), rng.randrange(2)
        ask = ["weight1", j, i] if difficulty == 2 else rng.choice(
            [["weight1", j, i], ["weight2", 0, j]])
    while True:
        inputs = [[rng.choice(INPUTS) for _ in range(2)] for _ in range(batch)]
        targets = [[rng.choice(TARGETS)] for _ in range(batch)]
        params = {"activation": activation, "init": c, "lr": rng.choice(LEARNING_RATES),
                  "inputs": inputs, "targets": targets, "ask": ask}
        # ReLU units active on every example (z > 0), and a nonzero update where one is asked.
        pre = [c * (x[0] + x[1]) + c for x in inputs]
        active = activation != "relu" or c == 0 or all(z > 0 for z in pre)
        if active and (c == 0 or abs(answer(params) - c) > 1e-3):
            return params


@per_variant
def run(params: dict):
    return train_constant_init_mlp(
        torch.tensor(params["inputs"], dtype=torch.float64),
        torch.tensor(params["targets"], dtype=torch.float64),
        hidden_size=HIDDEN, steps=1, lr=params["lr"], init_value=params["init"],
        activation=params["activation"])


def _entry(tensor: torch.Tensor, ask: list) -> float:
    return tensor[tuple(ask[1:])].item()


def answer(params: dict) -> float:
    return _entry(run(params).parameters[params["ask"][0]], params["ask"])


def oracle(params: dict) -> float:
    """nn.Linear + torch.optim.SGD + nn.MSELoss, every parameter set by nn.init.constant_."""
    act = {"tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU(), "sigmoid": torch.nn.Sigmoid()}
    model = torch.nn.Sequential(torch.nn.Linear(2, HIDDEN), act[params["activation"]],
                                torch.nn.Linear(HIDDEN, 1)).to(torch.float64)
    for p in model.parameters():
        torch.nn.init.constant_(p, params["init"])
    optimizer = torch.optim.SGD(model.parameters(), lr=params["lr"])
    x = torch.tensor(params["inputs"], dtype=torch.float64)
    y = torch.tensor(params["targets"], dtype=torch.float64)
    torch.nn.MSELoss()(model(x), y).backward()
    optimizer.step()
    names = {"weight1": model[0].weight, "bias1": model[0].bias,
             "weight2": model[2].weight, "bias2": model[2].bias}
    return _entry(names[params["ask"][0]].detach(), params["ask"])


def closed_form(params: dict) -> sp.Expr:
    """SymPy differentiates the MSE loss of the network; one step theta - lr * dL/dtheta.

    Every parameter but the asked one is the constant c; the asked one is a symbol t, so the
    loss is a function of t alone. ReLU is taken piecewise at t = c: the identity where the
    pre-activation is positive, 0 elsewhere (torch's relu'(0) = 0).
    """
    c = sp.Rational(str(params["init"]))
    t = sp.Symbol("t")
    name, *index = params["ask"]

    def value(which: str, *at: int) -> sp.Expr:
        return t if which == name and list(at) == index else c

    def phi(z: sp.Expr) -> sp.Expr:
        if params["activation"] == "tanh":
            return sp.tanh(z)
        if params["activation"] == "sigmoid":
            return 1 / (1 + sp.exp(-z))
        return z if z.subs(t, c) > 0 else sp.Integer(0)

    loss = sp.Integer(0)
    for x, y in zip(params["inputs"], params["targets"]):
        x = [sp.Rational(str(v)) for v in x]
        h = [phi(sum(value("weight1", j, i) * x[i] for i in range(2)) + value("bias1", j))
             for j in range(HIDDEN)]
        prediction = sum(value("weight2", 0, j) * h[j] for j in range(HIDDEN)) + value("bias2", 0)
        loss += (prediction - sp.Rational(str(y[0]))) ** 2
    loss /= len(params["inputs"])
    gradient = sp.diff(loss, t).subs(t, c)
    return c - sp.Rational(str(params["lr"])) * gradient


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-7}


def _symbol(ask: list) -> str:
    name, *index = ask
    if name == "bias2":
        return "b^{(2)}"
    layer = "1" if name == "weight1" else "2"
    return f"W^{{({layer})}}_{{{index[0] + 1}{index[1] + 1}}}"


def _data_text(params: dict, lang: str) -> str:
    pairs = [f"$x = {row(x)}$, $y = {num(y[0])}$" for x, y in zip(params["inputs"],
                                                                   params["targets"])]
    if len(pairs) == 1:
        return (f"一个训练样本 {pairs[0]}" if lang == "zh" else f"one training example {pairs[0]}")
    joined = "；".join(pairs) if lang == "zh" else "; ".join(pairs)
    return (f"两个训练样本（整批一起）：{joined}" if lang == "zh"
            else f"two training examples (one full batch): {joined}")


def prompt(params: dict, lang: str) -> str:
    net = (f"nn.Sequential(nn.Linear(2, 2), {ACTIVATION_MODULE[params['activation']]}, "
           f"nn.Linear(2, 1))")
    c, lr = params["init"], num(params["lr"])
    target = _symbol(params["ask"])
    if lang == "zh":
        init = ("所有权重和偏置都用 nn.init.zeros_ 置为 0" if c == 0
                else f"所有权重和偏置都用 nn.init.constant_ 设为 ${num(c)}$")
        where = {"weight1": "（第一层权重矩阵中第 {j} 行第 {i} 列，即输入 {i} 到隐藏单元 {j} 的权重）",
                 "weight2": "（输出层中来自隐藏单元 {i} 的权重）", "bias2": "（输出层的偏置）"}
        _, *index = params["ask"] + [0, 0]
        note = where[params["ask"][0]].format(j=index[0] + 1, i=index[1] + 1)
        return (f"网络 {net}，{init}。损失函数为 nn.MSELoss()（对样本取平均）。训练数据为"
                f"{_data_text(params, lang)}。用 torch.optim.SGD(lr={lr}) 在这些数据上做一步更新"
                f"（无动量）。求更新后的 ${target}${note}，保留至少 6 位有效数字。")
    init = ("every weight and bias set to 0 with nn.init.zeros_" if c == 0
            else f"every weight and bias set to ${num(c)}$ with nn.init.constant_")
    where = {"weight1": " (row {j}, column {i} of the first layer's weight: from input {i} to "
                        "hidden unit {j})",
             "weight2": " (the output layer's weight from hidden unit {i})",
             "bias2": " (the output layer's bias)"}
    _, *index = params["ask"] + [0, 0]
    note = where[params["ask"][0]].format(j=index[0] + 1, i=index[1] + 1)
    return (f"The network {net} has {init}. The loss is nn.MSELoss() (averaged over the "
            f"examples). One step of torch.optim.SGD(lr={lr}) (no momentum) is taken on "
            f"{_data_text(params, lang)}. Compute ${target}${note} after the step (at least 6 "
            f"significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    r = run(params)
    c, lr = params["init"], params["lr"]
    x = torch.tensor(params["inputs"], dtype=torch.float64)
    batch = x.shape[0]
    z = x.sum(dim=1) * c + c  # every hidden unit: c * (x1 + x2) + c
    phi = {"tanh": torch.tanh, "relu": lambda t: t.clamp_min(0),
           "sigmoid": torch.sigmoid}[params["activation"]]
    h = phi(z)
    prediction = HIDDEN * c * h + c
    grads = r.gradients[0]
    lines = [
        (f"每个隐藏单元都相同：$z = {num(c)} (x_1 + x_2) + {num(c)}$，各样本上 " if zh else
         f"Every hidden unit is the same: $z = {num(c)} (x_1 + x_2) + {num(c)}$; over the "
         f"examples ")
        + f"$z = {row(z.tolist(), 8)}$, $h = {row(h.tolist(), 8)}$",
        (f"输出 $\\hat y = {HIDDEN} \\cdot {num(c)} \\cdot h + {num(c)} = " if zh else
         f"Output $\\hat y = {HIDDEN} \\cdot {num(c)} \\cdot h + {num(c)} = ")
        + f"{row(prediction.tolist(), 8)}$",
        (f"$\\frac{{\\partial L}}{{\\partial \\hat y}} = \\frac{{2}}{{{batch}}}(\\hat y - y) = "
         f"{row((2 * (prediction - torch.tensor([t[0] for t in params['targets']], dtype=torch.float64)) / batch).tolist(), 8)}$"),
    ]
    name = params["ask"][0]
    grad = _entry(grads[name], params["ask"])
    if name == "bias2":
        how = ("$\\partial L / \\partial b^{(2)}$ 是上式之和" if zh
               else "$\\partial L / \\partial b^{(2)}$ is their sum")
    elif name == "weight2":
        how = ("$\\partial L / \\partial W^{(2)}_{1j} = \\sum \\frac{\\partial L}{\\partial \\hat y}"
               " h_j$")
    else:
        phi_prime = {"tanh": lambda t: 1 - torch.tanh(t) ** 2,
                     "relu": lambda t: (t > 0).to(t.dtype),
                     "sigmoid": lambda t: torch.sigmoid(t) * (1 - torch.sigmoid(t)),
                     }[params["activation"]](z)
        how = ("$\\partial L / \\partial W^{(1)}_{ji} = \\sum \\frac{\\partial L}{\\partial \\hat y}"
               " \\cdot W^{(2)}_{1j} \\cdot \\phi'(z_j) \\cdot x_i$"
               + ("，其中 " if zh else ", with ")
               + f"$W^{{(2)}}_{{1j}} = {num(c)}$, $\\phi'(z) = {row(phi_prime.tolist(), 8)}$"
               + ("，得" if zh else ":"))
    lines.append(how + f" ${num(grad, 8)}$" if name == "weight1" else how + f" $= {num(grad, 8)}$")
    lines.append(f"${_symbol(params['ask'])} = {num(c)} - {num(lr)} \\cdot {par(grad, 8)} = "
                 f"{answer_tex(params)}$")
    identical = r.hidden_units_identical
    if zh:
        lines.append("两个隐藏单元得到完全相同的更新，对称性没有被打破。" if identical and c != 0 else
                     ("只有输出偏置在变：h = 0 且 W2 = 0 使其余梯度都为零。"
                      if set(r.always_zero_gradients) >= {"weight1", "bias1", "weight2"} else
                      "W2 有梯度（h = 1/2），但 W1、b1 的梯度为零，隐藏单元仍然完全相同。"))
    else:
        lines.append("Both hidden units get exactly the same update: the symmetry is not broken."
                     if identical and c != 0 else
                     ("Only the output bias moves: h = 0 and W2 = 0 zero every other gradient."
                      if set(r.always_zero_gradients) >= {"weight1", "bias1", "weight2"} else
                      "W2 gets a gradient (h = 1/2) but W1 and b1 do not; the hidden units "
                      "stay identical."))
    return lines


FEEDBACK = {
    "ascent": {
        "en": "You added the gradient; SGD subtracts lr times the gradient.",
        "zh": "你加上了梯度；SGD 是减去学习率乘以梯度。",
    },
    "no_factor_2": {
        "en": "The derivative of (y_hat - y)^2 is 2 (y_hat - y); the factor 2 is missing.",
        "zh": "(y_hat - y)^2 的导数是 2 (y_hat - y)；你漏掉了因子 2。",
    },
    "loss_summed": {
        "en": "nn.MSELoss() averages over the examples, so the gradient is divided by the batch "
              "size.",
        "zh": "nn.MSELoss() 对样本取平均，所以梯度要除以批大小。",
    },
    "hidden_output_zero": {
        "en": "With sigmoid the hidden output is sigmoid(0) = 1/2, not 0, so the output weights "
              "do get a gradient.",
        "zh": "用 sigmoid 时隐藏层输出是 sigmoid(0) = 1/2，而不是 0，所以输出层权重有梯度。",
    },
    "forgot_w2": {
        "en": "Backpropagating to the first layer multiplies by the output weight W2 (here c) as "
              "well.",
        "zh": "反向传播到第一层时还要乘以输出层的权重 W2（这里等于 c）。",
    },
    "no_activation_derivative": {
        "en": "The chain rule passes through the activation: multiply by phi'(z) (for tanh, "
              "1 - tanh(z)^2).",
        "zh": "链式法则要经过激活函数：乘以 phi'(z)（tanh 的导数是 1 - tanh(z)^2）。",
    },
}


def _variant(params: dict, *, scale: float = 1.0, batch_scale: float = 1.0,
             sign: float = -1.0, keep_w2: bool = True, keep_phi: bool = True,
             hidden_zero: bool = False) -> float:
    """The asked entry after one step computed by hand with one slip."""
    c, lr = params["init"], params["lr"]
    name, *index = params["ask"]
    phi, phi_prime = {
        "tanh": (math.tanh, lambda z: 1 - math.tanh(z) ** 2),
        "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
        "sigmoid": (lambda z: 1 / (1 + math.exp(-z)),
                    lambda z: math.exp(-z) / (1 + math.exp(-z)) ** 2),
    }[params["activation"]]
    batch = len(params["inputs"])
    grad = 0.0
    for x, y in zip(params["inputs"], params["targets"]):
        z = c * (x[0] + x[1]) + c
        h = 0.0 if hidden_zero else phi(z)
        delta = scale * 2 * (HIDDEN * c * phi(z) + c - y[0]) / (batch * batch_scale)
        if name == "bias2":
            grad += delta
        elif name == "weight2":
            grad += delta * h
        else:
            grad += delta * (c if keep_w2 else 1.0) * (phi_prime(z) if keep_phi else 1.0) * x[
                index[1]]
    return c + sign * lr * grad


def mistakes(params: dict) -> list[Mistake]:
    found = [("ascent", _variant(params, sign=1.0)), ("no_factor_2", _variant(params, scale=0.5))]
    if len(params["inputs"]) > 1:
        found.append(("loss_summed", _variant(params, batch_scale=1 / len(params["inputs"]))))
    name = params["ask"][0]
    if name == "weight2" and params["activation"] == "sigmoid" and params["init"] == 0:
        found.append(("hidden_output_zero", _variant(params, hidden_zero=True)))
    if name == "weight1":
        found.append(("forgot_w2", _variant(params, keep_w2=False)))
        if params["activation"] == "tanh":
            found.append(("no_activation_derivative", _variant(params, keep_phi=False)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
