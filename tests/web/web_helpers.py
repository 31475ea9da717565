"""Helpers of the web tests: a four-question quiz (number, expression, vector,
multiple choice), two students with different variants and known tokens, and the app over a
fresh gradebook on SQLite or, where a server can be started, PostgreSQL.

Every secret of the key is distinctive text (``SECRET-…`` steps, many-digit numbers) so a test
can search any page for it.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import replace
from pathlib import Path

from databases import free_port  # noqa: F401  (re-exported for the web tests)

from quizgen.model import Mistake, Question, Quiz
from quizgen.roster import Student, StudentVariant, Variants

TOKENS = {"s1": "tok-s1-AAAAAAAAAAAAAAAAAAAA", "s2": "tok-s2-BBBBBBBBBBBBBBBBBBBB"}
NAMES = {"s1": "Ann Lee", "s2": "王小明"}
ADMIN = "admin-token-CCCCCCCCCCCCCCCCCCCC"


def question(qid, kind, answer, answer_tex, *, tag, vars=(), choices=(), tolerance=None,
             points=1.0, prompt=None):
    return Question(
        id=qid, family=f"web.{kind}", kind=kind, params={},
        prompt=prompt or {"en": f"Question {qid} ({kind}): compute $\\frac{{a}}{{b}}$.",
                          "zh": f"第 {qid} 题（{kind}）：计算 $\\frac{{a}}{{b}}$。"},
        answer=answer, answer_tex=answer_tex,
        tolerance=tolerance if tolerance is not None else {"rtol": 1e-4, "atol": 1e-9},
        points=points,
        solution={"en": [f"SECRET-STEP-{tag}-{qid} first $x^2$", f"SECRET-STEP-{tag}-{qid} end"],
                  "zh": [f"SECRET-STEP-{tag}-{qid} 第一步", f"SECRET-STEP-{tag}-{qid} 完"]},
        mistakes=[Mistake("forgot_half", answer * 2 if kind == "number" else answer,
                          {"en": f"SECRET-MISTAKE-{tag}-{qid}", "zh": f"SECRET-MISTAKE-{tag}"})]
        if kind == "number" else [],
        vars=list(vars),
        choices=list(choices),
    )


CHOICES = [{"id": "A", "text": {"en": "Adam", "zh": "Adam"}},
           {"id": "B", "text": {"en": "SGD", "zh": "SGD"}},
           {"id": "C", "text": {"en": "AdamW", "zh": "AdamW"}}]


def quiz_questions(tag: str, number: float, vector: list[float], expr: str, expr_tex: str):
    return [
        question("q1", "number", number, f"{number!r}", tag=tag, points=2.0),
        question("q2", "expression", expr, expr_tex, tag=tag, vars=["x"]),
        question("q3", "vector", vector, "[" + ", ".join(map(repr, vector)) + "]", tag=tag),
        question("q4", "choice", ["A", "C"], r"\text{A, C}", tag=tag, choices=CHOICES,
                 prompt={"en": "Which use Adam's moments? (select all that apply)",
                         "zh": "哪些使用 Adam 的矩估计？（多选）"}),
    ]


# Base quiz and the two variants: s1's q1 is 1/2 (the browser test types \frac{1}{2}).
BASE = quiz_questions("base", 0.7310585786, [0.1234567, -2.345678], "x^2/7 + 13*x",
                      r"\frac{x^2}{7} + 13x")
VARIANT = {
    "s1": quiz_questions("s1", 0.5, [0.4444447, 1.9876543], "x^3/11 - 17*x",
                         r"\frac{x^3}{11} - 17x"),
    "s2": quiz_questions("s2", 0.3183098862, [0.2718281828, 3.1415926535], "5*x^2/9 + 19",
                         r"\frac{5x^2}{9} + 19"),
}


def right_answers(student: str) -> dict[str, str]:
    qs = {q.id: q for q in VARIANT[student]}
    return {"q1": repr(qs["q1"].answer), "q2": qs["q2"].answer,
            "q3": "[" + ", ".join(repr(v) for v in qs["q3"].answer) + "]", "q4": "A, C"}


def secrets_of(student: str) -> list[str]:
    """Text that must never reach this student's browser before solutions are released."""
    qs = VARIANT[student]
    out = [repr(qs[0].answer), qs[1].answer, qs[1].answer_tex, qs[2].answer_tex]
    out += [repr(v) for v in qs[2].answer]
    for q in qs:
        out += q.solution["en"] + q.solution["zh"]
        out += [m.feedback["en"] for m in q.mistakes]
    return [s for s in out if s not in ("0.5",)]  # "0.5" is too common to search for


def write_classroom(folder: Path, *, tokens: dict[str, str] = TOKENS) -> Path:
    quiz = Quiz(seed=7, topic="web", lang="en", questions=BASE,
                created_with={"quizgen": "test"}, title="Web quiz")
    quiz_path = folder / "quiz.json"
    quiz.save(quiz_path)
    variants = Variants(seed=7, topic="web", question_ids=[q.id for q in BASE], shuffle=False,
                        students=[StudentVariant(Student(s, NAMES[s]), VARIANT[s])
                                  for s in ("s1", "s2")])
    variants.save(folder / "variants.json")
    with (folder / "tokens.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "name", "token"])
        for s, t in tokens.items():
            w.writerow([s, NAMES.get(s, ""), t])
    return quiz_path


def fix_key(quiz_path: Path, student: str, qid: str, answer) -> None:
    """Change one answer of a student's variant in variants.json (a teacher's key fix)."""
    variants = Variants.load(quiz_path.with_name("variants.json"))
    for v in variants.students:
        if v.student.id == student:
            v.questions = [replace(q, answer=answer) if q.id == qid else q
                           for q in v.questions]
    variants.save(quiz_path.with_name("variants.json"))


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_of(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


def sign_in(client, token: str, *, admin: bool = False):
    csrf = csrf_of(client, "/admin" if admin else "/")
    return client.post("/admin/login" if admin else "/login",
                       data={"token": token, "csrf_token": csrf})


def wait_until(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
