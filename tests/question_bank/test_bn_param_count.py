"""normalization.bn_param_count against torch.nn.Conv2d + torch.nn.BatchNorm2d module counts."""

import pytest
import sympy as sp
import torch

from question_bank import DIFFICULTIES, Family
from question_bank.normalization import bn_param_count as family
from quizgen.sampling import build_question, rng_for
from reference.nn import BatchNorm2d

SEEDS = range(500)


def samples(tag):
    """Numeric variants (the formula variant is checked by tests/question_bank/test_families)."""
    drawn = [family.sample(rng_for(seed, tag), DIFFICULTIES[seed % 3]) for seed in SEEDS]
    return [params for params in drawn if not params.get("formula")]


def torch_network(params):
    """The described network built from torch's own modules (meta device: counts only)."""
    layers, c_in = [], params["in_channels"]
    for c_out, k in zip(params["channels"], params["kernels"]):
        layers += [torch.nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=params["conv_bias"],
                                   device="meta"),
                   torch.nn.BatchNorm2d(c_out, device="meta"), torch.nn.ReLU()]
        c_in = c_out
    return torch.nn.Sequential(*layers)


def torch_oracle(params):
    net = torch_network(params)
    bns = [m for m in net if isinstance(m, torch.nn.BatchNorm2d)]
    return {
        "bn_params": sum(p.numel() for bn in bns for p in bn.parameters()),
        "bn_buffers": sum(b.numel() for bn in bns for b in bn.buffers()),
        "total_params": sum(p.numel() for p in net.parameters()),
    }[params["ask"]]


def test_answer_matches_torch_module_counts():
    for params in samples("bn-oracle"):
        assert family.answer(params) == torch_oracle(params), params


def test_answer_equals_the_sympy_integer_closed_form():
    for params in samples("bn-sympy"):
        exact = family.closed_form(params)
        assert isinstance(exact, sp.Integer)
        assert family.answer(params) == int(exact) == pytest.approx(float(exact), rel=1e-9)


def test_reference_batchnorm2d_has_torch_parameters_and_buffers():
    ours, theirs = BatchNorm2d(64), torch.nn.BatchNorm2d(64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    params = {"in_channels": 3, "size": 32, "channels": [64], "kernels": [3],
              "conv_bias": True, "ask": "bn_params"}
    assert family.answer(params) == 128
    assert family.answer({**params, "ask": "bn_buffers"}) == 129  # 64 + 64 + 1


def test_whole_network_count_with_and_without_conv_bias():
    params = {"in_channels": 3, "size": 32, "channels": [16, 32], "kernels": [3, 3],
              "conv_bias": False, "ask": "total_params"}
    convs = 16 * 3 * 9 + 32 * 16 * 9
    assert family.answer(params) == convs + 2 * (16 + 32)
    assert family.answer({**params, "conv_bias": True}) == convs + (16 + 32) + 2 * (16 + 32)
    wrong = {m.name: m.value for m in family.mistakes(params)}
    assert wrong["conv_bias_counted"] == convs + 3 * (16 + 32)
    assert wrong["buffers_as_params"] == convs + 4 * (16 + 32)
    assert wrong["per_position"] == convs + 2 * (16 + 32) * 32 * 32


def test_prompts_give_the_network_defaults_and_bias_choice_in_both_languages():
    for params in samples("bn-text")[:150]:
        for lang in ("en", "zh"):
            text = family.prompt(params, lang)
            assert "affine=True" in text and "track_running_stats=True" in text
            size = params["size"]
            assert f"$(N, {params['in_channels']}, {size}, {size})$" in text
            assert all(f"BatchNorm2d({c})" in text for c in params["channels"])
            if params["ask"] == "total_params":
                assert f"bias={params['conv_bias']}" in text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in family.prompt(params, "zh"))


def test_solution_is_a_list_of_steps_ending_in_the_answer():
    for params in samples("bn-solution")[:150]:
        for lang in ("en", "zh"):
            steps = family.solution(params, lang)
            assert steps and all(isinstance(s, str) and s.strip() for s in steps)
            assert steps[-1].endswith(f"${family.answer(params)}$")


def test_every_named_mistake_differs_from_the_answer_and_from_each_other():
    atol = family.tolerance({})["atol"]
    names_seen = set()
    for params in samples("bn-mistakes"):
        right, found = family.answer(params), family.mistakes(params)
        assert len(found) >= 3
        assert all(m.feedback["en"].strip() and m.feedback["zh"].strip() for m in found)
        values = [m.value for m in found]
        assert all(abs(v - right) > atol for v in values), params
        assert len(set(values)) == len(values), params
        names_seen |= {m.name for m in found}
    assert names_seen == set(family.FEEDBACK) - {"kernel_not_squared"}  # formula variant only


def test_build_question_succeeds_for_every_difficulty():
    for seed in range(100):
        difficulty = DIFFICULTIES[seed % 3]
        question = build_question(Family(family), rng_for(seed, family.ID), difficulty, "q1")
        assert question.family == family.ID and question.difficulty == difficulty
        assert question.answer == family.answer(question.params)
        assert question.tolerance == {"rtol": 0.0, "atol": 0.5}
