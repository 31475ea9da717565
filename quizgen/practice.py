"""Practice in the terminal: one question at a time, graded and explained at once.

Each answer is first echoed back as the grader read it (``verdict.interpreted``), so a student
sees ``2/3*x`` before being told that ``2/3x`` was wrong; then the verdict, the named mistake's
feedback when the answer matches one, and the worked solution. An unreadable answer is not a
wrong one: the student is told why and asked again. Ctrl-C or Ctrl-D ends the session with the
score so far.

Question text is LaTeX in dollars; :func:`to_terminal` turns the bank's subset into readable
Unicode (``\\frac{a}{b}`` → ``(a)/(b)``, ``\\beta_1`` → ``β₁``, ``10^{-8}`` → ``10⁻⁸``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .grading import Verdict
from .model import Part, Question
from .multipart import METHOD

# Practice has no quiz to say otherwise: a part right for the learner's own earlier slip gets
# full credit, as a teacher marking by hand gives it (quizgen.multipart, ``make``'s default).
FOLLOW_THROUGH = "full"

UI = {
    "en": {
        "welcome": "Practice: {topic}. Type an answer and press Enter; an empty line skips; "
                   "Ctrl-D or Ctrl-C stops.",
        "question": "Question {n}", "prompt": "answer> ", "read_as": "Read as: {text}",
        "correct": "✓ Correct.", "incorrect": "✗ Incorrect. {feedback}",
        "partial": "~ Partly right ({score:.0%}). {feedback}",
        "invalid": "? Could not read that: {feedback} Try again.",
        "mistake": "Common mistake ({name}): {feedback}", "skipped": "Skipped.",
        "answer": "Answer: {answer}", "solution": "Worked solution:",
        "score": "Score: {score:g} / {total:g}",
        "bye": "Final score: {score:g} / {total:g} over {n} question(s). Bye.",
        "choices": "Options:",
        "part": "Part ({id})",
    },
    "zh": {
        "welcome": "练习：{topic}。输入答案后按回车；空行跳过；Ctrl-D 或 Ctrl-C 结束。",
        "question": "第 {n} 题", "prompt": "答案> ", "read_as": "识别为：{text}",
        "correct": "✓ 正确。", "incorrect": "✗ 错误。{feedback}",
        "partial": "~ 部分正确（{score:.0%}）。{feedback}",
        "invalid": "? 无法识别：{feedback} 请重新输入。",
        "mistake": "典型错误（{name}）：{feedback}", "skipped": "已跳过。",
        "answer": "答案：{answer}", "solution": "解题步骤：",
        "score": "得分：{score:g} / {total:g}",
        "bye": "最终得分：{score:g} / {total:g}，共 {n} 题。再见。",
        "choices": "选项：",
        "part": "小题（{id}）",
    },
}

# -- LaTeX to terminal text ---------------------------------------------------------------------

SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "nabla": "∇",
    "partial": "∂", "cdot": "·", "times": "×", "odot": "⊙", "approx": "≈", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "in": "∈", "infty": "∞",
    "sum": " Σ", "prod": " Π", "to": "→", "rightarrow": "→", "pm": "±", "lVert": "‖",
    "rVert": "‖", "Vert": "‖", "|": "‖", "ldots": "…", "dots": "…", "cdots": "⋯",
    "min": "min", "max": "max", "sin": "sin", "cos": "cos", "exp": "exp", "log": "log",
    "ln": "ln", "quad": "  ", "qquad": "    ", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "mid": "|",
}
SUPERSCRIPT = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
SUBSCRIPT = str.maketrans("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # one brace group, one level of nesting inside
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def _script(body: str, table: dict, mark: str) -> str:
    converted = body.translate(table)
    if all(c != o or c in " " for c, o in zip(converted, body)):  # every character has a form
        return converted
    return f"{mark}({body})" if len(body) > 1 else f"{mark}{body}"


def _either(m: re.Match) -> str:
    return m.group(1) if m.group(1) is not None else m.group(2)


def _wrap(body: str) -> str:
    """Parenthesize a fraction's part unless it is one token (``1/d`` but ``(a + b)/2``)."""
    return body if re.fullmatch(r"[\w.\\]+", body.strip()) else f"({body})"


def latex_to_text(tex: str) -> str:
    """The bank's LaTeX subset as plain Unicode; anything unknown keeps its name unslashed."""
    s = tex
    s = re.sub(r"\\(?:left|right|big|Big|bigl|bigr|Bigl|Bigr)\b\s*", "", s)
    s = re.sub(r"\\(?:mathrm|mathbf|mathit|operatorname|text|textbf|mathbb|boldsymbol)\s*"
               + _GROUP, r"\1", s)
    for _ in range(4):  # nested fractions and roots, innermost first
        s = re.sub(r"\\[dt]?frac\s*" + _GROUP + r"\s*" + _GROUP,
                   lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}", s)
        s = re.sub(r"\\sqrt\s*" + _GROUP, r"√(\1)", s)
        s = re.sub(r"\\hat\s*" + _GROUP, lambda m: m.group(1) + "\u0302", s)
    s = re.sub(r"\\hat\s*\\?([A-Za-z])", lambda m: SYMBOLS.get(m.group(1), m.group(1)) + "\u0302",
               s)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: SYMBOLS.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\\[,;:! ]", " ", s)
    s = s.replace(r"\{", "{").replace(r"\}", "}").replace("\\\\", " ")
    # one pass per kind, so a caret put back for "^(x+y)" is not read again as a script
    s = re.sub(r"\^(?:" + _GROUP + r"|(\S))",
               lambda m: _script(_either(m), SUPERSCRIPT, "^"), s)
    s = re.sub(r"_(?:" + _GROUP + r"|(\S))",
               lambda m: _script(_either(m), SUBSCRIPT, "_"), s)
    s = s.replace("{", "").replace("}", "")
    return re.sub(r"[ \t]{2,}", " ", s).strip()


def to_terminal(text: str) -> str:
    """Text with ``$...$`` math, dollars gone and the math converted by latex_to_text."""
    return _MATH.sub(lambda m: latex_to_text(m.group(1) or m.group(2)), text)


# -- the session -------------------------------------------------------------------------------

@dataclass
class Tally:
    score: float = 0.0
    total: float = 0.0
    asked: int = 0


def practice_questions(topic: str, seed: int) -> Iterator[Question]:
    """An endless stream of questions on ``topic``, reproducible from ``seed``."""
    from .sampling import DIFFICULTIES, build_question, rng_for, select_families

    pool = select_families(topic)
    for n in range(1, 1_000_000):
        rng = rng_for(seed, "practice", n)
        family = rng.choice(pool)
        yield build_question(family, rng, rng.choice(DIFFICULTIES), qid=f"p{n}")


def _show_answer(q: Question | Part) -> str:
    if isinstance(q.answer, list):
        if all(isinstance(x, str) for x in q.answer):
            return ", ".join(q.answer)
        return "[" + ", ".join(f"{x:.6g}" for x in q.answer) + "]"
    if isinstance(q.answer, float):
        return f"{q.answer:.6g}"
    return str(q.answer)


def run(topic: str, lang: str = "en", seed: int | None = None, count: int = 0,
        read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> Tally:
    """Ask until ``count`` questions are done (0: until EOF or Ctrl-C); returns the tally."""
    # The grader's imports, before the first question: done just before a prompt, they let
    # a Ctrl-C at that prompt be lost now and then (tests/classroom/test_practice_terminal.py).
    from . import batch  # noqa: F401

    ui = UI[lang]
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    tally = Tally()
    write(ui["welcome"].format(topic=topic))
    try:
        for q in practice_questions(topic, seed):
            if count and tally.asked >= count:
                break
            write("")
            write(f"{ui['question'].format(n=tally.asked + 1)} · {q.family}")
            write(to_terminal(q.prompt[lang]))
            if q.parts:
                _ask_parts(q, lang, tally, read, write)
            else:
                _ask_one(q, lang, tally, read, write)
            tally.asked += 1
            write(ui["score"].format(score=round(tally.score, 6), total=tally.total))
    except (EOFError, KeyboardInterrupt):
        write("")
    write(ui["bye"].format(score=round(tally.score, 6), total=tally.total, n=tally.asked))
    return tally


def _options(choices: list[dict], lang: str, write: Callable[[str], None]) -> None:
    if choices:
        write(UI[lang]["choices"])
        for option in choices:
            write(f"  {option['id']}) {to_terminal(option['text'][lang])}")


def _read_answer(grade: Callable[[str], Verdict], lang: str, read: Callable[[str], str],
                 write: Callable[[str], None]) -> tuple[str, Verdict | None]:
    """(text, verdict) once the answer can be read; ("", None) for an empty line (skip)."""
    ui = UI[lang]
    while True:
        text = read(ui["prompt"])
        if not text.strip():
            return "", None
        verdict = grade(text)
        if verdict.status != "invalid":
            return text, verdict
        write(ui["invalid"].format(feedback=verdict.feedback))


def _tell(verdict: Verdict, lang: str, write: Callable[[str], None]) -> None:
    """How the answer was read, then the verdict and its feedback."""
    ui = UI[lang]
    write(ui["read_as"].format(text=verdict.interpreted))
    if verdict.method == METHOD:  # right for the learner's own earlier slip
        write(("✓ " if verdict.status == "correct" else "✗ ") + verdict.feedback)
    elif verdict.status == "correct":
        write(ui["correct"])
    elif verdict.mistake:
        name = verdict.mistake.replace("_", " ")
        write(ui["mistake"].format(name=name, feedback=to_terminal(verdict.feedback)))
    elif verdict.score > 0:
        write(ui["partial"].format(score=verdict.score, feedback=verdict.feedback))
    else:
        write(ui["incorrect"].format(feedback=to_terminal(verdict.feedback)))


def _solution(steps: list[str], write: Callable[[str], None]) -> None:
    for step in steps:
        write("  " + to_terminal(step))


def _ask_one(q: Question, lang: str, tally: Tally, read, write) -> None:
    from .batch import grade_answer  # imported by run() before the first prompt

    ui = UI[lang]
    _options(q.choices, lang, write)
    _, verdict = _read_answer(lambda text: grade_answer(q, text, lang), lang, read, write)
    tally.total += q.points
    if verdict is None:
        write(ui["skipped"] + " " + ui["answer"].format(answer=_show_answer(q)))
    else:
        tally.score += verdict.score * q.points
        _tell(verdict, lang, write)
        if verdict.status != "correct":
            write(ui["answer"].format(answer=_show_answer(q)))
    write(ui["solution"])
    _solution(q.solution[lang], write)


def _ask_parts(q: Question, lang: str, tally: Tally, read, write) -> None:
    """A multi-part question, part by part: each part graded as soon as it is answered, a
    later part against the learner's own earlier answers too (follow-through, full credit as
    a teacher marking by hand gives it); the question scores its parts' points-weighted sum."""
    from .multipart import grade_part, grade_parts

    ui = UI[lang]
    texts: dict[str, str] = {}
    for part in q.parts:
        write("")
        write(f"{ui['part'].format(id=part.id)} {to_terminal(part.prompt[lang])}")
        _options(part.choices, lang, write)
        text, verdict = _read_answer(lambda t, p=part: grade_part(p, t, lang), lang, read,
                                     write)
        tally.total += part.points
        if verdict is None:
            write(ui["skipped"] + " " + ui["answer"].format(answer=_show_answer(part)))
        else:
            texts[part.id] = text
            verdict = grade_parts(q, texts, lang, FOLLOW_THROUGH)[part.id]
            tally.score += verdict.score * part.points
            _tell(verdict, lang, write)
            if verdict.method == METHOD or verdict.status != "correct":
                write(ui["answer"].format(answer=_show_answer(part)))
        write(ui["solution"])
        _solution(part.solution[lang], write)
