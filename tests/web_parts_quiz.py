"""A hand-built quiz with a multi-part question, for the tests of the served pages, practice and
LTI: clip_grad_norm_ on g = (3, 4) with max_norm 1, asked as (a) the total norm, (b) the clip
coefficient, (c) the clipped gradient, (d) whether g was clipped. The answers come from
torch.nn.utils.clip_grad_norm_ itself (the oracle), not from the formulas the parts carry.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from quizgen.model import Mistake, Part, Question, Quiz

MAX_NORM = 1.0
EPS = 1e-6  # clip_grad_norm_'s own: coefficient = max_norm / (total + 1e-6)


def _reference() -> tuple[float, float, list[float]]:
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    total = float(torch.nn.utils.clip_grad_norm_([p], max_norm=MAX_NORM))
    return total, MAX_NORM / (total + EPS), p.grad.tolist()


NORM, COEF, CLIPPED = _reference()
TOL = {"rtol": 1e-4, "atol": 1e-9}


def _part(pid, kind, answer, tex, points, en, zh, *, uses=(), formula="", mistakes=(),
          choices=()) -> Part:
    return Part(pid, {"en": en, "zh": zh}, kind, answer, tex, dict(TOL) if kind != "choice"
                else {}, points,
                {"en": [f"Step for ({pid}): ${tex}$."], "zh": [f"（{pid}）的步骤：${tex}$。"]},
                list(mistakes), uses=list(uses), formula=formula, choices=list(choices))


def clip_question(qid: str = "q2") -> Question:
    squared = Mistake("squared_norm", NORM ** 2, {"en": "That is the squared norm.",
                                                   "zh": "这是范数的平方。"})
    yes_no = [{"id": "A", "text": {"en": "Yes", "zh": "是"}},
              {"id": "B", "text": {"en": "No", "zh": "否"}}]
    parts = [
        _part("a", "number", NORM, f"{NORM:g}", 1.0, r"The total norm $\lVert g \rVert_2$.",
              r"总范数 $\lVert g \rVert_2$。", mistakes=[squared]),
        _part("b", "number", COEF, f"{COEF:.6g}", 1.0,
              r"The clip coefficient $\frac{1}{\lVert g \rVert_2 + 10^{-6}}$.",
              r"裁剪系数 $\frac{1}{\lVert g \rVert_2 + 10^{-6}}$。",
              uses=["a"], formula="1/(a + 1e-6)"),
        _part("c", "vector", CLIPPED, "[0.6, 0.8]", 2.0,
              "The clipped gradient (a vector such as [x, y]).",
              "裁剪后的梯度（形如 [x, y] 的向量）。", uses=["b"], formula="[3*b, 4*b]"),
        _part("d", "choice", "A", r"\text{A}", 1.0, "Was $g$ clipped?", "$g$ 是否被裁剪？",
              choices=yes_no),
    ]
    return Question(qid, "clipping.clip_grad_norm", "parts", {"g": [3, 4]},
                    {"en": r"$g = (3, 4)$ is clipped by clip_grad_norm_ to max_norm $1$.",
                     "zh": r"用 clip_grad_norm_ 把 $g = (3, 4)$ 裁剪到 max_norm $1$。"},
                    [p.answer for p in parts], "", {}, sum(p.points for p in parts),
                    {"en": [], "zh": []}, [], parts=parts)


def lr_question(qid: str = "q1") -> Question:
    return Question(qid, "optimizers.adam_step", "number", {}, {"en": r"Compute $\frac{1}{2}$.",
                                                      "zh": r"计算 $\frac{1}{2}$。"},
                    0.5, "0.5", dict(TOL), 2.0, {"en": ["$1/2$"], "zh": ["$1/2$"]}, [])


def parts_quiz(follow_through: str = "full") -> Quiz:
    return Quiz(seed=3, topic="clipping", lang="en", questions=[lr_question(), clip_question()],
                created_with={"quizgen": "test"}, title="Clipping in parts",
                follow_through=follow_through)


def right_answers() -> dict[str, str]:
    return {"q1": "1/2", "q2.a": repr(NORM), "q2.b": repr(COEF),
            "q2.c": "[" + ", ".join(map(repr, CLIPPED)) + "]", "q2.d": "A"}


def slipped_answers(norm: float = 7.0) -> dict[str, str]:
    """(a) wrong, (b) and (c) right for that wrong norm: follow-through; (d) right."""
    b = 1 / (norm + EPS)
    return {"q1": "1/2", "q2.a": repr(norm), "q2.b": repr(b),
            "q2.c": f"[{3 * b!r}, {4 * b!r}]", "q2.d": "A"}


def write_parts_classroom(folder: Path, tokens: dict[str, str], *,
                          follow_through: str = "full") -> Path:
    quiz_path = folder / "quiz.json"
    parts_quiz(follow_through).save(quiz_path)
    with (folder / "tokens.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "name", "token"])
        for s, t in tokens.items():
            w.writerow([s, "", t])
    return quiz_path
