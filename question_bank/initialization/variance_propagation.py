r"""How the variance of the signal changes through k linear layers at initialization.

For a layer :math:`y = Wh` with :math:`n_{\mathrm{in}}` inputs, independent zero-mean weights and
inputs and zero biases, :math:`\operatorname{Var}(y) = n_{\mathrm{in}}\operatorname{Var}(W)
\operatorname{E}[h^2]` (LeCun et al. 1998; Glorot & Bengio 2010, eq. 5). Without activation
:math:`\operatorname{E}[h^2] = \operatorname{Var}` of the previous pre-activation; after a ReLU
it is half of it (He et al. 2015, eq. 7), for a pre-activation symmetric about zero.
So LeCun's :math:`1/n_{\mathrm{in}}` keeps the variance of a linear network, Xavier's
:math:`2/(n_{\mathrm{in}}+n_{\mathrm{out}})` scales it by :math:`2n_{\mathrm{in}}/(n_{\mathrm{in}}+
n_{\mathrm{out}})` per layer, and He's :math:`2/n_{\mathrm{in}}` keeps it through ReLUs.

Difficulty 1: two linear layers, weights N(0, s^2) with a given std s or LeCun's init.
2: two or three linear layers, Xavier (widths differ) or He init without activations.
3: three layers with ReLU between them, He, Xavier or a given std. Var(W) per layer comes from
``reference.nn.init`` (``lecun_std``, ``xavier_std``, ``kaiming_std``); the per-layer law is
applied here (reference/ has no propagation helper) and checked in the tests against a Monte
Carlo run of torch.nn.Linear layers initialized by torch.nn.init.
"""

from __future__ import annotations

import random

import sympy as sp

from question_bank._format import num
from quizgen.model import Mistake
from reference.nn import init

ID = "initialization.variance_propagation"
TOPIC = "initialization"
TITLE = {"en": "Variance propagation at initialization", "zh": "初始化时方差的逐层传播"}
KIND = "number"

WIDTHS = (64, 100, 128, 200, 256, 400, 512)
STDS = (0.02, 0.05, 0.1, 0.2)
INPUT_VARS = (0.5, 1.0, 2.0, 4.0)
SCHEME = {
    "normal": {"en": "$N(0, s^2)$ with std $s = {s}$", "zh": "$N(0, s^2)$（标准差 $s = {s}$）"},
    "lecun": {"en": "LeCun's initialization, $\\operatorname{{Var}}(W) = 1/n_{{\\mathrm{{in}}}}$ "
                    "(kaiming_normal_ with nonlinearity='linear')",
              "zh": "LeCun 初始化（$\\operatorname{{Var}}(W) = 1/n_{{\\mathrm{{in}}}}$，"
                    "即 nonlinearity='linear' 的 kaiming_normal_）"},
    "xavier": {"en": "Xavier/Glorot normal initialization (torch.nn.init.xavier_normal_, gain 1)",
               "zh": "Xavier/Glorot 正态初始化（torch.nn.init.xavier_normal_，gain 为 1）"},
    "he": {"en": "He/Kaiming normal initialization (torch.nn.init.kaiming_normal_ with "
                 "nonlinearity='relu', mode='fan_in')",
           "zh": "He/Kaiming 正态初始化（torch.nn.init.kaiming_normal_，nonlinearity='relu'，"
                 "mode='fan_in'）"},
}


def sample(rng: random.Random, difficulty: int) -> dict:
    layers = {1: 2, 2: rng.choice([2, 3]), 3: 3}[difficulty]
    while True:
        widths = [rng.choice(WIDTHS) for _ in range(layers + 1)]
        if all(a != b for a, b in zip(widths, widths[1:])):
            break
    scheme = {1: rng.choice(["normal", "lecun"]), 2: rng.choice(["xavier", "he"]),
              3: rng.choice(["he", "xavier", "normal"])}[difficulty]
    return {"widths": widths, "scheme": scheme, "std": rng.choice(STDS),
            "relu": difficulty == 3, "var_x": rng.choice(INPUT_VARS)}


def weight_variance(params: dict, layer: int) -> float:
    """Var(W) of layer `layer` (0-based), weight shape (n_out, n_in), from reference.nn.init."""
    shape = (params["widths"][layer + 1], params["widths"][layer])
    std = {"normal": lambda: params["std"], "lecun": lambda: init.lecun_std(shape),
           "xavier": lambda: init.xavier_std(shape),
           "he": lambda: init.kaiming_std(shape, nonlinearity="relu")}[params["scheme"]]()
    return std**2


def variances(params: dict, fan: str = "in", relu_factor: float | None = None,
              variance_of=weight_variance, halve_input: bool = False) -> list[float]:
    """Var of each layer's pre-activation y_1 ... y_k.

    The keyword arguments replay a student's slip: the output width in place of the input
    width, no (or an extra) ReLU halving, a different Var(W)."""
    factor = (0.5 if params["relu"] else 1.0) if relu_factor is None else relu_factor
    second_moment = params["var_x"] * (0.5 if halve_input else 1.0)
    out = []
    for layer in range(len(params["widths"]) - 1):
        n = params["widths"][layer + (0 if fan == "in" else 1)]
        var_y = n * variance_of(params, layer) * second_moment
        out.append(var_y)
        second_moment = factor * var_y
    return out


def answer(params: dict) -> float:
    return variances(params)[-1]


def closed_form(params: dict) -> sp.Expr:
    """Var(y_k) = Var(x) * prod_l n_l Var(W_l) * (1/2)^(k-1 with ReLU), exactly."""
    widths = [sp.Integer(n) for n in params["widths"]]
    var_w = {
        "normal": lambda n_in, n_out: sp.Rational(str(params["std"])) ** 2,
        "lecun": lambda n_in, n_out: 1 / n_in,
        "xavier": lambda n_in, n_out: 2 / (n_in + n_out),
        "he": lambda n_in, n_out: 2 / n_in,
    }[params["scheme"]]
    value = sp.Rational(str(params["var_x"]))
    for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        if params["relu"] and layer > 0:
            value /= 2
        value *= n_in * var_w(n_in, n_out)
    return value


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-12}


def _network(params: dict) -> str:
    w = params["widths"]
    sep = " → ReLU → " if params["relu"] else " → "
    return sep.join(f"Linear({a}, {b})" for a, b in zip(w, w[1:]))


def prompt(params: dict, lang: str) -> str:
    k = len(params["widths"]) - 1
    scheme = SCHEME[params["scheme"]][lang].format(s=num(params["std"]))
    var_x = num(params["var_x"])
    if lang == "zh":
        relu = ("；相邻两层之间有 ReLU" if params["relu"] else "；层与层之间没有激活函数")
        return (f"一个网络依次为 {_network(params)}{relu}。所有权重独立初始化，方式为 {scheme}，偏置为 0。"
                f"输入 $x$ 的各分量独立、均值为 0、方差 $\\operatorname{{Var}}(x) = {var_x}$，"
                f"并与权重独立。按照初始化分析的标准假设（LeCun/Glorot/He 的推导），求第 {k} 层"
                f"线性输出（激活之前）$y_{{{k}}}$ 每个分量的方差 $\\operatorname{{Var}}(y_{{{k}}})$"
                f"（保留至少 6 位有效数字）。")
    relu = ("with a ReLU between consecutive layers" if params["relu"]
            else "with no activation between the layers")
    return (f"A network is {_network(params)}, {relu}. Every weight is drawn independently from "
            f"{scheme}, and the biases are 0. The input $x$ has independent zero-mean entries "
            f"with $\\operatorname{{Var}}(x) = {var_x}$, independent of the weights. Under the "
            f"standard assumptions of the initialization analyses (LeCun, Glorot, He), compute "
            f"the variance $\\operatorname{{Var}}(y_{{{k}}})$ of each entry of layer {k}'s "
            f"linear output $y_{{{k}}}$ (before any activation), to at least 6 significant "
            f"figures.")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    w = params["widths"]
    lines = [("每层：$\\operatorname{Var}(y) = n_{\\mathrm{in}} \\cdot \\operatorname{Var}(W) "
              "\\cdot \\operatorname{E}[h^2]$，其中 $h$ 是该层的输入" if zh else
              "Per layer: $\\operatorname{Var}(y) = n_{\\mathrm{in}} \\cdot \\operatorname{Var}(W)"
              " \\cdot \\operatorname{E}[h^2]$, $h$ the layer's input")
             + ("；经过 ReLU 后 $\\operatorname{E}[h^2] = \\operatorname{Var}(y)/2$。" if zh
                and params["relu"] else
                "; after a ReLU, $\\operatorname{E}[h^2] = \\operatorname{Var}(y)/2$."
                if params["relu"] else ("。" if zh else "."))]
    moment = params["var_x"]
    for layer, var_y in enumerate(variances(params)):
        var_w = weight_variance(params, layer)
        lines.append(f"$\\operatorname{{Var}}(W_{{{layer + 1}}}) = {num(var_w, 8)}$, "
                     f"$\\operatorname{{Var}}(y_{{{layer + 1}}}) = {w[layer]} \\cdot "
                     f"{num(var_w, 8)} \\cdot {num(moment, 8)} = {num(var_y, 8)}$")
        moment = var_y / 2 if params["relu"] else var_y
        if params["relu"] and layer < len(w) - 2:
            lines.append(f"$\\operatorname{{E}}[h_{{{layer + 1}}}^2] = "
                         f"\\frac{{{num(var_y, 8)}}}{{2}} = {num(moment, 8)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


FEEDBACK = {
    "fan_out_for_n": {
        "en": "Each output sums n_in products w*h, so the factor is the layer's input width "
              "n_in, not its output width.",
        "zh": "每个输出是 n_in 个乘积 w*h 之和，所以乘的是该层的输入宽度 n_in，而不是输出宽度。",
    },
    "n_forgotten": {
        "en": "A unit's pre-activation is a sum of n_in terms, so the variances add: "
              "Var(y) = n_in * Var(W) * E[h^2].",
        "zh": "一个单元的线性输出是 n_in 项之和，方差要相加：Var(y) = n_in * Var(W) * E[h^2]。",
    },
    "std_as_variance": {
        "en": "Var(W) is the square of the std s, not s itself.",
        "zh": "Var(W) 是标准差 s 的平方，而不是 s 本身。",
    },
    "relu_not_halved": {
        "en": "A ReLU zeroes the negative half of a symmetric pre-activation, so the next "
              "layer sees E[h^2] = Var(y)/2.",
        "zh": "ReLU 把对称分布的线性输出的负半部分置零，下一层看到的是 E[h^2] = Var(y)/2。",
    },
    "relu_on_input": {
        "en": "There is no ReLU before the first layer: it sees E[x^2] = Var(x) itself.",
        "zh": "第一层之前没有 ReLU：它的输入满足 E[x^2] = Var(x)。",
    },
    "one_layer_only": {
        "en": "That is the variance after the first layer; apply the rule once per layer.",
        "zh": "这只是第一层之后的方差；每一层都要应用一次这个规则。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    found = [("fan_out_for_n", variances(params, fan="out")[-1]),
             ("n_forgotten", variances(params, variance_of=lambda p, layer: weight_variance(
                 p, layer) / p["widths"][layer])[-1])]
    if params["scheme"] == "normal":
        found.append(("std_as_variance",
                      variances(params, variance_of=lambda p, layer: p["std"])[-1]))
    if params["relu"]:
        found.append(("relu_not_halved", variances(params, relu_factor=1.0)[-1]))
        found.append(("relu_on_input", variances(params, halve_input=True)[-1]))
    found.append(("one_layer_only", variances(params)[0]))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
