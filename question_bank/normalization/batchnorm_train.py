r"""One training-mode BatchNorm forward on a tiny batch: an output entry or the new running stats.

Difficulty 1: BatchNorm1d(1) on four values with the default state (gamma 1, beta 0,
running_mean 0, running_var 1); ask one normalized output or the new running_mean.
2: the same layer with given gamma, beta and running statistics; ask an output, the new
running_mean or the new running_var. 3: BatchNorm2d(2) on an input of shape (2, 2, 1, 2),
statistics per channel over (N, H, W), m = 4; ask an output or a channel's new running_var;
or (half the time) the difficulty-2 layer asked in parts: mu_B, sigma_B^2 from it, x-hat and y
for one sample, and both new running statistics, each from the earlier parts.

PyTorch's conventions: the batch is normalized with the biased variance (divide by m), the
running variance is updated with the unbiased one (divide by m - 1), and momentum = 0.1 is the
weight of the new batch statistic: running = 0.9 * running + 0.1 * batch. Answers come from
``reference.nn.batch_norm`` (training=True).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _parts
from question_bank._format import num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.nn import batch_norm

ID = "normalization.batchnorm_train"
TOPIC = "normalization"
TITLE = {"en": "BatchNorm in training mode", "zh": "训练模式下的 BatchNorm"}
KIND = "number"

EPS = 1e-5
MOMENTUM = 0.1
GAMMAS = (0.5, 1.5, 2.0, 2.5, 3.0)
BETAS = (-1.0, -0.5, 0.5, 1.0, 2.0)
RUNNING_MEANS = (-0.5, 0.2, 0.5, 1.0, 1.5)
RUNNING_VARS = (0.5, 0.8, 1.2, 2.0, 2.5)


def sample(rng: random.Random, difficulty: int) -> dict:
    if _parts.chosen(rng, difficulty):  # the one-feature layer with a given state, every value
        return {**sample(rng, 2), "ask": "output", "parts": True}
    two_d = difficulty == 3
    shape = [2, 2, 1, 2] if two_d else [4, 1]
    channels = shape[1]
    while True:
        x = [rng.randint(-4, 8) for _ in range(4 * channels)]
        per_channel = _channel_values(_nest(x, shape), shape)
        if all(_biased_var(v) >= 0.5 for v in per_channel):
            break
    params = {
        "shape": shape, "x": _nest(x, shape),
        "gamma": [1.0] * channels, "beta": [0.0] * channels,
        "running_mean": [0.0] * channels, "running_var": [1.0] * channels,
    }
    if difficulty > 1:
        params["gamma"] = [rng.choice(GAMMAS) for _ in range(channels)]
        params["beta"] = [rng.choice(BETAS) for _ in range(channels)]
        params["running_mean"] = [rng.choice(RUNNING_MEANS) for _ in range(channels)]
        params["running_var"] = [rng.choice(RUNNING_VARS) for _ in range(channels)]
    ask = {1: ["output", "running_mean"], 2: ["output", "running_mean", "running_var"],
           3: ["output", "running_var"]}[difficulty]
    params["ask"] = rng.choice(ask)
    params["channel"] = rng.randrange(channels)
    values = per_channel[params["channel"]]
    mean = sum(values) / len(values)
    # An output entry away from the mean (there every rule gives beta).
    candidates = [i for i, v in enumerate(values) if v != mean]
    params["index"] = rng.choice(candidates)
    return params


def _nest(flat: list, shape: list[int]) -> list:
    return torch.tensor(flat, dtype=torch.float64).reshape(shape).tolist()


def _channel_values(x: list, shape: list[int]) -> list[list[float]]:
    """Each channel's m values, in the order (n, h, w) the prompt lists them."""
    t = torch.tensor(x, dtype=torch.float64)
    t = t.reshape(shape[0], shape[1], -1).transpose(0, 1)
    return t.reshape(shape[1], -1).tolist()


def _biased_var(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def _tensor(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@per_variant
def run(params: dict):
    return batch_norm(_tensor(params["x"]), _tensor(params["running_mean"]),
                      _tensor(params["running_var"]), _tensor(params["gamma"]),
                      _tensor(params["beta"]), training=True, momentum=MOMENTUM, eps=EPS)


def _output_entry(output: torch.Tensor, params: dict) -> float:
    """The asked entry: value `index` of channel `channel` in (n, h, w) order."""
    per_channel = output.reshape(params["shape"][0], params["shape"][1], -1).transpose(0, 1)
    return per_channel.reshape(params["shape"][1], -1)[params["channel"], params["index"]].item()


def answer(params: dict) -> float:
    r = run(params)
    c = params["channel"]
    if params["ask"] == "output":
        return _output_entry(r.output, params)
    return (r.running_mean if params["ask"] == "running_mean" else r.running_var)[c].item()


def oracle(params: dict) -> float:
    """torch.nn.BatchNorm1d/2d itself: a training forward, then its buffers."""
    channels = params["shape"][1]
    layer_class = torch.nn.BatchNorm2d if len(params["shape"]) == 4 else torch.nn.BatchNorm1d
    layer = layer_class(channels, eps=EPS, momentum=MOMENTUM, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(_tensor(params["gamma"]))
        layer.bias.copy_(_tensor(params["beta"]))
        layer.running_mean.copy_(_tensor(params["running_mean"]))
        layer.running_var.copy_(_tensor(params["running_var"]))
    layer.train()
    with torch.no_grad():
        output = layer(_tensor(params["x"]))
    c = params["channel"]
    if params["ask"] == "output":
        return _output_entry(output, params)
    return (layer.running_mean if params["ask"] == "running_mean" else layer.running_var)[c].item()


def closed_form(params: dict) -> sp.Expr:
    """Ioffe & Szegedy's transform with torch's buffer update, in exact arithmetic."""
    q = sp.Rational
    c = params["channel"]
    values = [q(str(v)) for v in _channel_values(params["x"], params["shape"])[c]]
    m = len(values)
    mean = sum(values) / m
    var = sum((v - mean) ** 2 for v in values) / m
    momentum = q(str(MOMENTUM))
    if params["ask"] == "running_mean":
        return (1 - momentum) * q(str(params["running_mean"][c])) + momentum * mean
    if params["ask"] == "running_var":
        return (1 - momentum) * q(str(params["running_var"][c])) + momentum * var * m / (m - 1)
    gamma, beta = q(str(params["gamma"][c])), q(str(params["beta"][c]))
    return gamma * (values[params["index"]] - mean) / sp.sqrt(var + q(str(EPS))) + beta


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _layer(params: dict) -> str:
    return "BatchNorm2d(2)" if len(params["shape"]) == 4 else "BatchNorm1d(1)"


def _input_text(params: dict, lang: str) -> str:
    if len(params["shape"]) == 2:
        values = [v[0] for v in params["x"]]
        return (f"一个批次的 4 个样本（单个特征）$x = {row(values)}$" if lang == "zh"
                else f"a batch of 4 samples of one feature, $x = {row(values)}$")
    parts = []
    for n, sample_ in enumerate(params["x"]):
        for c, channel in enumerate(sample_):
            parts.append(f"样本 {n + 1} 通道 {c + 1}：${row(channel[0])}$" if lang == "zh"
                         else f"sample {n + 1}, channel {c + 1}: ${row(channel[0])}$")
    joined = "；".join(parts) if lang == "zh" else "; ".join(parts)
    return (f"一个形状为 $(N, C, H, W) = (2, 2, 1, 2)$ 的张量（每个通道的特征图是 $1 \\times 2$）：{joined}"
            if lang == "zh" else
            f"an input of shape $(N, C, H, W) = (2, 2, 1, 2)$ (each feature map is $1 \\times 2$): "
            f"{joined}")


def _state_text(params: dict, lang: str) -> str:
    one = len(params["gamma"]) == 1

    def show(key: str) -> str:
        values = params[key]
        return num(values[0]) if one else row(values)

    if params["gamma"] == [1.0] * len(params["gamma"]) and params["running_mean"] == [0.0] * len(
            params["gamma"]) and params["running_var"] == [1.0] * len(params["gamma"]):
        return ("层刚创建，参数和缓冲区都是默认值（$\\gamma = 1$，$\\beta = 0$，running_mean $= 0$，"
                "running_var $= 1$）" if lang == "zh" else
                "the layer is freshly created, with default parameters and buffers "
                "($\\gamma = 1$, $\\beta = 0$, running_mean $= 0$, running_var $= 1$)")
    per = "（按通道列出）" if not one and lang == "zh" else (" (per channel)" if not one else "")
    return ((f"当前状态{per}：$\\gamma = {show('gamma')}$，$\\beta = {show('beta')}$，"
             f"running_mean $= {show('running_mean')}$，running_var $= {show('running_var')}$")
            if lang == "zh" else
            f"its current state{per}: $\\gamma = {show('gamma')}$, $\\beta = {show('beta')}$, "
            f"running_mean $= {show('running_mean')}$, running_var $= {show('running_var')}$")


def _target(params: dict, lang: str) -> str:
    c, i = params["channel"], params["index"]
    two_d = len(params["shape"]) == 4
    if params["ask"] == "output":
        if two_d:
            n, w = divmod(i, 2)
            return (f"样本 {n + 1} 通道 {c + 1} 的第 {w + 1} 个输出值" if lang == "zh"
                    else f"the output at sample {n + 1}, channel {c + 1}, position {w + 1}")
        return (f"第 {i + 1} 个样本的输出 $y_{{{i + 1}}}$" if lang == "zh"
                else f"the output $y_{{{i + 1}}}$ for the {_ordinal(i + 1)} sample")
    buffer = params["ask"]
    where = (f"通道 {c + 1} 的" if lang == "zh" else f"channel {c + 1}'s ") if two_d else ""
    return (f"这次前向传播之后{where}新的 {buffer}" if lang == "zh"
            else f"the {where}new {buffer} after this forward pass")


def _ordinal(k: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}[k]


def prompt(params: dict, lang: str) -> str:
    layer, state = _layer(params), _state_text(params, lang)
    target = _target(params, lang)
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 6, lang)
    if lang == "zh":
        return (f"torch.nn.{layer}（eps $= 10^{{-5}}$，momentum $= 0.1$，即 PyTorch 的约定："
                f"新的批统计量权重为 0.1）处于训练模式，{state}。输入是{_input_text(params, lang)}。"
                f"求{target}（保留至少 6 位有效数字）。")
    return (f"A torch.nn.{layer} (eps $= 10^{{-5}}$, momentum $= 0.1$ in PyTorch's sense: the "
            f"new batch statistic gets weight 0.1) is in training mode; {state}. It receives "
            f"{_input_text(params, lang)}. Compute {target} (at least 6 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r = run(params)
    c, zh = params["channel"], lang == "zh"
    values = _channel_values(params["x"], params["shape"])[c]
    m = len(values)
    mean, var = r.mean[c].item(), r.var[c].item()
    squares = " + ".join(f"({num(v)} - {par(mean)})^2" for v in values)
    lines = [
        (f"通道 {c + 1} 的 $m = {m}$ 个值" if zh else f"Channel {c + 1}'s $m = {m}$ values")
        + f" ${row(values)}$: $\\mu_B = {num(mean, 8)}$",
        ("有偏方差（除以 $m$）用于归一化：" if zh else
         "The biased variance (divide by $m$) normalizes the batch: ")
        + f"$\\sigma_B^2 = \\frac{{{squares}}}{{{m}}} = {num(var, 8)}$",
    ]
    if params["ask"] == "output":
        x_i = values[params["index"]]
        gamma, beta = params["gamma"][c], params["beta"][c]
        lines.append(f"$y = {num(gamma)} \\cdot \\frac{{{num(x_i)} - {par(mean)}}}"
                     f"{{\\sqrt{{{num(var, 8)} + 10^{{-5}}}}}} + {par(beta)} = "
                     f"{answer_tex(params)}$")
    elif params["ask"] == "running_mean":
        lines.append(f"running_mean $= 0.9 \\cdot {par(params['running_mean'][c])} + 0.1 \\cdot "
                     f"{par(mean)} = {answer_tex(params)}$")
    else:
        unbiased = var * m / (m - 1)
        lines.append(("running_var 用无偏方差（除以 $m - 1$）：" if zh else
                      "running_var is updated with the unbiased variance (divide by $m - 1$): ")
                     + f"$\\frac{{{m}}}{{{m - 1}}} \\cdot {num(var, 8)} = {num(unbiased, 8)}$")
        lines.append(f"running_var $= 0.9 \\cdot {num(params['running_var'][c])} + 0.1 \\cdot "
                     f"{num(unbiased, 8)} = {answer_tex(params)}$")
    return lines


FEEDBACK = {
    "unbiased_normalization": {
        "en": "In training BatchNorm normalizes with the biased batch variance (divide by m); "
              "the unbiased variance (m - 1) is only used to update running_var.",
        "zh": "训练时 BatchNorm 用有偏的批方差（除以 m）做归一化；无偏方差（除以 m - 1）只用于更新 "
              "running_var。",
    },
    "running_stats_in_training": {
        "en": "In training mode the batch is normalized with its own mean and variance; the "
              "running statistics are only updated, and used in eval mode.",
        "zh": "训练模式下用当前批次自己的均值和方差做归一化；滑动统计量只在这里被更新，到评估模式才使用。",
    },
    "no_affine": {
        "en": "After normalizing, BatchNorm applies its affine transform: y = gamma * x_hat + "
              "beta.",
        "zh": "归一化之后还要做仿射变换：y = gamma * x_hat + beta。",
    },
    "stats_over_n_only": {
        "en": "BatchNorm2d takes each channel's statistics over the batch and every spatial "
              "position (N * H * W values), not over the batch alone at one position.",
        "zh": "BatchNorm2d 的统计量按通道计算，覆盖批次和所有空间位置（N * H * W 个值），而不是只在"
              "某个位置上对批次求。",
    },
    "momentum_as_decay": {
        "en": "PyTorch's momentum is the weight of the new batch statistic: running = "
              "(1 - 0.1) * running + 0.1 * batch, not 0.1 * running + 0.9 * batch.",
        "zh": "PyTorch 的 momentum 是新批统计量的权重：running = (1 - 0.1) * running + 0.1 * batch，"
              "而不是 0.1 * running + 0.9 * batch。",
    },
    "replaced_by_batch": {
        "en": "The running statistic is an exponential moving average: it keeps 0.9 of its old "
              "value and adds 0.1 of the batch statistic; it is not replaced.",
        "zh": "滑动统计量是指数滑动平均：保留旧值的 0.9，再加上批统计量的 0.1，而不是被直接替换。",
    },
    "biased_running_var": {
        "en": "running_var is updated with the unbiased batch variance, m/(m - 1) times the "
              "biased one used for normalizing.",
        "zh": "running_var 用无偏的批方差更新，即归一化所用有偏方差的 m/(m - 1) 倍。",
    },
    "bessel_over_n": {
        "en": "The Bessel factor uses m = N * H * W, the number of values per channel, not the "
              "batch size N.",
        "zh": "贝塞尔校正因子里的 m 是每个通道的值的个数 N * H * W，而不是批大小 N。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    c = params["channel"]
    values = _channel_values(params["x"], params["shape"])[c]
    m = len(values)
    mean = sum(values) / m
    var = _biased_var(values)
    gamma, beta = params["gamma"][c], params["beta"][c]
    old_mean, old_var = params["running_mean"][c], params["running_var"][c]
    found = []
    if params["ask"] == "output":
        x_i = values[params["index"]]

        def out(mu: float, sigma2: float, affine: bool = True) -> float:
            normalized = (x_i - mu) / (sigma2 + EPS) ** 0.5
            return gamma * normalized + beta if affine else normalized

        found.append(("unbiased_normalization", out(mean, var * m / (m - 1))))
        found.append(("running_stats_in_training", out(old_mean, old_var)))
        if gamma != 1.0 or beta != 0.0:
            found.append(("no_affine", out(mean, var, affine=False)))
        if len(params["shape"]) == 4:
            n_values = [params["x"][n][c][0][params["index"] % 2] for n in range(2)]
            found.append(("stats_over_n_only", out(sum(n_values) / 2, _biased_var(n_values))))
    elif params["ask"] == "running_mean":
        found.append(("momentum_as_decay", 0.1 * old_mean + 0.9 * mean))
        found.append(("replaced_by_batch", mean))
    else:
        unbiased = var * m / (m - 1)
        found.append(("biased_running_var", 0.9 * old_var + 0.1 * var))
        found.append(("momentum_as_decay", 0.1 * old_var + 0.9 * unbiased))
        found.append(("replaced_by_batch", unbiased))
        if len(params["shape"]) == 4:
            found.append(("bessel_over_n", 0.9 * old_var + 0.1 * var * 2))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the variant in parts: mu_B, sigma_B^2, x-hat_i, y_i, running_mean, running_var -------------
def _parts_setup(params: dict) -> dict[str, str]:
    return {lang: (
        f"torch.nn.{_layer(params)}（eps $= 10^{{-5}}$，momentum $= 0.1$，即 PyTorch 的约定："
        f"用有偏方差（除以 $m$）归一化，用无偏方差（除以 $m - 1$）更新 running_var，新的批统计量"
        f"权重为 0.1）处于训练模式，{_state_text(params, lang)}。输入是"
        f"{_input_text(params, lang)}。每个值保留至少 6 位有效数字。" if lang == "zh" else
        f"A torch.nn.{_layer(params)} (eps $= 10^{{-5}}$, momentum $= 0.1$; PyTorch's "
        f"convention: the batch is normalized with the biased variance, divided by $m$, "
        f"running_var is updated with the unbiased one, divided by $m - 1$, and the new batch "
        f"statistic gets weight 0.1) is in training mode; {_state_text(params, lang)}. It "
        f"receives {_input_text(params, lang)}. Give every value to at least 6 significant "
        f"figures.") for lang in ("en", "zh")}


def parts(params: dict) -> list[_parts.Part] | None:
    """mu_B; sigma_B^2 from (a); x-hat_i from (a), (b); y_i from (c); the running mean from (a)
    and the running variance from (b)."""
    if not params.get("parts"):
        return None
    r, c, i, lit = run(params), params["channel"], params["index"], _parts.lit
    plain = batch_norm(_tensor(params["x"]), None, None, training=True, eps=EPS)  # gamma 1, beta 0
    values = _channel_values(params["x"], params["shape"])[c]
    m, k = len(values), i + 1
    mean, var = r.mean[c].item(), r.var[c].item()
    x_hat, y = _output_entry(plain.output, params), _output_entry(r.output, params)
    new_mean, new_var = r.running_mean[c].item(), r.running_var[c].item()
    gamma, beta = params["gamma"][c], params["beta"][c]
    old_mean, old_var = params["running_mean"][c], params["running_var"][c]
    x_i, unbiased = values[i], var * m / (m - 1)
    wrong = {name: (value, FEEDBACK[name]) for name, value, in [
        ("unbiased_normalization", unbiased), ("biased_running_var", 0.9 * old_var + 0.1 * var)]}
    tol, mk, fb = tolerance(params), _parts.mistake, FEEDBACK
    steps = {lang: solution(params, lang) for lang in ("en", "zh")}
    squares = " + ".join(f"({lit(v)} - a)^2" for v in values)
    return [
        _parts.part(0, {"en": "the batch mean $\\mu_B$.", "zh": "批均值 $\\mu_B$。"},
                    mean, num(mean, 8), tol, {lang: lines[:1] for lang, lines in steps.items()}),
        _parts.part(1, {"en": "the batch variance $\\sigma_B^2$ used to normalize, from (a).",
                        "zh": "用于归一化的批方差 $\\sigma_B^2$（由 (a) 得到）。"},
                    var, num(var, 8), tol, {lang: lines[1:2] for lang, lines in steps.items()},
                    [mk("unbiased_normalization", *wrong["unbiased_normalization"])],
                    uses=["a"], formula=f"({squares})/{m}"),
        _parts.part(2, {"en": f"the normalized value $\\hat x_{{{k}}}$ of the "
                              f"{_ordinal(k)} sample, from (a) and (b).",
                        "zh": f"第 {k} 个样本归一化后的值 $\\hat x_{{{k}}}$（由 (a)、(b) 得到）。"},
                    x_hat, num(x_hat, 8), tol,
                    _parts.both(f"$\\hat x_{{{k}}} = \\frac{{{num(x_i)} - {par(mean)}}}"
                                f"{{\\sqrt{{{num(var, 8)} + 10^{{-5}}}}}} = {num(x_hat, 8)}$"),
                    [mk("unbiased_normalization", (x_i - mean) / (unbiased + EPS) ** 0.5,
                        fb["unbiased_normalization"]),
                     mk("running_stats_in_training", (x_i - old_mean) / (old_var + EPS) ** 0.5,
                        fb["running_stats_in_training"])],
                    uses=["a", "b"], formula=f"({lit(x_i)} - a)/sqrt(b + {lit(EPS)})"),
        _parts.part(3, {"en": f"the output $y_{{{k}}}$, from (c).",
                        "zh": f"输出 $y_{{{k}}}$（由 (c) 得到）。"},
                    y, num(y, 8), tol,
                    _parts.both(f"$y_{{{k}}} = {num(gamma)} \\cdot \\hat x_{{{k}}} + "
                                f"{par(beta)} = {num(y, 8)}$"),
                    [mk("no_affine", x_hat, fb["no_affine"])],
                    uses=["c"], formula=f"{lit(gamma)}*c + {lit(beta)}"),
        _parts.part(4, {"en": "the new running_mean, from (a).",
                        "zh": "新的 running_mean（由 (a) 得到）。"},
                    new_mean, num(new_mean, 8), tol,
                    _parts.both(f"running\\_mean $= 0.9 \\cdot {par(old_mean)} + 0.1 \\cdot "
                                f"{par(mean)} = {num(new_mean, 8)}$"),
                    [mk("momentum_as_decay", 0.1 * old_mean + 0.9 * mean,
                        fb["momentum_as_decay"]),
                     mk("replaced_by_batch", mean, fb["replaced_by_batch"])],
                    uses=["a"], formula=f"{lit(1 - MOMENTUM)}*{lit(old_mean)} + {lit(MOMENTUM)}*a"),
        _parts.part(5, {"en": "the new running_var, from (b).",
                        "zh": "新的 running_var（由 (b) 得到）。"},
                    new_var, num(new_var, 8), tol,
                    {lang: lines[-2:] for lang, lines in
                     ((lang, solution({**params, "ask": "running_var"}, lang))
                      for lang in ("en", "zh"))},
                    [mk("biased_running_var", *wrong["biased_running_var"]),
                     mk("replaced_by_batch", unbiased, fb["replaced_by_batch"])],
                    uses=["b"],
                    formula=f"{lit(1 - MOMENTUM)}*{lit(old_var)} + {lit(MOMENTUM)}*b*{m}/{m - 1}"),
    ]
