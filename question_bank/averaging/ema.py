r"""An exponential moving average after k updates, in the decay convention.

:math:`\bar\theta_t = \beta\,\bar\theta_{t-1} + (1-\beta)\,\theta_t` with decay :math:`\beta`.

Difficulty 1: three scalar values, the start stated (a copy of the first value,
:math:`\bar\theta_1 = \theta_1`, or :math:`\bar\theta_0 = 0`). 2: a zero start with Adam's bias
correction :math:`\hat\theta_t = \bar\theta_t/(1-\beta^t)` after 2 or 3 values. 3: torch's
``AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))`` on a two-entry parameter:
its first ``update_parameters`` call copies the model (no zero start, no bias), later calls
lerp; the answer is the averaged parameter (a vector). At difficulty 2 and 3, two questions in
five ask instead for a formula: the average after k updates with a constant input c, from zero
(raw or bias-corrected) or from a start value a. Half of the other difficulty-3 variants ask the
zero-started, bias-corrected average of three values in parts: the average after each value, each
from the one before, then the corrected value.
"""

from __future__ import annotations

import random

import sympy as sp
import torch
from torch.optim.swa_utils import AveragedModel as TorchAveragedModel
from torch.optim.swa_utils import get_ema_multi_avg_fn

from question_bank import _formula, _parts
from question_bank._format import nonzero, num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.averaging import AveragedModel, exponential_moving_average, get_ema_avg_fn

ID = "averaging.ema"
TOPIC = "averaging"
TITLE = {"en": "Exponential moving average", "zh": "指数移动平均"}
KIND = "number"


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty > 1 and rng.random() < 0.4:
        start = rng.choice(["zero", "zero", "value"])
        return {"formula": True, "start": start,
                "corrected": start == "zero" and rng.random() < 0.5}
    if _parts.chosen(rng, difficulty):  # three values, zero start, corrected: every average
        return {"values": [nonzero(rng, -2, 6, 1) for _ in range(3)],
                "decay": rng.choice([0.9, 0.8, 0.75, 0.6]),
                "start": "zero", "corrected": True, "torch": False, "parts": True}
    if difficulty == 1:
        return {"values": [nonzero(rng, -2, 6, 1) for _ in range(3)],
                "decay": rng.choice([0.9, 0.8, 0.75, 0.6]),
                "start": rng.choice(["first", "zero"]), "corrected": False, "torch": False}
    if difficulty == 2:
        return {"values": [nonzero(rng, -2, 6, 1) for _ in range(rng.choice([2, 3]))],
                "decay": rng.choice([0.9, 0.8, 0.75, 0.6]),
                "start": "zero", "corrected": True, "torch": False}
    count = rng.choice([3, 4])
    return {"values": [[nonzero(rng, -2, 3, 1) for _ in range(2)] for _ in range(count)],
            "decay": rng.choice([0.9, 0.8, 0.75, 0.99]),
            "start": "first", "corrected": False, "torch": True}


def kind(params: dict) -> str:
    if params.get("formula"):
        return "expression"
    return "vector" if params["torch"] else "number"


def variables(params: dict) -> list[str]:
    if not params.get("formula"):
        return []
    return FORMULA_VARIABLES + (["a:real"] if params["start"] == "value" else [])


class _Weights(torch.nn.Module):
    """A model with one parameter, to be averaged."""

    def __init__(self, value):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(value, dtype=torch.float64))


@per_variant
def _averaged_model(params: dict) -> list[list[float]]:
    """The reference AveragedModel's parameter after each update_parameters call."""
    model = _Weights(params["values"][0])
    ema = AveragedModel(model, avg_fn=get_ema_avg_fn(params["decay"]))
    history = []
    for value in params["values"]:
        with torch.no_grad():
            model.weight.copy_(torch.tensor(value, dtype=torch.float64))
        ema.update_parameters(model)
        history.append(ema.module.weight.tolist())
    return history


@per_variant
def history(params: dict) -> list:
    """The average after each value (bias-corrected where asked), from reference.averaging."""
    if params["torch"]:
        return _averaged_model(params)
    r = exponential_moving_average(params["values"], params["decay"], start=params["start"],
                                   bias_correction=params["corrected"])
    return [t.item() for t in r.corrected]


def answer(params: dict):
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return history(params)[-1]


def oracle(params: dict):
    """torch.optim.swa_utils.AveragedModel with get_ema_multi_avg_fn; a zero start is a first
    update with a zero parameter, and the bias correction is applied to torch's average."""
    values = [torch.tensor(v, dtype=torch.float64) for v in params["values"]]
    model = _Weights(params["values"][0])
    ema = TorchAveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(params["decay"]))
    if params["start"] == "zero":
        values = [torch.zeros_like(values[0])] + values
    for value in values:
        with torch.no_grad():
            model.weight.copy_(value)
        ema.update_parameters(model)
    result = ema.module.weight.detach()
    if params["corrected"]:
        result = result / (1 - params["decay"] ** len(params["values"]))
    return result.tolist()


def closed_form(params: dict):
    r"""The unrolled sum: :math:`\bar\theta_k = (1-\beta)\sum_i \beta^{k-i}\theta_i` from zero,
    with :math:`\beta^{k-1}\theta_1` in place of the first term when the first value is copied."""
    if params.get("formula"):
        return _formula_value(params)
    beta = sp.Rational(str(params["decay"]))
    k = len(params["values"])
    columns = ([params["values"]] if not params["torch"]
               else [list(c) for c in zip(*params["values"])])
    out = []
    for values in columns:
        q = [sp.Rational(str(v)) for v in values]
        if params["start"] == "zero":
            total = sum((1 - beta) * beta ** (k - i) * q[i - 1] for i in range(1, k + 1))
        else:
            total = beta ** (k - 1) * q[0] + sum(
                (1 - beta) * beta ** (k - i) * q[i - 1] for i in range(2, k + 1))
        if params["corrected"]:
            total = total / (1 - beta**k)
        out.append(total)
    return sp.Matrix(out) if params["torch"] else out[0]


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    value = answer(params)
    return row(value, 8) if params["torch"] else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _values_tex(params: dict, lang: str) -> str:
    show = row if params["torch"] else num
    return ("、" if lang == "zh" else ", ").join(f"$\\theta_{{{i}}} = {show(v)}$" for i, v in enumerate(params["values"], 1))


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    beta, k, values = num(params["decay"]), len(params["values"]), _values_tex(params, lang)
    rule = "\\bar\\theta_t = \\beta \\bar\\theta_{t-1} + (1 - \\beta) \\theta_t"
    if params.get("parts"):
        return _parts.stem(_parts_setup(params, rule), 4, lang)
    if params["torch"]:
        if lang == "zh":
            return (f"用 torch.optim.swa_utils.AveragedModel(model, multi_avg_fn="
                    f"get_ema_multi_avg_fn({params['decay']})) 维护一个参数的 EMA，衰减系数 "
                    f"$\\beta = {beta}$（${rule}$）。模型参数依次为 {values}，每得到一个值就调用一次 "
                    f"update_parameters(model)。注意 AveragedModel 第一次调用时直接复制模型参数。"
                    f"求 ${k}$ 次调用后的平均参数（向量，至少 5 位有效数字）。")
        return (f"torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn("
                f"{params['decay']})) keeps an EMA of a parameter with decay $\\beta = {beta}$ "
                f"(${rule}$). The model's parameter takes the values {values}, and "
                f"update_parameters(model) is called after each one. Note that AveragedModel "
                f"copies the parameters on its first call. Compute the averaged parameter after "
                f"${k}$ calls (a vector, at least 5 significant figures).")
    if lang == "zh":
        start = ("以第一个值为起点，$\\bar\\theta_1 = \\theta_1$" if params["start"] == "first"
                 else "从零开始，$\\bar\\theta_0 = 0$")
        what = (f"偏差校正后的 $\\hat\\theta_{{{k}}} = \\bar\\theta_{{{k}}} / (1 - \\beta^{{{k}}})$"
                if params["corrected"] else f"$\\bar\\theta_{{{k}}}$")
        return (f"对序列 {values} 做指数移动平均，衰减系数 $\\beta = {beta}$（$\\beta$ 是旧平均值的"
                f"权重：${rule}$），{start}。求{' ' if what.startswith('$') else ''}{what}"
                f"（至少 5 位有效数字）。")
    start = ("It starts from the first value, $\\bar\\theta_1 = \\theta_1$"
             if params["start"] == "first" else "It starts from zero, $\\bar\\theta_0 = 0$")
    what = (f"the bias-corrected average $\\hat\\theta_{{{k}}} = \\bar\\theta_{{{k}}} / "
            f"(1 - \\beta^{{{k}}})$" if params["corrected"] else f"$\\bar\\theta_{{{k}}}$")
    return (f"An exponential moving average with decay $\\beta = {beta}$ (the weight of the old "
            f"average: ${rule}$) runs over {values}. {start}. Compute {what} (at least 5 "
            f"significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    beta = num(params["decay"])
    show = row if params["torch"] else num
    steps = _averaged_model(params) if params["torch"] else _averages(params)
    lines = []
    if params["start"] == "first":
        lines.append(f"$\\bar\\theta_1 = \\theta_1 = {show(steps[0])}$" +
                     ("（第一次调用直接复制）" if lang == "zh" and params["torch"] else
                      " (the first call copies)" if params["torch"] else ""))
    else:
        lines.append(f"$\\bar\\theta_1 = {beta} \\cdot 0 + (1 - {beta}) \\cdot "
                     f"{par(params['values'][0])} = {num(steps[0], 8)}$")
    for t in range(1, len(steps)):
        value = params["values"][t]
        lines.append(f"$\\bar\\theta_{{{t + 1}}} = {beta} \\cdot {show(steps[t - 1], 8)} + "
                     f"(1 - {beta}) \\cdot {show(value) if params['torch'] else par(value)} = "
                     f"{show(steps[t], 8)}$")
    if params["corrected"]:
        k = len(steps)
        lines.append(f"$\\hat\\theta_{{{k}}} = \\frac{{{num(steps[-1], 8)}}}{{1 - {beta}^{{{k}}}}}"
                     f" = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


@per_variant
def _averages(params: dict) -> list[float]:
    """The uncorrected average after each value, from reference.averaging."""
    return [t.item() for t in exponential_moving_average(
        params["values"], params["decay"], start=params["start"]).averages]


def _ema(params: dict, decay: float, start: str, correct: str = "none"):
    """A student's EMA in plain floats: decay, start and bias correction as they chose."""
    def one(values):
        average = values[0] if start == "first" else 0.0
        for v in values[1:] if start == "first" else values:
            average = decay * average + (1 - decay) * v
        k = len(values)
        beta = params["decay"]
        if correct == "right":
            average /= 1 - beta**k
        elif correct == "off_by_one":
            average /= 1 - beta ** (k - 1) if k > 1 else 1
        return average

    if params["torch"]:
        return [one(list(c)) for c in zip(*params["values"])]
    return one(params["values"])


FEEDBACK = {
    "swapped_decay": {
        "en": "You gave the new value the weight beta; with a decay beta the old average keeps "
              "beta and the new value gets 1 - beta (a decay is 1 - alpha, where alpha is the "
              "new value's weight as in pandas or BatchNorm's momentum).",
        "zh": "你把权重 beta 给了新值；衰减系数 beta 是旧平均值的权重，新值的权重是 1 - beta"
              "（衰减系数 = 1 - alpha，alpha 是新值的权重，如 pandas 或 BatchNorm 的 momentum）。",
    },
    "zero_start": {
        "en": "This EMA starts from a copy of the first value, not from 0; starting at 0 "
              "drags the early averages towards zero.",
        "zh": "这个 EMA 以第一个值的副本为起点，而不是 0；从 0 开始会把前几步的平均值拉向零。",
    },
    "copied_first": {
        "en": "This EMA starts from 0, so the first value enters with weight 1 - beta too; "
              "you started from a copy of it.",
        "zh": "这个 EMA 从 0 开始，第一个值也只以 1 - beta 的权重进入；你却直接复制了它作为起点。",
    },
    "corrected_unasked": {
        "en": "The question asks for the raw average; dividing by 1 - beta^t is the bias "
              "correction, a different quantity.",
        "zh": "题目要的是未校正的平均值；除以 1 - beta^t 是偏差校正，是另一个量。",
    },
    "no_bias_correction": {
        "en": "You stopped at the raw zero-started average; the bias-corrected value divides "
              "it by 1 - beta^t.",
        "zh": "你停在了从零开始的原始平均值；偏差校正还要再除以 1 - beta^t。",
    },
    "off_by_one": {
        "en": "The correction uses the number of values averaged so far: t values give "
              "1 - beta^t, not 1 - beta^(t-1).",
        "zh": "校正用的是已经平均过的值的个数：t 个值对应 1 - beta^t，而不是 1 - beta^(t-1)。",
    },
    "start_dropped": {
        "en": "You dropped the start value: after k updates it still has weight beta^k in the "
              "average, beside (1 - beta^k) c from the inputs.",
        "zh": "你丢掉了起始值：k 次更新后它在平均值中仍有 beta^k 的权重，输入 c 的总权重为 1 - beta^k。",
    },
    "corrected_copy": {
        "en": "A copy-started EMA has no zero bias; dividing it by 1 - beta^t over-corrects.",
        "zh": "以副本为起点的 EMA 没有零偏差；再除以 1 - beta^t 就过度校正了。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    beta, start = params["decay"], params["start"]
    correct = "right" if params["corrected"] else "none"
    found = [("swapped_decay", _ema(params, 1 - beta, start, correct))]
    if start == "first":
        found.append(("zero_start", _ema(params, beta, "zero")))
        if params["torch"]:
            found.append(("corrected_copy", _ema(params, beta, "first", "right")))
    elif params["corrected"]:
        found += [("no_bias_correction", _ema(params, beta, "zero")),
                  ("off_by_one", _ema(params, beta, "zero", "off_by_one"))]
    else:
        found += [("copied_first", _ema(params, beta, "first")),
                  ("corrected_unasked", _ema(params, beta, "zero", "right"))]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: k updates with a constant input c -------------------------------------
FORMULA_VARIABLES = ["c:real", "beta:unit_interval", "k:positive_integer"]
C, BETA, K, A = _formula.symbols(*FORMULA_VARIABLES, "a:real")
NAMES = {}


def _unrolled(params: dict, beta: sp.Expr, k: sp.Expr) -> sp.Expr:
    """The EMA after k constant inputs c: the start keeps beta^k, the inputs share the rest."""
    start = A if params["start"] == "value" else 0
    return beta**k * start + (1 - beta**k) * C


def _formula_value(params: dict) -> sp.Expr:
    raw = _unrolled(params, BETA, K)
    return sp.simplify(raw / (1 - BETA**K)) if params["corrected"] else raw


def evaluate(params: dict, values: dict) -> float:
    """reference.averaging.exponential_moving_average over k copies of c (after a, as the
    copied first value, when the average starts there)."""
    inputs = [values["c"]] * int(values["k"])
    if params["start"] == "value":
        result = exponential_moving_average([values["a"], *inputs], values["beta"])
    else:
        result = exponential_moving_average(inputs, values["beta"], start="zero",
                                            bias_correction=params["corrected"])
    return result.corrected[-1].item()


def _formula_prompt(params: dict, lang: str) -> str:
    rule = "\\bar\\theta_t = \\beta \\bar\\theta_{t-1} + (1 - \\beta) \\theta_t"
    zero = params["start"] == "zero"
    if lang == "zh":
        start = ("从零开始（$\\bar\\theta_0 = 0$）" if zero
                 else "从起始值 $\\bar\\theta_0 = a$ 开始")
        what = ("偏差校正后的 $\\hat\\theta_k = \\bar\\theta_k / (1 - \\beta^k)$"
                if params["corrected"] else "$\\bar\\theta_k$")
        names = "c、beta、k" + ("、a" if not zero else "")
        return (f"指数移动平均 ${rule}$（衰减系数 $0 < \\beta < 1$ 是旧平均值的权重）{start}，"
                f"之后连续 $k$ 次输入同一个值 $\\theta_t = c$。写出 {what} 的表达式，"
                f"变量输入为 {names}。")
    start = ("It starts from zero, $\\bar\\theta_0 = 0$" if zero
             else "It starts from $\\bar\\theta_0 = a$")
    what = ("the bias-corrected average $\\hat\\theta_k = \\bar\\theta_k / (1 - \\beta^k)$"
            if params["corrected"] else "the average $\\bar\\theta_k$")
    names = "c, beta, k" + (" and a" if not zero else "")
    return (f"An exponential moving average ${rule}$ (the decay $0 < \\beta < 1$ weights the "
            f"old average) receives the same value $\\theta_t = c$ for $k$ updates in a row. "
            f"{start}. Give {what} after these $k$ updates as an expression; type the "
            f"variables as {names}.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [("展开递推：" if zh else "Unrolling the recursion: ")
             + "$\\bar\\theta_k = \\beta^k \\bar\\theta_0 + (1 - \\beta) \\sum_{i=0}^{k-1} "
               "\\beta^i c = \\beta^k \\bar\\theta_0 + (1 - \\beta^k) c$"]
    if params["corrected"]:
        raw = _formula.latex(_unrolled(params, BETA, K))
        lines.append(("从零开始，所以 " if zh else "From zero, ")
                     + f"$\\bar\\theta_k = {raw}$, $\\hat\\theta_k = "
                       f"\\frac{{\\bar\\theta_k}}{{1 - \\beta^k}} = {answer_tex(params)}$"
                     + ("：偏差校正恰好消除了零起点的偏差。" if zh
                        else ": the correction removes exactly the zero start's bias."))
    return lines + [("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    raw = _unrolled(params, BETA, K)
    if params["corrected"]:  # swapping the decay is invisible here: any weights correct to c
        return [("no_bias_correction", raw), ("off_by_one", raw / (1 - BETA ** (K - 1)))]
    found = [("swapped_decay", _unrolled(params, 1 - BETA, K))]
    if params["start"] == "zero":
        found += [("corrected_unasked", C), ("off_by_one", _unrolled(params, BETA, K - 1))]
    else:
        found += [("start_dropped", (1 - BETA**K) * C),
                  ("off_by_one", _unrolled(params, BETA, K - 1))]
    return found


# -- the variant in parts: the average after each of three values, then the corrected one -------
def _parts_setup(params: dict, rule: str) -> dict[str, str]:
    beta = num(params["decay"])
    return {
        "en": f"An exponential moving average with decay $\\beta = {beta}$ (the weight of the "
              f"old average, as in PyTorch's get_ema_multi_avg_fn: ${rule}$) runs over {_values_tex(params, 'en')}. It starts from "
              f"zero, $\\bar\\theta_0 = 0$, and is bias-corrected as in Adam: "
              f"$\\hat\\theta_t = \\bar\\theta_t / (1 - \\beta^t)$. Give every value to at "
              f"least 5 significant figures.",
        "zh": f"对序列 {_values_tex(params, 'zh')} 做指数移动平均，衰减系数 $\\beta = {beta}$"
              f"（$\\beta$ 是旧平均值的权重，与 PyTorch 的 get_ema_multi_avg_fn 一致：${rule}$），从零开始，$\\bar\\theta_0 = 0$，并像 "
              f"Adam 一样做偏差校正：$\\hat\\theta_t = \\bar\\theta_t / (1 - \\beta^t)$。"
              f"每个值保留至少 5 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """The average after each value, each from the one before, then the corrected average."""
    if not params.get("parts"):
        return None
    beta, values, lit = params["decay"], params["values"], _parts.lit
    averages, k = _averages(params), len(values)
    corrected = history(params)[-1]
    tol, mk, fb = tolerance(params), _parts.mistake, FEEDBACK
    lines = solution(params, "en")
    result = []
    for t, (value, average) in enumerate(zip(values, averages)):
        previous = averages[t - 1] if t else 0.0
        used = IDS_BEFORE[t]
        result.append(_parts.part(
            t, {"en": f"the average $\\bar\\theta_{{{t + 1}}}$"
                      + (f", from ({used})." if used else "."),
                "zh": f"平均值 $\\bar\\theta_{{{t + 1}}}$"
                      + (f"（由 ({used}) 得到）。" if used else "。")},
            average, num(average, 8), tol, _parts.both(lines[t]),
            [mk("swapped_decay", (1 - beta) * previous + beta * value, fb["swapped_decay"])]
            + ([] if t else [mk("copied_first", value, fb["copied_first"])]),
            uses=[used] if used else [],
            formula=f"{lit(beta)}*{used} + (1 - {lit(beta)})*{lit(value)}" if used else ""))
    last = _parts.IDS[k - 1]
    result.append(_parts.part(
        k, {"en": f"the bias-corrected average $\\hat\\theta_{{{k}}}$, "
                  f"from ({last}).",
            "zh": f"偏差校正后的平均值 $\\hat\\theta_{{{k}}}$（由 ({last}) 得到）。"},
        corrected, num(corrected, 8), tol, _parts.both(lines[k]),
        [mk("no_bias_correction", averages[-1], fb["no_bias_correction"]),
         mk("off_by_one", averages[-1] / (1 - beta ** (k - 1)), fb["off_by_one"])],
        uses=[last], formula=f"{last}/(1 - {lit(beta)}^{k})"))
    return result


IDS_BEFORE = ["", "a", "b"]  # the part each average follows from
