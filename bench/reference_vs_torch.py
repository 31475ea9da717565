"""Time and memory per optimizer step: reference.optim against torch.optim's two paths.

Usage: ``python bench/reference_vs_torch.py [--params 10000000] [--repeats 21] [--device cpu]
[--dtype float32|bfloat16] [--threads N] [--only Adam,AdamW]``

Every optimizer steps the same few tensors (about ``--params`` numbers in all) with fixed
gradients. The reference (on its default path for the device) and torch's foreach and
single-tensor paths are timed in interleaved rounds, so that they share the machine's state;
the table gives the medians' ratios from the same run, and "ref / faster" divides by the faster
of torch's two paths. The peak extra memory of a step is what the step allocates above what it
holds when it starts (its temporaries): on the CPU from the allocation events of torch's
profiler, on CUDA from the caching allocator's peak. The schedule-free optimizers are compared
with the ``schedulefree`` package's foreach and single-tensor paths instead of torch's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

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
PATHS = ("reference", "foreach", "single")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def schedulefree_pairs() -> dict:
    try:
        import schedulefree
    except ImportError:  # a dev dependency: the torch rows still run without it
        return {}
    return {
        "SGDScheduleFree": (ref.SGDScheduleFree, schedulefree.SGDScheduleFree, {"lr": 0.1}),
        "AdamWScheduleFree": (ref.AdamWScheduleFree, schedulefree.AdamWScheduleFree, {}),
    }


def shapes_for(total: int) -> list[tuple[int, ...]]:
    """Two square matrices, a wide matrix and a vector, about ``total`` numbers in all."""
    side = max(1, int((0.42 * total) ** 0.5))
    wide_rows = max(1, int(0.15 * total) // 1536)
    used = 2 * side * side + wide_rows * 1536
    return [(side, side), (side, side), (wide_rows, 1536), (max(1, total - used),)]


def _make_optimizer(cls, config, path, shapes, device, dtype):
    gen = torch.Generator().manual_seed(0)
    params = []
    for shape in shapes:
        p = torch.randn(shape, generator=gen).to(device, dtype).requires_grad_()
        p.grad = torch.randn(shape, generator=gen).to(device, dtype)
        params.append(p)
    kwargs = dict(config)
    if path != "reference":  # the reference runs its own default path for the device
        kwargs["foreach"] = path == "foreach"
    optimizer = cls(params, **kwargs)
    if hasattr(optimizer, "train"):  # schedule-free optimizers start in eval mode
        optimizer.train()
    return optimizer


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time_step(optimizer, device) -> float:
    _sync(device)
    start = time.perf_counter()
    optimizer.step()
    _sync(device)
    return time.perf_counter() - start


def peak_extra_bytes(optimizer, device) -> int | None:
    """Bytes allocated above the step's starting point at the step's peak (its temporaries)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        optimizer.step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - start
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        optimizer.step()
    try:  # the allocation events, in order, with their signed sizes
        events = prof.profiler.kineto_results.events()
    except AttributeError:  # a torch without kineto: no figure rather than a wrong one
        return None
    allocations = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    held = peak = 0
    for _, nbytes in allocations:
        held += nbytes
        peak = max(peak, held)
    return peak


@dataclass
class Row:
    name: str
    seconds: dict[str, float]  # median per path
    peak_bytes: dict[str, int | None]

    def ratio(self, path: str) -> float:
        return self.seconds["reference"] / self.seconds[path]

    @property
    def faster(self) -> float:
        return min(self.seconds["foreach"], self.seconds["single"])


def bench(name, ours_cls, theirs_cls, config, shapes, device, dtype, repeats, warmup=3) -> Row:
    optimizers = {
        path: _make_optimizer(ours_cls if path == "reference" else theirs_cls, config, path,
                              shapes, device, dtype)
        for path in PATHS
    }
    times: dict[str, list[float]] = {path: [] for path in PATHS}
    for round_index in range(warmup + repeats):
        for path, optimizer in optimizers.items():
            elapsed = _time_step(optimizer, device)
            if round_index >= warmup:
                times[path].append(elapsed)
    peaks = {path: peak_extra_bytes(optimizer, device) for path, optimizer in optimizers.items()}
    del optimizers
    return Row(name, {path: statistics.median(t) for path, t in times.items()}, peaks)


def run(total_params: int, device: torch.device, dtype: torch.dtype, repeats: int,
        only: set[str] | None = None) -> list[Row]:
    shapes = shapes_for(total_params)
    pairs = {**TORCH_PAIRS, **schedulefree_pairs()}
    return [
        bench(name, ours_cls, theirs_cls, config, shapes, device, dtype, repeats)
        for name, (ours_cls, theirs_cls, config) in pairs.items()
        if only is None or name.split(" ")[0] in only
    ]


def mib(nbytes: int | None) -> str:
    if nbytes is None:
        return "n/a"
    value = nbytes / 2**20
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| optimizer | ref / foreach | ref / single | ref / faster | ref (ms) "
        "| peak extra MiB: ref | torch foreach | torch single |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.ratio('foreach'):.2f} | {r.ratio('single'):.2f} "
            f"| {r.seconds['reference'] / r.faster:.2f} | {1e3 * r.seconds['reference']:.1f} "
            f"| {mib(r.peak_bytes['reference'])} | {mib(r.peak_bytes['foreach'])} "
            f"| {mib(r.peak_bytes['single'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--only", help="comma-separated optimizer names, e.g. Adam,AdamW")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device, dtype = torch.device(args.device), DTYPES[args.dtype]
    shapes = shapes_for(args.params)
    total = sum(torch.Size(shape).numel() for shape in shapes)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__}, {where}, {torch.get_num_threads()} CPU threads")
    print(f"{total:,} {args.dtype} parameters in tensors of shapes {shapes}")
    print(f"median of {args.repeats} interleaved steps; ratios from the same run\n")
    only = set(args.only.split(",")) if args.only else None
    rows = run(args.params, device, dtype, args.repeats, only)
    print(table(rows))
    worst = max(rows, key=lambda r: r.seconds["reference"] / r.faster)
    print(f"\nslowest against torch's faster path: {worst.name}, "
          f"{worst.seconds['reference'] / worst.faster:.2f}x")
    print("(schedule-free rows compare with the schedulefree package's two paths)")


if __name__ == "__main__":
    main()
