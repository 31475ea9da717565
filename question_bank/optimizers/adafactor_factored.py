r"""Adafactor's factored second moment for a 2x3 or 3x2 gradient, as torch.optim.Adafactor keeps it.

Difficulty 1: step 1 (where beta2-hat = 1 - 1^{-0.8} = 0, so the statistics are plain means of
G^2); ask the row statistic r (one mean of G^2 per row) or the column statistic c (one per
column), as a vector. 2: step 1; ask one entry of the reconstructed V-hat = r c^T / mean(r).
3: step 2 after a known first gradient, with beta2-hat = 1 - 2^{-0.8}; ask r, c or a V-hat entry.
The convention stated is torch's: r and c are means (not the paper's sums; the ratio is the
same), r_t = beta2-hat r_{t-1} + (1 - beta2-hat) mean(G^2), and eps1 (machine epsilon) only
clamps, so it does not change these numbers. The seed drops the normalizer mean(r).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import adafactor_step

ID = "optimizers.adafactor_factored"
TOPIC = "optimizers"
TITLE = {"en": "Adafactor factored second moment", "zh": "Adafactor 的分解二阶矩"}
KIND = "number"

BETA2_DECAY = -0.8  # torch's default: beta2-hat_t = 1 - t^(-0.8)
SYMBOL = {"row": "r", "col": "c", "vhat": "\\hat V"}


def _matrix(rng: random.Random, shape: tuple[int, int]) -> list[list[int]]:
    return [[rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(shape[1])] for _ in range(shape[0])]


def sample(rng: random.Random, difficulty: int) -> dict:
    shape = rng.choice([(2, 3), (3, 2)])
    grads = [_matrix(rng, shape) for _ in range(1 if difficulty < 3 else 2)]
    ask = {1: rng.choice(["row", "col"]), 2: "vhat",
           3: rng.choice(["row", "col", "vhat"])}[difficulty]
    index = [rng.randrange(shape[0]), rng.randrange(shape[1])]
    return {"grads": grads, "ask": ask, "index": index}


def kind(params: dict) -> str:
    return "number" if params["ask"] == "vhat" else "vector"


@per_variant
def run(params: dict):
    """Each step of reference.optim.adafactor_step (torch's defaults) in float64."""
    shape = (len(params["grads"][0]), len(params["grads"][0][0]))
    param, state = torch.ones(shape, dtype=torch.float64), {}
    steps = []
    for g in params["grads"]:
        result = adafactor_step(param, torch.tensor(g, dtype=torch.float64), state)
        steps.append(result)
        param, state = result.param, result.state
    return steps


def _pick(params: dict, row_var, col_var, var_estimate):
    if params["ask"] == "row":
        return row_var.flatten().tolist()
    if params["ask"] == "col":
        return col_var.flatten().tolist()
    i, j = params["index"]
    return var_estimate[i, j].item()


def answer(params: dict):
    last = run(params)[-1]
    return _pick(params, last.row_var, last.col_var, last.var_estimate)


def oracle(params: dict):
    """torch.optim.Adafactor's own row_var and col_var; V-hat rebuilt from them."""
    shape = (len(params["grads"][0]), len(params["grads"][0][0]))
    p = torch.nn.Parameter(torch.ones(shape, dtype=torch.float64))
    opt = torch.optim.Adafactor([p], foreach=False)
    for g in params["grads"]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    r, c = opt.state[p]["row_var"], opt.state[p]["col_var"]
    return _pick(params, r, c, r * c / r.mean())


def closed_form(params: dict):
    """Shazeer & Stern (2018), Algorithm 4, with sums R, C: V-hat = R C^T / (1^T R)."""
    beta2 = [1 - sp.Integer(t) ** sp.Rational(str(BETA2_DECAY)) for t in (1, 2)]
    big_r = big_c = None
    for t, g in enumerate(params["grads"]):
        sq = sp.Matrix(g).applyfunc(lambda x: x**2)
        sums_r = sp.Matrix([sum(sq.row(i)) for i in range(sq.rows)])
        sums_c = sp.Matrix([sum(sq.col(j)) for j in range(sq.cols)])
        if big_r is None:
            big_r, big_c = (1 - beta2[0]) * sums_r, (1 - beta2[0]) * sums_c
        else:
            big_r = beta2[t] * big_r + (1 - beta2[t]) * sums_r
            big_c = beta2[t] * big_c + (1 - beta2[t]) * sums_c
    rows, cols = big_r.rows, big_c.rows
    if params["ask"] == "row":
        return big_r / cols
    if params["ask"] == "col":
        return big_c / rows
    i, j = params["index"]
    return big_r[i] * big_c[j] / sum(big_r)


def answer_tex(params: dict) -> str:
    value = answer(params)
    return num(value, 8) if params["ask"] == "vhat" else row(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-9}


def _matrix_tex(g: list[list[int]]) -> str:
    body = " \\\\ ".join(" & ".join(str(x) for x in r) for r in g)
    return "\\begin{pmatrix}" + body + "\\end{pmatrix}"


def _target(params: dict, lang: str) -> str:
    t, (i, j) = len(params["grads"]), params["index"]
    n, m = len(params["grads"][0]), len(params["grads"][0][0])
    if lang == "zh":
        return {
            "row": f"第 {t} 步后的行统计量 $r_{{{t}}}$（{n} 个分量，按行顺序写成向量）",
            "col": f"第 {t} 步后的列统计量 $c_{{{t}}}$（{m} 个分量，按列顺序写成向量）",
            "vhat": f"第 {t} 步重建的二阶矩估计中第 {i + 1} 行第 {j + 1} 列的元素 "
                    f"$\\hat V_{{{i + 1}{j + 1}}}$",
        }[params["ask"]]
    return {
        "row": f"the row statistic $r_{{{t}}}$ after step {t} (a vector of {n} entries, one "
               f"per row)",
        "col": f"the column statistic $c_{{{t}}}$ after step {t} (a vector of {m} entries, one "
               f"per column)",
        "vhat": f"the entry $\\hat V_{{{i + 1}{j + 1}}}$ (row {i + 1}, column {j + 1}) of the "
                f"reconstructed second moment at step {t}",
    }[params["ask"]]


def prompt(params: dict, lang: str) -> str:
    grads = params["grads"]
    n, m = len(grads[0]), len(grads[0][0])
    if lang == "zh":
        if len(grads) == 1:
            given = f"第 1 步（状态为零）的梯度为 $G_1 = {_matrix_tex(grads[0])}$。"
        else:
            given = (f"第 1 步（状态为零）的梯度为 $G_1 = {_matrix_tex(grads[0])}$，"
                     f"第 2 步的梯度为 $G_2 = {_matrix_tex(grads[1])}$。")
        return (
            f"用 torch.optim.Adafactor（默认参数，beta2_decay $= -0.8$）训练一个 "
            f"${n} \\times {m}$ 的权重矩阵。PyTorch 约定：行统计量 $r_t$ 是 $G_t^2$（逐元素平方）"
            f"每一行的均值，列统计量 $c_t$ 是每一列的均值，都按 "
            f"$r_t = \\hat\\beta_{{2,t}} r_{{t-1}} + (1 - \\hat\\beta_{{2,t}}) \\cdot "
            f"\\text{{行均值}}(G_t^2)$ 做滑动平均，其中 $\\hat\\beta_{{2,t}} = 1 - t^{{-0.8}}$；"
            f"重建的二阶矩为 $\\hat V_t = r_t c_t^{{\\top}} / \\text{{mean}}(r_t)$"
            f"（$\\epsilon_1$ 只用作下限截断，这里不起作用）。{given}"
            f"求{_target(params, lang)}，保留 5 位有效数字。"
        )
    if len(grads) == 1:
        given = f"The gradient at step 1 (zero state) is $G_1 = {_matrix_tex(grads[0])}$."
    else:
        given = (f"The gradient at step 1 (zero state) is $G_1 = {_matrix_tex(grads[0])}$ and "
                 f"at step 2 it is $G_2 = {_matrix_tex(grads[1])}$.")
    return (
        f"torch.optim.Adafactor (defaults, beta2_decay $= -0.8$) trains a ${n} \\times {m}$ "
        f"weight matrix. PyTorch's convention: the row statistic $r_t$ holds the mean of each row "
        f"of $G_t^2$ (squared entrywise) and the column statistic $c_t$ the mean of each column, "
        f"both averaged as $r_t = \\hat\\beta_{{2,t}} r_{{t-1}} + (1 - \\hat\\beta_{{2,t}}) "
        f"\\cdot \\text{{row mean}}(G_t^2)$ with $\\hat\\beta_{{2,t}} = 1 - t^{{-0.8}}$; the "
        f"reconstructed second moment is $\\hat V_t = r_t c_t^{{\\top}} / \\text{{mean}}(r_t)$ "
        f"($\\epsilon_1$ only clamps and plays no role here). {given} Compute "
        f"{_target(params, lang)}, to 5 significant figures."
    )


def _squares(g: list[list[int]]) -> list[list[int]]:
    return [[x * x for x in r] for r in g]


def solution(params: dict, lang: str) -> list[str]:
    steps, lines = run(params), []
    for t, (s, g) in enumerate(zip(steps, params["grads"]), start=1):
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        sq = _squares(g)
        beta = f"\\hat\\beta_{{2,{t}}} = 1 - {t}^{{-0.8}} = {num(s.beta2, 8)}"
        lines.append(head + f"$G_{{{t}}}^2 = {_matrix_tex(sq)}$, ${beta}$")
        row_means = [sum(r) / len(r) for r in sq]
        col_means = [sum(c) / len(c) for c in zip(*sq)]
        mean_word = "行均值" if lang == "zh" else "row means"
        col_word = "列均值" if lang == "zh" else "column means"
        lines.append(f"{mean_word} ${row(row_means, 7)}$, {col_word} ${row(col_means, 7)}$")
        r_t, c_t = s.row_var.flatten().tolist(), s.col_var.flatten().tolist()
        if t == 1:
            lines.append(f"$r_1 = {row(r_t, 7)}$, $c_1 = {row(c_t, 7)}$")
        else:
            b = num(s.beta2, 6)
            lines.append(f"$r_{{{t}}} = {b} \\cdot r_{{{t - 1}}} + (1 - {b}) \\cdot "
                         f"\\text{{{mean_word}}} = {row(r_t, 7)}$")
            lines.append(f"$c_{{{t}}} = {b} \\cdot c_{{{t - 1}}} + (1 - {b}) \\cdot "
                         f"\\text{{{col_word}}} = {row(c_t, 7)}$")
    last, t = steps[-1], len(steps)
    if params["ask"] == "vhat":
        i, j = params["index"]
        r, c = last.row_var.flatten().tolist(), last.col_var.flatten().tolist()
        mean_r = sum(r) / len(r)
        lines.append(f"$\\text{{mean}}(r_{{{t}}}) = {num(mean_r, 8)}$")
        lines.append(f"$\\hat V_{{{i + 1}{j + 1}}} = \\frac{{r_{{{t},{i + 1}}} \\cdot "
                     f"c_{{{t},{j + 1}}}}}{{\\text{{mean}}(r_{{{t}}})}} = \\frac{{{num(r[i], 8)} \\cdot {num(c[j], 8)}}}"
                     f"{{{num(mean_r, 8)}}} = {answer_tex(params)}$")
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    symbol = SYMBOL[params["ask"]]
    if params["ask"] == "vhat":
        i, j = params["index"]
        symbol += f"_{{{i + 1}{j + 1}}}"
    else:
        symbol += f"_{{{t}}}"
    return lines + [answer_line + f"${symbol} = {answer_tex(params)}$"]


def _statistics(params: dict, **changes):
    """r and c (as lists) for a student who averages with one rule done differently."""
    r = c = None
    for t, g in enumerate(params["grads"], start=1):
        if changes.get("square_of_mean"):
            rows = [(sum(x) / len(x)) ** 2 for x in g]
            cols = [(sum(x) / len(x)) ** 2 for x in zip(*g)]
        else:
            sq = _squares(g)
            rows = [sum(x) / len(x) for x in sq]
            cols = [sum(x) / len(x) for x in zip(*sq)]
        if changes.get("sums_not_means"):
            rows = [x * len(g[0]) for x in rows]
            cols = [x * len(g) for x in cols]
        if changes.get("beta2_0_999") and t > 1:
            beta = 0.999
        elif changes.get("current_gradient_only"):
            beta = 0.0
        else:
            beta = 1 - t**BETA2_DECAY
        r = rows if r is None else [beta * a + (1 - beta) * b for a, b in zip(r, rows)]
        c = cols if c is None else [beta * a + (1 - beta) * b for a, b in zip(c, cols)]
    return r, c


def _variant(params: dict, **changes):
    r, c = _statistics(params, **changes)
    if params["ask"] == "row":
        return r
    if params["ask"] == "col":
        return c
    i, j = params["index"]
    if changes.get("no_normalizer"):
        return r[i] * c[j]
    if changes.get("mixed_sum_normalizer"):
        return r[i] * c[j] / sum(r)
    if changes.get("full_second_moment"):
        return float(params["grads"][-1][i][j] ** 2)
    return r[i] * c[j] / (sum(r) / len(r))


FEEDBACK = {
    "no_normalizer": {
        "en": "V-hat = r c^T / mean(r): without the normalizer the estimate is off by a factor "
              "mean(r) (for a constant G^2 = s it would give s^2 instead of s).",
        "zh": "V-hat = r c^T / mean(r)：漏掉归一化因子会差一个 mean(r) 倍（若 G^2 恒为 s，"
              "会得到 s^2 而不是 s）。",
    },
    "mixed_sum_normalizer": {
        "en": "With means r and c the normalizer is mean(r); dividing by the sum of r mixes the "
              "paper's sum convention with torch's mean convention.",
        "zh": "r、c 取均值时，归一化因子是 mean(r)；除以 r 的总和是把论文中求和的写法与 PyTorch "
              "求均值的写法混用了。",
    },
    "full_second_moment": {
        "en": "That is G_ij^2 itself; Adafactor stores only row and column statistics and "
              "rebuilds a rank-one estimate r c^T / mean(r), which differs from G^2.",
        "zh": "那是 G_ij^2 本身；Adafactor 只保存行、列统计量，并重建秩一的估计 r c^T / mean(r)，"
              "它与 G^2 并不相同。",
    },
    "sums_not_means": {
        "en": "torch.optim.Adafactor keeps means of G^2 over each row or column, not sums (the "
              "paper's sums give the same V-hat, but the stored statistics differ).",
        "zh": "torch.optim.Adafactor 保存的是每行或每列 G^2 的均值，而不是总和（论文用总和，"
              "重建的 V-hat 相同，但保存的统计量不同）。",
    },
    "square_of_mean": {
        "en": "Square the entries first, then average: the statistic is the mean of G^2, not "
              "the square of the mean of G.",
        "zh": "要先逐元素平方再求均值：统计量是 G^2 的均值，而不是 G 的均值的平方。",
    },
    "beta2_0_999": {
        "en": "Adafactor's decay is not a fixed 0.999: at step t it is 1 - t^(-0.8), which is "
              "1 - 2^(-0.8) = 0.4257 at step 2.",
        "zh": "Adafactor 的衰减率不是固定的 0.999：第 t 步为 1 - t^(-0.8)，第 2 步是 "
              "1 - 2^(-0.8) = 0.4257。",
    },
    "current_gradient_only": {
        "en": "Only step 1 has beta2-hat = 0; at step 2 the statistics average the old values "
              "with weight 1 - 2^(-0.8) = 0.4257.",
        "zh": "只有第 1 步的 beta2-hat 为 0；第 2 步要以 1 - 2^(-0.8) = 0.4257 的权重保留旧值。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    if params["ask"] == "vhat":
        names = ["no_normalizer", "mixed_sum_normalizer", "full_second_moment"]
    else:
        names = ["sums_not_means", "square_of_mean"]
    if len(params["grads"]) > 1:
        names += ["beta2_0_999", "current_gradient_only"]
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]
