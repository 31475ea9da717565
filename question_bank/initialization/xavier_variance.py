r"""Xavier/Glorot initialization of a Linear or Conv2d weight, with torch.nn.init's fans.

Difficulty 1: a Linear layer, gain 1, ask the variance or the std of ``xavier_normal_``.
2: a Linear or Conv2d layer, gain 1, 5/3 (tanh) or sqrt(2) (relu) given by value, ask the
variance, the std or the bound a of ``xavier_uniform_`` (U(-a, a)). 3: a Conv2d layer, possibly
grouped or depthwise, the gain named only through ``calculate_gain``; or, half the time, the
variance, std or bound as a formula in fan_in, fan_out and gain.

The convention stated to the student is Glorot & Bengio (2010) as torch.nn.init implements it:
Var(W) = gain^2 * 2 / (fan_in + fan_out), with fan_in = in_channels/groups * k*k and
fan_out = out_channels * k*k (groups divide fan_in only), and a = sqrt(3) * std. The seed notes'
N(0, 1/n_in) is LeCun's initialization (conventions.md section 8); it is a named mistake here.
"""

from __future__ import annotations

import math
import random

import sympy as sp

from question_bank import _formula
from question_bank._format import num
from question_bank.initialization._wording import drawn_from, wanted
from quizgen.model import Mistake
from reference.nn import init

ID = "initialization.xavier_variance"
TOPIC = "initialization"
TITLE = {"en": "Xavier/Glorot initialization", "zh": "Xavier/Glorot 初始化"}
KIND = "number"

LINEAR_SIZES = (10, 16, 32, 64, 100, 128, 200, 256, 300, 400, 500, 512, 784, 1000, 1024)
CONV_IN = (1, 3, 16, 32, 64, 128)
CONV_OUT = (16, 32, 64, 128, 256)
KERNELS = (3, 5, 7)
GAIN_EXACT = {"linear": sp.Integer(1), "tanh": sp.Rational(5, 3), "relu": sp.sqrt(2)}
GAIN_TEX = {"linear": "1", "tanh": r"\frac{5}{3}", "relu": r"\sqrt{2}"}

FAN_IN = r"\mathrm{fan}_{\mathrm{in}}"
FAN_OUT = r"\mathrm{fan}_{\mathrm{out}}"
# The convention, word for word in both languages' prompts (the tests look for it).
CONVENTION = (rf"\operatorname{{Var}}(W) = \mathrm{{gain}}^2 \cdot "
              rf"\frac{{2}}{{{FAN_IN} + {FAN_OUT}}}")
CONV_SHAPE = r"(C_{\mathrm{out}}, C_{\mathrm{in}}/\mathrm{groups}, k, k)"
SYMBOL = {"var": r"\sigma^2", "std": r"\sigma", "bound": "a"}


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "ask": rng.choice(["var", "std", "bound"])}
    layer = {1: "linear", 2: rng.choice(["linear", "conv2d"]), 3: "conv2d"}[difficulty]
    if layer == "linear":
        n_in, n_out = rng.sample(LINEAR_SIZES, 2)
        params = {"layer": "linear", "n_in": n_in, "n_out": n_out}
    else:
        params = _sample_conv(rng, grouped=difficulty == 3)
    if difficulty == 1:
        params.update(nonlinearity="linear", ask=rng.choice(["var", "std"]), gain_given=True)
    elif difficulty == 2:
        params.update(nonlinearity=rng.choice(["linear", "tanh", "relu"]),
                      ask=rng.choice(["var", "std", "bound"]), gain_given=True)
    else:
        params.update(nonlinearity=rng.choice(["tanh", "relu"]),
                      ask=rng.choice(["var", "std", "bound"]), gain_given=False)
    return params


def _sample_conv(rng: random.Random, grouped: bool) -> dict:
    """Conv2d channels whose fan_in and fan_out differ (else Xavier equals LeCun)."""
    while True:
        k = rng.choice(KERNELS)
        style = rng.choice(["plain", "grouped", "grouped", "depthwise"]) if grouped else "plain"
        if style == "depthwise":
            c_in = rng.choice([16, 32, 64])
            c_out, groups = c_in * rng.choice([1, 2]), c_in
        elif style == "grouped":
            c_in, c_out = rng.choice(CONV_OUT), rng.choice(CONV_OUT)
            groups = rng.choice([2, 4, 8])
        else:
            c_in, c_out, groups = rng.choice(CONV_IN), rng.choice(CONV_OUT), 1
        if c_in // groups != c_out:
            return {"layer": "conv2d", "n_in": c_in, "n_out": c_out, "k": k, "groups": groups}


def weight_shape(params: dict) -> tuple[int, ...]:
    """torch's weight layout: (out, in) for Linear, (out, in/groups, k, k) for Conv2d."""
    if params["layer"] == "linear":
        return (params["n_out"], params["n_in"])
    k = params["k"]
    return (params["n_out"], params["n_in"] // params["groups"], k, k)


def answer(params: dict) -> float:
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    shape, gain = weight_shape(params), init.calculate_gain(params["nonlinearity"])
    if params["ask"] == "bound":
        return init.xavier_uniform_bound(shape, gain)
    std = init.xavier_std(shape, gain)
    return std**2 if params["ask"] == "var" else std


def closed_form(params: dict) -> sp.Expr:
    """Glorot & Bengio (2010), eq. 16 with a gain, from the layer's sizes in exact arithmetic."""
    if params.get("formula"):
        return _formula_value(params)
    n_in, n_out = sp.Integer(params["n_in"]), sp.Integer(params["n_out"])
    if params["layer"] == "conv2d":
        receptive_field = sp.Integer(params["k"]) ** 2
        fan_in, fan_out = n_in / params["groups"] * receptive_field, n_out * receptive_field
    else:
        fan_in, fan_out = n_in, n_out
    variance = GAIN_EXACT[params["nonlinearity"]] ** 2 * 2 / (fan_in + fan_out)
    # U(-a, a) has variance a^2 / 3.
    return {"var": variance, "std": sp.sqrt(variance), "bound": sp.sqrt(3 * variance)}[
        params["ask"]]


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    return num(answer(params), 6)


def _layer_text(params: dict, lang: str) -> str:
    n_in, n_out = params["n_in"], params["n_out"]
    if params["layer"] == "linear":
        shape = f"$({n_out}, {n_in})$"
        if lang == "zh":
            return f"全连接层 nn.Linear({n_in}, {n_out})（权重形状为 {shape}）"
        return f"a fully connected layer nn.Linear({n_in}, {n_out}) (weight of shape {shape})"
    k, groups = params["k"], params["groups"]
    call = f"nn.Conv2d({n_in}, {n_out}, kernel_size={k}" + (
        f", groups={groups})" if groups > 1 else ")")
    return f"卷积层 {call}" if lang == "zh" else f"a convolution {call}"


def _fans_text(params: dict, lang: str) -> str:
    if params["layer"] == "linear":
        return (f"全连接层的权重形状为 (out, in)，${FAN_IN} = \\mathrm{{in}}$，"
                f"${FAN_OUT} = \\mathrm{{out}}$" if lang == "zh"
                else f"for a Linear weight of shape (out, in), ${FAN_IN} = \\mathrm{{in}}$ and "
                f"${FAN_OUT} = \\mathrm{{out}}$")
    fans = (f"${FAN_IN} = \\frac{{C_{{\\mathrm{{in}}}}}}{{\\mathrm{{groups}}}} \\cdot k \\cdot k$"
            f"{'，' if lang == 'zh' else ' and '}"
            f"${FAN_OUT} = C_{{\\mathrm{{out}}}} \\cdot k \\cdot k$")
    if lang == "zh":
        return f"卷积权重形状为 ${CONV_SHAPE}$，{fans}"
    return f"for a conv weight of shape ${CONV_SHAPE}$, {fans}"


def _gain_text(params: dict, lang: str) -> str:
    name = params["nonlinearity"]
    if name == "linear":
        return "增益 $\\mathrm{gain} = 1$" if lang == "zh" else "$\\mathrm{gain} = 1$"
    value = f" $= {GAIN_TEX[name]}$" if params["gain_given"] else ""
    head = "增益取" if lang == "zh" else "the gain"
    return f"{head} calculate_gain('{name}'){value}"


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    ask, layer, gain = params["ask"], _layer_text(params, lang), _gain_text(params, lang)
    uniform = ask == "bound"
    if lang == "zh":
        how = ("torch.nn.init.xavier_uniform_ 初始化，即从均匀分布 $U(-a, a)$ 中采样" if uniform
               else "torch.nn.init.xavier_normal_ 初始化，即从正态分布 $N(0, \\sigma^2)$ 中采样")
        what = wanted(ask, "a", lang)
        return (
            f"{layer}{'' if layer.endswith('）') else ' '}的权重用 {how}，{gain}。"
            f"采用 torch.nn.init 的约定（Glorot & Bengio, 2010）：${CONVENTION}$，"
            f"其中{_fans_text(params, lang)}。"
            f"求{what}（相对误差不超过 $10^{{-4}}$）。"
        )
    how = ("torch.nn.init.xavier_uniform_, which draws them from $U(-a, a)$" if uniform
           else "torch.nn.init.xavier_normal_, which draws them from $N(0, \\sigma^2)$")
    what = wanted(ask, "a", lang)
    return (
        f"The weights of {layer} are initialized with {how}, using {gain}. "
        f"Use torch.nn.init's convention (Glorot & Bengio, 2010): ${CONVENTION}$, where "
        f"{_fans_text(params, lang)}. Compute {what} (to a relative error of $10^{{-4}}$)."
    )


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    shape = weight_shape(params)
    fan_in, fan_out = init.fan_in_and_fan_out(shape)
    gain_value = init.calculate_gain(params["nonlinearity"])
    std = init.xavier_std(shape, gain_value)
    zh = lang == "zh"
    comma = "，" if zh else ", "
    shape_tex = "(" + ", ".join(map(str, shape)) + ")"
    if params["layer"] == "conv2d":
        k, groups = params["k"], params["groups"]
        channels_in = f"{params['n_in']}/{groups}" if groups > 1 else f"{params['n_in']}"
        fans = (f"${FAN_IN} = {channels_in} \\cdot {k} \\cdot {k} = {fan_in}${comma}"
                f"${FAN_OUT} = {params['n_out']} \\cdot {k} \\cdot {k} = {fan_out}$")
    else:
        fans = f"${FAN_IN} = {fan_in}${comma}${FAN_OUT} = {fan_out}$"
    gain_tex = GAIN_TEX[params["nonlinearity"]]
    variance_exact = GAIN_EXACT[params["nonlinearity"]] ** 2 * sp.Rational(2, fan_in + fan_out)
    lines = [
        (f"权重形状为 ${shape_tex}$，于是 " if zh else f"The weight has shape ${shape_tex}$, so ")
        + fans,
        (f"增益 calculate_gain('{params['nonlinearity']}') $= {gain_tex}$" if zh
         else f"The gain calculate_gain('{params['nonlinearity']}') is ${gain_tex}$"),
        f"$\\sigma^2 = \\left({gain_tex}\\right)^2 \\cdot \\frac{{2}}{{{fan_in} + {fan_out}}} "
        f"= {sp.latex(variance_exact)} \\approx {num(std**2, 6)}$",
    ]
    if params["ask"] == "std":
        lines.append(f"$\\sigma = \\sqrt{{\\sigma^2}} = {sp.latex(sp.sqrt(variance_exact))} "
                     f"\\approx {num(std, 6)}$")
    if params["ask"] == "bound":
        lines.append(
            ("$U(-a, a)$ 的方差为 $a^2/3$，故 " if zh else "$U(-a, a)$ has variance $a^2/3$, so ")
            + f"$a = \\sqrt{{3 \\sigma^2}} = {sp.latex(sp.sqrt(3 * variance_exact))} "
            f"\\approx {answer_tex(params)}$")
    answer_line = "答案：" if zh else "Answer: "
    return lines + [answer_line + f"${SYMBOL[params['ask']]} = {answer_tex(params)}$"]


def _fans(params: dict, receptive_field: bool = True, groups_in: bool = True,
          groups_out: bool = False) -> tuple[int, int]:
    """fan_in, fan_out computed right, or with one of the usual slips for a conv weight."""
    if params["layer"] == "linear":
        return params["n_in"], params["n_out"]
    rf = params["k"] ** 2 if receptive_field else 1
    groups = params["groups"]
    fan_in = params["n_in"] // (groups if groups_in else 1) * rf
    fan_out = params["n_out"] // (groups if groups_out else 1) * rf
    return fan_in, fan_out


def _as_asked(variance: float, ask: str) -> float:
    """Report a variance as the quantity asked, the right way."""
    return {"var": variance, "std": math.sqrt(variance), "bound": math.sqrt(3 * variance)}[ask]


FEEDBACK = {
    "fan_in_only": {
        "en": "You used Var = gain^2 / fan_in, which is LeCun's initialization; Xavier averages "
              "the two fans: Var = gain^2 * 2 / (fan_in + fan_out).",
        "zh": "你用了 Var = gain^2 / fan_in，这是 LeCun 初始化；Xavier 同时考虑扇入和扇出："
              "Var = gain^2 * 2 / (fan_in + fan_out)。",
    },
    "uniform_heuristic": {
        "en": "You used U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the old heuristic Glorot & Bengio "
              "argue against (and nn.Linear's default init), whose variance is 1/(3 fan_in); "
              "Xavier's variance is gain^2 * 2 / (fan_in + fan_out).",
        "zh": "你用了 U(-1/sqrt(fan_in), 1/sqrt(fan_in))，这是 Glorot 和 Bengio 批评的旧启发式"
              "（也是 nn.Linear 的默认初始化），方差为 1/(3 fan_in)；Xavier 的方差是 "
              "gain^2 * 2 / (fan_in + fan_out)。",
    },
    "no_receptive_field": {
        "en": "You counted channels only; for a convolution each fan is multiplied by the "
              "receptive field k*k.",
        "zh": "你只数了通道数；卷积层的 fan_in 和 fan_out 都要乘上感受野大小 k*k。",
    },
    "groups_ignored": {
        "en": "You ignored groups: each output channel only sees in_channels/groups input "
              "channels, so fan_in = in_channels/groups * k*k.",
        "zh": "你忽略了 groups：每个输出通道只连接 in_channels/groups 个输入通道，"
              "所以 fan_in = in_channels/groups * k*k。",
    },
    "fan_out_divided_by_groups": {
        "en": "torch divides only fan_in by groups; fan_out = out_channels * k*k is computed "
              "from the weight's first dimension as it is.",
        "zh": "torch 只把 fan_in 除以 groups；fan_out = out_channels * k*k，直接取自权重的第一维。",
    },
    "gain_not_squared": {
        "en": "The gain scales the standard deviation, so the variance gets gain squared, "
              "not gain.",
        "zh": "增益乘在标准差上，所以方差要乘 gain 的平方，而不是 gain 本身。",
    },
    "gain_omitted": {
        "en": "You left out the gain; torch multiplies the standard deviation by "
              "calculate_gain(nonlinearity).",
        "zh": "你漏掉了增益；torch 会把标准差乘上 calculate_gain(nonlinearity)。",
    },
    "std_for_variance": {
        "en": "You gave the standard deviation; the question asks for the variance sigma^2.",
        "zh": "你给出的是标准差；题目问的是方差 sigma^2。",
    },
    "variance_for_std": {
        "en": "You gave the variance; the standard deviation is its square root.",
        "zh": "你给出的是方差；标准差是它的平方根。",
    },
    "bound_without_sqrt3": {
        "en": "You gave the standard deviation as the bound; U(-a, a) has variance a^2/3, "
              "so a = sqrt(3) * sigma.",
        "zh": "你把标准差当成了边界；U(-a, a) 的方差是 a^2/3，所以 a = sqrt(3) * sigma。",
    },
    "uniform_variance_a2_over_12": {
        "en": "You used Var = a^2/12, the variance of an interval of width a; U(-a, a) has "
              "width 2a and variance a^2/3.",
        "zh": "你用了 Var = a^2/12，那是宽度为 a 的区间的方差；"
              "U(-a, a) 的宽度是 2a，方差为 a^2/3。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    gain = init.calculate_gain(params["nonlinearity"])
    ask = params["ask"]
    fan_in, fan_out = _fans(params)
    variance = gain**2 * 2 / (fan_in + fan_out)
    found = [("fan_in_only", _as_asked(gain**2 / fan_in, ask)),
             ("uniform_heuristic", _as_asked(1 / (3 * fan_in), ask))]
    if params["layer"] == "conv2d":
        fi, fo = _fans(params, receptive_field=False)
        found.append(("no_receptive_field", _as_asked(gain**2 * 2 / (fi + fo), ask)))
        slips = []
        if params["groups"] > 1:
            slips.append(("groups_ignored", {"groups_in": False}))
            # With in == out channels this slip gives fan_in == fan_out: LeCun's value again.
            if params["n_in"] != params["n_out"]:
                slips.append(("fan_out_divided_by_groups", {"groups_out": True}))
        for name, slip in slips:
            fi, fo = _fans(params, **slip)
            found.append((name, _as_asked(gain**2 * 2 / (fi + fo), ask)))
    if gain != 1.0:
        found.append(("gain_not_squared", _as_asked(gain * 2 / (fan_in + fan_out), ask)))
        found.append(("gain_omitted", _as_asked(2 / (fan_in + fan_out), ask)))
    if ask == "var":
        found.append(("std_for_variance", math.sqrt(variance)))
    elif ask == "std":
        found.append(("variance_for_std", variance))
    else:
        found.append(("bound_without_sqrt3", math.sqrt(variance)))
        found.append(("uniform_variance_a2_over_12", math.sqrt(12 * variance)))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]



# -- the formula variant: sigma^2, sigma or a in fan_in, fan_out and gain -----------------------
FORMULA_VARIABLES = ["fan_in:positive", "fan_out:positive", "gain:positive"]
REFERENCE_DOMAINS = {"fan_in": "positive_integer", "fan_out": "positive_integer"}  # a shape
FI, FO, GAIN = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {FI: FAN_IN, FO: FAN_OUT, GAIN: r"\mathrm{gain}"}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def exact_as_asked(variance: sp.Expr, ask: str) -> sp.Expr:
    """A variance in SymPy reported as the quantity asked: itself, its root, or sqrt(3) times."""
    return {"var": variance, "std": sp.sqrt(variance), "bound": sp.sqrt(3 * variance)}[ask]


def _formula_value(params: dict) -> sp.Expr:
    return exact_as_asked(2 * GAIN**2 / (FI + FO), params["ask"])


def evaluate(params: dict, values: dict) -> float:
    """torch.nn.init's calculation (reference.nn.init) for a Linear weight (fan_out, fan_in)."""
    shape, gain = (int(values["fan_out"]), int(values["fan_in"])), values["gain"]
    if params["ask"] == "bound":
        return init.xavier_uniform_bound(shape, gain)
    std = init.xavier_std(shape, gain)
    return std**2 if params["ask"] == "var" else std


def _formula_prompt(params: dict, lang: str) -> str:
    ask = params["ask"]
    call = "xavier_uniform_" if ask == "bound" else "xavier_normal_"
    if lang == "zh":
        dist = drawn_from(ask, "a", lang)
        what = wanted(ask, "a", lang)
        return (f"某层的权重 w 用 torch.nn.init.{call}(w, gain=gain) 初始化（从{dist}中采样），"
                f"该层的扇入为 ${FAN_IN}$、扇出为 ${FAN_OUT}$。按 torch.nn.init 的约定"
                f"（Glorot & Bengio, 2010；增益乘在标准差上），写出{what}关于扇入、扇出和增益的"
                f"表达式，变量依次输入为 fan_in、fan_out、gain。")
    dist = drawn_from(ask, "a", lang)
    what = wanted(ask, "a", lang)
    return (f"The weight w of a layer with fan-in ${FAN_IN}$ and fan-out ${FAN_OUT}$ is "
            f"initialized with torch.nn.init.{call}(w, gain=gain), drawing from {dist}. "
            f"Following torch.nn.init's convention (Glorot & Bengio, 2010; the gain multiplies "
            f"the standard deviation), give {what} as an expression in the fans and the gain; "
            f"type them as fan_in, fan_out and gain.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    variance = _formula.latex(2 * GAIN**2 / (FI + FO), NAMES)
    lines = [
        ("Glorot 和 Bengio 让前向与反向传播的方差都大致保持不变，折中取 "
         if zh else "Glorot & Bengio keep the variance of both the forward and the backward "
         "pass roughly constant, which averages the two fans: ")
        + f"$\\operatorname{{Var}}(W) = \\frac{{2}}{{{FAN_IN} + {FAN_OUT}}}$",
        ("增益乘在标准差上，所以方差乘 $\\mathrm{gain}^2$：" if zh
         else "The gain multiplies the standard deviation, so the variance gets "
         "$\\mathrm{gain}^2$: ") + f"$\\sigma^2 = {variance}$",
    ]
    if params["ask"] == "std":
        lines.append(f"$\\sigma = \\sqrt{{\\sigma^2}} = {answer_tex(params)}$")
    elif params["ask"] == "bound":
        lines.append(("$U(-a, a)$ 的方差为 $a^2/3$，故 " if zh
                      else "$U(-a, a)$ has variance $a^2/3$, so ")
                     + f"$a = \\sqrt{{3 \\sigma^2}} = {answer_tex(params)}$")
    return lines + [("答案：" if zh else "Answer: ")
                    + f"${SYMBOL[params['ask']]} = {answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    ask = params["ask"]
    variance = 2 * GAIN**2 / (FI + FO)
    found = [("fan_in_only", exact_as_asked(GAIN**2 / FI, ask)),
             ("uniform_heuristic", exact_as_asked(1 / (3 * FI), ask)),
             ("gain_not_squared", exact_as_asked(2 * GAIN / (FI + FO), ask)),
             ("gain_omitted", exact_as_asked(2 / (FI + FO), ask))]
    if ask == "var":
        found.append(("std_for_variance", sp.sqrt(variance)))
    elif ask == "std":
        found.append(("variance_for_std", variance))
    else:
        found += [("bound_without_sqrt3", sp.sqrt(variance)),
                  ("uniform_variance_a2_over_12", sp.sqrt(12 * variance))]
    return found
