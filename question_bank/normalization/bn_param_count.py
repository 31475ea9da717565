r"""Learnable parameters and buffers of the BatchNorm2d layers in a small CNN.

The network is one to three blocks Conv2d(k x k, stride 1, padding k//2) -> BatchNorm2d -> ReLU.
Difficulty 1: one block, ask the BatchNorm's learnable parameters (2C: gamma and beta per
channel). 2: two blocks, ask the BatchNorm layers' learnable parameters in total, or how many
values their buffers hold (running_mean and running_var, C each, plus the scalar
num_batches_tracked: 2C + 1 per layer). 3: two or three blocks, ask the whole network's learnable
parameters, the convolutions with bias=True or (the usual choice before BatchNorm) bias=False;
or, half the time, one block's parameters or its BatchNorm's buffers as a formula in c_in, c, k.
The answer counts ``numel()`` over the modules themselves: torch's Conv2d and
``reference.nn.BatchNorm2d``, both built on the meta device (no memory, no init).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp
from torch import nn

from question_bank import _formula
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import BatchNorm2d

ID = "normalization.bn_param_count"
TOPIC = "normalization"
TITLE = {"en": "BatchNorm parameters and buffers", "zh": "BatchNorm 的参数与缓冲区"}
KIND = "number"

FIRST_CHANNELS = (8, 16, 32, 64)
KERNELS = (1, 3, 5)
SIZES = (28, 32, 64)


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "ask": rng.choice(["total_params", "total_params", "bn_buffers"]),
                "conv_bias": rng.choice([True, False])}
    blocks = {1: 1, 2: 2, 3: rng.choice([2, 3])}[difficulty]
    channels = [rng.choice(FIRST_CHANNELS)]
    while len(channels) < blocks:
        channels.append(channels[-1] * rng.choice([1, 2]))
    ask = {1: "bn_params", 2: rng.choice(["bn_params", "bn_buffers"]), 3: "total_params"}
    return {
        "in_channels": rng.choice([1, 3]),
        "size": rng.choice(SIZES),
        "channels": channels,
        "kernels": [rng.choice(KERNELS) for _ in range(blocks)],
        # Only the whole-network count depends on the conv bias; elsewhere torch's default.
        "conv_bias": rng.choice([True, False]) if difficulty == 3 else True,
        "ask": ask[difficulty],
    }


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def build(params: dict) -> nn.Sequential:
    """The network, on the meta device: shapes and counts without storage."""
    layers: list[nn.Module] = []
    c_in = params["in_channels"]
    for c_out, k in zip(params["channels"], params["kernels"]):
        layers += [
            nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=params["conv_bias"], device="meta"),
            BatchNorm2d(c_out, device="meta"),
            nn.ReLU(),
        ]
        c_in = c_out
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class LayerCount:
    """One Conv2d or BatchNorm2d layer: numel of each parameter and of each buffer, by name."""

    module: nn.Module
    parameters: dict[str, int]
    buffers: dict[str, int]

    @property
    def is_batch_norm(self) -> bool:
        return isinstance(self.module, BatchNorm2d)


@per_variant
def layer_counts(params: dict) -> list[LayerCount]:
    return [
        LayerCount(
            module,
            {name: p.numel() for name, p in module.named_parameters()},
            {name: b.numel() for name, b in module.named_buffers()},
        )
        for module in build(params)
        if isinstance(module, (nn.Conv2d, BatchNorm2d))
    ]


def answer(params: dict) -> int:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    counts = layer_counts(params)
    if params["ask"] == "total_params":
        return sum(sum(c.parameters.values()) for c in counts)
    field = "buffers" if params["ask"] == "bn_buffers" else "parameters"
    return sum(sum(getattr(c, field).values()) for c in counts if c.is_batch_norm)


def closed_form(params: dict) -> sp.Integer:
    """2C learnable values (gamma, beta) and 2C + 1 buffer values per BatchNorm2d(C); a conv
    has C_out * C_in * k^2 weights, plus C_out biases when it has a bias."""
    if params.get("formula"):
        return _formula_value(params)
    bn_params = bn_buffers = conv_params = sp.Integer(0)
    c_in = sp.Integer(params["in_channels"])
    for c, k in zip(params["channels"], params["kernels"]):
        c_out = sp.Integer(c)
        conv_params += c_out * c_in * k**2 + (c_out if params["conv_bias"] else 0)
        bn_params += 2 * c_out
        bn_buffers += 2 * c_out + 1
        c_in = c_out
    return {"bn_params": bn_params, "bn_buffers": bn_buffers,
            "total_params": conv_params + bn_params}[params["ask"]]


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return str(answer(params))


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 0.5}  # a count: exactly this integer


def _network_text(params: dict, lang: str) -> str:
    parts, c_in = [], params["in_channels"]
    kernel = "卷积核" if lang == "zh" else "kernel"
    for c, k in zip(params["channels"], params["kernels"]):
        parts += [f"Conv2d({c_in} → {c}, {kernel} ${k} \\times {k}$, padding={k // 2})",
                  f"BatchNorm2d({c})", "ReLU"]
        c_in = c
    return " → ".join(parts)


def _bias_text(params: dict, lang: str) -> str:
    if params["ask"] != "total_params":
        return ""
    if lang == "zh":
        return ("卷积层均设 bias=False（BN 之前的常见做法：BN 的平移参数 $\\beta$ 已经起到偏置的作用）。"
                if not params["conv_bias"] else "卷积层均保留偏置（bias=True）。")
    return ("The convolutions are created with bias=False (the usual choice before BatchNorm, "
            "whose shift $\\beta$ already plays the bias's role). " if not params["conv_bias"]
            else "The convolutions keep their bias (bias=True). ")


QUESTION = {
    "bn_params_one": {"en": "How many learnable parameters does the BatchNorm2d layer have?",
                      "zh": "这个 BatchNorm2d 层有多少个可学习参数？"},
    "bn_params": {"en": "How many learnable parameters do the BatchNorm2d layers have in total?",
                  "zh": "所有 BatchNorm2d 层一共有多少个可学习参数？"},
    "bn_buffers": {
        "en": "How many numbers do the BatchNorm2d layers' buffers hold in total (the "
              "non-learnable state that model.buffers() returns and the state_dict saves)?",
        "zh": "所有 BatchNorm2d 层的缓冲区（buffer，即 model.buffers() 返回、随 state_dict "
              "保存但不参与梯度更新的状态）一共存放了多少个数？",
    },
    "total_params": {"en": "How many learnable parameters does the whole network have?",
                     "zh": "整个网络一共有多少个可学习参数？"},
}


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    c0, size = params["in_channels"], params["size"]
    key = params["ask"]
    if key == "bn_params" and len(params["channels"]) == 1:
        key = "bn_params_one"
    question = QUESTION[key][lang]
    if lang == "zh":
        return (
            f"形状为 $(N, {c0}, {size}, {size})$ 的输入依次经过：{_network_text(params, lang)}。"
            f"步长均为 1，padding 取 k//2，所以各层特征图都保持 ${size} \\times {size}$。"
            f"BatchNorm 采用 PyTorch 的默认设置（affine=True，track_running_stats=True）。"
            f"{_bias_text(params, lang)}{question}"
        )
    return (
        f"An input of shape $(N, {c0}, {size}, {size})$ passes through "
        f"{_network_text(params, lang)}. Every stride is 1 and padding is k//2, so each feature "
        f"map stays ${size} \\times {size}$. BatchNorm uses PyTorch's defaults "
        f"(affine=True, track_running_stats=True). {_bias_text(params, lang)}{question}"
    )


def _conv_line(count: LayerCount, lang: str) -> str:
    conv, zh = count.module, lang == "zh"
    c_out, c_in, k = conv.out_channels, conv.in_channels, conv.kernel_size[0]
    weight = (f"{'权重' if zh else 'weight'} "
              f"${c_out} \\cdot {c_in} \\cdot {k} \\cdot {k} = {count.parameters['weight']}$")
    if "bias" in count.parameters:
        bias = f"{'偏置' if zh else 'bias'} ${count.parameters['bias']}$"
    else:
        bias = "无偏置" if zh else "no bias"
    return (f"Conv2d({c_in} → {c_out})：{weight}，{bias}" if zh
            else f"Conv2d({c_in} → {c_out}): {weight}, {bias}")


def _bn_params_line(count: LayerCount, lang: str) -> str:
    c, total = count.module.num_features, sum(count.parameters.values())
    if lang == "zh":
        return (f"BatchNorm2d({c})：$\\gamma$（weight）和 $\\beta$（bias）每个通道各一个，"
                f"$2 \\cdot {c} = {total}$")
    return (f"BatchNorm2d({c}): $\\gamma$ (weight) and $\\beta$ (bias), one of each per "
            f"channel: $2 \\cdot {c} = {total}$")


def _bn_buffers_line(count: LayerCount) -> str:
    b = count.buffers
    terms = " + ".join(f"{b[name]}" for name in ("running_mean", "running_var",
                                                   "num_batches_tracked"))
    return (f"BatchNorm2d({count.module.num_features}): running_mean + running_var + "
            f"num_batches_tracked $= {terms} = {sum(b.values())}$")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    counts, zh, ask = layer_counts(params), lang == "zh", params["ask"]
    lines = []
    if ask == "bn_params":
        lines.append("running_mean 与 running_var 是缓冲区而不是参数，不计入。" if zh else
                     "running_mean and running_var are buffers, not parameters: they are not "
                     "counted.")
        lines += [_bn_params_line(c, lang) for c in counts if c.is_batch_norm]
        terms = [sum(c.parameters.values()) for c in counts if c.is_batch_norm]
    elif ask == "bn_buffers":
        lines.append("每个 BatchNorm2d(C) 有三个缓冲区：running_mean（C 个）、running_var（C 个）"
                     "和标量 num_batches_tracked（1 个）。" if zh else
                     "Each BatchNorm2d(C) has three buffers: running_mean (C values), "
                     "running_var (C values) and the scalar num_batches_tracked (1 value).")
        lines += [_bn_buffers_line(c) for c in counts if c.is_batch_norm]
        terms = [sum(c.buffers.values()) for c in counts if c.is_batch_norm]
    else:
        lines += [_bn_params_line(c, lang) if c.is_batch_norm else _conv_line(c, lang)
                  for c in counts]
        terms = [sum(c.parameters.values()) for c in counts]
    if len(terms) > 1:
        lines.append(("合计：" if zh else "In total: ")
                     + f"${' + '.join(map(str, terms))} = {sum(terms)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


FEEDBACK = {
    "buffers_as_params": {
        "en": "running_mean and running_var are buffers, not parameters: the forward pass "
              "updates them, the optimizer never does. Only gamma and beta (2 per channel) "
              "are learnable.",
        "zh": "running_mean 和 running_var 是缓冲区，不是参数：它们由前向传播更新，优化器不会更新"
              "它们。可学习的只有 γ 和 β，每个通道各一个。",
    },
    "gamma_only": {
        "en": "BatchNorm learns a shift beta as well as a scale gamma, one of each per channel: "
              "2C per layer.",
        "zh": "BatchNorm 除了缩放 γ，还要学习平移 β，每个通道各一个，每层共 2C 个。",
    },
    "per_position": {
        "en": "BatchNorm2d's gamma and beta are per channel and shared by every position; "
              "per-position affine parameters (C*H*W) belong to LayerNorm([C, H, W]).",
        "zh": "BatchNorm2d 的 γ 和 β 按通道设置，所有空间位置共享；逐位置（C*H*W 个）的仿射参数"
              "是 LayerNorm([C, H, W]) 的做法。",
    },
    "no_num_batches_tracked": {
        "en": "Besides running_mean and running_var (C values each), every BatchNorm layer "
              "keeps num_batches_tracked, a single integer counter: 2C + 1 per layer.",
        "zh": "除了 running_mean 和 running_var（各 C 个数），每个 BatchNorm 层还有一个缓冲区 "
              "num_batches_tracked，是一个整数计数器：每层 2C + 1 个数。",
    },
    "params_as_buffers": {
        "en": "gamma and beta are parameters, not buffers: model.buffers() holds only "
              "running_mean, running_var and num_batches_tracked.",
        "zh": "γ 和 β 是参数，不是缓冲区：model.buffers() 里只有 running_mean、running_var "
              "和 num_batches_tracked。",
    },
    "per_position_buffers": {
        "en": "The running statistics are per channel (C values each), averaged over the batch "
              "and every position, not stored per position.",
        "zh": "滑动统计量按通道保存（各 C 个数），是对批次和所有空间位置求的平均，并不逐位置保存。",
    },
    "bn_not_counted": {
        "en": "The BatchNorm layers have learnable parameters too: gamma and beta, 2C per "
              "layer.",
        "zh": "BatchNorm 层也有可学习参数：γ 和 β，每层 2C 个。",
    },
    "conv_bias_missed": {
        "en": "These convolutions keep their bias: each adds out_channels parameters.",
        "zh": "这里的卷积层保留了偏置：每层还有 out_channels 个参数。",
    },
    "kernel_not_squared": {
        "en": "A k x k convolution has c * c_in * k * k weights: the kernel area is k^2, not k.",
        "zh": "k x k 卷积有 c * c_in * k * k 个权重：卷积核面积是 k^2，而不是 k。",
    },
    "conv_bias_counted": {
        "en": "These convolutions are created with bias=False, so they have no bias "
              "parameters.",
        "zh": "这里的卷积层设置了 bias=False，没有偏置参数。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    channels, size = params["channels"], params["size"]
    total_c, layers, right = sum(channels), len(channels), answer(params)
    positions = size * size
    if params["ask"] == "bn_params":
        found = [("buffers_as_params", 4 * total_c), ("gamma_only", total_c),
                 ("per_position", 2 * total_c * positions)]
    elif params["ask"] == "bn_buffers":
        found = [("no_num_batches_tracked", 2 * total_c),
                 ("params_as_buffers", 4 * total_c + layers),
                 ("per_position_buffers", 2 * total_c * positions + layers)]
    else:
        bias = ("conv_bias_missed", right - total_c) if params["conv_bias"] else (
            "conv_bias_counted", right + total_c)
        found = [("buffers_as_params", right + 2 * total_c), ("bn_not_counted", right - 2 * total_c),
                 bias, ("per_position", right + 2 * total_c * (positions - 1))]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: one Conv2d(c_in -> c, k x k) -> BatchNorm2d(c) block -------------------
FORMULA_VARIABLES = ["c_in:positive", "c:positive", "k:positive"]
REFERENCE_DOMAINS = {"c_in": "positive_integer", "c": "positive_integer",
                     "k": "positive_integer"}  # the layers are built at these sizes
C_IN, C, K = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {C_IN: r"c_{\mathrm{in}}"}


def _block(params: dict, kernel_area: sp.Expr = K**2) -> sp.Expr:
    """Conv weights (+ biases) + BatchNorm's gamma and beta."""
    return C * C_IN * kernel_area + (C if params["conv_bias"] else 0) + 2 * C


def _formula_value(params: dict) -> sp.Expr:
    return _block(params) if params["ask"] == "total_params" else 2 * C + 1


def evaluate(params: dict, values: dict) -> float:
    """numel() over the block built from torch's Conv2d and reference.nn.BatchNorm2d."""
    k = int(values["k"])
    block = {"in_channels": int(values["c_in"]), "channels": [int(values["c"])],
             "kernels": [k], "conv_bias": params["conv_bias"], "ask": params["ask"], "size": k}
    return float(answer(block))


def _formula_prompt(params: dict, lang: str) -> str:
    zh = lang == "zh"
    bias = ("" if params["ask"] == "bn_buffers" else
            _bias_text({**params, "ask": "total_params"}, lang).replace("卷积层均", "卷积层")
            .replace("The convolutions are", "The convolution is")
            .replace("The convolutions keep their", "The convolution keeps its"))
    question = ({"total_params": "这个块一共有多少个可学习参数？",
                 "bn_buffers": QUESTION["bn_buffers"]["zh"].replace("所有 BatchNorm2d 层的",
                                                                    "这个 BatchNorm2d 层的")}
                if zh else
                {"total_params": "How many learnable parameters does this block have?",
                 "bn_buffers": QUESTION["bn_buffers"]["en"].replace(
                     "do the BatchNorm2d layers' buffers hold in total",
                     "do the BatchNorm2d layer's buffers hold")})[params["ask"]]
    if zh:
        return (f"一个卷积块：Conv2d($c_{{\\mathrm{{in}}}}$ → $c$，卷积核 $k \\times k$，padding=k//2) → "
                f"BatchNorm2d($c$) → ReLU，BatchNorm 采用 PyTorch 的默认设置（affine=True，"
                f"track_running_stats=True）。{bias}{question}写出表达式，变量输入为 c_in、c、k。")
    return (f"A block Conv2d($c_{{\\mathrm{{in}}}}$ → $c$, kernel $k \\times k$, padding=k//2) → "
            f"BatchNorm2d($c$) → ReLU uses PyTorch's defaults for BatchNorm (affine=True, "
            f"track_running_stats=True). {bias}{question} Give it as an expression; type the "
            f"sizes as c_in, c and k.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    if params["ask"] == "bn_buffers":
        lines = [("running_mean（$c$ 个）+ running_var（$c$ 个）+ num_batches_tracked（1 个）"
                  if zh else "running_mean ($c$ values) + running_var ($c$ values) + "
                  "num_batches_tracked (1 value)")]
    else:
        weights = ("权重 $c \\cdot c_{\\mathrm{in}} \\cdot k^2$" if zh else
                   "weights $c \\cdot c_{\\mathrm{in}} \\cdot k^2$")
        bias = (("，偏置 $c$" if zh else ", bias $c$") if params["conv_bias"] else
                ("，无偏置" if zh else ", no bias"))
        lines = [f"Conv2d{'：' if zh else ': '}{weights}{bias}",
                 "BatchNorm2d($c$)" + ("：$\\gamma$ 和 $\\beta$ 共 $2c$" if zh
                                       else ": $\\gamma$ and $\\beta$, $2c$")]
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    if params["ask"] == "bn_buffers":
        return [("no_num_batches_tracked", 2 * C), ("params_as_buffers", 4 * C + 1)]
    right = _block(params)
    bias = ("conv_bias_missed", right - C) if params["conv_bias"] else (
        "conv_bias_counted", right + C)
    return [("buffers_as_params", right + 2 * C), ("bn_not_counted", right - 2 * C), bias,
            ("kernel_not_squared", _block(params, kernel_area=K))]
