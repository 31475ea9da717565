"""optimizers.adam_step against torch.optim.Adam, the independent oracle."""

import pytest
import torch

from question_bank.optimizers import adam_step as family
from quizgen.sampling import rng_for


def torch_adam(params):
    """Run torch.optim.Adam from the question's state, in float64."""
    p = torch.nn.Parameter(torch.tensor([params["theta"]], dtype=torch.float64))
    opt = torch.optim.Adam([p], lr=params["lr"], betas=(params["beta1"], params["beta2"]),
                           eps=params["eps"], foreach=False)
    if params["t"]:
        opt.state[p] = {
            "step": torch.tensor(float(params["t"]), dtype=torch.float64),
            "exp_avg": torch.tensor([params["m"]], dtype=torch.float64),
            "exp_avg_sq": torch.tensor([params["v"]], dtype=torch.float64),
        }
    for g in params["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    state = opt.state[p]
    t = int(state["step"].item())
    b1, b2 = params["beta1"], params["beta2"]
    return {
        "theta": p.item(),
        "m_hat": state["exp_avg"].item() / (1 - b1**t),
        "v_hat": state["exp_avg_sq"].item() / (1 - b2**t),
    }


@pytest.mark.parametrize("seed", range(500))
def test_answer_matches_torch_optim_adam(seed):
    params = family.sample(rng_for(seed, "adam-oracle"), 1 + seed % 3)
    expected = torch_adam(params)[params["ask"]]
    assert family.answer(params) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_first_step_moves_by_about_lr_and_no_bias_correction_does_not():
    params = {"theta": 1.0, "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "t": 0,
              "m": 0.0, "v": 0.0, "grads": [2.0], "ask": "theta"}
    assert family.answer(params) == pytest.approx(1.0 - 0.01, rel=1e-7)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    # Conventions 5.4: without bias correction the first step is about sqrt(1000)/10 ~ 3.162 lr.
    assert 1.0 - wrong["no_bias_correction"] == pytest.approx(0.01 * 3.1623, rel=1e-3)
