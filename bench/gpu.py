"""The GPU check: the reference's oracle tests on CUDA, then the optimizer bench in float32 and
bfloat16 on the same card, printed as one table.

Usage: ``python bench/gpu.py [--params 10000000] [--repeats 21]``

Run it by hand on a machine with an NVIDIA GPU (about two minutes on one card; it stops the
tests after ``--test-timeout`` seconds so that the whole check stays under five minutes). CI has
no GPU and never runs it. Without CUDA it stops at once: "no CUDA device", exit status 2.
``--device cpu`` runs the same check on the CPU, to try the script itself on any machine.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import reference_vs_torch as optimizer_bench  # noqa: E402  (a sibling script, not a package)

ROOT = BENCH.parent


def run_reference_tests(device: str, timeout: float) -> tuple[str, bool, str]:
    """pytest on tests/reference, the cases parametrized with ``device`` only (the CPU cases
    are CI's). Returns (summary line, passed, failure report)."""
    command = [sys.executable, "-m", "pytest", "tests/reference", "-q", "-k", device,
               "-p", "no:randomly", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:.0f} s", False, ""
    lines = done.stdout.strip().splitlines()
    summary = next((line.strip("= ") for line in reversed(lines)
                    if re.search(r"\d+ (passed|failed|error)", line)), "no summary")
    failures = "\n".join(line for line in lines if line.startswith(("FAILED", "ERROR")))
    return summary, done.returncode == 0, failures


def supported_dtypes(device: torch.device) -> list[str]:
    names = ["float32"]
    if device.type != "cuda" or torch.cuda.is_bf16_supported():
        names.append("bfloat16")
    return names


def check_table(results: dict[str, list[optimizer_bench.Row]]) -> str:
    dtypes = list(results)
    head = ["optimizer"]
    for dtype in dtypes:
        head += [f"{dtype}: ref / foreach", "ref / single", "peak MiB ref", "torch foreach"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for index, row in enumerate(results[dtypes[0]]):
        cells = [row.name]
        for dtype in dtypes:
            r = results[dtype][index]
            cells += [f"{r.ratio('foreach'):.2f}", f"{r.ratio('single'):.2f}",
                      optimizer_bench.mib(r.peak_bytes["reference"]),
                      optimizer_bench.mib(r.peak_bytes["foreach"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--test-timeout", type=float, default=180.0)
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("gpu check: no CUDA device (torch.cuda.is_available() is False; torch "
              f"{torch.__version__}, CUDA build {torch.version.cuda}): nothing was measured",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    summary, passed, failures = run_reference_tests(device.type, args.test_timeout)
    results = {
        dtype: optimizer_bench.run(args.params, device, optimizer_bench.DTYPES[dtype],
                                   args.repeats)
        for dtype in supported_dtypes(device)
    }
    print(f"# GPU check: {name}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    print(f"reference tests on {device.type}: {summary}")
    if failures:
        print(failures)
    print(f"optimizer step, {args.params:,} parameters, median of {args.repeats} interleaved "
          "steps (schedule-free rows against the schedulefree package)\n")
    print(check_table(results))
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
