"""Grade 100,000 answers (3,000 students x 33 questions) into a fresh gradebook and time it.

    python bench/gradebook.py [--students 3000] [--questions 33] [--variants 0] [--db PATH]

The answers are simulated the way a class answers: mostly right (often rounded to a few
significant figures), some named mistakes, some other wrong numbers, blanks and unreadable text.
``--variants N`` gives students N distinct per-student variants (round robin) instead of one
shared quiz, so the grader's per-key caches see N times more keys. Sampling the quiz and
writing the CSV are not timed; reading the CSV, registering the key and grading into the
database (one transaction per 25 students, WAL, synchronous=FULL) are.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quizgen.batch import read_submission_batch  # noqa: E402
from quizgen.gradebook import Gradebook  # noqa: E402
from quizgen.roster import Student, make_variants  # noqa: E402
from quizgen.sampling import make_quiz  # noqa: E402


def simulated_answer(question, rng: random.Random) -> str:
    roll = rng.random()
    answer = question.answer
    if roll < 0.04:
        return ""
    if roll < 0.07:
        return rng.choice(["idk", "2x+", "[1, 2", "√(-1)", "1/0", "import os"])
    if roll < 0.22 and question.mistakes:
        value = rng.choice(question.mistakes).value
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return " ".join(value)
        return value if isinstance(value, str) else repr(value)
    if roll < 0.30:
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            return repr(answer * rng.choice([2, -1, 0.5, 10]))
        return "0"
    if isinstance(answer, str):
        return answer
    if isinstance(answer, list) and all(isinstance(x, str) for x in answer):
        return ", ".join(answer)  # several options of a multiple-choice item
    if isinstance(answer, list):
        return "[" + ", ".join(f"{x:.6g}" for x in answer) + "]"
    return f"{answer:.{rng.choice([6, 8, 12])}g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--questions", type=int, default=33)
    parser.add_argument("--variants", type=int, default=0)
    parser.add_argument("--db", help="gradebook path (default: a temporary file)")
    args = parser.parse_args()

    quiz = make_quiz("all", count=args.questions, seed=7)
    ids = [f"s{i:05d}" for i in range(args.students)]
    variants = None
    if args.variants:
        made = make_variants(quiz, [Student(f"v{k}") for k in range(args.variants)])
        # every student shares one of the N variants' questions, round robin
        from quizgen.roster import StudentVariant, Variants

        variants = Variants(quiz.seed, quiz.topic, [q.id for q in quiz.questions], False, [
            StudentVariant(Student(sid), made.students[i % args.variants].questions)
            for i, sid in enumerate(ids)])
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.csv"
        rng = random.Random(0)
        with answers.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["student", *(q.id for q in quiz.questions)])
            for sid in ids:
                questions = variants.get(sid).questions if variants else quiz.questions
                by_id = {q.id: q for q in questions}
                writer.writerow([sid, *(simulated_answer(by_id[q.id], rng)
                                        for q in quiz.questions)])
        db = Path(args.db) if args.db else Path(tmp) / "gradebook.sqlite"
        n = args.students * args.questions
        start = time.perf_counter()
        batch = read_submission_batch(answers, quiz, variants.ids() if variants else None)
        read_s = time.perf_counter() - start
        with Gradebook(db) as book:
            record = book.register(quiz, variants)
            register_s = time.perf_counter() - start - read_s
            graded = book.grade(record, batch.rows, source=answers.name)
            total_s = time.perf_counter() - start
            counts = book.counts()
            start = time.perf_counter()
            book.grade(record, batch.rows, source=answers.name)  # idempotent second pass
            again_s = time.perf_counter() - start
        statuses: dict[str, int] = {}
        for g in graded:
            for a in g.answers.values():
                statuses[a.verdict.status] = statuses.get(a.verdict.status, 0) + 1
    print(f"{n:,} answers ({args.students:,} students x {args.questions} questions, "
          f"{args.variants or 'one shared'} variant(s)) graded into {db.name}")
    print(f"  read CSV {read_s:.2f} s, register key {register_s:.2f} s, "
          f"total {total_s:.2f} s = {n / total_s:,.0f} answers/s")
    print(f"  verdicts: {statuses}; rows: {counts}")
    print(f"  grading the same file again: {again_s:.2f} s, nothing added")


if __name__ == "__main__":
    main()
