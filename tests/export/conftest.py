"""A small hand-built quiz with the LaTeX the bank writes (independent of question_bank/)."""

from __future__ import annotations

import copy

import pytest

from quizgen.model import Mistake, Question, Quiz

ADAM = Question(
    id="optimizers.adam_step#1",
    family="optimizers.adam_step",
    kind="number",
    params={"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "g": 0.5},
    prompt={
        "en": (
            r"Adam with $\eta = 0.1$, $\beta_1 = 0.9$, $\beta_2 = 0.999$ and $\epsilon = 10^{-8}$"
            r" starts from $m_0 = v_0 = 0$. At $t = 1$ the gradient is $g_1 = 0.5$."
            "\n"
            r"The update is $$\theta_{t} = \theta_{t-1} - \eta \frac{\hat{m}_t}"
            r"{\sqrt{\hat{v}_t} + \epsilon}$$ What is $\theta_0 - \theta_1$?"
        ),
        "zh": (
            r"Adam 优化器的参数为 $\eta = 0.1$、$\beta_1 = 0.9$、$\beta_2 = 0.999$、"
            r"$\epsilon = 10^{-8}$，初始 $m_0 = v_0 = 0$。第 $t = 1$ 步的梯度为 $g_1 = 0.5$。"
            "\n"
            r"更新公式为 $$\theta_{t} = \theta_{t-1} - \eta \frac{\hat{m}_t}"
            r"{\sqrt{\hat{v}_t} + \epsilon}$$ 求 $\theta_0 - \theta_1$。"
        ),
    },
    answer=0.0999999980000,
    answer_tex=r"\theta_0 - \theta_1 \approx 0.099999998",
    tolerance={"rtol": 1e-4, "atol": 1e-9},
    points=2,
    solution={
        "en": [
            r"First moment: $m_1 = (1 - \beta_1) g_1 = 0.05$, so"
            r" $\hat{m}_1 = \frac{m_1}{1 - \beta_1^1} = 0.5$.",
            r"Second moment: $v_1 = (1 - \beta_2) g_1^2 = 0.00025$, so $\hat{v}_1 = 0.25$.",
            r"Step: $\eta \cdot \frac{0.5}{\sqrt{0.25} + 10^{-8}} \approx 0.099999998$.",
        ],
        "zh": [
            r"一阶矩：$m_1 = (1 - \beta_1) g_1 = 0.05$，偏差校正后 $\hat{m}_1 = 0.5$。",
            r"二阶矩：$v_1 = (1 - \beta_2) g_1^2 = 0.00025$，偏差校正后 $\hat{v}_1 = 0.25$。",
            r"步长：$\eta \cdot \frac{0.5}{\sqrt{0.25} + 10^{-8}} \approx 0.099999998$。",
        ],
    },
    mistakes=[
        Mistake(
            name="no_bias_correction",
            value=0.00316227766,
            feedback={
                "en": r"Divide by $1 - \beta_1^t$ and $1 - \beta_2^t$ before the step.",
                "zh": r"计算步长前要先除以 $1 - \beta_1^t$ 和 $1 - \beta_2^t$ 进行偏差校正。",
            },
        )
    ],
)

CLIP = Question(
    id="clipping.clip_grad_norm#2",
    family="clipping.clip_grad_norm",
    kind="vector",
    params={"g": [3.0, 4.0], "max_norm": 1.0},
    prompt={
        "en": (
            r"Clip the gradient $\mathbf{g} = \begin{pmatrix} 3 \\ 4 \end{pmatrix}$ to"
            r" $\lVert \mathbf{g} \rVert_2 \le 1$ the way clip_grad_norm_ scales it,"
            r" $\mathbf{g} \leftarrow \mathbf{g} \cdot \min\left(1, \frac{c}{\lVert \mathbf{g}"
            r" \rVert_2}\right)$. Give the clipped gradient."
        ),
        "zh": (
            r"将梯度 $\mathbf{g} = \begin{pmatrix} 3 \\ 4 \end{pmatrix}$ 按范数裁剪到"
            r" $\lVert \mathbf{g} \rVert_2 \le 1$，裁剪方式为"
            r" $\mathbf{g} \leftarrow \mathbf{g} \cdot \min\left(1, \frac{c}{\lVert \mathbf{g}"
            r" \rVert_2}\right)$。求裁剪后的梯度。"
        ),
    },
    answer=[0.6, 0.8],
    answer_tex=r"\begin{pmatrix} 0.6 \\ 0.8 \end{pmatrix}",
    tolerance={"sigfigs": 3},
    points=1.5,
    solution={
        "en": [
            r"$\lVert \mathbf{g} \rVert_2 = \sqrt{3^2 + 4^2} = 5 > 1$, so the gradient is scaled.",
            r"$$\mathbf{g} \times \frac{1}{5} = \begin{bmatrix} 0.6 \\ 0.8 \end{bmatrix}$$",
        ],
        "zh": [
            r"$\lVert \mathbf{g} \rVert_2 = \sqrt{3^2 + 4^2} = 5 > 1$，因此需要缩放。",
            r"$$\mathbf{g} \times \frac{1}{5} = \begin{bmatrix} 0.6 \\ 0.8 \end{bmatrix}$$",
        ],
    },
    mistakes=[
        Mistake(
            name="clip_each_entry",
            value=[1.0, 1.0],
            feedback={
                "en": r"That is clip_grad_value_: it clips each entry to $[-1, 1]$.",
                "zh": r"这是按值裁剪：它把每个分量截断到 $[-1, 1]$。",
            },
        )
    ],
)

SIGMOID = Question(
    id="calculus.sigmoid_derivative#3",
    family="calculus.sigmoid_derivative",
    kind="expression",
    params={},
    prompt={
        "en": (
            r"Let $\sigma(x) = \frac{1}{1 + e^{-x}}$ and $\operatorname{Var}(\varepsilon) = 1$."
            r" Find $\frac{d}{dx} \sigma(x)$ as an expression in $x$. (Hint: $\nabla f$ of"
            r" $f = \sum_{i=1}^{n} \sigma(x_i)$ has entries of this form.)"
        ),
        "zh": (
            r"设 $\sigma(x) = \frac{1}{1 + e^{-x}}$，且 $\operatorname{Var}(\varepsilon) = 1$。"
            r"求 $\frac{d}{dx} \sigma(x)$，用 $x$ 表示。（提示：$f = \sum_{i=1}^{n}"
            r" \sigma(x_i)$ 的梯度 $\nabla f$ 的各分量都是这种形式。）"
        ),
    },
    answer="exp(-x)/(1+exp(-x))^2",
    answer_tex=r"\frac{e^{-x}}{\left(1 + e^{-x}\right)^{2}}",
    tolerance={"rtol": 1e-6, "atol": 1e-9},
    points=3,
    solution={
        "en": [r"Chain rule: $\sigma'(x) = \sigma(x)\left(1 - \sigma(x)\right)$."],
        "zh": [r"链式法则：$\sigma'(x) = \sigma(x)\left(1 - \sigma(x)\right)$。"],
    },
    mistakes=[
        Mistake(
            name="dropped_chain_rule",
            value="-exp(-x)/(1+exp(-x))^2",
            feedback={
                "en": r"The derivative of $e^{-x}$ is $-e^{-x}$; the two minus signs cancel.",
                "zh": r"$e^{-x}$ 的导数是 $-e^{-x}$，两个负号相互抵消。",
            },
        )
    ],
    vars=["x"],
)


@pytest.fixture
def quiz() -> Quiz:
    """A fresh deep copy each time, so a test may edit its questions."""
    return Quiz(
        seed=20240917,
        topic="optimizers",
        lang="en",
        questions=copy.deepcopy([ADAM, CLIP, SIGMOID]),
        created_with={"quizgen": "0.1.0", "torch": "2.13.0", "sympy": "1.13"},
        title="Optimization midterm",
    )


TRUE_FALSE = Question(
    id="optimizers.concepts#4",
    family="optimizers.concepts",
    kind="choice",
    params={"item": "adam-bias", "order": []},
    prompt={
        "en": r"Adam divides $\hat{m}_t$ by $1 - \beta_1^t$ to correct its bias. (true or false)",
        "zh": r"Adam 把 $\hat{m}_t$ 除以 $1 - \beta_1^t$ 来校正偏差。（判断对错）",
    },
    answer="F",
    answer_tex=r"\text{F}",
    tolerance={},
    points=1,
    solution={
        "en": [r"It divides $m_t$, giving $\hat{m}_t = m_t / (1 - \beta_1^t)$."],
        "zh": [r"被除的是 $m_t$：$\hat{m}_t = m_t / (1 - \beta_1^t)$。"],
    },
    mistakes=[
        Mistake(
            name="answered T",
            value="T",
            feedback={
                "en": r"$\hat{m}_t$ is the result, not the input.",
                "zh": r"结果才是 $\hat{m}_t$。",
            },
        )
    ],
    choices=[
        {"id": "T", "text": {"en": "True", "zh": "对"}},
        {"id": "F", "text": {"en": "False", "zh": "错"}},
    ],
)

MULTIPLE = Question(
    id="optimizers.concepts#5",
    family="optimizers.concepts",
    kind="choice",
    params={"item": "step-size", "order": [0, 1, 2, 3]},
    prompt={
        "en": "Which of these make Adam's steps smaller? (select all that apply)",
        "zh": "以下哪些会让 Adam 的步长变小？（多选）",
    },
    answer=["A", "C"],
    answer_tex=r"\text{A, C}",
    tolerance={},
    points=2,
    solution={"en": ["A larger $\\epsilon$ and a smaller $\\eta$ both shrink the step."],
              "zh": ["增大 $\\epsilon$ 或减小 $\\eta$ 都会缩小步长。"]},
    mistakes=[],
    choices=[
        {"id": "A", "text": {"en": r"a larger $\epsilon$", "zh": r"增大 $\epsilon$"}},
        {"id": "B", "text": {"en": "more data", "zh": "更多数据"}},
        {"id": "C", "text": {"en": r"a smaller $\eta$", "zh": r"减小 $\eta$"}},
        {"id": "D", "text": {"en": "momentum", "zh": "动量"}},
    ],
)

SINGLE = Question(
    id="normalization.concepts#6",
    family="normalization.concepts",
    kind="choice",
    params={"item": "bn-eval", "order": [0, 1, 2]},
    prompt={
        "en": "What does BatchNorm normalize with in eval mode? (one answer)",
        "zh": "BatchNorm 在 eval 模式下用什么做归一化？（单选）",
    },
    answer="B",
    answer_tex=r"\text{B}",
    tolerance={},
    points=1,
    solution={"en": ["The running estimates, updated during training."],
              "zh": ["训练时更新的滑动平均估计。"]},
    mistakes=[
        Mistake("option: the statistics of the current batch", "A",
                {"en": "That is training mode.", "zh": "那是训练模式。"}),
        Mistake("option: the statistics of the whole data set", "C",
                {"en": "Never computed by the layer.", "zh": "该层从不计算这个。"}),
    ],
    choices=[
        {"id": "A", "text": {
            "en": "the statistics of the current mini-batch, recomputed at every forward pass",
            "zh": "当前小批量的统计量，每次前向传播重新计算",
        }},
        {"id": "B", "text": {"en": "the running mean and variance tracked during training",
                             "zh": "训练时跟踪的滑动均值和方差"}},
        {"id": "C", "text": {"en": "the exact mean and variance of the whole training set",
                             "zh": "整个训练集的精确均值和方差"}},
    ],
)


@pytest.fixture
def mixed_quiz() -> Quiz:
    """Number, vector, expression and the three kinds of choice question."""
    return Quiz(
        seed=7,
        topic="optimizers",
        lang="en",
        questions=copy.deepcopy([ADAM, CLIP, SIGMOID, TRUE_FALSE, MULTIPLE, SINGLE]),
        created_with={"quizgen": "0.1.0"},
        title="Optimization quiz",
    )
