"""Run a reference optimizer and its library counterpart side by side on the same parameters
and gradients, and compare parameters and state (imported by the test_*_matches_* modules)."""

from __future__ import annotations

import inspect
import random

import torch

FLOAT32_ULP = torch.finfo(torch.float32).eps


def random_shapes(seed: int, count: int = 4, min_dims: int = 0) -> list[tuple[int, ...]]:
    """Shapes of 0 to 3 dimensions (``min_dims`` and up), sides 1 to 5."""
    rng = random.Random(seed)
    return [tuple(rng.randint(1, 5) for _ in range(rng.randint(min_dims, 3))) for _ in range(count)]


def run_side_by_side(
    ours_cls,
    theirs_cls,
    config: dict,
    foreach: bool,
    dtype: torch.dtype,
    device,
    seed: int,
    *,
    steps: int = 6,
    shapes: list[tuple[int, ...]] | None = None,
    before_step=None,
):
    """Build both optimizers with ``config`` and ``foreach`` (ours too, where it has the
    argument: its grouped path against the library's foreach path) and step them ``steps``
    times with identical gradients.

    ``before_step(optimizer)`` (e.g. ``train``) runs before the first step. Returns
    ``(ours, theirs, our_params, their_params)``.
    """
    shapes = random_shapes(seed) if shapes is None else shapes
    gen = torch.Generator().manual_seed(seed)
    initial = [torch.randn(shape, generator=gen, dtype=dtype).to(device) for shape in shapes]
    our_params = [p.clone().requires_grad_() for p in initial]
    their_params = [p.clone().requires_grad_() for p in initial]
    ours_config = dict(config)
    if "foreach" in inspect.signature(ours_cls).parameters:
        ours_config["foreach"] = foreach
    ours = ours_cls(our_params, **ours_config)
    theirs = theirs_cls(their_params, foreach=foreach, **config)
    if before_step is not None:
        before_step(ours)
        before_step(theirs)
    for _ in range(steps):
        for a, b in zip(our_params, their_params, strict=True):
            grad = torch.randn(a.shape, generator=gen, dtype=dtype).to(device)
            a.grad, b.grad = grad.clone(), grad.clone()
        ours.step()
        theirs.step()
    return ours, theirs, our_params, their_params


def assert_same_trajectory(ours, theirs, our_params, their_params, *, rtol, atol) -> None:
    """Equal parameters and equal per-parameter state (same keys, same values)."""
    for a, b in zip(our_params, their_params, strict=True):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)
        state_a, state_b = ours.state[a], theirs.state[b]
        assert state_a.keys() == state_b.keys()
        for key, value in state_b.items():
            if key == "step":
                assert float(state_a[key]) == float(value)
            else:
                torch.testing.assert_close(state_a[key], value, rtol=rtol, atol=atol)


def float32_tolerance(ulps: int = 4) -> dict[str, float]:
    return {"rtol": ulps * FLOAT32_ULP, "atol": ulps * FLOAT32_ULP}


FLOAT64_TOLERANCE = {"rtol": 1e-10, "atol": 1e-14}


def assert_continues_from_a_library_state_dict(ours_cls, theirs_cls, config, shape=(4, 3)):
    """Two library steps, then its state_dict loaded into ours: the next steps agree."""
    import copy

    gen = torch.Generator().manual_seed(0)
    start = torch.randn(shape, generator=gen, dtype=torch.float64)
    grads = [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(4)]
    p_theirs = start.clone().requires_grad_()
    p_ours = start.clone().requires_grad_()
    theirs = theirs_cls([p_theirs], **config)
    for g in grads[:2]:
        p_theirs.grad = g.clone()
        theirs.step()
    with torch.no_grad():
        p_ours.copy_(p_theirs)
    ours = ours_cls([p_ours], **config)
    # deepcopy: state_dict() hands out the live state tensors, which both would then update.
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))
    for g in grads[2:]:
        p_theirs.grad, p_ours.grad = g.clone(), g.clone()
        theirs.step()
        ours.step()
    torch.testing.assert_close(p_ours, p_theirs, rtol=1e-12, atol=0)
