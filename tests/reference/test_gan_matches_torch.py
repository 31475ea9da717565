"""reference.gan against torch's BCE losses, autograd written out here, and closed forms."""

import pytest
import torch
import torch.nn.functional as F

from reference import gan
from reference.optim import Adam

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
F64 = torch.float64


def test_pixel_scaling_round_trips_and_equals_to_tensor_then_normalize(device):
    pixels = torch.arange(256, dtype=F64, device=device)
    unit = gan.pixels_to_unit_range(pixels)
    torch.testing.assert_close(unit, (pixels / 255 - 0.5) / 0.5, **TIGHT)
    assert unit[0].item() == -1.0 and unit[-1].item() == 1.0
    torch.testing.assert_close(gan.unit_range_to_pixels(unit), pixels, **TIGHT)
    as_uint8 = torch.arange(256, dtype=torch.uint8, device=device)
    back = gan.unit_range_to_pixels(gan.pixels_to_unit_range(as_uint8), round_to_uint8=True)
    assert torch.equal(back, as_uint8)


def test_ganhacks_soft_labels_are_seeded_and_in_their_ranges(device):
    real = gan.ganhacks_soft_labels(10_000, real=True, generator=torch.Generator().manual_seed(0))
    fake = gan.ganhacks_soft_labels(10_000, real=False, generator=torch.Generator().manual_seed(0))
    assert 0.7 <= real.min() and real.max() <= 1.2 and real.max() > 1.0
    assert 0.0 <= fake.min() and fake.max() <= 0.3
    again = gan.ganhacks_soft_labels(10_000, real=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(real, again)
    # The draw is low + (high - low) * torch.rand from the same generator state.
    expected = 0.7 + 0.5 * torch.rand(10_000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(real, expected)
    assert real.mean().item() == pytest.approx(0.95, abs=0.01)


def test_label_draws_do_not_depend_on_the_target_device(device):
    labels = gan.ganhacks_soft_labels(
        (4, 3), real=False, generator=torch.Generator().manual_seed(2), device=device
    )
    assert labels.device.type == torch.device(device).type
    expected = 0.3 * torch.rand(4, 3, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(labels.cpu(), expected)
    flipped, mask = gan.flip_labels(labels, 0.5, generator=torch.Generator().manual_seed(3))
    assert mask.device == labels.device
    assert torch.equal(
        mask.cpu(), torch.rand(4, 3, generator=torch.Generator().manual_seed(3)) < 0.5
    )


def test_one_sided_smoothing_leaves_negatives_at_zero():
    labels = torch.tensor([1.0, 0.0, 1.0, 0.0])
    assert gan.one_sided_smooth_labels(labels).tolist() == pytest.approx([0.9, 0, 0.9, 0])
    assert gan.one_sided_smooth_labels(labels, alpha=0.8).tolist() == pytest.approx(
        [0.8, 0, 0.8, 0]
    )


def test_flip_labels_flips_a_seeded_fraction():
    labels = torch.full((20_000,), 0.9, dtype=F64)
    flipped, mask = gan.flip_labels(labels, 0.05, generator=torch.Generator().manual_seed(1))
    expected_mask = torch.rand(20_000, generator=torch.Generator().manual_seed(1)) < 0.05
    assert torch.equal(mask, expected_mask)
    torch.testing.assert_close(flipped[mask], torch.full_like(flipped[mask], 0.1), **TIGHT)
    assert torch.equal(flipped[~mask], labels[~mask])
    assert mask.double().mean().item() == pytest.approx(0.05, abs=0.005)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_on_probabilities_matches_torch(reduction, device):
    gen = torch.Generator().manual_seed(2)
    probs = torch.rand(5, 3, generator=gen, dtype=F64).to(device)
    probs[0, 0], probs[1, 1] = 0.0, 1.0  # exercise torch's log clamp at -100
    targets = torch.rand(5, 3, generator=gen, dtype=F64).to(device)
    weight = torch.rand(3, generator=gen, dtype=F64).to(device)
    for w in (None, weight):
        torch.testing.assert_close(
            gan.binary_cross_entropy(probs, targets, w, reduction),
            F.binary_cross_entropy(probs, targets, w, reduction=reduction),
            **TIGHT,
        )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch_including_targets_above_one(reduction, device):
    gen = torch.Generator().manual_seed(3)
    logits = (6 * torch.randn(6, 4, generator=gen, dtype=F64)).to(device).requires_grad_()
    targets = gan.ganhacks_soft_labels((6, 4), real=True, generator=gen, dtype=F64).to(device)
    pos_weight = torch.rand(4, generator=gen, dtype=F64).to(device) + 0.5
    for kwargs in ({}, {"pos_weight": pos_weight}):
        ours = gan.binary_cross_entropy_with_logits(logits, targets, reduction=reduction, **kwargs)
        theirs = F.binary_cross_entropy_with_logits(logits, targets, reduction=reduction, **kwargs)
        torch.testing.assert_close(ours, theirs, **TIGHT)
        g_ours = torch.autograd.grad(ours.sum(), logits)[0]
        g_theirs = torch.autograd.grad(theirs.sum(), logits)[0]
        torch.testing.assert_close(g_ours, g_theirs, **TIGHT)


def test_target_above_one_is_rejected_by_bce_but_gives_negative_loss_with_logits():
    target = torch.tensor([1.2])
    for fn in (gan.binary_cross_entropy, F.binary_cross_entropy):
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
            fn(torch.tensor([0.5]), target)
    logit = torch.tensor([5.0], dtype=F64)
    ours = gan.binary_cross_entropy_with_logits(logit, target.double())
    assert ours.item() < 0
    torch.testing.assert_close(ours, torch.nn.BCEWithLogitsLoss()(logit, target.double()), **TIGHT)


def _critic(device):
    torch.manual_seed(4)
    return torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(2 * 3 * 3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    ).to(device=device, dtype=F64)


def test_wgan_losses_and_weight_clipping(device):
    critic = _critic(device)
    gen = torch.Generator().manual_seed(5)
    real, fake = torch.randn(2, 4, 2, 3, 3, generator=gen, dtype=F64).to(device)
    d_real, d_fake = critic(real), critic(fake)
    torch.testing.assert_close(
        gan.wgan_critic_loss(d_real, d_fake), d_fake.mean() - d_real.mean(), **TIGHT
    )
    torch.testing.assert_close(gan.wgan_generator_loss(d_fake), -d_fake.mean(), **TIGHT)
    before = [p.detach().clone() for p in critic.parameters()]
    gan.clip_weights_(critic.parameters(), 0.01)
    for p, old in zip(critic.parameters(), before):
        assert torch.equal(p.detach(), old.clamp(-0.01, 0.01))
        assert p.abs().max() <= 0.01


def test_gradient_penalty_matches_autograd_written_out(device):
    critic = _critic(device)
    gen = torch.Generator().manual_seed(6)
    real, fake = torch.randn(2, 5, 2, 3, 3, generator=gen, dtype=F64).to(device)
    result = gan.gradient_penalty(
        critic, real, fake, lambda_gp=10.0, generator=torch.Generator().manual_seed(7)
    )
    # Oracle: Gulrajani's Algorithm 1 written directly, with the same per-sample epsilon.
    eps = torch.rand(5, 1, 1, 1, generator=torch.Generator().manual_seed(7), dtype=F64).to(device)
    assert torch.equal(result.epsilon, eps) and result.epsilon.shape == (5, 1, 1, 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    penalty = 10.0 * ((grad.reshape(5, -1).norm(dim=1) - 1) ** 2).mean()
    torch.testing.assert_close(result.penalty, penalty, **TIGHT)
    torch.testing.assert_close(result.gradient_norms, grad.reshape(5, -1).norm(dim=1), **TIGHT)
    # The penalty trains the critic: its parameter gradients agree too (double backward).
    params = list(critic.parameters())[:-1]  # the output bias does not reach the gradient
    ours = torch.autograd.grad(result.penalty, params)
    theirs = torch.autograd.grad(penalty, params)
    for g_ours, g_theirs in zip(ours, theirs):
        torch.testing.assert_close(g_ours, g_theirs, **TIGHT)


def test_gradient_penalty_of_a_linear_critic_is_the_closed_form():
    """D(x) = w.x has gradient w everywhere: GP = lambda (||w|| - 1)^2 for any epsilon."""
    w = torch.tensor([3.0, 4.0], dtype=F64)
    result = gan.gradient_penalty(
        lambda x: x @ w, torch.randn(6, 2, dtype=F64), torch.randn(6, 2, dtype=F64), lambda_gp=10.0
    )
    assert result.penalty.item() == pytest.approx(10.0 * (5.0 - 1.0) ** 2, rel=1e-14)


def test_gradient_penalty_requires_one_epsilon_per_sample():
    with pytest.raises(ValueError, match="one per sample"):
        gan.gradient_penalty(
            lambda x: x.sum(dim=1), torch.zeros(3, 2), torch.zeros(3, 2), epsilon=torch.rand(3, 2)
        )


def test_ttur_builds_two_adams_with_different_learning_rates():
    g_params = [torch.nn.Parameter(torch.zeros(3))]
    d_params = [torch.nn.Parameter(torch.zeros(2))]
    opt_g, opt_d = gan.ttur_optimizers(g_params, d_params)
    assert isinstance(opt_g, Adam) and isinstance(opt_d, Adam)
    assert opt_g.param_groups[0]["lr"] == 1e-4 and opt_d.param_groups[0]["lr"] == 4e-4
    assert opt_g.param_groups[0]["betas"] == (0.0, 0.9) == opt_d.param_groups[0]["betas"]
    assert opt_g.param_groups[0]["params"][0] is g_params[0]
    assert opt_d.param_groups[0]["params"][0] is d_params[0]
    # One step each with gradient 1: Adam's first step moves by lr, so D moves 4x as far.
    g_params[0].grad = torch.ones(3)
    d_params[0].grad = torch.ones(2)
    opt_g.step()
    opt_d.step()
    assert g_params[0].detach().tolist() == pytest.approx([-1e-4] * 3, rel=1e-6)
    assert d_params[0].detach().tolist() == pytest.approx([-4e-4] * 2, rel=1e-6)
    opt_g, opt_d = gan.ttur_optimizers(g_params, d_params, optimizer_class=torch.optim.Adam)
    assert isinstance(opt_d, torch.optim.Adam)
