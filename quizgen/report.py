"""Reports on a graded class: scores per student, and how well each question worked.

Item analysis, classical test theory (as PrairieLearn reports it):

* difficulty ``p_i`` = mean score of question i, as a fraction of its points (1 = everyone right);
* discrimination ``r_i`` = point-biserial correlation, i.e. the Pearson correlation between the
  score on question i and the *rest score* (total minus question i, so an item is not correlated
  with itself): ``r = cov(x_i, R_i) / (sd(x_i) sd(R_i))``; ``None`` when either is constant;
* upper-lower index ``D_i`` = mean score on i of the top 27% of students by total minus that of
  the bottom 27% (Kelley's groups), in [-1, 1].

A multi-part question is analysed part by part (items ``q3.a``, ``q3.b``, ...): each part is an
item with its own points, and it also counts the answers right by the key and those that follow
through from the student's own wrong earlier answer. The plot of the share correct per part
shows where in a computation the class goes wrong: a drop from (a) to (b) right by the key,
with the follow-through share filling it, is a slip in (a) carried through correctly; a drop
that nothing fills is (b) itself.

Answers not yet graded under the key in force (a key fix awaiting ``regrade``) are counted as
pending and left out of every statistic.
"""

from __future__ import annotations

import base64
import io
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .gradebook import Answer
from .model import Quiz
from .multipart import METHOD as FOLLOW_THROUGH
from .spreadsheet import write_csv

UPPER_LOWER_FRACTION = 0.27
TOP_WRONG = 3

UI = {
    "en": {
        "title": "Report", "students": "Students", "mean": "Mean", "median": "Median",
        "pending": "answers await a regrade under the current key",
        "items": "Questions", "question": "Question", "family": "Family",
        "difficulty": "Difficulty (mean score)", "discrimination": "Discrimination (r_pb)",
        "upper_lower": "Upper−lower (27%)", "answers": "Answers", "correct": "correct",
        "incorrect": "incorrect", "invalid": "unreadable", "wrong": "Most frequent wrong answers",
        "mistakes": "Named mistakes", "student": "Student", "name": "Name", "points": "Points",
        "percent": "%", "histogram": "Score distribution",
        "scatter": "Difficulty vs discrimination", "none": "—",
        "parts": "Share correct per part: right by the key, and by follow-through from the "
                 "student's own earlier answer",
        "share_correct": "Correct", "by_key": "by the key", "follow_through": "by follow-through",
    },
    "zh": {
        "title": "成绩报告", "students": "学生", "mean": "平均分", "median": "中位数",
        "pending": "个答案需要按当前答案键重新评分",
        "items": "题目", "question": "题号", "family": "题型",
        "difficulty": "难度（平均得分率）", "discrimination": "区分度（点二列相关）",
        "upper_lower": "高低分组差（27%）", "answers": "作答", "correct": "正确",
        "incorrect": "错误", "invalid": "无法识别", "wrong": "最常见的错误答案",
        "mistakes": "典型错误", "student": "学号", "name": "姓名", "points": "得分",
        "percent": "%", "histogram": "分数分布", "scatter": "难度与区分度", "none": "—",
        "parts": "各小题正确率：按答案正确，以及依据学生自己前一小题的答案按延续评分正确",
        "share_correct": "正确", "by_key": "按答案", "follow_through": "按延续评分",
    },
}


@dataclass
class StudentScore:
    student: str
    name: str
    points: float
    max_points: float
    pending: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


@dataclass
class WrongAnswer:
    text: str  # as the grader read it
    count: int
    mistake: str | None


@dataclass
class ItemStats:
    question_id: str
    family: str
    points: float
    n: int
    difficulty: float | None
    discrimination: float | None
    upper_lower: float | None
    statuses: Counter = field(default_factory=Counter)
    wrong_answers: list[WrongAnswer] = field(default_factory=list)
    mistakes: list[tuple[str, int]] = field(default_factory=list)
    question: str = ""  # the multi-part question a part belongs to ("" for a whole question)
    part: str = ""  # the part's id ("a")
    followed: int = 0  # answers that follow through from the student's own earlier answer
    followed_correct: int = 0  # ... and earned credit for it (status correct)

    @property
    def share_correct(self) -> float | None:
        """Share of answers correct (by the key or by follow-through)."""
        return self.statuses["correct"] / self.n if self.n else None

    @property
    def share_by_key(self) -> float | None:
        return (self.statuses["correct"] - self.followed_correct) / self.n if self.n else None

    @property
    def share_followed(self) -> float | None:
        """Share of answers right for the student's own earlier answer (credited or not)."""
        return self.followed / self.n if self.n else None


@dataclass
class Report:
    title: str
    topic: str
    seed: int
    total_points: float
    students: list[StudentScore]
    items: list[ItemStats]
    pending: int

    @property
    def mean(self) -> float | None:
        scores = [s.points for s in self.students]
        return sum(scores) / len(scores) if scores else None

    @property
    def median(self) -> float | None:
        scores = sorted(s.points for s in self.students)
        if not scores:
            return None
        mid = len(scores) // 2
        return scores[mid] if len(scores) % 2 else (scores[mid - 1] + scores[mid]) / 2


# -- statistics -------------------------------------------------------------------------------

def pearson(x: list[float], y: list[float]) -> float | None:
    """Pearson correlation; None when fewer than 2 pairs or either side is constant."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 * n or syy <= 1e-12 * n:
        return None
    return sxy / math.sqrt(sxx * syy)


def upper_lower_index(item: list[float], totals: list[float],
                      fraction: float = UPPER_LOWER_FRACTION) -> float | None:
    """Mean item score of the top ``fraction`` of students by total minus the bottom's."""
    n = len(item)
    k = round(fraction * n)
    if k < 1 or 2 * k > n:
        return None
    order = sorted(range(n), key=lambda i: totals[i])
    lower, upper = order[:k], order[-k:]
    return sum(item[i] for i in upper) / k - sum(item[i] for i in lower) / k


def build_report(quiz: Quiz, answers: list[Answer],
                 names: dict[str, str] | None = None) -> Report:
    names = names or {}
    by_student: dict[str, dict[str, Answer]] = {}
    for a in answers:
        by_student.setdefault(a.student, {})[a.question_id] = a
    points_of = {q.id: q.points for q in quiz.questions}
    students = []
    for sid in sorted(by_student):
        got = by_student[sid]
        students.append(StudentScore(
            sid, names.get(sid, ""),
            round(sum(a.points for a in got.values() if a.verdict), 6),
            sum(points_of.values()),
            sum(1 for a in got.values() if a.verdict is None)))
    totals = {s.student: s.points for s in students}
    items = []
    for q, aid, points, part in _answer_items(quiz):
        graded = [by_student[sid][aid] for sid in sorted(by_student)
                  if aid in by_student[sid] and by_student[sid][aid].verdict is not None]
        scores = [a.verdict.score for a in graded]
        rest = [totals[a.student] - a.points for a in graded]
        wrong = Counter()
        wrong_mistake: dict[str, str | None] = {}
        mistakes = Counter()
        for a in graded:
            if a.verdict.status == "incorrect":
                text = a.verdict.interpreted or a.raw.strip()
                wrong[text] += 1
                wrong_mistake.setdefault(text, a.verdict.mistake)
            if a.verdict.mistake:
                mistakes[a.verdict.mistake] += 1
        followed = [a for a in graded if a.verdict.method == FOLLOW_THROUGH]
        items.append(ItemStats(
            aid, q.family, points, len(graded),
            sum(scores) / len(scores) if scores else None,
            pearson(scores, rest),
            upper_lower_index(scores, [totals[a.student] for a in graded]),
            Counter(a.verdict.status for a in graded),
            [WrongAnswer(t, c, wrong_mistake[t]) for t, c in wrong.most_common(TOP_WRONG)],
            mistakes.most_common(), q.id if part else "", part, len(followed),
            sum(1 for a in followed if a.verdict.status == "correct")))
    return Report(quiz.title, quiz.topic, quiz.seed, quiz.total_points, students, items,
                  sum(1 for a in answers if a.verdict is None))


def _answer_items(quiz: Quiz):
    """(question, answer id, points, part id) of every item: a question, or each part."""
    for q in quiz.questions:
        if not q.parts:
            yield q, q.id, q.points, ""
        for p in q.parts:
            yield q, f"{q.id}.{p.id}", p.points, p.id


# -- outputs ----------------------------------------------------------------------------------

SCORE_COLUMNS = ["student", "name", "points", "max_points", "percent"]


def score_rows(report: Report) -> list[list[str]]:
    return [[s.student, s.name, f"{s.points:g}", f"{s.max_points:g}", f"{s.percent:.1f}"]
            for s in report.students]


def write_scores_csv(report: Report, path: Path) -> Path:
    """One row per student: what an LMS gradebook import wants."""
    return write_csv(path, SCORE_COLUMNS, score_rows(report))


def write_items_csv(report: Report, path: Path) -> Path:
    return write_csv(
        path, ["question", "family", "points", "answers", "difficulty", "discrimination",
               "upper_lower", "correct", "incorrect", "invalid", "frequent_wrong", "mistakes",
               "follow_through"],
        ([i.question_id, i.family, f"{i.points:g}", i.n, _num(i.difficulty),
          _num(i.discrimination), _num(i.upper_lower), i.statuses["correct"],
          i.statuses["incorrect"], i.statuses["invalid"],
          "; ".join(f"{w.text} ×{w.count}" for w in i.wrong_answers),
          "; ".join(f"{name} ×{count}" for name, count in i.mistakes), i.followed]
         for i in report.items))


def _num(x: float | None, digits: int = 3) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def terminal_table(report: Report, width: int = 100) -> str:
    """The item table and a one-line summary, for the terminal."""
    lines = []
    mean = report.mean
    summary = f"{len(report.students)} students"
    if mean is not None:
        summary += (f", mean {mean:.2f} / {report.total_points:g}, "
                    f"median {report.median:g} / {report.total_points:g}")
    if report.pending:
        summary += f"; {report.pending} answers await `quizgen regrade`"
    lines.append(summary)
    lines.append(f"{'q':<5} {'family':<30} {'n':>5} {'diff':>5} {'r_pb':>6} {'D27':>6}  "
                 "most frequent wrong answer / mistake")
    for i in report.items:
        top = ""
        if i.wrong_answers:
            w = i.wrong_answers[0]
            top = f"{w.text} ×{w.count}"
        if i.mistakes:
            top += ("; " if top else "") + f"{i.mistakes[0][0]} ×{i.mistakes[0][1]}"
        row = (f"{i.question_id:<5} {i.family[:30]:<30} {i.n:>5} {_num(i.difficulty, 2):>5} "
               f"{_num(i.discrimination, 2):>6} {_num(i.upper_lower, 2):>6}  {top}")
        lines.append(row[:width])
    return "\n".join(lines)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(report: Report) -> dict[str, str]:
    """Base64 PNGs: the score histogram and difficulty vs discrimination per question.

    Axis labels are ASCII in both languages: matplotlib's bundled fonts have no CJK glyphs,
    and the HTML around the images carries the translated captions.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    fig, ax = plt.subplots(figsize=(6, 3.2))
    scores = [s.points for s in report.students]
    bins = min(20, max(5, int(report.total_points) + 1))
    ax.hist(scores, bins=bins, range=(0, report.total_points or 1), color="#4a7ab5",
            edgecolor="white")
    ax.set_xlabel(f"points (of {report.total_points:g})")
    ax.set_ylabel("students")
    out["histogram"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    shown = [i for i in report.items if i.difficulty is not None]
    xs = [i.difficulty for i in shown]
    ys = [i.discrimination if i.discrimination is not None else 0.0 for i in shown]
    ax.scatter(xs, ys, color="#b5534a")
    for i, x, y in zip(shown, xs, ys):
        ax.annotate(i.question_id, (x, y), textcoords="offset points", xytext=(4, 4),
                    fontsize=8)
    ax.axhline(0.2, color="grey", linewidth=0.8, linestyle="--")  # a common "works" threshold
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("difficulty p (mean score)")
    ax.set_ylabel("discrimination r_pb")
    out["scatter"] = _png(fig)
    plt.close(fig)
    if any(i.part for i in report.items):
        out["parts"] = _parts_plot(report, plt)
    return out


def _parts_plot(report: Report, plt) -> str:
    """Stacked bars, one per part, grouped by question: the share of answers right by the
    key, and on top the share right by follow-through (credited), so the class's path through
    each computation reads left to right."""
    shown = [i for i in report.items if i.part and i.n]
    xs, labels, x, last = [], [], 0.0, None
    for i in shown:
        x += 1.6 if last is not None and i.question != last else 1.0  # a gap between questions
        xs.append(x)
        labels.append(i.question_id)
        last = i.question
    by_key = [i.share_by_key for i in shown]
    followed = [i.followed_correct / i.n for i in shown]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(shown) + 1.5), 3.4))
    ax.bar(xs, by_key, width=0.8, color="#4a7ab5", label="right by the key")
    ax.bar(xs, followed, width=0.8, bottom=by_key, color="#e3a04f", hatch="//",
           edgecolor="white", label="right by follow-through")
    ax.set_xticks(xs, labels, rotation=45 if len(shown) > 12 else 0, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of answers")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
              frameon=False)  # above the bars, never over one
    encoded = _png(fig)
    plt.close(fig)
    return encoded


def render_html(report: Report, lang: str = "en") -> str:
    from .export.templating import environment

    ui = UI[lang if lang in UI else "en"]
    template = environment().get_template("report.html.j2")
    return template.render(report=report, ui=ui, lang=lang, plots=plots(report), num=_num)


def write_report(report: Report, folder: Path, lang: str = "en") -> list[Path]:
    """scores.csv, items.csv and report.html in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "report.html"
    html.write_text(render_html(report, lang), encoding="utf-8", newline="\n")
    return [write_scores_csv(report, folder / "scores.csv"),
            write_items_csv(report, folder / "items.csv"), html]


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data (for scripts and tests)."""
    return {
        "students": [{"student": s.student, "points": s.points} for s in report.students],
        "items": [{"question": i.question_id, "difficulty": i.difficulty,
                   "discrimination": i.discrimination, "upper_lower": i.upper_lower,
                   "mistakes": dict(i.mistakes), "share_correct": i.share_correct,
                   "follow_through": i.followed} for i in report.items],
        "pending": report.pending,
    }
