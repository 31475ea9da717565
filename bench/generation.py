"""Questions per second: how fast `make_quiz` samples a mixed quiz, and which families cost most.

Usage: ``python bench/generation.py [--topic all] [--count 300] [--repeats 5] [--per-family 30]``

The throughput is measured in-process after imports and one warm-up quiz (the first quiz pays
for lazy imports and caches, once per process), as the median of ``--repeats`` quizzes with
different seeds: questions per second of wall-clock time (what a user waits) and per second of
this process's CPU time (what other programs on a shared machine change least). The per-family
table times ``--per-family`` variants of every family in CPU time (the difficulties in turn, as
``validate`` samples them) and splits each question's cost into the family's own hooks and the
engine's work around them (checking that no named mistake grades as the answer); the share
column is the family's part of a mixed quiz's time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from types import ModuleType

import torch

from question_bank import DIFFICULTIES, Family
from quizgen.sampling import build_question, make_quiz, rng_for, select_families

PHASES = {
    "sample": ("sample",),
    "answer": ("answer",),
    "mistakes": ("mistakes",),
    "text": ("prompt", "solution", "answer_tex", "choices"),
    "other hooks": ("kind", "tolerance", "variables"),
}


class _TimedModule:
    """A family module whose hooks add their wall time to ``seconds[hook]``."""

    def __init__(self, module: ModuleType, seconds: dict[str, float]) -> None:
        self._module, self._seconds = module, seconds

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not callable(value):
            return value

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return value(*args, **kwargs)
            finally:
                self._seconds[name] += time.process_time() - start

        return timed


def family_costs(family: Family, variants: int) -> dict[str, float]:
    """Seconds per question, in total and per phase, over ``variants`` samples."""
    seconds: dict[str, float] = defaultdict(float)
    timed = Family(_TimedModule(family.module, seconds))  # type: ignore[arg-type]
    start = time.process_time()
    for seed in range(variants):
        rng = rng_for(seed, "bench", family.id)
        build_question(timed, rng, DIFFICULTIES[seed % 3], qid=f"q{seed}")
    total = time.process_time() - start
    costs = {phase: sum(seconds[h] for h in hooks) for phase, hooks in PHASES.items()}
    costs["engine"] = total - sum(costs.values())
    costs["total"] = total
    return {key: value / variants for key, value in costs.items()}


def throughput(topic: str, count: int, repeats: int) -> tuple[list[float], list[float]]:
    """Questions per wall-clock second and per CPU second of ``repeats`` quizzes (seeds 1..)."""
    wall, cpu = [], []
    for seed in range(1, repeats + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        make_quiz(topic, count=count, seed=seed)
        wall.append(count / (time.perf_counter() - start))
        cpu.append(count / (time.process_time() - start_cpu))
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="all")
    parser.add_argument("--count", type=int, default=300, help="questions per quiz")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--per-family", type=int, default=30, help="variants per family")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as `quizgen make` runs: tensors of a few elements

    start = time.perf_counter()
    make_quiz(args.topic, count=args.count, seed=0)
    warmup = time.perf_counter() - start
    wall, cpu = throughput(args.topic, args.count, args.repeats)
    print(f"torch {torch.__version__}, 1 thread; topic {args.topic!r}, "
          f"{args.count} questions a quiz")
    print(f"warm-up quiz (first in the process): {args.count / warmup:,.0f} questions/s")
    print(f"median of {args.repeats} quizzes: {statistics.median(wall):,.0f} questions/s "
          f"(runs: {', '.join(f'{r:,.0f}' for r in wall)}); "
          f"{statistics.median(cpu):,.0f} per CPU second\n")

    pool = select_families(args.topic)
    costs = {f.id: family_costs(f, args.per_family) for f in pool}
    mixed = sum(c["total"] for c in costs.values())  # a mixed quiz cycles through every family
    columns = ["sample", "answer", "mistakes", "text", "other hooks", "engine"]
    print(f"| family | ms/question | share | {' | '.join(columns)} |")
    print("|---|---:|---:|" + "---:|" * len(columns))
    for family_id, c in sorted(costs.items(), key=lambda item: -item[1]["total"]):
        cells = " | ".join(f"{1e3 * c[col]:.2f}" for col in columns)
        print(f"| {family_id} | {1e3 * c['total']:.2f} | {c['total'] / mixed:.1%} | {cells} |")
    print("\nphase columns in ms/question; engine = grading each mistake against the answer "
          "and the other mistakes, rounding, bookkeeping")


if __name__ == "__main__":
    main()
