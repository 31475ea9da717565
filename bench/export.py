"""Export speed: a 30-question Chinese quiz as PDF (sheet + key) and HTML (sheet + key).

    python bench/export.py [--count 30] [--repeat 7] [--topic all] [--lang zh]

Samples ``--repeat`` + 1 quizzes (seeds 0, 1, ...; a new source each run, since Typst
memoizes), then times each export once per quiz; the first run loads fonts and compiles
templates: that is start-up, reported on its own line.
Prints the median seconds per format, sheet and key together.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--topic", default="all")
    parser.add_argument("--lang", default="zh", choices=["en", "zh"])
    args = parser.parse_args()

    from quizgen.export import export
    from quizgen.sampling import make_quiz

    # a different quiz every run: Typst memoizes, and an identical source would compile free
    quizzes = [
        make_quiz(args.topic, count=args.count, seed=seed, lang=args.lang)
        for seed in range(args.repeat + 1)
    ]
    quiz = quizzes[0]
    kinds = sorted({q.kind for q in quiz.questions})
    print(f"{len(quiz.questions)} questions ({', '.join(kinds)}), lang={args.lang}")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("pdf", "html"):

            def both(quiz, fmt: str = fmt) -> float:
                start = time.perf_counter()
                for key in (False, True):
                    export(quiz, fmt, Path(folder) / f"{key}.{fmt}", key=key)
                return time.perf_counter() - start

            first = both(quizzes[0])
            times = [both(q) for q in quizzes[1:]]
            rows.append((fmt, first, statistics.median(times), min(times), max(times)))
    print(f"{'format':<8}{'first run s':>13}{'median s':>11}{'min s':>9}{'max s':>9}")
    for fmt, first, median, low, high in rows:
        print(f"{fmt:<8}{first:>13.3f}{median:>11.3f}{low:>9.3f}{high:>9.3f}")
    print("(sheet + key per run; the target for pdf is a median under 1 s)")


if __name__ == "__main__":
    main()
