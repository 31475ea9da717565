"""The benchmark scripts keep running (tiny sizes here; the figures come from real runs), and
the GPU check refuses clearly where there is no GPU, as on CI."""

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: the check would run")
def test_gpu_check_says_there_is_no_cuda_device_and_exits_2():
    done = _run("bench/gpu.py")
    assert done.returncode == 2
    assert "no CUDA device" in done.stderr and done.stdout == ""


def test_optimizer_bench_prints_a_row_with_ratios_and_memory_per_optimizer():
    done = _run("bench/reference_vs_torch.py", "--params", "3000", "--repeats", "1",
                "--threads", "1", "--only", "Adam,SGDScheduleFree")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| Adam")
            or line.startswith("| SGDScheduleFree")]
    assert len(rows) == (2 if find_spec("schedulefree") else 1)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 8
        assert all(float(cell) >= 0 for cell in cells[1:])  # ratios, ms, MiB: all measured


def test_generation_bench_prints_the_rate_and_a_row_per_family():
    done = _run("bench/generation.py", "--topic", "optimizers", "--count", "9", "--repeats", "1",
                "--per-family", "1")
    assert done.returncode == 0, done.stderr
    assert "questions/s" in done.stdout
    assert "| optimizers.adam_step |" in done.stdout

