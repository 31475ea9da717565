"""LMS variants and Moodle reports: what `make --variants` and `grade report.csv` cost.

    python bench/lms.py [--count 30] [--variants 10] [--attempts 300] [--repeats 3]

Prints, as medians of the repeats:

* drawing variants: `make --variants N` on top of `make` (the same slots), per variant drawn;
* grading a Moodle Responses report (CSV) of A attempts × count slots, each attempt meeting
  random variants and answering with the key as a student types it, against grading the same
  number of answers from a plain quizgen CSV (one column per question id) in the same run:
  the ratio is the cost of finding each response's variant from its question text.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quizgen.batch import grade_submissions, read_submission_batch  # noqa: E402
from quizgen.lms_variants import add_variants, slot_variants  # noqa: E402
from quizgen.moodle_responses import grade_attempts, read_responses  # noqa: E402
from quizgen.roster import typed_answer  # noqa: E402
from quizgen.sampling import make_quiz  # noqa: E402


def moodle_response(q) -> str:
    """The key as Moodle's report shows a response: the option texts for a choice."""
    if q.kind != "choice":
        return typed_answer(q)
    right = q.answer if isinstance(q.answer, list) else [q.answer]
    if [c["id"] for c in q.choices] == ["T", "F"]:
        return "True" if right == ["T"] else "False"
    return "; ".join(c["text"]["en"].replace("$", "") for c in q.choices if c["id"] in right)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--variants", type=int, default=10)
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    make_s, draw_s = [], []
    for r in range(args.repeats):
        t, quiz = timed(lambda r=r: make_quiz("all", count=args.count, seed=100 + r))
        make_s.append(t)
        t, quiz = timed(lambda quiz=quiz: add_variants(quiz, args.variants))
        draw_s.append(t)
    drawn = sum(len(quiz.variants.get(q.id, [])) for q in quiz.questions)
    print(f"make, {args.count} questions: {statistics.median(make_s):.2f} s; "
          f"--variants {args.variants} adds {statistics.median(draw_s):.2f} s for {drawn} "
          f"variants ({statistics.median(draw_s) / drawn * 1000:.1f} ms each, "
          f"{statistics.median(make_s) / args.count * 1000:.1f} ms per question of make)")

    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        report, plain = Path(tmp) / "responses.csv", Path(tmp) / "answers.csv"
        header = ["Last name", "First name", "Email address", "Status"]
        for n in range(1, args.count + 1):
            header += [f"Question {n}", f"Response {n}"]
        with report.open("w", newline="", encoding="utf-8") as f, \
                plain.open("w", newline="", encoding="utf-8") as g:
            moodle, ours = csv.writer(f), csv.writer(g)
            moodle.writerow(header)
            ours.writerow(["student", *(q.id for q in quiz.questions)])
            for a in range(args.attempts):
                row, mine = [f"S{a}", "T", f"s{a}@example.com", "Finished"], [f"s{a}"]
                for slot in quiz.questions:
                    v = rng.choice(slot_variants(quiz, slot))
                    text = v.question.prompt["en"].replace("$", "")
                    row += [text, moodle_response(v.question)]
                    mine.append(typed_answer(slot))
                moodle.writerow(row)
                ours.writerow(mine)
        moodle_s, plain_s = [], []
        for _ in range(args.repeats):
            t, results = timed(lambda: grade_attempts(quiz, read_responses(report, quiz).attempts))
            moodle_s.append(t)
            assert all(v.status == "correct" for r in results for v in r.verdicts.values())
            t, _ = timed(lambda: grade_submissions(
                quiz, [(s.student, s.answers) for s in read_submission_batch(plain, quiz).rows]))
            plain_s.append(t)
    answers = args.attempts * args.count
    m, p = statistics.median(moodle_s), statistics.median(plain_s)
    print(f"grading {answers} answers ({args.attempts} attempts × {args.count}): Moodle report "
          f"{m:.2f} s ({answers / m:,.0f}/s), plain CSV {p:.2f} s ({answers / p:,.0f}/s), "
          f"ratio {m / p:.2f}")


if __name__ == "__main__":
    main()
