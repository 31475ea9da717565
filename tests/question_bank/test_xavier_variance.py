"""initialization.xavier_variance against torch.nn.init's own fans and gains."""

import math

import pytest
import sympy as sp
import torch

from question_bank import DIFFICULTIES, Family
from question_bank.initialization import xavier_variance as family
from quizgen.sampling import build_question, rng_for

SEEDS = range(500)


def samples(tag):
    """Numeric variants (the formula variant is checked by tests/question_bank/test_families)."""
    drawn = [family.sample(rng_for(seed, tag), DIFFICULTIES[seed % 3]) for seed in SEEDS]
    return [params for params in drawn if not params.get("formula")]


def torch_weight(params):
    """The weight torch itself allocates for the layer the question describes."""
    if params["layer"] == "linear":
        return torch.nn.Linear(params["n_in"], params["n_out"], device="meta").weight
    return torch.nn.Conv2d(params["n_in"], params["n_out"], params["k"],
                           groups=params["groups"], device="meta").weight


def torch_oracle(params):
    """Glorot & Bengio's variance from torch.nn.init's fan function and calculate_gain."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch_weight(params))
    gain = torch.nn.init.calculate_gain(params["nonlinearity"])
    variance = gain**2 * 2.0 / (fan_in + fan_out)
    return {"var": variance, "std": math.sqrt(variance),
            "bound": math.sqrt(3.0 * variance)}[params["ask"]]


def test_answer_matches_torch_nn_init_fans_and_gain():
    for params in samples("xavier-oracle"):
        assert family.answer(params) == pytest.approx(torch_oracle(params), rel=1e-9), params


def test_answer_equals_the_exact_sympy_closed_form():
    for params in samples("xavier-sympy"):
        exact = family.closed_form(params)
        assert isinstance(exact, sp.Expr) and exact.is_positive
        assert family.answer(params) == pytest.approx(float(exact), rel=1e-9), params


def test_xavier_uniform_bound_contains_the_draws_of_torch_xavier_uniform_():
    # The bound is a hard limit of torch's own draw, and the draw's variance is a^2/3.
    params = {"layer": "conv2d", "n_in": 16, "n_out": 32, "k": 3, "groups": 8,
              "nonlinearity": "relu", "ask": "bound", "gain_given": False}
    w = torch.empty(32, 2, 3, 3, dtype=torch.float64)
    torch.nn.init.xavier_uniform_(w, gain=math.sqrt(2), generator=torch.Generator().manual_seed(0))
    a = family.answer(params)
    assert a == pytest.approx(math.sqrt(102) / 51, rel=1e-12)  # fans 18 and 288
    assert w.abs().max().item() <= a
    assert w.abs().max().item() > 0.95 * a


def test_known_linear_layer_and_its_lecun_mistake():
    params = {"layer": "linear", "n_in": 256, "n_out": 128, "nonlinearity": "linear",
              "ask": "var", "gain_given": True}
    assert family.answer(params) == pytest.approx(1 / 192, rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["fan_in_only"] == pytest.approx(1 / 256, rel=1e-12)  # LeCun, the seed's 1/n_in
    assert wrong["std_for_variance"] == pytest.approx(math.sqrt(1 / 192), rel=1e-12)
    # U(-1/sqrt(n_in), 1/sqrt(n_in)), the seed's "Xavier uniform", has variance 1/(3 n_in).
    assert wrong["uniform_heuristic"] == pytest.approx(1 / (3 * 256), rel=1e-12)


def test_conv_mistakes_drop_the_receptive_field_or_mishandle_groups():
    params = {"layer": "conv2d", "n_in": 64, "n_out": 128, "k": 3, "groups": 4,
              "nonlinearity": "tanh", "ask": "var", "gain_given": False}
    gain2 = 25 / 9
    assert family.answer(params) == pytest.approx(gain2 * 2 / (16 * 9 + 128 * 9), rel=1e-12)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["no_receptive_field"] == pytest.approx(gain2 * 2 / (16 + 128), rel=1e-12)
    assert wrong["groups_ignored"] == pytest.approx(gain2 * 2 / (64 * 9 + 128 * 9), rel=1e-12)
    assert wrong["fan_out_divided_by_groups"] == pytest.approx(gain2 * 2 / (16 * 9 + 32 * 9),
                                                              rel=1e-12)
    assert wrong["gain_not_squared"] == pytest.approx(5 / 3 * 2 / (16 * 9 + 128 * 9), rel=1e-12)


def test_prompts_state_torch_convention_in_both_languages():
    formula = r"\frac{2}{\mathrm{fan}_{\mathrm{in}} + \mathrm{fan}_{\mathrm{out}}}"
    conv_fan_in = r"\frac{C_{\mathrm{in}}}{\mathrm{groups}} \cdot k \cdot k"
    for params in samples("xavier-text")[:150]:
        for lang in ("en", "zh"):
            text = family.prompt(params, lang)
            assert formula in text and r"\mathrm{gain}^2" in text and "Glorot & Bengio" in text
            assert f"({params['n_in']}, {params['n_out']}" in text
            if params["layer"] == "conv2d":
                assert conv_fan_in in text and r"C_{\mathrm{out}} \cdot k \cdot k" in text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in family.prompt(params, "zh"))


def test_solution_is_a_list_of_steps_ending_in_the_printed_answer():
    for params in samples("xavier-solution")[:150]:
        for lang in ("en", "zh"):
            steps = family.solution(params, lang)
            assert steps and all(isinstance(s, str) and s.strip() for s in steps)
            assert steps[-1].endswith(f"= {family.answer_tex(params)}$")
        assert float(family.answer_tex(params)) == pytest.approx(family.answer(params), rel=1e-5)


def test_every_named_mistake_is_distinct_from_the_answer_in_most_samples():
    rtol = Family(family).tolerance({})["rtol"]
    names_seen, clean, apart = set(), 0, 0
    drawn = samples("xavier-mistakes")
    for params in drawn:
        right, found = family.answer(params), family.mistakes(params)
        assert len(found) >= 3
        assert all(m.feedback["en"].strip() and m.feedback["zh"].strip() for m in found)
        values = [m.value for m in found]
        names_seen |= {m.name for m in found}
        clean += all(abs(v - right) > rtol * abs(right) for v in values)
        # Mistakes that coincide with each other are merged by build_question; rarely needed.
        apart += all(not math.isclose(v, w, rel_tol=rtol) for i, v in enumerate(values)
                     for w in values[:i])
    assert clean >= 0.95 * len(drawn)
    assert apart >= 0.9 * len(drawn)
    assert names_seen == set(family.FEEDBACK)


def test_build_question_succeeds_for_every_difficulty():
    for seed in range(100):
        difficulty = DIFFICULTIES[seed % 3]
        question = build_question(Family(family), rng_for(seed, family.ID), difficulty, "q1")
        assert question.family == family.ID and question.difficulty == difficulty
        if question.kind == "expression":
            assert question.answer == family.answer(question.params)
            assert question.vars == ["fan_in:positive", "fan_out:positive", "gain:positive"]
        else:
            assert question.answer == pytest.approx(family.answer(question.params), rel=1e-11)
