r"""Too large or too small a learning rate: classify gradient descent on a quadratic (a choice).

Each step multiplies coordinate i by :math:`1 - \eta a_i` (:math:`a_i` a curvature, an
eigenvalue of the Hessian), so the iterates converge monotonically for
:math:`\eta < 1/a_{max}`, converge while oscillating for :math:`1/a_{max} < \eta < 2/a_{max}`,
oscillate with constant amplitude at :math:`\eta = 2/a_{max}` and diverge above
(conventions.md section 13).

Difficulty 1: :math:`f(x) = \tfrac a2 x^2`. 2: :math:`f(x) = c x^2` (a = 2c), the boundary
:math:`\eta = 2/a` possible. 3: :math:`f(x, y) = \tfrac12(a_1 x^2 + a_2 y^2)`, where the larger
curvature decides. The options are fixed (A to D); the answer comes from the multipliers that
reference.optim.sgd_step applies in one step.
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp
import torch

from question_bank._format import num, plain
from quizgen.model import Mistake
from reference.optim import sgd_step

ID = "schedules.gd_regime"
TOPIC = "schedules"
TITLE = {"en": "Learning rate too large or too small", "zh": "学习率过大或过小"}
KIND = "choice"

CURVATURES = (0.5, 1, 2, 4, 5, 8, 10)
LEARNING_RATES = (0.01, 0.05, 0.1, 0.125, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 1.0, 1.5)
REGIMES = ("monotone", "oscillating", "constant", "divergent")
LETTER = dict(zip(REGIMES, "ABCD"))
OPTION_TEXT = {
    "monotone": {"en": "It converges monotonically: every coordinate keeps its sign and "
                       "shrinks towards the minimum.",
                 "zh": "单调收敛：每个坐标保持符号不变，逐步缩小到极小点。"},
    "oscillating": {"en": "It converges while oscillating: some coordinate changes sign every "
                          "step, but the distance to the minimum shrinks.",
                    "zh": "振荡收敛：某个坐标每一步都变号，但到极小点的距离不断缩小。"},
    "constant": {"en": "It oscillates forever with constant amplitude: it neither converges "
                       "nor diverges.",
                 "zh": "等幅振荡：既不收敛也不发散。"},
    "divergent": {"en": "It diverges: the distance to the minimum grows without bound.",
                  "zh": "发散：到极小点的距离无限增大。"},
}


def sample(rng: random.Random, difficulty: int) -> dict:
    want = rng.choice(REGIMES if difficulty > 1 else ("monotone", "oscillating", "divergent"))
    while True:
        curvatures = [rng.choice(CURVATURES)]
        if difficulty == 3:
            curvatures.append(rng.choice([c for c in CURVATURES if c != curvatures[0]]))
        lr = rng.choice(LEARNING_RATES)
        products = [Fraction(str(lr)) * Fraction(str(a)) for a in curvatures]
        if any(p == 1 for p in products) or max(products) > 4:
            continue  # one step straight to the minimum, or absurdly large
        top = max(products)
        regime = ("monotone" if top < 1 else "oscillating" if top < 2 else
                  "constant" if top == 2 else "divergent")
        if regime == want:
            return {"curvatures": curvatures, "lr": lr, "form": {1: "a", 2: "c", 3: "diag"}[difficulty]}


def multipliers(params: dict) -> list[float]:
    """What one reference.optim.sgd_step multiplies each coordinate by (x_1 / x_0, x_0 = 1)."""
    x = torch.ones(len(params["curvatures"]), dtype=torch.float64)
    grad = torch.tensor(params["curvatures"], dtype=torch.float64) * x
    return sgd_step(x, grad, lr=params["lr"]).param.tolist()


def classify(factors: list[float]) -> str:
    largest = max(abs(m) for m in factors)
    if abs(largest - 1) < 1e-12:
        return "constant"
    if largest > 1:
        return "divergent"
    return "oscillating" if min(factors) < 0 else "monotone"


def answer(params: dict) -> str:
    return LETTER[classify(multipliers(params))]


def closed_form(params: dict) -> str:
    """Compare eta * a_max with 1 and 2 in exact arithmetic."""
    products = [sp.Rational(str(params["lr"])) * sp.Rational(str(a))
                for a in params["curvatures"]]
    top = max(products)
    if top < 1:
        return LETTER["monotone"]
    if top < 2:
        return LETTER["oscillating"]
    return LETTER["constant"] if top == 2 else LETTER["divergent"]


def choices(params: dict) -> list[dict]:
    return [{"id": LETTER[r], "text": dict(OPTION_TEXT[r])} for r in REGIMES]


def tolerance(params: dict) -> dict:
    return {}  # an option letter is matched exactly


def answer_tex(params: dict) -> str:
    return "\\text{" + answer(params) + "}"


def function_tex(params: dict, lang: str) -> str:
    joint = "，其中 " if lang == "zh" else " with "
    a = params["curvatures"]
    if params["form"] == "a":
        return f"f(x) = \\frac{{a}}{{2}} x^2${joint}$a = {num(a[0])}"
    if params["form"] == "c":
        return f"f(x) = {num(a[0] / 2)} x^2"
    return f"f(x, y) = \\frac{{1}}{{2}}\\left({num(a[0])} x^2 + {num(a[1])} y^2\\right)"


def prompt(params: dict, lang: str) -> str:
    f, lr = function_tex(params, lang), num(params["lr"])
    start = "$(x_0, y_0) = (1, 1)$" if params["form"] == "diag" else "$x_0 = 1$"
    if lang == "zh":
        return (f"用固定学习率 $\\eta = {lr}$ 的梯度下降（torch.optim.SGD，无动量）最小化 ${f}$，"
                f"从 {start} 出发迭代很多步。迭代序列会怎样？（单选）")
    return (f"Gradient descent with a fixed learning rate $\\eta = {lr}$ (torch.optim.SGD, no "
            f"momentum) minimizes ${f}$, starting from {start} and running for many steps. "
            f"How do the iterates behave? (one answer)")


def _explanation(params: dict, lang: str) -> str:
    a, lr = params["curvatures"], params["lr"]
    factors = multipliers(params)
    top = max(a)
    parts = ", ".join(f"$1 - {num(lr)} \\cdot {num(c)} = {num(m, 8)}$" for c, m in zip(a, factors))
    regime = classify(factors)
    verdict = {
        "en": {"monotone": "all in $(0, 1)$: monotone convergence",
               "oscillating": "largest magnitude below 1 with a negative factor: oscillating "
                              "convergence",
               "constant": "a factor of exactly $-1$: constant oscillation",
               "divergent": "a factor of magnitude above 1: divergence"},
        "zh": {"monotone": "都在 $(0, 1)$ 内：单调收敛",
               "oscillating": "绝对值都小于 1 且有负因子：振荡收敛",
               "constant": "有一个因子恰为 $-1$：等幅振荡",
               "divergent": "有因子绝对值大于 1：发散"},
    }[lang][regime]
    if lang == "zh":
        return (f"每一步把坐标乘以 $1 - \\eta a$（$a$ 为该方向的曲率）："
                f"{parts}；{verdict}。阈值由最大曲率 $a_{{\\max}} = {num(top)}$ 决定："
                f"$1/a_{{\\max}} = {num(1 / top)}$，$2/a_{{\\max}} = {num(2 / top)}$。")
    return (f"Each step multiplies a coordinate by $1 - \\eta a$ ($a$ its curvature): {parts}; "
            f"{verdict}. The thresholds come from the largest curvature "
            f"$a_{{\\max}} = {num(top)}$: $1/a_{{\\max}} = {num(1 / top)}$ and "
            f"$2/a_{{\\max}} = {num(2 / top)}$.")


def solution(params: dict, lang: str) -> list[str]:
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    lines = [_explanation(params, lang)]
    if params["form"] == "c":
        lines.insert(0, f"$f'(x) = 2 \\cdot {num(params['curvatures'][0] / 2)} x = "
                        f"{num(params['curvatures'][0])} x$")
    return lines + [answer_line + f"$\\text{{{answer(params)}}}$"]


# Why a student picks a wrong option, keyed by (right regime, chosen regime).
MISCONCEPTION = {
    ("oscillating", "divergent"): "divergence_threshold_1_over_a",
    ("oscillating", "monotone"): "overshoot_overlooked",
    ("monotone", "oscillating"): "oscillation_below_1_over_a",
    ("constant", "divergent"): "boundary_2_over_a_counted_as_divergence",
    ("constant", "oscillating"): "boundary_2_over_a_counted_as_convergence",
    ("divergent", "oscillating"): "divergence_threshold_above_2_over_a",
    ("divergent", "constant"): "any_oscillation_is_bounded",
}
RULE = {
    "en": "The rule: each step multiplies x by 1 - lr a; |1 - lr a| < 1 converges (monotonically "
          "when lr < 1/a, oscillating when lr is between 1/a and 2/a), lr = 2/a oscillates with "
          "constant amplitude, lr > 2/a diverges. With several curvatures the largest decides.",
    "zh": "规则：每步 x 乘以 1 - lr a；|1 - lr a| < 1 时收敛（lr < 1/a 时单调收敛，lr 在 1/a 与 2/a "
          "之间时振荡收敛），lr = 2/a 时等幅振荡，lr > 2/a 时发散。有多个曲率时由最大的曲率决定。",
}
HERE = {
    "en": "Here lr * a_max = {product}, so the factor is 1 - lr * a_max = {factor}: {verdict}. ",
    "zh": "本题 lr * a_max = {product}，因子 1 - lr * a_max = {factor}：{verdict}。",
}
VERDICT = {
    "en": {"monotone": "monotone convergence", "oscillating": "oscillating convergence",
           "constant": "constant oscillation", "divergent": "divergence"},
    "zh": {"monotone": "单调收敛", "oscillating": "振荡收敛", "constant": "等幅振荡",
           "divergent": "发散"},
}


def mistakes(params: dict) -> list[Mistake]:
    right = classify(multipliers(params))
    product = params["lr"] * max(params["curvatures"])
    feedback = {lang: HERE[lang].format(product=plain(product), factor=plain(1 - product),
                                        verdict=VERDICT[lang][right]) + RULE[lang]
                for lang in ("en", "zh")}
    return [Mistake(MISCONCEPTION.get((right, chosen), f"chose_{chosen}"), LETTER[chosen],
                    dict(feedback))
            for chosen in REGIMES if chosen != right]
