"""Seconds per optimizer step: reference.optim against torch.optim (foreach and single-tensor).

Usage: ``python bench/reference_vs_torch.py [--params 10000000] [--repeats 9] [--device cpu]``

Every optimizer steps the same few float32 tensors (about ``--params`` numbers in all) with
fixed gradients; the three implementations are timed in interleaved rounds so that they share
the machine's state, and the table reports the median of the rounds and the ratios from the
same run. The schedule-free optimizers are compared with the ``schedulefree`` package's
foreach and single-tensor paths instead.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import reference.optim as ref

TORCH_PAIRS = {
    "SGD (momentum 0.9)": (ref.SGD, torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "Adagrad": (ref.Adagrad, torch.optim.Adagrad, {"lr": 1e-2}),
    "RMSprop": (ref.RMSprop, torch.optim.RMSprop, {"lr": 1e-3}),
    "RMSprop (centered, momentum)": (
        ref.RMSprop,
        torch.optim.RMSprop,
        {"lr": 1e-3, "centered": True, "momentum": 0.9},
    ),
    "Adam": (ref.Adam, torch.optim.Adam, {"lr": 1e-3}),
    "AdamW": (ref.AdamW, torch.optim.AdamW, {"lr": 1e-3}),
    "Adafactor": (ref.Adafactor, torch.optim.Adafactor, {}),
}


def _schedulefree_pairs() -> dict:
    try:
        import schedulefree
    except ImportError:  # a dev dependency: the torch rows still run without it
        return {}
    return {
        "SGDScheduleFree": (ref.SGDScheduleFree, schedulefree.SGDScheduleFree, {"lr": 0.1}),
        "AdamWScheduleFree": (ref.AdamWScheduleFree, schedulefree.AdamWScheduleFree, {}),
    }


def _shapes(total: int) -> list[tuple[int, ...]]:
    """Two square matrices, a wide matrix and a vector, about ``total`` numbers in all."""
    side = max(1, int((0.42 * total) ** 0.5))
    wide_rows = max(1, int(0.15 * total) // 1536)
    used = 2 * side * side + wide_rows * 1536
    return [(side, side), (side, side), (wide_rows, 1536), (max(1, total - used),)]


def _make_optimizer(cls, config, foreach, shapes, device):
    gen = torch.Generator().manual_seed(0)
    params = []
    for shape in shapes:
        p = torch.randn(shape, generator=gen).to(device).requires_grad_()
        p.grad = torch.randn(shape, generator=gen).to(device)
        params.append(p)
    kwargs = dict(config)
    if foreach is not None:
        kwargs["foreach"] = foreach
    optimizer = cls(params, **kwargs)
    if hasattr(optimizer, "train"):  # schedule-free optimizers start in eval mode
        optimizer.train()
    return optimizer


def _time_step(optimizer, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def bench(name, ours_cls, theirs_cls, config, shapes, device, repeats, warmup=2) -> dict:
    variants = {
        "reference": _make_optimizer(ours_cls, config, None, shapes, device),
        "foreach": _make_optimizer(theirs_cls, config, True, shapes, device),
        "single": _make_optimizer(theirs_cls, config, False, shapes, device),
    }
    times: dict[str, list[float]] = {key: [] for key in variants}
    for round_index in range(warmup + repeats):
        for key, optimizer in variants.items():
            elapsed = _time_step(optimizer, device)
            if round_index >= warmup:
                times[key].append(elapsed)
    medians = {key: statistics.median(values) for key, values in times.items()}
    del variants
    return {"name": name, **medians}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    shapes = _shapes(args.params)
    total = sum(torch.Size(shape).numel() for shape in shapes)
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}")
    print(f"{total:,} float32 parameters in tensors of shapes {shapes}")
    print(f"median of {args.repeats} steps, seconds per step\n")
    header = (
        "| optimizer | reference (s) | torch foreach (s) | torch single (s) "
        "| ref / foreach | ref / single |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|")
    pairs = {**TORCH_PAIRS, **_schedulefree_pairs()}
    for name, (ours_cls, theirs_cls, config) in pairs.items():
        row = bench(name, ours_cls, theirs_cls, config, shapes, device, args.repeats)
        print(
            f"| {name} | {row['reference']:.4f} | {row['foreach']:.4f} | {row['single']:.4f} "
            f"| {row['reference'] / row['foreach']:.2f} | {row['reference'] / row['single']:.2f} |"
        )
    print("\n(schedule-free rows compare with the schedulefree package's two paths)")


if __name__ == "__main__":
    main()
