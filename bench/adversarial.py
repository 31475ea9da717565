"""The grader against adversarial answers: worst time, 99th percentile, and how cost grows.

    PYTHONPATH=. python bench/adversarial.py [--count 10000] [--seed 0]

Grades ``--count`` answers built from the shapes that once hung the grader (repeated separators,
nested brackets, long digit runs, stacked operators and exponents, repeated postfix operators,
huge literals, function powers) at random lengths up to the 2,000-character limit, for every
answer kind, and prints the worst and 99th-percentile time per verdict. Then, per shape, the
median time at length 2n over the time at length n: about 2 for a linear reader (a regular
expression that backtracks shows up as a large ratio).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from quizgen.grading import check
from quizgen.grading.normalize import MAX_LENGTH

SHAPES = {
    "separators": ("[", "1111,", "x]"),
    "digit list": ("[", "1" * 20 + ",", "x]"),
    "brackets": ("", "[", "1"),
    "parentheses": ("", "(", "1"),
    "power tower": ("1", "^1", ""),
    "postfix !": ("1", "!", ""),
    "signs": ("", "-+", "1"),
    "function powers": ("", "sin^2 ", "x"),
    "huge literals": ("", "9" * 59 + "*", "9"),
    "subscripts": ("x", "_{", "a"),
    "latex fractions": ("", r"\frac{1}{", "2"),
    "max lists": ("max(", "1,", "x)"),
}
KINDS = [("number", 1.0, ()), ("vector", [1, 2], ()), ("expression", "x*y", ("x", "y"))]


def build(shape: str, length: int) -> str:
    head, unit, tail = SHAPES[shape]
    times = max(1, (length - len(head) - len(tail)) // len(unit))
    return (head + unit * times + tail)[:MAX_LENGTH]


def timed(answer: str, kind, expected, variables) -> float:
    start = time.perf_counter()
    check(expected, answer, kind=kind, variables=variables)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    check("exp(50000*x)/exp(50000*x)", "1", variables=["x"])  # warm numpy and a SymPy worker

    times = []
    for _ in range(args.count):
        shape = rng.choice(list(SHAPES))
        kind, expected, variables = rng.choice(KINDS)
        times.append(timed(build(shape, rng.randint(1, MAX_LENGTH)), kind, expected, variables))
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    print(f"{len(times)} adversarial answers (up to {MAX_LENGTH} characters, every kind)")
    print(f"  median {statistics.median(times) * 1e3:.2f} ms   p99 {p99 * 1e3:.2f} ms   "
          f"worst {times[-1] * 1e3:.2f} ms")

    print(f"\n{'shape':<18} {'n=250 ms':>9} {'n=1000 ms':>10} {'t(2n)/t(n)':>11}")
    for shape in SHAPES:
        medians = {}
        for length in (250, 500, 1000, 2000):
            answer = build(shape, length)
            medians[length] = statistics.median(
                timed(answer, kind, expected, variables)
                for kind, expected, variables in KINDS for _ in range(5))
        ratios = [medians[2 * n] / medians[n] for n in (250, 500, 1000)]
        print(f"{shape:<18} {medians[250] * 1e3:>9.3f} {medians[1000] * 1e3:>10.3f} "
              f"{statistics.median(ratios):>11.2f}")


if __name__ == "__main__":
    main()
