"""clipping.norm_vs_value: the keyed option is torch.nn.utils's result for the asked rule."""

import pytest

from question_bank.clipping import norm_vs_value as family
from quizgen.sampling import rng_for


def _option(params, letter):
    return next(c for c in family.choices(params) if c["id"] == letter)


def test_keyed_option_is_torch_result_and_closed_form_over_500_seeds():
    for seed in range(500):
        params = family.sample(rng_for(seed, "nvv-oracle"), 1 + seed % 3)
        torch_result = family.oracle_clipped(params)
        shown = family.clipped(params, params["ask"])
        flat = [x for g in shown for x in g]
        assert flat == pytest.approx([x for g in torch_result for x in g], rel=1e-9, abs=1e-12)
        exact = [float(v) for v in family.closed_form(params)]
        assert flat == pytest.approx(exact, rel=1e-9, abs=1e-12)
        option = _option(params, family.answer(params))
        assert option["text"]["en"] == family._texts(params, params["ask"])["en"]


def test_options_are_distinct_and_every_wrong_letter_is_a_named_mistake():
    for seed in range(300):
        params = family.sample(rng_for(seed, "nvv-options"), 1 + seed % 3)
        texts = [c["text"]["en"] for c in family.choices(params)]
        assert len(set(texts)) == len(texts) == 4
        wrong = {m.value for m in family.mistakes(params)}
        assert wrong == {c["id"] for c in family.choices(params)} - {family.answer(params)}


def test_3_4_with_threshold_1():
    params = {"grads": [[3.0, 4.0]], "max_norm": 1.0, "ask": "value",
              "methods": ["global", "max_norm", "value", "none"], "order": [0, 1, 2, 3]}
    texts = [c["text"]["en"] for c in family.choices(params)]
    assert texts == [r"$g_a = (0.6,\ 0.8)$", r"$g_a = (0.75,\ 1)$", r"$g_a = (1,\ 1)$",
                     r"$g_a = (3,\ 4)$"]
    assert family.answer(params) == "C"
    assert family.answer({**params, "ask": "global"}) == "A"


def test_difficulty_3_has_a_tensor_already_within_the_threshold():
    for seed in range(100):
        params = family.sample(rng_for(seed, "nvv-d3"), 3)
        norms = [sum(x * x for x in g) ** 0.5 for g in params["grads"]]
        assert min(norms) < params["max_norm"]
