"""How much optimizer state an m x n fp32 weight matrix costs: SGD momentum to Adafactor.

Difficulty 1: how many numbers one optimizer keeps (SGD with momentum, Adagrad and RMSprop: m n;
Adam: 2 m n; Adafactor: m + n). 2: the bytes of fp32 state for Adam, AdamW, Adafactor or a
centered RMSprop with momentum (3 m n). 3: the ratio of Adam's state to Adafactor's, 2 m n /
(m + n), or the bytes Adafactor saves over Adam; half the time, these as formulas in m and n. The convention stated: count only the state
tensors, not the weight, its gradient or torch's scalar step counter. The answer counts numel()
over the state that the reference optimizers allocate after one step on a meta tensor (no
memory), and the oracle does the same with torch.optim's own classes.
"""

from __future__ import annotations

import random
from functools import cache

import sympy as sp
import torch

import reference.optim as ours
from question_bank import _formula
from question_bank._memo import per_variant
from quizgen.model import Mistake

ID = "optimizers.optimizer_state_memory"
TOPIC = "optimizers"
TITLE = {"en": "Optimizer state memory", "zh": "优化器状态的内存"}
KIND = "number"

SIDES = (256, 512, 768, 1024, 2048, 3072, 4096)
BYTES_PER_FLOAT = 4  # fp32
# name -> (class name in reference.optim and torch.optim, constructor arguments)
OPTIMIZERS = {
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "rmsprop_centered_momentum": ("RMSprop", {"momentum": 0.9, "centered": True}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
    "adafactor": ("Adafactor", {}),
}
LABEL = {
    "sgd_momentum": "torch.optim.SGD(momentum=0.9)",
    "adagrad": "torch.optim.Adagrad",
    "rmsprop": "torch.optim.RMSprop",
    "rmsprop_centered_momentum": "torch.optim.RMSprop(momentum=0.9, centered=True)",
    "adam": "torch.optim.Adam",
    "adamw": "torch.optim.AdamW",
    "adafactor": "torch.optim.Adafactor",
}


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 3 and rng.random() < 0.5:
        return {"formula": True, "optimizer": rng.choice(
            ["adam", "adafactor", "rmsprop_centered_momentum"]),
                "ask": rng.choice(["floats", "floats", "ratio", "saving"])}
    m, n = rng.choice(SIDES), rng.choice(SIDES)
    if difficulty == 1:
        name = rng.choice(["sgd_momentum", "adagrad", "rmsprop", "adam", "adafactor"])
        return {"m": m, "n": n, "optimizer": name, "ask": "floats"}
    if difficulty == 2:
        name = rng.choice(["adam", "adamw", "adafactor", "rmsprop_centered_momentum"])
        return {"m": m, "n": n, "optimizer": name, "ask": "bytes"}
    return {"m": m, "n": n, "optimizer": "adam", "ask": rng.choice(["ratio", "saving"])}


def kind(params: dict) -> str:
    return "expression" if params.get("formula") else KIND


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


@cache
def state_tensors(module, name: str, shape: tuple[int, int]) -> dict[str, torch.Tensor]:
    """The state `module`'s optimizer keeps for one weight after a step, without the step
    counter; built on the meta device, so a 4096 x 4096 weight costs no memory. Remembered
    (read it, never change it): one meta step costs milliseconds, and the sides and the
    optimizers come from small pools."""
    class_name, kwargs = OPTIMIZERS[name]
    p = torch.nn.Parameter(torch.empty(shape, device="meta"))
    p.grad = torch.empty(shape, device="meta")
    opt = getattr(module, class_name)([p], **kwargs)
    try:
        opt.step()
    except RuntimeError:
        # Adafactor's arithmetic reads RMS(theta) with .item(), which a meta tensor cannot
        # give; it allocates its state before that, and the state is all we count.
        if not opt.state[p]:
            raise
    return {k: v for k, v in opt.state[p].items() if k != "step"}


def _bytes(module, name: str, params: dict) -> int:
    tensors = state_tensors(module, name, (params["m"], params["n"]))
    return sum(t.numel() * t.element_size() for t in tensors.values())


def _measure(module, params: dict):
    shape = (params["m"], params["n"])
    if params["ask"] == "floats":
        return sum(t.numel() for t in state_tensors(module, params["optimizer"], shape).values())
    if params["ask"] == "bytes":
        return _bytes(module, params["optimizer"], params)
    adam, adafactor = _bytes(module, "adam", params), _bytes(module, "adafactor", params)
    return adam / adafactor if params["ask"] == "ratio" else adam - adafactor


@per_variant
def answer(params: dict):
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    return _measure(ours, params)


def oracle(params: dict):
    """The same count over the state torch.optim's own classes allocate."""
    return _measure(torch.optim, params)


def _floats(name: str, m: sp.Integer, n: sp.Integer) -> sp.Expr:
    """Moment tensors per optimizer: one m x n buffer, two (Adam's m and v), three (centered
    RMSprop with momentum: v, mean g, buffer), or Adafactor's row and column vectors."""
    return {"sgd_momentum": m * n, "adagrad": m * n, "rmsprop": m * n,
            "rmsprop_centered_momentum": 3 * m * n, "adam": 2 * m * n, "adamw": 2 * m * n,
            "adafactor": m + n}[name]


def closed_form(params: dict) -> sp.Expr:
    if params.get("formula"):
        return _formula_value(params)
    m, n = sp.Integer(params["m"]), sp.Integer(params["n"])
    if params["ask"] == "floats":
        return _floats(params["optimizer"], m, n)
    if params["ask"] == "bytes":
        return BYTES_PER_FLOAT * _floats(params["optimizer"], m, n)
    adam, adafactor = _floats("adam", m, n), _floats("adafactor", m, n)
    if params["ask"] == "ratio":
        return adam / adafactor
    return BYTES_PER_FLOAT * (adam - adafactor)


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    value = answer(params)
    if params["ask"] == "ratio":
        return f"{value:.6g}"
    return str(int(value))


def tolerance(params: dict) -> dict:
    if params["ask"] == "ratio":
        return {"rtol": 1e-4, "atol": 0.0}
    return {"rtol": 0.0, "atol": 0.5}  # a count: exactly this integer


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    m, n, name = params["m"], params["n"], params["optimizer"]
    shape = f"${m} \\times {n}$"
    if lang == "zh":
        rule = ("只统计优化器状态中的张量（如动量、二阶矩或行/列统计量），不计参数本身、梯度，"
                "也不计 PyTorch 每个参数的标量步数计数器 step")
        what = {
            "floats": f"用 {LABEL[name]} 训练时，优化器状态一共保存多少个数",
            "bytes": f"用 {LABEL[name]} 训练时，优化器状态占多少字节（状态均为 fp32，每个数 4 字节）",
            "ratio": "torch.optim.Adam 与 torch.optim.Adafactor（默认参数）的优化器状态大小之比 "
                     "Adam : Adafactor（给出比值，保留 5 位有效数字）",
            "saving": "把 torch.optim.Adam 换成 torch.optim.Adafactor（默认参数）可以节省多少字节的"
                      "优化器状态（状态均为 fp32，每个数 4 字节）",
        }[params["ask"]]
        return f"有一个形状为 {shape} 的 fp32 权重矩阵。{rule}。问：{what}？"
    rule = ("Count only the optimizer's state tensors (momentum, second moments, row/column "
            "statistics), not the weight, its gradient, or the scalar step counter torch keeps "
            "per parameter")
    what = {
        "floats": f"How many numbers does {LABEL[name]} keep as optimizer state for it",
        "bytes": f"How many bytes of optimizer state does {LABEL[name]} keep for it (the state "
                 f"is fp32, 4 bytes per number)",
        "ratio": "What is the ratio of the optimizer state of torch.optim.Adam to that of "
                 "torch.optim.Adafactor (defaults), Adam : Adafactor, to 5 significant figures",
        "saving": "How many bytes of optimizer state are saved by using torch.optim.Adafactor "
                  "(defaults) instead of torch.optim.Adam (the state is fp32, 4 bytes per number)",
    }[params["ask"]]
    return f"A weight matrix of shape {shape} is stored in fp32. {rule}. {what}?"


def _shape_tex(shape) -> str:
    return " \\times ".join(str(side) for side in shape)


def _count_line(name: str, m: int, n: int, lang: str) -> str:
    tensors = state_tensors(ours, name, (m, n))
    parts = ", ".join(f"{k} ${_shape_tex(t.shape)}$" for k, t in tensors.items())
    total = sum(t.numel() for t in tensors.values())
    if lang == "zh":
        return f"{LABEL[name]} 的状态：{parts}，共 ${total}$ 个数"
    return f"{LABEL[name]} keeps {parts}: ${total}$ numbers"


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    m, n, ask = params["m"], params["n"], params["ask"]
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    if ask in ("floats", "bytes"):
        lines = [_count_line(params["optimizer"], m, n, lang)]
        if ask == "bytes":
            floats = _measure(ours, {**params, "ask": "floats"})
            lines.append(f"${floats} \\times 4 = {answer_tex(params)}$ "
                         + ("字节" if lang == "zh" else "bytes"))
        return lines + [answer_line + f"${answer_tex(params)}$"]
    adam, adafactor = 2 * m * n, m + n
    lines = [_count_line("adam", m, n, lang), _count_line("adafactor", m, n, lang)]
    if ask == "ratio":
        lines.append(f"$\\frac{{2mn}}{{m + n}} = \\frac{{{adam}}}{{{adafactor}}} "
                     f"= {answer_tex(params)}$")
    else:
        lines.append(f"$4 \\times ({adam} - {adafactor}) = {answer_tex(params)}$")
    return lines + [answer_line + f"${answer_tex(params)}$"]


FEEDBACK = {
    "counts_weight_too": {
        "en": "Only the optimizer's state counts; the weight itself (m n numbers) belongs to "
              "the model.",
        "zh": "只统计优化器的状态；权重本身（m n 个数）属于模型，不算在内。",
    },
    "one_moment": {
        "en": "Adam keeps two full-size tensors per weight: exp_avg (m) and exp_avg_sq (v), "
              "2 m n numbers.",
        "zh": "Adam 对每个权重保存两个同尺寸的张量：exp_avg（m）和 exp_avg_sq（v），共 2 m n 个数。",
    },
    "no_state": {
        "en": "This optimizer does keep state: one tensor the size of the weight (the momentum "
              "buffer, Adagrad's sum or RMSprop's square_avg).",
        "zh": "这个优化器是有状态的：一个与权重同尺寸的张量（动量缓冲区、Adagrad 的累加和或 "
              "RMSprop 的 square_avg）。",
    },
    "adafactor_full_matrix": {
        "en": "Adafactor factors the second moment of a matrix: it keeps a row statistic (m "
              "numbers) and a column statistic (n numbers), m + n in all, not a full m x n "
              "tensor.",
        "zh": "Adafactor 对矩阵的二阶矩做分解：只保存行统计量（m 个数）和列统计量（n 个数），"
              "共 m + n 个，而不是完整的 m x n 张量。",
    },
    "floats_not_bytes": {
        "en": "That is the number of values; in fp32 each takes 4 bytes.",
        "zh": "这是数的个数；fp32 下每个数占 4 字节。",
    },
    "bits_not_bytes": {
        "en": "fp32 is 32 bits, which is 4 bytes per number, not 32.",
        "zh": "fp32 是 32 位，即每个数 4 字节，而不是 32 字节。",
    },
    "half_precision": {
        "en": "The state here is fp32: 4 bytes per number, not 2.",
        "zh": "这里的状态是 fp32：每个数 4 字节，而不是 2 字节。",
    },
    "missing_tensor": {
        "en": "centered=True adds grad_avg and momentum=0.9 adds momentum_buffer, each the "
              "size of the weight, besides square_avg: three tensors.",
        "zh": "除了 square_avg，centered=True 还要保存 grad_avg，momentum=0.9 还要保存 "
              "momentum_buffer，各与权重同尺寸：一共三个张量。",
    },
    "inverted": {
        "en": "Adam keeps more state than Adafactor: the ratio Adam : Adafactor is "
              "2 m n / (m + n), well above 1.",
        "zh": "Adam 的状态比 Adafactor 多：Adam : Adafactor 的比值是 2 m n / (m + n)，远大于 1。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    m, n, name, ask = params["m"], params["n"], params["optimizer"], params["ask"]
    full, adam, adafactor = m * n, 2 * m * n, m + n
    floats = {"sgd_momentum": full, "adagrad": full, "rmsprop": full, "adam": adam,
              "adamw": adam, "rmsprop_centered_momentum": 3 * full, "adafactor": adafactor}[name]
    if ask == "floats":
        if name == "adafactor":
            found = [("adafactor_full_matrix", full), ("counts_weight_too", full + adafactor)]
        elif name == "adam":
            found = [("one_moment", full), ("counts_weight_too", 3 * full)]
        else:
            found = [("no_state", 0), ("counts_weight_too", 2 * full)]
    elif ask == "bytes":
        found = [("floats_not_bytes", floats), ("bits_not_bytes", 32 * floats),
                 ("half_precision", 2 * floats)]
        if name == "adafactor":
            found.append(("adafactor_full_matrix", 4 * full))
        if name == "rmsprop_centered_momentum":
            found.append(("missing_tensor", 4 * full))
    elif ask == "ratio":
        found = [("one_moment", full / adafactor), ("inverted", adafactor / adam),
                 ("adafactor_full_matrix", 2.0)]
    else:
        found = [("floats_not_bytes", adam - adafactor),
                 ("adafactor_full_matrix", 4 * (adam - full)),
                 ("one_moment", 4 * (full - adafactor))]
    return [Mistake(name_, value, FEEDBACK[name_]) for name_, value in found]


# -- the formula variant: the counts as expressions in m and n ----------------------------------
FORMULA_VARIABLES = ["m:positive", "n:positive"]
REFERENCE_DOMAINS = {"m": "positive_integer", "n": "positive_integer"}  # a weight's shape
M, N = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {}


def _formula_value(params: dict) -> sp.Expr:
    adam, adafactor = _floats("adam", M, N), _floats("adafactor", M, N)
    return {"floats": _floats(params["optimizer"], M, N), "ratio": adam / adafactor,
            "saving": BYTES_PER_FLOAT * (adam - adafactor)}[params["ask"]]


def evaluate(params: dict, values: dict) -> float:
    """numel() over the state reference.optim allocates for an m x n weight (meta tensors)."""
    return float(_measure(ours, {**params, "m": int(values["m"]), "n": int(values["n"])}))


def _formula_prompt(params: dict, lang: str) -> str:
    text = prompt({**params, "formula": False, "m": "m", "n": "n"}, lang)
    text = text.replace("，保留 5 位有效数字", "").replace(", to 5 significant figures", "")
    if lang == "zh":
        return text.rstrip("？") + "？写出关于 $m$ 和 $n$ 的表达式，变量输入为 m、n。"
    return text + " Give it as an expression in $m$ and $n$; type them as m and n."


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh, answer_line = lang == "zh", {"en": "Answer: ", "zh": "答案："}[lang]
    state = {"adam": "exp_avg, exp_avg_sq: $2mn$", "adafactor": "row_var $m$, col_var $n$: $m + n$",
             "rmsprop_centered_momentum": "square_avg, grad_avg, momentum_buffer: $3mn$"}
    names = ["adam", "adafactor"] if params["ask"] != "floats" else [params["optimizer"]]
    lines = [f"{LABEL[name]}{'：' if zh else ': '}{state[name]}" for name in names]
    if params["ask"] == "saving":
        lines.append(("每个数 4 字节：" if zh else "4 bytes per number: ")
                     + "$4 (2mn - (m + n))$")
    return lines + [answer_line + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    full, adam, adafactor = M * N, 2 * M * N, M + N
    if params["ask"] == "ratio":  # (adafactor_full_matrix would be the constant 2: not a formula)
        return [("one_moment", full / adafactor), ("inverted", adafactor / adam)]
    if params["ask"] == "saving":
        return [("floats_not_bytes", adam - adafactor),
                ("adafactor_full_matrix", BYTES_PER_FLOAT * (adam - full)),
                ("one_moment", BYTES_PER_FLOAT * (full - adafactor))]
    own = _floats(params["optimizer"], M, N)
    found = [("counts_weight_too", own + full)]
    found.append({"adam": ("one_moment", full), "adafactor": ("adafactor_full_matrix", full),
                  "rmsprop_centered_momentum": ("missing_tensor", full)}[params["optimizer"]])
    return found
