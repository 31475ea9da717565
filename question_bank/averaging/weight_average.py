r"""Averaging model weights: a uniform soup, an interpolation of two models, SWA's running mean.

Difficulty 1: a uniform model soup :math:`\frac{1}{K}\sum_k W_k` of three weight vectors.
2: the interpolation :math:`\alpha W_A + (1-\alpha) W_B`, with :math:`\alpha` the weight of model
A (``reference.averaging.interpolate_state_dicts``'s convention). 3: SWA with
``torch.optim.swa_utils.AveragedModel(model)`` (its default average) over 3 or 4 checkpoints:
the first ``update_parameters`` copies, later ones do
:math:`\bar W \leftarrow \bar W + (W - \bar W)/(n+1)`, so the result is the plain mean.
Every answer is a vector.
"""

from __future__ import annotations

import random

import sympy as sp
import torch
from torch.optim.swa_utils import AveragedModel as TorchAveragedModel

from question_bank._format import nonzero, num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.averaging import AveragedModel, average_state_dicts, interpolate_state_dicts

ID = "averaging.weight_average"
TOPIC = "averaging"
TITLE = {"en": "Averaging model weights", "zh": "模型权重平均"}
KIND = "vector"
NAMES = "ABCD"
ALPHAS = (0.2, 0.25, 0.3, 0.6, 0.7, 0.75, 0.8)


def sample(rng: random.Random, difficulty: int) -> dict:
    size = rng.choice([2, 3])
    count = {1: 3, 2: 2, 3: rng.choice([3, 4])}[difficulty]
    models = [[nonzero(rng, -2, 2, 1) for _ in range(size)] for _ in range(count)]
    method = {1: "soup", 2: "interpolate", 3: "swa"}[difficulty]
    params = {"models": models, "method": method}
    if method == "interpolate":
        params["alpha"] = rng.choice(ALPHAS)
    return params


def _tensors(params: dict) -> list[torch.Tensor]:
    return [torch.tensor(m, dtype=torch.float64) for m in params["models"]]


class _Weights(torch.nn.Module):
    def __init__(self, value: torch.Tensor):
        super().__init__()
        self.weight = torch.nn.Parameter(value.clone())


def _swa(params: dict, averaged_model_class) -> list[list[float]]:
    """The averaged weight after each update_parameters call."""
    tensors = _tensors(params)
    model = _Weights(tensors[0])
    swa = averaged_model_class(model)
    history = []
    for t in tensors:
        with torch.no_grad():
            model.weight.copy_(t)
        swa.update_parameters(model)
        history.append(swa.module.weight.detach().tolist())
    return history


@per_variant
def answer(params: dict) -> list[float]:
    states = [{"weight": t} for t in _tensors(params)]
    if params["method"] == "soup":
        return average_state_dicts(states)["weight"].tolist()
    if params["method"] == "interpolate":
        return interpolate_state_dicts(states[0], states[1], params["alpha"])["weight"].tolist()
    return _swa(params, AveragedModel)[-1]


def oracle(params: dict) -> list[float]:
    """torch.stack(...).mean(0), torch.lerp, or torch's own AveragedModel."""
    tensors = _tensors(params)
    if params["method"] == "soup":
        return torch.stack(tensors).mean(dim=0).tolist()
    if params["method"] == "interpolate":
        # alpha * A + (1 - alpha) * B = lerp(B, A, alpha)
        return torch.lerp(tensors[1], tensors[0], params["alpha"]).tolist()
    return _swa(params, TorchAveragedModel)[-1]


def closed_form(params: dict) -> sp.Matrix:
    models = [[sp.Rational(str(x)) for x in m] for m in params["models"]]
    if params["method"] == "interpolate":
        a = sp.Rational(str(params["alpha"]))
        return sp.Matrix([a * x + (1 - a) * y for x, y in zip(*models)])
    return sp.Matrix([sum(col) / len(models) for col in zip(*models)])


def answer_tex(params: dict) -> str:
    return row(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _models_tex(params: dict, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(f"$W_{NAMES[k]} = {row(m)}$" for k, m in enumerate(params["models"]))


def prompt(params: dict, lang: str) -> str:
    models, count = _models_tex(params, lang), len(params["models"])
    method = params["method"]
    if method == "soup":
        if lang == "zh":
            return (f"从同一个预训练模型微调得到 {count} 个模型，某一层的权重分别为 {models}。"
                    f"做均匀的 model soup（各模型权重取平均），求该层合并后的权重（向量，至少 5 位有效数字）。")
        return (f"{count} models fine-tuned from the same pre-trained model have, for one layer, "
                f"the weights {models}. Compute that layer's weight in their uniform model soup "
                f"(the plain average of the weights), as a vector, to at least 5 significant "
                f"figures.")
    if method == "interpolate":
        a = num(params["alpha"])
        if lang == "zh":
            return (f"两个模型的某层权重为 {models}。按 $W = \\alpha W_A + (1 - \\alpha) W_B$ "
                    f"做线性插值，$\\alpha = {a}$ 是模型 A 的权重。求插值后的权重（向量，至少 5 位有效数字）。")
        return (f"Two models have, for one layer, the weights {models}. They are interpolated as "
                f"$W = \\alpha W_A + (1 - \\alpha) W_B$, where $\\alpha = {a}$ weights model A. "
                f"Compute the interpolated weight (a vector, at least 5 significant figures).")
    if lang == "zh":
        return (f"训练后期依次保存了 {count} 个检查点，某层权重为 {models}（按时间顺序）。"
                f"用 torch.optim.swa_utils.AveragedModel(model)（默认的 SWA 平均）在每个检查点调用一次 "
                f"update_parameters(model)：第一次调用复制参数，之后按 "
                f"$\\bar W \\leftarrow \\bar W + (W - \\bar W)/(n + 1)$ 更新（$n$ 为已平均的模型数）。"
                f"求最后的平均权重（向量，至少 5 位有效数字）。")
    return (f"{count} checkpoints saved late in training have, for one layer, the weights "
            f"{models} (in order). torch.optim.swa_utils.AveragedModel(model) (its default SWA "
            f"average) calls update_parameters(model) once per checkpoint: the first call copies "
            f"the parameters, later ones do $\\bar W \\leftarrow \\bar W + (W - \\bar W)/(n + 1)$ "
            f"with $n$ the number of models averaged so far. Compute the final averaged weight "
            f"(a vector, at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    method = params["method"]
    letters = NAMES[: len(params["models"])]
    lines = []
    if method == "soup":
        total = " + ".join(f"W_{c}" for c in letters)
        lines.append(f"$W = \\frac{{1}}{{{len(letters)}}}({total}) = {answer_tex(params)}$")
    elif method == "interpolate":
        a = num(params["alpha"])
        b = num(round(1 - params["alpha"], 10))
        lines.append(f"$W = {a} W_A + {b} W_B = {answer_tex(params)}$")
    else:
        history = _swa(params, AveragedModel)
        lines.append(f"$\\bar W_1 = W_A = {row(history[0])}$")
        for n in range(1, len(history)):
            lines.append(f"$\\bar W_{{{n + 1}}} = \\bar W_{{{n}}} + (W_{letters[n]} - "
                         f"\\bar W_{{{n}}}) / {n + 1} = {row(history[n], 8)}$")
        lines.append("这等于所有检查点的算术平均。" if lang == "zh"
                     else "This is the plain mean of all the checkpoints.")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"$W = {answer_tex(params)}$"]


FEEDBACK = {
    "sum_not_mean": {
        "en": "You added the weights without dividing by the number of models; a soup is their "
              "average.",
        "zh": "你把权重加起来却没有除以模型个数；model soup 取的是平均值。",
    },
    "divided_by_k_minus_1": {
        "en": "Divide the sum by the number of models K, not K - 1.",
        "zh": "总和要除以模型个数 K，而不是 K - 1。",
    },
    "running_pairwise": {
        "en": "Averaging pairwise as you go ((A + B)/2, then with C ...) gives the last model "
              "weight 1/2; an equal average needs the running weight 1/(n + 1).",
        "zh": "逐个两两平均（先 (A + B)/2，再和 C 平均……）会让最后一个模型占 1/2 的权重；"
              "等权平均要用 1/(n + 1) 的累计权重。",
    },
    "alpha_swapped": {
        "en": "alpha weights model A here; you put it on model B.",
        "zh": "这里 alpha 是模型 A 的权重；你把它给了模型 B。",
    },
    "plain_mean": {
        "en": "You took the midpoint (A + B)/2; the interpolation weights A by alpha and B by "
              "1 - alpha.",
        "zh": "你取了中点 (A + B)/2；插值应当给 A 权重 alpha，给 B 权重 1 - alpha。",
    },
    "dropped_first": {
        "en": "The first update_parameters call copies the first checkpoint, and it counts: "
              "every checkpoint enters the average with weight 1/K.",
        "zh": "第一次 update_parameters 复制的第一个检查点同样计入平均：每个检查点的权重都是 1/K。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    models = params["models"]
    columns = list(zip(*models))
    found = []
    if params["method"] == "interpolate":
        a = params["alpha"]
        found += [("alpha_swapped", [(1 - a) * x + a * y for x, y in columns]),
                  ("plain_mean", [(x + y) / 2 for x, y in columns])]
    else:
        k = len(models)
        pairwise = list(models[0])
        for m in models[1:]:
            pairwise = [(p + x) / 2 for p, x in zip(pairwise, m)]
        found += [("sum_not_mean", [sum(c) for c in columns]),
                  ("divided_by_k_minus_1", [sum(c) / (k - 1) for c in columns]),
                  ("running_pairwise", pairwise)]
        if params["method"] == "swa":
            found.append(("dropped_first", [sum(c[1:]) / (k - 1) for c in columns]))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
