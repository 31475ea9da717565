"""Course banks: the cost of reading a bank, and of sampling a declarative (TOML) family
compared with the same question as a Python family and with a built-in family.

    python bench/bank.py [--files 30] [--questions 200] [--repeat 5]

Writes a bank with `quizgen new` examples (``--files`` copies of the TOML label-smoothing
family, one Python cross-entropy family), then reports medians over ``--repeat`` runs:
milliseconds to load the whole bank (parse, check, import), and questions built per second
(``build_question``: sample, answer, mistakes, collision checks) for each family.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import torch

    from question_bank import builtin_families
    from quizgen.bank import load
    from quizgen.bank.scaffold import scaffold
    from quizgen.sampling import build_question, rng_for

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        bank = Path(folder) / "bench_bank"
        for n in range(args.files):
            scaffold(bank / "course" / f"smoothing_{n}.toml")
        scaffold(bank / "course" / "smoothed_ce.py")
        builtin_families()  # import the built-ins once, outside the timing

        def load_ms() -> float:
            start = time.perf_counter()
            loaded = load([bank])
            assert not loaded.problems, loaded.problems
            return (time.perf_counter() - start) * 1000

        loads = [load_ms() for _ in range(args.repeat)]
        print(f"load {args.files + 1} files: {statistics.median(loads):.1f} ms median "
              f"({statistics.median(loads) / (args.files + 1):.2f} ms per file)")

        families = {f.id: f for f in load([bank]).families}
        chosen = {
            "TOML course.smoothing_0": families["course.smoothing_0"],
            "Python course.smoothed_ce": families["course.smoothed_ce"],
            "built-in initialization.xavier_variance":
                builtin_families()["initialization.xavier_variance"],
            "built-in clipping.clip_grad_value": builtin_families()["clipping.clip_grad_value"],
        }

        def rate(family) -> float:
            start = time.perf_counter()
            for seed in range(args.questions):
                build_question(family, rng_for(seed, "bench", family.id), 1 + seed % 3, "q")
            return args.questions / (time.perf_counter() - start)

        rates = {name: statistics.median(rate(f) for _ in range(args.repeat))
                 for name, f in chosen.items()}
        base = rates["built-in clipping.clip_grad_value"]
        for name, value in rates.items():
            print(f"{name:<42} {value:8.0f} questions/s  ({value / base:.2f}x clip_grad_value)")


if __name__ == "__main__":
    main()
