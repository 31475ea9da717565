"""The formula variants by hand: one value each family's reference evaluation must give (from
the conventions' checked examples or plain arithmetic), a rewrite a student would type that must
grade correct, and a named mistake that must be recognised."""

import math
import re
from functools import cache
from pathlib import Path

import pytest

from question_bank import DIFFICULTIES, families
from quizgen.grading import check
from quizgen.sampling import rng_for


@cache
def formula_families() -> frozenset[str]:
    """The families that ask for an expression in some of 60 seeded variants of difficulty 2
    or 3 (every formula variant of the bank is drawn at one of these with odds of 1/4 or more;
    a family with an evaluate hook must ask for one)."""
    found = set()
    for family_id, family in families().items():
        if family.KIND != "expression" and not hasattr(family.module, "kind"):
            continue  # one kind throughout, not an expression
        for seed in range(60):
            params = family.sample(rng_for(seed, family_id), DIFFICULTIES[1 + seed % 2])
            if family.kind(params) == "expression":
                found.add(family_id)
                break
        else:
            assert not hasattr(family.module, "evaluate"), f"{family_id} asks for no formula"
    return frozenset(found)


def test_at_least_twelve_families_in_six_topics_ask_for_a_formula():
    topics = {family_id.split(".")[0] for family_id in formula_families()}
    assert len(formula_families()) >= 12 and len(topics) >= 6, sorted(formula_families())


def test_the_docs_mark_exactly_the_formula_families_in_bold():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "question_bank.md").read_text("utf-8")
    table = doc.split("## Seed sections", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"\*\*`([a-z_.]+)`\*\*", table)) == formula_families()

CASES = [
    # family, params, point, value at the point, a correct rewrite, (a slip, its mistake name)
    ("initialization.xavier_variance", {"formula": True, "ask": "std"},
     {"fan_in": 256, "fan_out": 128, "gain": 1}, math.sqrt(1 / 192),
     "gain*sqrt(2/(fan_in+fan_out))", ("gain/sqrt(fan_in)", "fan_in_only")),
    ("initialization.he_variance", {"formula": True, "mode": "fan_in", "ask": "var"},
     {"fan_in": 512, "fan_out": 256, "a": 0.2}, 2 / 1.04 / 512,
     "2/(fan_in (1 + a²))", ("2/fan_in", "slope_ignored")),
    ("averaging.effective_window", {"formula": True, "ask": "half_life", "given": "decay"},
     {"beta": 0.5}, 1.0, "ln(0.5)/ln(β)", ("log(2)/(1-beta)", "first_order_approx")),
    ("averaging.ema", {"formula": True, "start": "zero", "corrected": False},
     {"c": 2, "beta": 0.9, "k": 2}, 2 * 0.19, "c - c β^k", ("c", "corrected_unasked")),
    ("averaging.distillation", {"formula": True, "ask": "soft_gradient"},
     {"q": 0.7, "p": 0.2, "T": 2}, 1.0, "T q - T p", ("(q-p)/T", "missing_t2")),
    # conventions 5.4: Adam's first step without bias correction is ~3.16 times too large
    ("optimizers.adam_constant_gradient", {"ask": "step_size"},
     {"lr": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "t": 1}, 1e-3 * math.sqrt(1e-3) / 0.1,
     "lr√(1−β₂^t)/(1−β₁^t)", ("lr", "no_bias_correction")),
    # conventions 5.1: g = 1, mu = 0.9: the buffer is 1, then 1.9
    ("optimizers.sgd_momentum", {"formula": True, "ask": "buf"},
     {"g": 1, "mu": 0.9, "t": 2, "lr": 0.1, "theta_0": 1}, 1.9,
     "g*(mu^t - 1)/(mu - 1)", ("g/(1-mu)", "terminal_velocity")),
    ("optimizers.optimizer_state_memory",
     {"formula": True, "optimizer": "adafactor", "ask": "floats"},
     {"m": 4, "n": 6}, 10, "n+m", ("m n", "adafactor_full_matrix")),
    ("schedules.exponential_lr", {"formula": True, "form": "k"},
     {"k": 0.1}, math.exp(-0.1), "e^(-k)", ("1-k", "one_minus_k_as_gamma")),
    ("schedules.time_based_decay", {"formula": True},
     {"eta_0": 0.1, "k": 0.001, "n": 100, "t": 2}, 0.1 / 1.2,
     "η₀/(1 + k n t)", ("eta_0/(1+k t)", "epochs_as_steps")),
    ("schedules.cosine_annealing", {"formula": True},
     {"eta_0": 0.1, "eta_min": 0.0, "T": 10, "t": 5}, 0.05,
     "eta_min + (eta_0 - eta_min) cos(pi t/(2T))^2",
     ("eta_min + (eta_0 - eta_min)(1 + cos(pi t/T))", "missing_half")),
    # conventions 6: LinearLR(start_factor=1/3, total_iters=5) gives 0.0333, 0.0467, ...
    ("schedules.warmup_cosine", {"formula": True},
     {"eta_0": 0.1, "s": 1 / 3, "W": 5, "t": 1}, 0.1 * (1 / 3 + 2 / 3 / 5),
     "eta_0 (s + (1 - s) min(t/W, 1))", ("eta_0 (s + min(t, W)/W)", "start_factor_not_scaled")),
    ("normalization.norm_param_counts", {"formula": True, "layers": ["groupnorm"]},
     {"G": 4, "k": 8, "H": 7}, 64, "2Gk", ("2G", "per_group")),
    ("normalization.bn_param_count", {"formula": True, "ask": "total_params", "conv_bias": False},
     {"c_in": 3, "c": 64, "k": 3}, 64 * 27 + 128, "c (c_in k^2 + 2)",
     ("c c_in k^2 + 4c", "buffers_as_params")),
    # conventions 9: grads (3) and (4), max_norm 1: 0.59999990 against 0.6
    ("clipping.clip_grad_norm", {"formula": True, "ask": "clipped_norm"},
     {"a": 3, "b": 4, "tau": 1}, 3 / (5 + 1e-6),
     "a*min(1, tau/(√(a²+b²)+10^-6))", ("a*min(1, tau/(a+b+1e-6))", "sum_of_norms")),
    ("gan.soft_label_bce", {"formula": True, "ask": "grad"},
     {"z": 0.0, "y": 0.9}, -0.4, "1/(1+exp(-z)) - y", ("y - σ(z)", "sign_flipped")),
    # conventions 12: n = 60, q = 0.05 gives 0.954
    ("hyperparameters.random_search_hits", {"formula": True, "ask": "probability"},
     {"q": 0.05, "n": 60}, 1 - 0.95**60, "1 - exp(n ln(1-q))", ("n q", "n_times_q")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_formula_variant_by_hand(case):
    family_id, params, point, value, rewrite, (slip, name) = case
    family = families()[family_id]
    assert family.kind(params) == "expression"
    assert family.evaluate(params, dict(point)) == pytest.approx(value, rel=1e-9, abs=1e-15)
    key, variables = family.answer(params), family.variables(params)
    assert all(":" in v for v in variables)
    verdict = check(key, rewrite, variables=variables)
    assert verdict.status == "correct", verdict.feedback
    verdict = check(key, slip, variables=variables, mistakes=family.mistakes(params))
    assert (verdict.status, verdict.mistake) == ("incorrect", name), verdict.feedback


def test_every_formula_family_has_a_case_here():
    assert {c[0] for c in CASES} >= formula_families() - {"calculus.directional_derivative"}
