"""reference.nn BatchNorm1d/2d and batch_norm against torch.nn.BatchNorm1d/2d."""

import pytest
import torch

from reference.nn import BatchNorm1d, BatchNorm2d, batch_norm

PAIRS = {
    "1d-NC": (BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    "1d-NCL": (BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    "2d": (BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 2, 5)),
}
CONFIGS = {
    "defaults": {},
    "momentum-0.3": {"momentum": 0.3},
    "cumulative": {"momentum": None},
    "no-affine": {"affine": False},
    "no-running-stats": {"track_running_stats": False},
    "eps-1e-3": {"eps": 1e-3},
}
TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def _make_pair(layout, config, device, dtype=torch.float64):
    ours_cls, torch_cls, shape = PAIRS[layout]
    channels = shape[1]
    ours = ours_cls(channels, device=device, dtype=dtype, **config)
    theirs = torch_cls(channels, device=device, dtype=dtype, **config)
    if ours.affine:  # non-trivial gamma and beta, the same in both
        gen = torch.Generator().manual_seed(7)
        with torch.no_grad():
            for name in ("weight", "bias"):
                value = torch.randn(channels, generator=gen, dtype=dtype).to(device)
                getattr(ours, name).copy_(value)
                getattr(theirs, name).copy_(value)
    return ours, theirs, shape


def _assert_same_buffers(ours, theirs):
    ours_state, torch_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(torch_state)
    for key, value in torch_state.items():
        torch.testing.assert_close(ours_state[key], value, **TIGHT)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("layout", PAIRS.keys())
def test_train_then_eval_matches_torch_over_several_forwards(layout, config, device):
    ours, theirs, shape = _make_pair(layout, config, device)
    gen = torch.Generator().manual_seed(11)
    for mode in ("train", "train", "train", "eval", "train", "eval"):
        ours.train(mode == "train")
        theirs.train(mode == "train")
        x = (3 * torch.randn(shape, generator=gen, dtype=torch.float64) + 1.5).to(device)
        x_ours = x.clone().requires_grad_()
        x_torch = x.clone().requires_grad_()
        y_ours, y_torch = ours(x_ours), theirs(x_torch)
        torch.testing.assert_close(y_ours, y_torch, **TIGHT)
        _assert_same_buffers(ours, theirs)
        # Gradients through the batch statistics must agree too (training uses this path).
        upstream = torch.randn(shape, generator=gen, dtype=torch.float64).to(device)
        (y_ours * upstream).sum().backward()
        (y_torch * upstream).sum().backward()
        torch.testing.assert_close(x_ours.grad, x_torch.grad, rtol=1e-9, atol=1e-11)
        if ours.affine:
            torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-9, atol=1e-11)
            torch.testing.assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-9, atol=1e-11)
            ours.zero_grad()
            theirs.zero_grad()


@pytest.mark.parametrize("layout", PAIRS.keys())
def test_float32_matches_torch_closely(layout, device):
    ours, theirs, shape = _make_pair(layout, {}, device, dtype=torch.float32)
    gen = torch.Generator().manual_seed(5)
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        x = torch.randn(shape, generator=gen).to(device)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours.running_var, theirs.running_var, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("layout", PAIRS.keys())
def test_parameters_buffers_and_state_dict_keys_are_torchs(layout, config):
    ours, theirs, _ = _make_pair(layout, config, "cpu")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


def test_torch_state_dict_loads_into_the_reference_module():
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    theirs(torch.randn(4, 3, 2, 2, dtype=torch.float64))
    ours = BatchNorm2d(3, dtype=torch.float64)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = torch.randn(2, 3, 2, 2, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x), **TIGHT)


@pytest.mark.parametrize("layout", PAIRS.keys())
def test_one_value_per_channel_in_training_raises_like_torch(layout):
    ours, theirs, shape = _make_pair(layout, {}, "cpu")
    single = torch.randn((1, shape[1]) + (1,) * (len(shape) - 2), dtype=torch.float64)
    for module in (ours, theirs):
        with pytest.raises(
            ValueError, match="Expected more than 1 value per channel when training"
        ):
            module(single)
    ours.eval()
    ours(single)  # eval normalizes with the running buffers, so one value is fine


@pytest.mark.parametrize(
    ("cls", "bad_shape", "message"),
    [
        (BatchNorm1d, (2, 3, 4, 5), "expected 2D or 3D input \\(got 4D input\\)"),
        (BatchNorm1d, (3,), "expected 2D or 3D input \\(got 1D input\\)"),
        (BatchNorm2d, (2, 3, 4), "expected 4D input \\(got 3D input\\)"),
    ],
)
def test_wrong_input_rank_raises_torchs_message(cls, bad_shape, message):
    with pytest.raises(ValueError, match=message):
        cls(3)(torch.randn(bad_shape))
    torch_cls = getattr(torch.nn, cls.__name__)
    with pytest.raises(ValueError, match=message):
        torch_cls(3)(torch.randn(bad_shape))


def test_functional_intermediates_follow_the_conventions():
    """Biased variance normalizes; the unbiased one enters running_var (torch.var_mean oracle)."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(4, 3, 5, 2, generator=gen, dtype=torch.float64)
    running_mean = torch.randn(3, generator=gen, dtype=torch.float64)
    running_var = torch.rand(3, generator=gen, dtype=torch.float64) + 0.5
    before = (running_mean.clone(), running_var.clone())
    result = batch_norm(x, running_mean, running_var, training=True, momentum=0.25, eps=1e-5)

    biased_var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
    unbiased_var = torch.var(x, dim=(0, 2, 3), correction=1)
    assert result.count == 4 * 5 * 2
    torch.testing.assert_close(result.mean, mean, **TIGHT)
    torch.testing.assert_close(result.var, biased_var, **TIGHT)
    torch.testing.assert_close(result.running_mean, 0.75 * running_mean + 0.25 * mean, **TIGHT)
    torch.testing.assert_close(
        result.running_var, 0.75 * running_var + 0.25 * unbiased_var, **TIGHT
    )
    torch.testing.assert_close(
        result.output, torch.nn.functional.batch_norm(x, None, None, training=True), **TIGHT
    )
    assert torch.equal(running_mean, before[0]) and torch.equal(running_var, before[1])


def test_seed_example_from_the_conventions():
    """x = [1, 2, 3, 6]: biased variance 3.5, running_var 0.9 + 0.1 * 14/3 (conventions §1)."""
    bn = BatchNorm1d(1, dtype=torch.float64)
    y = bn(torch.tensor([[1.0], [2.0], [3.0], [6.0]], dtype=torch.float64))
    expected = (torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64) - 3) / (3.5 + 1e-5) ** 0.5
    torch.testing.assert_close(y.flatten(), expected, **TIGHT)
    assert bn.running_mean.item() == pytest.approx(0.3, rel=1e-15)
    assert bn.running_var.item() == pytest.approx(0.9 + 0.1 * 14 / 3, rel=1e-15)
    assert bn.num_batches_tracked.item() == 1
