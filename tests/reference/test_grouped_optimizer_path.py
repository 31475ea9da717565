"""The optimizers' grouped path (``foreach=True``: one ``torch._foreach_*`` call per operation
for a group of tensors) computes what the per-tensor path computes, also where a group must be
split: parameters of two dtypes, parameters that skipped steps (so their step counts differ),
SGD buffers created on different steps. And it follows the library's own foreach path."""

import pytest
import torch
from optimizer_oracle import FLOAT64_TOLERANCE

import reference.optim as ref
from reference.optim._grouped import TensorList, batches, maximum_, use_foreach

CASES = {
    "sgd_nesterov": (ref.SGD, torch.optim.SGD,
                     {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    "sgd_dampening": (ref.SGD, torch.optim.SGD,
                      {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    "adagrad": (ref.Adagrad, torch.optim.Adagrad,
                {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "maximize": True}),
    "rmsprop_centered": (ref.RMSprop, torch.optim.RMSprop,
                         {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    "adam_amsgrad": (ref.Adam, torch.optim.Adam,
                     {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    "adamw": (ref.AdamW, torch.optim.AdamW, {"lr": 0.1, "weight_decay": 0.3}),
}


def _case(name: str) -> tuple:
    """(ours, library's, config); the schedule-free pairs need the package (a dev extra)."""
    if name in CASES:
        return CASES[name]
    schedulefree = pytest.importorskip("schedulefree")
    return {
        "sgd_schedulefree": (ref.SGDScheduleFree, schedulefree.SGDScheduleFree,
                             {"lr": 0.5, "weight_decay": 0.1, "warmup_steps": 2}),
        "adamw_schedulefree": (ref.AdamWScheduleFree, schedulefree.AdamWScheduleFree,
                               {"lr": 0.05, "weight_decay": 0.1, "warmup_steps": 2}),
    }[name]


NAMES = [*CASES, "sgd_schedulefree", "adamw_schedulefree"]


# Shapes and dtypes of one param group: two dtypes, a 0-d tensor, a matrix.
PARAMS = [((3, 4), torch.float64), ((5,), torch.float32), ((), torch.float64),
          ((2, 3), torch.float32), ((4,), torch.float64)]


def _has_grad(index: int, step: int) -> bool:
    """Parameter 1 skips the first step and parameter 3 every third step, so step counts and
    the presence of state differ inside the group."""
    return not ((index == 1 and step == 0) or (index == 3 and step % 3 == 1))


def _run(cls, config: dict, steps: int = 5, **extra):
    gen = torch.Generator().manual_seed(7)
    params = [torch.randn(shape, generator=gen, dtype=dtype).requires_grad_()
              for shape, dtype in PARAMS]
    optimizer = cls(params, **config, **extra)
    if hasattr(optimizer, "train"):
        optimizer.train()
    for step in range(steps):
        for index, p in enumerate(params):
            grad = torch.randn(p.shape, generator=gen, dtype=p.dtype)
            p.grad = grad if _has_grad(index, step) else None
        optimizer.step()
    return optimizer, params


@pytest.mark.parametrize("name", NAMES)
def test_grouped_path_equals_the_per_tensor_path_bit_for_bit(name):
    cls, _, config = _case(name)
    grouped, grouped_params = _run(cls, config, foreach=True)
    single, single_params = _run(cls, config, foreach=False)
    for a, b in zip(grouped_params, single_params):
        assert torch.equal(a, b)
        state_a, state_b = grouped.state[a], single.state[b]
        assert state_a.keys() == state_b.keys()
        for key, value in state_b.items():
            assert torch.equal(torch.as_tensor(state_a[key]), torch.as_tensor(value)), key


@pytest.mark.parametrize("name", NAMES)
def test_grouped_path_follows_the_librarys_foreach_path(name):
    ours_cls, theirs_cls, config = _case(name)
    ours, our_params = _run(ours_cls, config, foreach=True)
    theirs, their_params = _run(theirs_cls, config, foreach=True)
    for a, b in zip(our_params, their_params):
        tolerance = FLOAT64_TOLERANCE if a.dtype == torch.float64 else {"rtol": 1e-6, "atol": 1e-6}
        torch.testing.assert_close(a, b, **tolerance)


def test_a_group_splits_by_dtype_and_step_count():
    optimizer, params = _run(ref.Adam, {"lr": 0.1}, steps=2)  # 1 and 3 have taken one step
    layout = sorted((str(b.params.tensors[0].dtype), b.step, len(b.params))
                    for b in batches(params, optimizer.state, foreach=True))
    assert layout == [("torch.float32", 1, 2), ("torch.float64", 2, 3)]
    assert len(list(batches(params, optimizer.state, foreach=False))) == len(params)


def test_default_is_torchs_per_tensor_path_on_the_cpu():
    p = [torch.zeros(2, requires_grad=True)]
    assert use_foreach(None, p) is False and use_foreach(True, p) is True
    assert use_foreach(None, []) is False
    assert ref.Adam(p).defaults["foreach"] is None
    assert ref.AdamWScheduleFree(p).defaults["foreach"] is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_default_is_the_grouped_path_on_a_gpu():
    assert use_foreach(None, [torch.zeros(2, device="cuda")]) is True


def test_tensor_list_methods_are_the_tensor_methods_of_the_same_name():
    gen = torch.Generator().manual_seed(0)
    a, b, c = ([torch.rand(3, generator=gen) + 0.5 for _ in range(2)] for _ in range(3))
    la, lb, lc = TensorList(a), TensorList(b), TensorList(c)

    def check(grouped: TensorList, expected: list[torch.Tensor]) -> None:
        assert all(torch.equal(x, y) for x, y in zip(grouped.tensors, expected, strict=True))

    check(-la, [-x for x in a])
    check(la.add(lb, alpha=0.5), [x.add(y, alpha=0.5) for x, y in zip(a, b)])
    check(la.addcmul(lb, lc, value=-1), [x.addcmul(y, z, value=-1) for x, y, z in zip(a, b, c)])
    check(la.div(lb), [x.div(y) for x, y in zip(a, b)])
    check(la.div(3.0), [x.div(3.0) for x in a])
    check(la.sqrt(), [x.sqrt() for x in a])
    check(la.clone(), a)
    expected = [x.clone().mul_(0.9).add_(y, alpha=0.1).sub_(z, alpha=0.2).div_(1.5).add_(1e-3)
                .lerp_(y, 0.3).addcmul_(y, z, value=0.5).addcdiv_(y, z, value=-0.1).sqrt_()
                for x, y, z in zip(a, b, c)]
    grouped = (la.clone().mul_(0.9).add_(lb, alpha=0.1).sub_(lc, alpha=0.2).div_(1.5).add_(1e-3)
               .lerp_(lb, 0.3).addcmul_(lb, lc, value=0.5).addcdiv_(lb, lc, value=-0.1).sqrt_())
    check(grouped, expected)
    check(maximum_(la.clone(), lb), [torch.maximum(x, y) for x, y in zip(a, b)])
