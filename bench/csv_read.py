"""Reading answer files: quizgen's tolerant reader against Python's csv module, and its cost on
hostile files.

    python bench/csv_read.py [--rows 20000] [--repeat 7]

Files (in memory, already decoded; decoding is the same for both):

* ``plain``: ROWS rows of a 20-question export (id, name, timestamp, 20 answers), some cells
  quoted with commas and ``""`` inside, CRLF line ends;
* ``multiline``: the same with every 10th row holding a quoted answer that spans two lines.

For each, the median of REPEAT runs of ``csv.reader`` (the baseline: C code, and what quizgen
used before, which cannot recover from a bad row) and of ``quizgen.csvread.read_records``.
Then hostile files of growing size, where the reader must recover on every line, to show the
cost stays linear: time per MB at 1, 2 and 4 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quizgen.csvread import read_records  # noqa: E402


def export(rows: int, multiline: bool, rng: random.Random) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["student", "name", "Timestamp", *(f"q{i}" for i in range(1, 21))])
    for r in range(rows):
        answers = []
        for _ in range(20):
            roll = rng.random()
            if roll < 0.1:
                answers.append(f"[{rng.random():.3f}, {rng.random():.3f}]")  # quoted: commas
            elif roll < 0.12:
                answers.append('say "hi"')  # quoted, with "" inside
            else:
                answers.append(f"{rng.random():.4g}")
        if multiline and r % 10 == 0:
            answers[0] = "[1, 2]\n[3, 4]"
        w.writerow([f"s{r:05d}", f"Student {r}", "2024-05-01 10:00", *answers])
    return out.getvalue()


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(1)
    print(f"{'file':<12} {'MB':>6} {'csv module':>11} {'quizgen':>9} {'ratio':>6}")
    for name, multiline in (("plain", False), ("multiline", True)):
        text = export(args.rows, multiline, rng)
        base = median_time(lambda t=text: list(csv.reader(io.StringIO(t, newline=""))),
                           args.repeat)
        ours = median_time(lambda t=text: read_records(t, (",", ";", "\t")), args.repeat)
        print(f"{name:<12} {len(text) / 1e6:>6.2f} {base * 1000:>9.0f}ms {ours * 1000:>7.0f}ms "
              f"{ours / base:>5.1f}x")
    print("\nhostile files (no baseline: the csv module swallows or stops), seconds per MB:")
    hostile = {
        "unclosed quote on every line": lambda n: 'a,"b,c\n' * n,
        "quote closed then text": lambda n: 'a,"b"c,d\n' * n,
        "every line ends inside quotes": lambda n: 'a","b\n' * n,
        "one line of quoted cells": lambda n: '"a""b",' * n + "\n",
    }
    for label, make in hostile.items():
        per_mb = []
        for mb in (1, 2, 4):
            text = make(1)
            text = make(mb * 1_000_000 // len(text))
            seconds = median_time(lambda t=text: read_records(t), max(3, args.repeat // 2))
            per_mb.append(seconds / (len(text) / 1e6))
        print(f"  {label:<32} " + "  ".join(f"{mb} MB: {s:.3f}" for mb, s in
                                              zip((1, 2, 4), per_mb)))


if __name__ == "__main__":
    main()
