"""A hand-built multi-part quiz for the classroom and web tests (the question of
tests/test_multipart.py): clip_grad_norm_ of g = (3, 4) with max_norm 1, asked in three parts,
the total norm (a), the clip coefficient from (a) (b), the clipped gradient from (b) (c), and
a plain number question q2. The values a student reaches from a wrong (a) are computed here,
from the definition of clip_grad_norm_, not by the grader."""

from __future__ import annotations

from quizgen.model import Mistake, Part, Question, Quiz

EPS = 1e-6  # clip_grad_norm_ adds it to the norm


def coef(norm: float) -> float:
    """clip_grad_norm_'s coefficient for a total norm, max_norm 1."""
    return min(1.0, 1.0 / (norm + EPS))


def clipped(norm: float) -> list[float]:
    return [3 * coef(norm), 4 * coef(norm)]


def typed(value) -> str:
    """How a student types a value (full precision)."""
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


def answers_from(norm: float, *, q2: str = "0.5") -> dict[str, str]:
    """A student who reads the norm as ``norm`` and computes (b) and (c) right from it."""
    return {"q1.a": typed(norm), "q1.b": typed(coef(norm)), "q1.c": typed(clipped(norm)),
            "q2": q2}


def clip_question(norm: float = 5.0, points=(1.0, 1.0, 2.0)) -> Question:
    """The key as if the norm were ``norm`` (5 is right; a wrong key is a key to fix)."""
    def part(pid, kind, answer, pts, uses=(), formula="", mistakes=()):
        return Part(pid, {"en": f"({pid})", "zh": f"（{pid}）"}, kind, answer, str(answer),
                    {"rtol": 1e-6, "atol": 1e-9}, pts, {"en": ["…"], "zh": ["…"]},
                    list(mistakes), uses=list(uses), formula=formula)

    squared = Mistake("squared_norm", norm ** 2, {"en": "That is the squared norm.",
                                                  "zh": "这是范数的平方。"})
    parts = [part("a", "number", norm, points[0], mistakes=[squared]),
             part("b", "number", coef(norm), points[1], ["a"], "min(1, 1/(a + 1e-6))"),
             part("c", "vector", clipped(norm), points[2], ["b"], "[3*b, 4*b]")]
    return Question("q1", "clipping.clip_grad_norm", "parts", {},
                    {"en": "Clip g = (3, 4) to norm 1.", "zh": "将 g = (3, 4) 裁剪到范数 1。"},
                    [p.answer for p in parts], "", {}, float(sum(points)),
                    {"en": [], "zh": []}, [], parts=parts)


def plain_question() -> Question:
    return Question("q2", "plain.number", "number", {}, {"en": "1/2?", "zh": "1/2？"}, 0.5,
                    "0.5", {"rtol": 1e-6}, 1.0, {"en": [], "zh": []}, [])


def parts_quiz(norm: float = 5.0, follow_through: str = "full") -> Quiz:
    return Quiz(seed=12, topic="clipping", lang="en",
                questions=[clip_question(norm), plain_question()],
                created_with={"quizgen": "test"}, title="clip in parts",
                follow_through=follow_through)
