r"""Learnable parameters of normalization layers: LayerNorm vs RMSNorm vs GroupNorm vs
InstanceNorm vs BatchNorm.

==============================  ==========  ==========================================
layer (torch defaults)          parameters  why
==============================  ==========  ==========================================
LayerNorm(d)                    2d          gamma and beta per element of the last dim
LayerNorm(d, bias=False)        d           gamma only
LayerNorm([C, H, W])            2CHW        per element of normalized_shape, not per channel
RMSNorm(d)                      d           gamma only, no bias
GroupNorm(G, C)                 2C          per channel, whatever G is
InstanceNorm2d(C)               0           affine=False by default
InstanceNorm2d(C, affine=True)  2C          per channel
BatchNorm2d(C)                  2C          per channel (running stats are buffers)
==============================  ==========  ==========================================

Difficulty 1: one of LayerNorm(d), RMSNorm(d), BatchNorm2d(C), GroupNorm(G, C). 2: one layer
for a feature map, including LayerNorm([C, H, W]) and the default InstanceNorm2d. 3: how many
more parameters one layer has than another on the same tensor, or (half the time) one layer's
count as a formula in its sizes. The answer counts ``numel()``
of the parameters of ``reference.nn``'s modules, built on the meta device.
"""

from __future__ import annotations

import random

import sympy as sp
from torch import nn

from question_bank import _formula as expressions
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm

ID = "normalization.norm_param_counts"
TOPIC = "normalization"
TITLE = {"en": "Parameter counts of normalization layers", "zh": "归一化层的参数量"}
KIND = "number"

CHANNELS = (16, 32, 64, 128)
SIZES = (4, 7, 8, 14)
WIDTHS = (256, 512, 768, 1024)
GROUPS = (4, 8, 16, 32)
SEQUENCE = ("layernorm_d", "layernorm_d_nobias", "rmsnorm_d")  # layers on a (B, T, d) tensor
EASY = ("layernorm_d", "rmsnorm_d", "batchnorm2d", "groupnorm")
MEDIUM = ("layernorm_chw", "groupnorm", "instancenorm", "layernorm_d", "rmsnorm_d")
PAIRS = (("layernorm_chw", "groupnorm"), ("layernorm_chw", "batchnorm2d"),
         ("groupnorm", "instancenorm"), ("instancenorm_affine", "instancenorm"),
         ("batchnorm2d", "instancenorm"), ("layernorm_d", "rmsnorm_d"),
         ("layernorm_d", "layernorm_d_nobias"), ("layernorm_chw", "instancenorm_affine"))


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "layers": [rng.choice(list(FORMULA_SIZES))]}
    c = rng.choice(CHANNELS)
    params = {"C": c, "H": rng.choice(SIZES), "d": rng.choice(WIDTHS),
              "G": rng.choice([g for g in GROUPS if g < c])}
    if difficulty == 3:
        params["layers"] = list(rng.choice(PAIRS))
    else:
        params["layers"] = [rng.choice(EASY if difficulty == 1 else MEDIUM)]
    return params


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    if not params.get("formula"):
        return []
    return [f"{name}:positive" for name in FORMULA_SIZES[params["layers"][0]]]


def build(layer: str, params: dict, torch_module=None) -> nn.Module:
    """The layer, from reference.nn (or the same class from torch.nn), on the meta device."""
    lib = torch_module
    c, h, d, g = params["C"], params["H"], params["d"], params["G"]
    make = {
        "layernorm_d": lambda m: m.LayerNorm(d, device="meta"),
        "layernorm_d_nobias": lambda m: m.LayerNorm(d, bias=False, device="meta"),
        "layernorm_chw": lambda m: m.LayerNorm([c, h, h], device="meta"),
        "rmsnorm_d": lambda m: m.RMSNorm(d, device="meta"),
        "groupnorm": lambda m: m.GroupNorm(g, c, device="meta"),
        "instancenorm": lambda m: m.InstanceNorm2d(c, device="meta"),
        "instancenorm_affine": lambda m: m.InstanceNorm2d(c, affine=True, device="meta"),
        "batchnorm2d": lambda m: m.BatchNorm2d(c, device="meta"),
    }[layer]
    return make(lib if lib is not None else _Reference)


class _Reference:
    """reference.nn's layer classes under torch.nn's names."""

    LayerNorm, RMSNorm, GroupNorm = LayerNorm, RMSNorm, GroupNorm
    InstanceNorm2d, BatchNorm2d = InstanceNorm2d, BatchNorm2d


def count(layer: str, params: dict, torch_module=None) -> int:
    return sum(p.numel() for p in build(layer, params, torch_module).parameters())


@per_variant
def answer(params: dict) -> int:
    if params.get("formula"):
        return expressions.text(_formula_value(params))
    counts = [count(layer, params) for layer in params["layers"]]
    return counts[0] - counts[1] if len(counts) == 2 else counts[0]


def oracle(params: dict) -> int:
    counts = [count(layer, params, nn) for layer in params["layers"]]
    return counts[0] - counts[1] if len(counts) == 2 else counts[0]


def _formula(layer: str, params: dict) -> sp.Expr:
    c, h, d = (sp.sympify(params[name]) for name in ("C", "H", "d"))  # numbers or symbols
    return {"layernorm_d": 2 * d, "layernorm_d_nobias": d, "layernorm_chw": 2 * c * h * h,
            "rmsnorm_d": d, "groupnorm": 2 * c, "instancenorm": sp.Integer(0),
            "instancenorm_affine": 2 * c, "batchnorm2d": 2 * c}[layer]


def closed_form(params: dict) -> sp.Integer:
    """The per-layer counts of the table in the module docstring."""
    if params.get("formula"):
        return _formula_value(params)
    counts = [_formula(layer, params) for layer in params["layers"]]
    return counts[0] - counts[1] if len(counts) == 2 else counts[0]


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return expressions.latex(_formula_value(params), NAMES)
    return str(answer(params))


def tolerance(params: dict) -> dict:
    return {"rtol": 0.0, "atol": 0.5}  # a count: exactly this integer


def _call(layer: str, params: dict) -> str:
    c, h, d, g = params["C"], params["H"], params["d"], params["G"]
    return {"layernorm_d": f"nn.LayerNorm({d})", "layernorm_d_nobias": f"nn.LayerNorm({d}, bias=False)",
            "layernorm_chw": f"nn.LayerNorm([{c}, {h}, {h}])", "rmsnorm_d": f"nn.RMSNorm({d})",
            "groupnorm": f"nn.GroupNorm({g}, {c})", "instancenorm": f"nn.InstanceNorm2d({c})",
            "instancenorm_affine": f"nn.InstanceNorm2d({c}, affine=True)",
            "batchnorm2d": f"nn.BatchNorm2d({c})"}[layer]


def _tensor_text(params: dict, lang: str) -> str:
    if params["layers"][0] in SEQUENCE:
        shape = f"$(B, T, {params['d']})$"
        return (f"形状为 {shape} 的 token 序列（特征维 $d = {params['d']}$）" if lang == "zh"
                else f"a sequence of tokens of shape {shape} (feature size $d = {params['d']}$)")
    c, h = params["C"], params["H"]
    shape = f"$(N, {c}, {h}, {h})$"
    return (f"形状为 {shape} 的特征图" if lang == "zh" else f"a feature map of shape {shape}")


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    calls = [_call(layer, params) for layer in params["layers"]]
    data = _tensor_text(params, lang)
    if lang == "zh":
        note = "所有层都用 PyTorch 的默认参数（除非写明）；只数可学习参数，不算缓冲区。"
        if len(calls) == 2:
            return (f"对{data}做归一化，可以用 {calls[0]} 或 {calls[1]}。{note}"
                    f"前者比后者多多少个可学习参数？")
        return f"对{data}做归一化，使用 {calls[0]}。{note}这一层有多少个可学习参数？"
    note = ("Every layer keeps PyTorch's defaults unless shown; count learnable parameters "
            "only, not buffers.")
    if len(calls) == 2:
        return (f"To normalize {data} you can use {calls[0]} or {calls[1]}. {note} How many "
                f"more learnable parameters does the first have than the second?")
    return (f"{data[0].upper()}{data[1:]} is normalized by {calls[0]}. {note} How many "
            f"learnable parameters does this layer have?")


REASON = {
    "layernorm_d": {"en": "gamma and beta, one of each per feature: $2 \\cdot {d} = {n}$",
                    "zh": "$\\gamma$ 和 $\\beta$ 每个特征各一个：$2 \\cdot {d} = {n}$"},
    "layernorm_d_nobias": {"en": "bias=False leaves gamma only, one per feature: ${n}$",
                           "zh": "bias=False 只剩 $\\gamma$，每个特征一个：${n}$"},
    "layernorm_chw": {"en": "gamma and beta have the shape of normalized_shape, one per element: "
                            "$2 \\cdot {c} \\cdot {h} \\cdot {h} = {n}$",
                      "zh": "$\\gamma$ 和 $\\beta$ 的形状就是 normalized_shape，每个元素各一个："
                            "$2 \\cdot {c} \\cdot {h} \\cdot {h} = {n}$"},
    "rmsnorm_d": {"en": "gamma only (no mean, no bias), one per feature: ${n}$",
                  "zh": "只有 $\\gamma$（不减均值，也没有偏置），每个特征一个：${n}$"},
    "groupnorm": {"en": "gamma and beta per channel, whatever the number of groups: "
                        "$2 \\cdot {c} = {n}$",
                  "zh": "$\\gamma$ 和 $\\beta$ 按通道设置，与分组数无关：$2 \\cdot {c} = {n}$"},
    "instancenorm": {"en": "affine=False by default: no parameters, ${n}$",
                     "zh": "默认 affine=False：没有参数，${n}$"},
    "instancenorm_affine": {"en": "affine=True: gamma and beta per channel, $2 \\cdot {c} = {n}$",
                            "zh": "affine=True：$\\gamma$ 和 $\\beta$ 按通道，$2 \\cdot {c} = {n}$"},
    "batchnorm2d": {"en": "gamma and beta per channel (the running statistics are buffers): "
                          "$2 \\cdot {c} = {n}$",
                    "zh": "$\\gamma$ 和 $\\beta$ 按通道（滑动统计量是缓冲区，不算）：$2 \\cdot {c} = {n}$"},
}


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    lines = []
    for layer in params["layers"]:
        reason = REASON[layer][lang].format(c=params["C"], h=params["H"], d=params["d"],
                                            n=count(layer, params))
        lines.append(f"{_call(layer, params)}{'：' if lang == 'zh' else ': '}{reason}")
    if len(params["layers"]) == 2:
        a, b = (count(layer, params) for layer in params["layers"])
        lines.append(("相差：" if lang == "zh" else "Difference: ") + f"${a} - {b} = {a - b}$")
    return lines + [("答案：" if lang == "zh" else "Answer: ") + f"${answer_tex(params)}$"]


FEEDBACK = {
    "per_channel_layernorm": {
        "en": "LayerNorm's gamma and beta have the shape of normalized_shape: LayerNorm([C, H, W]) "
              "has 2*C*H*W parameters, not 2*C.",
        "zh": "LayerNorm 的 gamma 和 beta 的形状等于 normalized_shape：LayerNorm([C, H, W]) 有 "
              "2*C*H*W 个参数，而不是 2*C。",
    },
    "gamma_only": {
        "en": "This layer learns a shift beta as well as a scale gamma.",
        "zh": "这个层除了缩放 gamma，还学习平移 beta。",
    },
    "stats_as_params": {
        "en": "LayerNorm computes its mean and variance from each input; they are not stored, "
              "and only gamma and beta are learnable.",
        "zh": "LayerNorm 的均值和方差由每个输入现算，不被保存；可学习的只有 gamma 和 beta。",
    },
    "bias_counted": {
        "en": "With bias=False LayerNorm has no beta: only gamma, d parameters.",
        "zh": "bias=False 时 LayerNorm 没有 beta，只有 gamma，共 d 个参数。",
    },
    "no_parameters": {
        "en": "This layer still learns a per-feature scale gamma (elementwise_affine=True by "
              "default).",
        "zh": "这个层仍然学习逐特征的缩放 gamma（默认 elementwise_affine=True）。",
    },
    "rmsnorm_with_bias": {
        "en": "RMSNorm has a scale gamma but no bias: d parameters, not 2d.",
        "zh": "RMSNorm 只有缩放 gamma，没有偏置：d 个参数，而不是 2d。",
    },
    "per_group": {
        "en": "GroupNorm's statistics are per group, but its gamma and beta are per channel: "
              "2C parameters.",
        "zh": "GroupNorm 的统计量按组计算，但 gamma 和 beta 是按通道设置的：共 2C 个参数。",
    },
    "per_element": {
        "en": "The affine parameters here are per channel, shared by every spatial position.",
        "zh": "这里的仿射参数按通道设置，由所有空间位置共享。",
    },
    "instance_affine_default": {
        "en": "InstanceNorm2d defaults to affine=False (and track_running_stats=False): the "
              "default layer has no parameters at all.",
        "zh": "InstanceNorm2d 默认 affine=False（且 track_running_stats=False）：默认的层根本没有参数。",
    },
    "instance_with_stats": {
        "en": "InstanceNorm2d has neither affine parameters nor running statistics by default; "
              "and running statistics would be buffers, not parameters.",
        "zh": "InstanceNorm2d 默认既没有仿射参数也没有滑动统计量；况且滑动统计量是缓冲区，不是参数。",
    },
    "affine_ignored": {
        "en": "With affine=True InstanceNorm2d learns gamma and beta per channel: 2C.",
        "zh": "affine=True 时 InstanceNorm2d 按通道学习 gamma 和 beta：共 2C 个。",
    },
    "buffers_as_params": {
        "en": "running_mean and running_var are buffers, not parameters; BatchNorm2d learns "
              "only gamma and beta, 2C.",
        "zh": "running_mean 和 running_var 是缓冲区，不是参数；BatchNorm2d 可学习的只有 gamma 和 "
              "beta，共 2C 个。",
    },
}


def _slips(layer: str, params: dict) -> list[tuple[str, int]]:
    """(mistake, the count a student with that mistake gives) for one layer."""
    c, h, d, g = params["C"], params["H"], params["d"], params["G"]
    return {
        "layernorm_d": [("gamma_only", d), ("stats_as_params", 4 * d)],
        "layernorm_d_nobias": [("bias_counted", 2 * d), ("no_parameters", 0)],
        "layernorm_chw": [("per_channel_layernorm", 2 * c), ("gamma_only", c * h * h)],
        "rmsnorm_d": [("rmsnorm_with_bias", 2 * d), ("no_parameters", 0)],
        "groupnorm": [("per_group", 2 * g), ("per_element", 2 * c * h * h)],
        "instancenorm": [("instance_affine_default", 2 * c), ("instance_with_stats", 4 * c)],
        "instancenorm_affine": [("affine_ignored", 0), ("per_element", 2 * c * h * h)],
        "batchnorm2d": [("buffers_as_params", 4 * c), ("per_element", 2 * c * h * h)],
    }[layer]


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return expressions.mistakes(_formula_mistakes(params), FEEDBACK)
    layers = params["layers"]
    if len(layers) == 1:
        found = _slips(layers[0], params)
    else:
        a, b = (count(layer, params) for layer in layers)
        found = [(name, value - b) for name, value in _slips(layers[0], params)]
        found += [(name, a - value) for name, value in _slips(layers[1], params)]
        found = [(name, value) for name, value in found if value >= 0]  # "how many more"
    seen, unique = set(), []
    for name, value in found:
        if name not in seen:
            seen.add(name)
            unique.append(Mistake(name, value, FEEDBACK[name]))
    return unique


# -- the formula variant: one layer's count in its sizes ----------------------------------------
# layer -> its size variables (a GroupNorm of G groups of k channels each, so G divides C)
FORMULA_SIZES = {"layernorm_d": ("d",), "layernorm_chw": ("C", "H"), "groupnorm": ("G", "k", "H"),
                 "batchnorm2d": ("C", "H")}
REFERENCE_DOMAINS = {name: "positive_integer" for name in ("C", "H", "d", "G", "k")}  # sizes
SIZE = dict(zip(("C", "H", "d", "G", "k"), expressions.symbols(
    "C:positive", "H:positive", "d:positive", "G:positive", "k:positive")))
NAMES = {}


def _symbolic(params: dict) -> dict:
    """The sizes as symbols, C = G k for a GroupNorm."""
    sizes = dict(SIZE)
    if params["layers"][0] == "groupnorm":
        sizes["C"] = SIZE["G"] * SIZE["k"]
    return sizes


def _formula_value(params: dict) -> sp.Expr:
    return _formula(params["layers"][0], _symbolic(params))


def evaluate(params: dict, values: dict) -> float:
    """numel() over the parameters of the reference.nn layer built at these sizes."""
    sizes = {"C": 1, "H": 1, "d": 1, "G": 1, **{n: int(v) for n, v in values.items()}}
    if params["layers"][0] == "groupnorm":
        sizes["C"] = sizes["G"] * sizes["k"]
    return float(count(params["layers"][0], sizes))


def _formula_prompt(params: dict, lang: str) -> str:
    layer = params["layers"][0]
    names = {"C": "C", "H": "H", "d": "d", "G": "G"}
    if layer == "groupnorm":
        names["C"] = "G k"
    text = prompt({"C": names["C"], "H": "H", "d": "d", "G": "G", "layers": [layer]}, lang)
    text = (text.replace("（特征维 $d = d$）", "").replace(" (feature size $d = d$)", "")
            .replace("nn.GroupNorm(G, G k)", "nn.GroupNorm(G, G * k)"))
    typed = ", ".join(FORMULA_SIZES[layer])
    if lang == "zh":
        groups = "（$G$ 组，每组 $k$ 个通道）" if layer == "groupnorm" else ""
        return (text.rstrip("？") + f"{groups}？写出关于 {'、'.join(FORMULA_SIZES[layer])} 的表达式，"
                f"变量输入为 {typed}。")
    groups = " ($G$ groups of $k$ channels each)" if layer == "groupnorm" else ""
    return text.rstrip("?") + f"{groups}? Give it as an expression; type the sizes as {typed}."


def _formula_solution(params: dict, lang: str) -> list[str]:
    layer = params["layers"][0]
    sizes = {"C": "C", "H": "H", "d": "d", "G": "G"}
    if layer == "groupnorm":
        sizes["C"] = "G k"
    reason = REASON[layer][lang].format(c=sizes["C"], h="H", d="d", n=answer_tex(params))
    call = _call(layer, sizes).replace("G k)", "G * k)")
    return [f"{call}{'：' if lang == 'zh' else ': '}{reason}",
            ("答案：" if lang == "zh" else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    return _slips(params["layers"][0], _symbolic(params))
