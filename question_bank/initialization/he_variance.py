r"""He/Kaiming initialization (He et al., 2015) with torch.nn.init's fans, modes and gains.

``kaiming_normal_(w, a=0, mode='fan_in', nonlinearity='leaky_relu')`` draws from
:math:`N(0, \sigma^2)` with :math:`\sigma = \mathrm{gain}/\sqrt{\mathrm{fan\_mode}}`;
``kaiming_uniform_`` from :math:`U(-b, b)` with :math:`b = \sqrt{3}\,\sigma`. The gain is
``calculate_gain(nonlinearity, a)``: :math:`\sqrt{2}` for ReLU and
:math:`\sqrt{2/(1+a^2)}` for leaky ReLU with negative slope a, whose default here is a = 0 (so
the defaults give ReLU's gain; calculate_gain('leaky_relu') alone would use 0.01).
Difficulty 1: Linear, kaiming_normal_ with nonlinearity='relu', mode fan_in; ask the variance or
the std. 2: Linear or Conv2d, mode fan_in or fan_out, ReLU or leaky ReLU with a given slope;
ask the variance, the std or the uniform bound. 3: Conv2d, possibly grouped, called with
torch's defaults or torchvision's ResNet choice mode='fan_out', nonlinearity='relu'; or, half the
time, the variance, std or bound of leaky-ReLU Kaiming init as a formula in the fans and the slope.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch

from question_bank import _formula
from question_bank._format import num
from question_bank.initialization._wording import drawn_from, wanted
from question_bank.initialization.xavier_variance import exact_as_asked, weight_shape
from quizgen.model import Mistake
from reference.nn import init

ID = "initialization.he_variance"
TOPIC = "initialization"
TITLE = {"en": "He/Kaiming initialization", "zh": "He/Kaiming 初始化"}
KIND = "number"

LINEAR_SIZES = (64, 100, 128, 200, 256, 300, 400, 512, 784, 1000, 1024)
CONV_CHANNELS = (16, 32, 64, 128, 256)
KERNELS = (1, 3, 5, 7)
SLOPES = (0.01, 0.1, 0.2, 0.3)
FAN_IN = r"\mathrm{fan}_{\mathrm{in}}"
FAN_OUT = r"\mathrm{fan}_{\mathrm{out}}"
SYMBOL = {"var": r"\sigma^2", "std": r"\sigma", "bound": "b"}


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "mode": rng.choice(["fan_in", "fan_out"]),
                "ask": rng.choice(["var", "std", "bound"])}
    if difficulty == 1 or (difficulty == 2 and rng.random() < 0.5):
        n_in, n_out = rng.sample(LINEAR_SIZES, 2)
        params = {"layer": "linear", "n_in": n_in, "n_out": n_out}
    else:
        params = _sample_conv(rng, grouped=difficulty == 3)
    if difficulty == 1:
        params.update(mode="fan_in", nonlinearity="relu", a=None,
                      ask=rng.choice(["var", "std"]))
    elif difficulty == 2:
        leaky = rng.random() < 0.5
        params.update(mode=rng.choice(["fan_in", "fan_out"]),
                      nonlinearity="leaky_relu" if leaky else "relu",
                      a=rng.choice(SLOPES) if leaky else None,
                      ask=rng.choice(["var", "std", "bound"]))
    else:
        style = rng.choice(["defaults", "resnet", "leaky"])
        params.update({"defaults": {"mode": "fan_in", "nonlinearity": "leaky_relu", "a": None},
                       "resnet": {"mode": "fan_out", "nonlinearity": "relu", "a": None},
                       "leaky": {"mode": rng.choice(["fan_in", "fan_out"]),
                                 "nonlinearity": "leaky_relu", "a": rng.choice(SLOPES)}}[style])
        params["ask"] = rng.choice(["var", "std", "bound"])
    return params


def _sample_conv(rng: random.Random, grouped: bool) -> dict:
    """Conv2d channels whose fan_in and fan_out differ (else the mode would not matter)."""
    while True:
        c_in, c_out = rng.choice(CONV_CHANNELS), rng.choice(CONV_CHANNELS)
        groups = rng.choice([1, 2, 4, 8]) if grouped else 1
        if c_in // groups != c_out:
            return {"layer": "conv2d", "n_in": c_in, "n_out": c_out,
                    "k": rng.choice(KERNELS[1:] if grouped else KERNELS), "groups": groups}


def _slope(params: dict) -> float:
    return 0.0 if params["a"] is None else params["a"]


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    shape = weight_shape(params)
    args = (shape, _slope(params), params["mode"], params["nonlinearity"])
    if params["ask"] == "bound":
        return init.kaiming_uniform_bound(*args)
    std = init.kaiming_std(*args)
    return std**2 if params["ask"] == "var" else std


def oracle(params: dict) -> float:
    """torch.nn.init's own fan function and calculate_gain on the layer torch allocates."""
    if params["layer"] == "linear":
        weight = torch.nn.Linear(params["n_in"], params["n_out"], device="meta").weight
    else:
        weight = torch.nn.Conv2d(params["n_in"], params["n_out"], params["k"],
                                 groups=params["groups"], device="meta").weight
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(weight)
    fan = fan_in if params["mode"] == "fan_in" else fan_out
    gain = torch.nn.init.calculate_gain(params["nonlinearity"], _slope(params))
    std = gain / math.sqrt(fan)
    return {"var": std**2, "std": std, "bound": math.sqrt(3.0) * std}[params["ask"]]


def _fans(params: dict, receptive_field: bool = True, groups: bool = True) -> tuple[int, int]:
    if params["layer"] == "linear":
        return params["n_in"], params["n_out"]
    r = params["k"] ** 2 if receptive_field else 1
    g = params["groups"] if groups else 1
    return params["n_in"] // g * r, params["n_out"] * r


def closed_form(params: dict) -> sp.Expr:
    """He et al. (2015), eq. 10 (mode fan_in) or 14 (fan_out), with the leaky-ReLU gain."""
    if params.get("formula"):
        return _formula_value(params)
    fan_in, fan_out = _fans(params)
    fan = sp.Integer(fan_in if params["mode"] == "fan_in" else fan_out)
    if params["nonlinearity"] == "relu":
        gain_sq = sp.Integer(2)
    else:
        gain_sq = 2 / (1 + sp.Rational(str(_slope(params))) ** 2)
    var = gain_sq / fan
    return {"var": var, "std": sp.sqrt(var), "bound": sp.sqrt(3 * var)}[params["ask"]]


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 6)


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def tolerance(params: dict) -> dict:
    # Tight enough that the leaky slope 0.01 vs 0 (1e-4 relative in the variance) is a mistake.
    return {"rtol": 1e-5, "atol": 0.0}


def _call(params: dict) -> str:
    fn = "kaiming_uniform_" if params["ask"] == "bound" else "kaiming_normal_"
    args = ["w"]
    if params["a"] is not None:
        args.append(f"a={params['a']}")
    if params["mode"] == "fan_out":
        args.append("mode='fan_out'")
    if params["nonlinearity"] != "leaky_relu":
        args.append(f"nonlinearity='{params['nonlinearity']}'")
    return f"torch.nn.init.{fn}({', '.join(args)})"


def _layer_text(params: dict, lang: str) -> str:
    n_in, n_out = params["n_in"], params["n_out"]
    if params["layer"] == "linear":
        return (f"全连接层 nn.Linear({n_in}, {n_out})" if lang == "zh"
                else f"a fully connected layer nn.Linear({n_in}, {n_out})")
    k, groups = params["k"], params["groups"]
    call = f"nn.Conv2d({n_in}, {n_out}, kernel_size={k}" + (
        f", groups={groups})" if groups > 1 else ")")
    return f"卷积层 {call}" if lang == "zh" else f"a convolution {call}"


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    layer, call = _layer_text(params, lang), _call(params)
    ask = params["ask"]
    if lang == "zh":
        dist = drawn_from(ask, "b", lang)
        what = wanted(ask, "b", lang)
        return (f"{layer} 的权重 w 用 {call} 初始化（从{dist} 中采样；未写出的参数取 PyTorch 的默认值，"
                f"fan 按 torch.nn.init 的规则从权重形状计算）。求{what}"
                f"（保留 6 位有效数字，相对误差不超过 $10^{{-5}}$）。")
    dist = drawn_from(ask, "b", lang)
    what = wanted(ask, "b", lang)
    return (f"The weight w of {layer} is initialized with {call}, drawing from {dist} "
            f"(arguments not shown take PyTorch's defaults; the fans come from the weight's "
            f"shape as torch.nn.init computes them). Compute {what} to 6 significant figures "
            f"(relative error at most $10^{{-5}}$).")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    zh = lang == "zh"
    shape = weight_shape(params)
    fan_in, fan_out = init.fan_in_and_fan_out(shape)
    fan = fan_in if params["mode"] == "fan_in" else fan_out
    shape_tex = "(" + ", ".join(map(str, shape)) + ")"
    slope = _slope(params)
    gain = init.calculate_gain(params["nonlinearity"], slope)
    if params["layer"] == "conv2d":
        k, g = params["k"], params["groups"]
        channels_in = f"{params['n_in']}/{g}" if g > 1 else f"{params['n_in']}"
        fans = (f"${FAN_IN} = {channels_in} \\cdot {k} \\cdot {k} = {fan_in}$, "
                f"${FAN_OUT} = {params['n_out']} \\cdot {k} \\cdot {k} = {fan_out}$")
    else:
        fans = f"${FAN_IN} = {fan_in}$, ${FAN_OUT} = {fan_out}$"
    if params["nonlinearity"] == "relu":
        gain_line = ("ReLU 的增益 $\\mathrm{gain} = \\sqrt{2}$" if zh
                     else "ReLU's gain is $\\mathrm{gain} = \\sqrt{2}$")
    else:
        default = " (a = 0, torch.nn.init's default)" if params["a"] is None else ""
        if zh:
            default = "（a 取 kaiming 初始化的默认值 0）" if params["a"] is None else ""
        gain_line = ((f"leaky ReLU 的增益{default}：" if zh else f"The leaky ReLU gain{default}: ")
                     + f"$\\mathrm{{gain}} = \\sqrt{{\\frac{{2}}{{1 + {num(slope)}^2}}}} = "
                       f"{num(gain, 8)}$")
    std = gain / math.sqrt(fan)
    mode_tex = FAN_IN if params["mode"] == "fan_in" else FAN_OUT
    lines = [
        (f"权重形状为 ${shape_tex}$：" if zh else f"The weight has shape ${shape_tex}$: ") + fans,
        gain_line,
        (f"mode='{params['mode']}'：" if zh else f"mode='{params['mode']}': ")
        + f"$\\sigma = \\frac{{\\mathrm{{gain}}}}{{\\sqrt{{{mode_tex}}}}} = "
          f"\\frac{{{num(gain, 8)}}}{{\\sqrt{{{fan}}}}} = {num(std, 8)}$",
    ]
    if params["ask"] == "var":
        lines.append(f"$\\sigma^2 = \\frac{{\\mathrm{{gain}}^2}}{{{fan}}} = {answer_tex(params)}$")
    elif params["ask"] == "bound":
        lines.append(f"$b = \\sqrt{{3}} \\cdot \\sigma = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ") + f"${SYMBOL[params['ask']]} = "
                    f"{answer_tex(params)}$"]


FEEDBACK = {
    "fan_swapped": {
        "en": "mode picks the fan: 'fan_in' (the default) keeps the forward pass's variance, "
              "'fan_out' the backward pass's; you used the other one.",
        "zh": "mode 决定用哪个 fan：'fan_in'（默认）保持前向传播的方差，'fan_out' 保持反向传播的方差；"
              "你用了另一个。",
    },
    "gain_not_squared": {
        "en": "The variance is gain^2 / fan (the std is gain / sqrt(fan)); you used the gain "
              "unsquared.",
        "zh": "方差是 gain^2 / fan（标准差是 gain / sqrt(fan)）；你没有把增益平方。",
    },
    "no_gain": {
        "en": "1/fan is LeCun's initialization; He's adds the gain, 2/fan for ReLU, to make up "
              "for the half of the signal ReLU zeroes.",
        "zh": "1/fan 是 LeCun 初始化；He 初始化还要乘以增益（ReLU 为 2/fan），以补偿 ReLU 置零的那一半信号。",
    },
    "default_slope_0_01": {
        "en": "kaiming_normal_/kaiming_uniform_ default to a = 0, so the leaky ReLU gain is "
              "sqrt(2); 0.01 is only calculate_gain('leaky_relu')'s own default.",
        "zh": "kaiming_normal_/kaiming_uniform_ 的默认 a = 0，所以 leaky ReLU 的增益是 sqrt(2)；"
              "0.01 只是单独调用 calculate_gain('leaky_relu') 时的默认值。",
    },
    "slope_ignored": {
        "en": "With negative slope a the gain is sqrt(2 / (1 + a^2)), not ReLU's sqrt(2).",
        "zh": "负半轴斜率为 a 时增益是 sqrt(2 / (1 + a^2))，而不是 ReLU 的 sqrt(2)。",
    },
    "no_receptive_field": {
        "en": "For a convolution the fans include the kernel area: fan_in = C_in/groups * k * k, "
              "fan_out = C_out * k * k.",
        "zh": "卷积层的 fan 要乘以卷积核面积：fan_in = C_in/groups * k * k，fan_out = C_out * k * k。",
    },
    "groups_ignored": {
        "en": "A grouped convolution's weight has C_in/groups input channels, so fan_in is "
              "divided by groups (fan_out is not).",
        "zh": "分组卷积的权重只有 C_in/groups 个输入通道，所以 fan_in 要除以 groups（fan_out 不除）。",
    },
    "slope_not_squared": {
        "en": "The leaky-ReLU gain is sqrt(2 / (1 + a^2)): the slope enters squared, because "
              "the negative half of the signal is scaled by a and its variance by a^2.",
        "zh": "leaky ReLU 的增益是 sqrt(2 / (1 + a^2))：斜率要平方，因为负半轴的信号乘以 a，"
              "方差就乘以 a^2。",
    },
    "std_for_variance": {
        "en": "That is the standard deviation; the variance is its square.",
        "zh": "这是标准差；方差是它的平方。",
    },
    "variance_for_std": {
        "en": "That is the variance; the standard deviation is its square root (torch's "
              "normal_ takes the std).",
        "zh": "这是方差；标准差是它的平方根（torch 的 normal_ 接收的是标准差）。",
    },
    "bound_without_sqrt3": {
        "en": "U(-b, b) has variance b^2 / 3, so the bound is sqrt(3) times the std.",
        "zh": "U(-b, b) 的方差是 b^2 / 3，所以边界是标准差的 sqrt(3) 倍。",
    },
}


def _as_asked(variance: float, ask: str) -> float:
    return {"var": variance, "std": math.sqrt(variance), "bound": math.sqrt(3 * variance)}[ask]


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    ask, mode = params["ask"], params["mode"]
    gain = init.calculate_gain(params["nonlinearity"], _slope(params))
    fan_in, fan_out = _fans(params)
    fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    variance = gain**2 / fan
    found = [("fan_swapped", _as_asked(gain**2 / other, ask)),
             ("gain_not_squared", _as_asked(gain / fan, ask)),
             ("no_gain", _as_asked(1 / fan, ask))]
    if params["nonlinearity"] == "leaky_relu":
        if params["a"] is None:
            found.append(("default_slope_0_01", _as_asked(2 / (1 + 0.01**2) / fan, ask)))
        else:
            found.append(("slope_ignored", _as_asked(2 / fan, ask)))
    if params["layer"] == "conv2d" and params["k"] > 1:
        fi, fo = _fans(params, receptive_field=False)
        found.append(("no_receptive_field", _as_asked(gain**2 / (fi if mode == "fan_in" else fo),
                                                      ask)))
    if params["layer"] == "conv2d" and params["groups"] > 1 and mode == "fan_in":
        fi, _ = _fans(params, groups=False)
        found.append(("groups_ignored", _as_asked(gain**2 / fi, ask)))
    found.append({"var": ("std_for_variance", math.sqrt(variance)),
                  "std": ("variance_for_std", variance),
                  "bound": ("bound_without_sqrt3", math.sqrt(variance))}[ask])
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: leaky-ReLU Kaiming init in the fans and the slope a -------------------
FORMULA_VARIABLES = ["fan_in:positive", "fan_out:positive", "a:nonnegative"]
REFERENCE_DOMAINS = {"fan_in": "positive_integer", "fan_out": "positive_integer"}  # a shape
FI, FO, A = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {FI: FAN_IN, FO: FAN_OUT}


def _fan_symbols(params: dict) -> tuple[sp.Symbol, sp.Symbol]:
    """(the fan the mode picks, the other one)."""
    return (FI, FO) if params["mode"] == "fan_in" else (FO, FI)


def _formula_value(params: dict) -> sp.Expr:
    fan, _ = _fan_symbols(params)
    return exact_as_asked(2 / ((1 + A**2) * fan), params["ask"])


def evaluate(params: dict, values: dict) -> float:
    """reference.nn.init's Kaiming calculation for a Linear weight (fan_out, fan_in)."""
    args = ((int(values["fan_out"]), int(values["fan_in"])), values["a"], params["mode"],
            "leaky_relu")
    if params["ask"] == "bound":
        return init.kaiming_uniform_bound(*args)
    std = init.kaiming_std(*args)
    return std**2 if params["ask"] == "var" else std


def _formula_call(params: dict) -> str:
    fn = "kaiming_uniform_" if params["ask"] == "bound" else "kaiming_normal_"
    mode = ", mode='fan_out'" if params["mode"] == "fan_out" else ""
    return f"torch.nn.init.{fn}(w, a=a{mode}, nonlinearity='leaky_relu')"


def _formula_prompt(params: dict, lang: str) -> str:
    ask, call = params["ask"], _formula_call(params)
    if lang == "zh":
        dist = drawn_from(ask, "b", lang)
        what = wanted(ask, "b", lang)
        return (f"某层权重 w 的扇入为 ${FAN_IN}$、扇出为 ${FAN_OUT}$，用 {call} 初始化"
                f"（从{dist}中采样，$a \\ge 0$ 为 leaky ReLU 负半轴的斜率）。按 torch.nn.init 的约定"
                f"（He et al., 2015），写出{what}关于扇入、扇出和 $a$ 的表达式，变量输入为 "
                f"fan_in、fan_out、a。")
    dist = drawn_from(ask, "b", lang)
    what = wanted(ask, "b", lang)
    return (f"The weight w of a layer with fan-in ${FAN_IN}$ and fan-out ${FAN_OUT}$ is "
            f"initialized with {call}, drawing from {dist}; $a \\ge 0$ is the leaky ReLU's "
            f"negative slope. Following torch.nn.init's convention (He et al., 2015), give "
            f"{what} as an expression in the fans and $a$; type them as fan_in, fan_out and a.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    fan, _ = _fan_symbols(params)
    variance = _formula.latex(2 / ((1 + A**2) * fan), NAMES)
    mode_tex = NAMES[fan]
    lines = [
        ("leaky ReLU 的增益：" if zh else "The leaky ReLU gain: ")
        + "$\\mathrm{gain} = \\sqrt{\\frac{2}{1 + a^2}}$",
        (f"mode='{params['mode']}' 取 ${mode_tex}$：" if zh
         else f"mode='{params['mode']}' uses ${mode_tex}$: ")
        + f"$\\sigma = \\frac{{\\mathrm{{gain}}}}{{\\sqrt{{{mode_tex}}}}}$, "
          f"$\\sigma^2 = {variance}$",
    ]
    if params["ask"] == "std":
        lines.append(f"$\\sigma = {answer_tex(params)}$")
    elif params["ask"] == "bound":
        lines.append(f"$b = \\sqrt{{3}} \\cdot \\sigma = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ")
                    + f"${SYMBOL[params['ask']]} = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    ask = params["ask"]
    fan, other = _fan_symbols(params)
    gain_sq = 2 / (1 + A**2)
    found = [("fan_swapped", exact_as_asked(gain_sq / other, ask)),
             ("gain_not_squared", exact_as_asked(sp.sqrt(gain_sq) / fan, ask)),
             ("no_gain", exact_as_asked(1 / fan, ask)),
             ("slope_ignored", exact_as_asked(2 / fan, ask)),
             ("slope_not_squared", exact_as_asked(2 / ((1 + A) * fan), ask))]
    variance = gain_sq / fan
    found.append({"var": ("std_for_variance", sp.sqrt(variance)),
                  "std": ("variance_for_std", variance),
                  "bound": ("bound_without_sqrt3", sp.sqrt(variance))}[ask])
    return found
