"""Hand-built multi-part questions for the export and conformance tests (independent of
question_bank/): one Adam step asked in five parts, each later part following from earlier
ones; clip_grad_norm_ in parts with a vector part and a choice part; the sigmoid's derivative
with an expression part and a choice part with several right options. Their answers are
checked against torch in tests/export/test_multipart_export.py."""

from __future__ import annotations

import copy

from quizgen.model import Mistake, Part, Question, Quiz

TOL = {"rtol": 1e-4, "atol": 1e-9}


def _part(pid, kind, answer, answer_tex, points, prompt, solution, *, uses=(), formula="",
          mistakes=(), tolerance=TOL, choices=(), variables=()):
    return Part(pid, prompt, kind, answer, answer_tex, dict(tolerance), points, solution,
                list(mistakes), vars=list(variables), uses=list(uses), formula=formula,
                choices=list(choices))


ADAM_PARTS = Question(
    id="q1", family="optimizers.adam_step", kind="parts",
    params={"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "g": 0.5, "theta": 1.0},
    prompt={
        "en": r"Adam with $\eta = 0.1$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$"
              r" starts from $\theta_0 = 1$, $m_0 = v_0 = 0$; the gradient at $t = 1$ is"
              r" $g_1 = 0.5$.",
        "zh": r"Adam 的参数为 $\eta = 0.1$、$\beta_1 = 0.9$、$\beta_2 = 0.999$、"
              r"$\epsilon = 10^{-8}$，初始 $\theta_0 = 1$、$m_0 = v_0 = 0$；第 $t = 1$ 步的梯度为"
              r" $g_1 = 0.5$。",
    },
    answer=[0.05, 0.00025, 0.5, 0.25, 0.900000002], answer_tex="", tolerance={}, points=6.0,
    solution={"en": [], "zh": []}, mistakes=[], difficulty=2,
    parts=[
        _part("a", "number", 0.05, r"m_1 = 0.05", 1.0,
              {"en": r"Find $m_1 = \beta_1 m_0 + (1 - \beta_1) g_1$.",
               "zh": r"求 $m_1 = \beta_1 m_0 + (1 - \beta_1) g_1$。"},
              {"en": [r"$m_1 = 0.1 \times 0.5 = 0.05$."],
               "zh": [r"$m_1 = 0.1 \times 0.5 = 0.05$。"]},
              mistakes=[Mistake("no_one_minus_beta", 0.45, {
                  "en": r"The gradient is weighted by $1 - \beta_1$, not $\beta_1$.",
                  "zh": r"梯度的权重是 $1 - \beta_1$，不是 $\beta_1$。"})]),
        _part("b", "number", 0.00025, r"v_1 = 0.00025", 1.0,
              {"en": r"Find $v_1 = \beta_2 v_0 + (1 - \beta_2) g_1^2$.",
               "zh": r"求 $v_1 = \beta_2 v_0 + (1 - \beta_2) g_1^2$。"},
              {"en": [r"$v_1 = 0.001 \times 0.25$."], "zh": [r"$v_1 = 0.001 \times 0.25$。"]}),
        _part("c", "number", 0.5, r"\hat{m}_1 = 0.5", 1.0,
              {"en": r"Find the bias-corrected $\hat{m}_1$.",
               "zh": r"求偏差校正后的 $\hat{m}_1$。"},
              {"en": [r"$\hat{m}_1 = \frac{m_1}{1 - \beta_1^1}$."],
               "zh": [r"$\hat{m}_1 = \frac{m_1}{1 - \beta_1^1}$。"]},
              uses=["a"], formula="a/(1 - 0.9)"),
        _part("d", "number", 0.25, r"\hat{v}_1 = 0.25", 1.0,
              {"en": r"Find the bias-corrected $\hat{v}_1$.",
               "zh": r"求偏差校正后的 $\hat{v}_1$。"},
              {"en": [r"$\hat{v}_1 = \frac{v_1}{1 - \beta_2^1}$."],
               "zh": [r"$\hat{v}_1 = \frac{v_1}{1 - \beta_2^1}$。"]},
              uses=["b"], formula="b/(1 - 0.999)"),
        _part("e", "number", 0.900000002, r"\theta_1 \approx 0.900000002", 2.0,
              {"en": r"Find $\theta_1 = \theta_0 - \eta"
                     r" \frac{\hat{m}_1}{\sqrt{\hat{v}_1} + \epsilon}$.",
               "zh": r"求 $\theta_1 = \theta_0 - \eta"
                     r" \frac{\hat{m}_1}{\sqrt{\hat{v}_1} + \epsilon}$。"},
              {"en": [r"$\theta_1 = 1 - 0.1 \cdot \frac{0.5}{0.5 + 10^{-8}}$."],
               "zh": [r"$\theta_1 = 1 - 0.1 \cdot \frac{0.5}{0.5 + 10^{-8}}$。"]},
              uses=["c", "d"], formula="1 - 0.1*c/(sqrt(d) + 1e-8)",
              tolerance={"rtol": 1e-7, "atol": 1e-9}),
    ],
)

B = 1 / (5 + 1e-6)
CLIP_PARTS = Question(
    id="q2", family="clipping.clip_grad_norm", kind="parts", params={"g": [3, 4], "max_norm": 1},
    prompt={
        "en": r"clip_grad_norm_ clips $\mathbf{g} = (3, 4)$ to norm $c = 1$ with"
              r" $\epsilon = 10^{-6}$: $\mathbf{g} \leftarrow \mathbf{g} \cdot"
              r" \min\left(1, \frac{c}{\lVert \mathbf{g} \rVert_2 + \epsilon}\right)$.",
        "zh": r"clip_grad_norm_ 将 $\mathbf{g} = (3, 4)$ 裁剪到范数 $c = 1$"
              r"（$\epsilon = 10^{-6}$）："
              r"$\mathbf{g} \leftarrow \mathbf{g} \cdot"
              r" \min\left(1, \frac{c}{\lVert \mathbf{g} \rVert_2 + \epsilon}\right)$。",
    },
    answer=[5.0, B, [3 * B, 4 * B], "A"], answer_tex="", tolerance={}, points=5.0,
    solution={"en": [], "zh": []}, mistakes=[],
    parts=[
        _part("a", "number", 5.0, r"\lVert \mathbf{g} \rVert_2 = 5", 1.0,
              {"en": r"Find $\lVert \mathbf{g} \rVert_2$.",
               "zh": r"求 $\lVert \mathbf{g} \rVert_2$。"},
              {"en": [r"$\sqrt{3^2 + 4^2} = 5$."], "zh": [r"$\sqrt{3^2 + 4^2} = 5$。"]},
              tolerance={"sigfigs": 3},
              mistakes=[Mistake("squared_norm", 25.0, {"en": "That is the squared norm.",
                                                       "zh": "这是范数的平方。"})]),
        _part("b", "number", B, r"\frac{1}{5 + 10^{-6}} \approx 0.2", 1.0,
              {"en": "Find the clipping coefficient.", "zh": "求裁剪系数。"},
              {"en": [r"$\min\left(1, \frac{1}{5 + 10^{-6}}\right)$."],
               "zh": [r"$\min\left(1, \frac{1}{5 + 10^{-6}}\right)$。"]},
              uses=["a"], formula="min(1, 1/(a + 1e-6))"),
        _part("c", "vector", [3 * B, 4 * B], r"\left(0.6,\ 0.8\right)", 2.0,
              {"en": "Give the clipped gradient.", "zh": "求裁剪后的梯度。"},
              {"en": [r"$\mathbf{g} \cdot 0.2 = (0.6, 0.8)$."],
               "zh": [r"$\mathbf{g} \cdot 0.2 = (0.6, 0.8)$。"]},
              uses=["b"], formula="[3*b, 4*b]",
              mistakes=[Mistake("clip_each_entry", [1.0, 1.0], {
                  "en": "That is clip_grad_value_.", "zh": "这是按值裁剪。"})]),
        _part("d", "choice", "A", r"\text{A}", 1.0,
              {"en": "What does the clipping keep? (one answer)", "zh": "裁剪保持了什么？（单选）"},
              {"en": ["It scales every entry by the same factor."],
               "zh": ["它把每个分量乘以同一个系数。"]},
              tolerance={},
              choices=[{"id": "A", "text": {"en": "the direction of $\\mathbf{g}$",
                                            "zh": "$\\mathbf{g}$ 的方向"}},
                       {"id": "B", "text": {"en": "each entry's size", "zh": "每个分量的大小"}},
                       {"id": "C", "text": {"en": "nothing", "zh": "什么都不保持"}}],
              mistakes=[Mistake("option B", "B", {"en": "Every entry shrinks.",
                                                  "zh": "每个分量都变小了。"})]),
    ],
)


SIGMOID_PARTS = Question(
    id="q3", family="calculus.sigmoid_derivative", kind="parts", params={},
    prompt={"en": r"Let $\sigma(x) = \frac{1}{1 + e^{-x}}$.",
            "zh": r"设 $\sigma(x) = \frac{1}{1 + e^{-x}}$。"},
    answer=["exp(-x)/(1+exp(-x))^2", 0.25, ["A", "C"]], answer_tex="", tolerance={},
    points=4.0, solution={"en": [], "zh": []}, mistakes=[],
    parts=[
        _part("a", "expression", "exp(-x)/(1+exp(-x))^2",
              r"\frac{e^{-x}}{\left(1 + e^{-x}\right)^{2}}", 2.0,
              {"en": r"Find $\sigma'(x)$ in $x$.", "zh": r"用 $x$ 表示 $\sigma'(x)$。"},
              {"en": [r"$\sigma' = \sigma (1 - \sigma)$."],
               "zh": [r"$\sigma' = \sigma (1 - \sigma)$。"]},
              tolerance={"rtol": 1e-6, "atol": 1e-9}, variables=["x"],
              mistakes=[Mistake("dropped_chain_rule", "-exp(-x)/(1+exp(-x))^2", {
                  "en": "Mind the sign of the chain rule.", "zh": "注意链式法则的符号。"})]),
        _part("b", "number", 0.25, r"\sigma'(0) = 0.25", 1.0,
              {"en": r"Find $\sigma'(0)$.", "zh": r"求 $\sigma'(0)$。"},
              {"en": [r"$\sigma(0)(1 - \sigma(0)) = \frac{1}{4}$."],
               "zh": [r"$\sigma(0)(1 - \sigma(0)) = \frac{1}{4}$。"]}),
        _part("c", "choice", ["A", "C"], r"\text{A, C}", 1.0,
              {"en": r"Which hold for every $x$? (select all that apply)",
               "zh": r"哪些对所有 $x$ 成立？（多选）"},
              {"en": [r"$0 < \sigma' \le \frac{1}{4}$."],
               "zh": [r"$0 < \sigma' \le \frac{1}{4}$。"]},
              tolerance={},
              choices=[{"id": "A", "text": {"en": r"$\sigma'(x) > 0$", "zh": r"$\sigma'(x) > 0$"}},
                       {"id": "B", "text": {"en": r"$\sigma'(x) > 1$", "zh": r"$\sigma'(x) > 1$"}},
                       {"id": "C", "text": {"en": r"$\sigma'(x) \le 0.25$",
                                            "zh": r"$\sigma'(x) \le 0.25$"}}]),
    ],
)


def multipart_quiz(follow_through: str = "full", plain: list[Question] = ()) -> Quiz:
    """The three multi-part questions (fresh copies), then any ``plain`` questions."""
    return Quiz(seed=11, topic="optimizers", lang="en",
                questions=copy.deepcopy([ADAM_PARTS, CLIP_PARTS, SIGMOID_PARTS, *plain]),
                created_with={"quizgen": "test"}, title="Multi-part quiz",
                follow_through=follow_through)
