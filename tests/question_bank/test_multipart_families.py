"""The families' multi-part variants, over many seeds.

For every family with a ``parts`` hook: each part's key agrees with PyTorch itself (torch.optim,
torch.nn, torch.autograd, F.*: an oracle independent of reference/); each dependent part's
formula, evaluated at the key's earlier values as grading does (follow_through_value), gives the
part's key within its tolerance; and where the earlier parts can be moved by changing an input
the formula does not mention, the formula at the *moved* earlier values gives what reference/
computes for the moved input: follow-through credits exactly the answers a correct computation
from a wrong earlier value would give. ``quizgen validate``'s own part checks run too.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from question_bank import families
from question_bank.calculus._functions import torch_function
from quizgen.grading import check
from quizgen.model import Question
from quizgen.multipart import follow_through_value, grade_parts
from quizgen.sampling import build_question, rng_for
from quizgen.validate import part_problems

SEEDS = range(200)
PERTURBED_SEEDS = range(100)
MULTIPART = sorted(fid for fid, f in families().items() if hasattr(f.module, "parts"))


def parts_question(family_id: str, seed: int) -> Question:
    """A difficulty-3 question the family asks in parts, as quizgen make builds it."""
    family = families()[family_id]
    for attempt in range(200):  # sample first: building a formula variant's question is slow
        if family.sample(rng_for(seed, "parts", family_id, attempt), 3).get("parts"):
            return build_question(family, rng_for(seed, "parts", family_id, attempt), 3, "q1")
    raise AssertionError(f"{family_id}: no variant in parts in 200 draws")


def parts_params(family_id: str, seed: int) -> dict:
    return parts_question(family_id, seed).params


def parts_of(family_id: str, params: dict) -> dict:
    return {p.id: p for p in families()[family_id].module.parts(params)}


def f64(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


# -- PyTorch oracles: {part id: value} computed by torch itself ---------------------------------
def adam_oracle(params: dict) -> dict:
    p = torch.nn.Parameter(f64([params["theta"]]))
    b1, b2 = params["beta1"], params["beta2"]
    opt = torch.optim.Adam([p], lr=params["lr"], betas=(b1, b2), eps=params["eps"],
                           foreach=False)
    opt.state[p] = {"step": f64(float(params["t"])), "exp_avg": f64([params["m"]]),
                    "exp_avg_sq": f64([params["v"]])}
    p.grad = f64(params["grads"])
    opt.step()
    state = opt.state[p]
    t = int(state["step"].item())
    m, v = state["exp_avg"].item(), state["exp_avg_sq"].item()
    return {"a": m, "b": v, "c": m / (1 - b1**t), "d": v / (1 - b2**t), "e": p.item()}


def sgd_oracle(params: dict) -> dict:
    p = torch.nn.Parameter(f64([params["theta"]]))
    opt = torch.optim.SGD([p], lr=params["lr"], momentum=params["momentum"], foreach=False)
    out = []
    for g in params["grads"]:
        p.grad = f64([g])
        opt.step()
        out += [opt.state[p]["momentum_buffer"].item(), p.item()]
    return dict(zip("abcd", out))


def clip_oracle(params: dict) -> dict:
    grads = [torch.nn.Parameter(f64(g)) for g in params["grads"]]
    for g in grads:
        g.grad = g.detach().clone()
    norm = torch.nn.utils.clip_grad_norm_(grads, params["max_norm"]).item()
    last = grads[-1]
    return {"a": norm, "b": (last.grad[0] / last.detach()[0]).item() if last[0] else None,
            "c": last.grad.tolist()}


def batchnorm_oracle(params: dict) -> dict:
    x = f64(params["x"])
    layer = torch.nn.BatchNorm1d(1, eps=1e-5, momentum=0.1, dtype=torch.float64)
    plain = torch.nn.BatchNorm1d(1, eps=1e-5, affine=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.fill_(params["gamma"][0])
        layer.bias.fill_(params["beta"][0])
        layer.running_mean.fill_(params["running_mean"][0])
        layer.running_var.fill_(params["running_var"][0])
        y, x_hat = layer(x), plain(x)
    var, mean = torch.var_mean(x, unbiased=False)
    i = params["index"]
    return {"a": mean.item(), "b": var.item(), "c": x_hat[i, 0].item(), "d": y[i, 0].item(),
            "e": layer.running_mean.item(), "f": layer.running_var.item()}


def ema_oracle(params: dict) -> dict:
    oracle = families()["averaging.ema"].module.oracle
    k = len(params["values"])
    raw = [oracle({**params, "values": params["values"][: t + 1], "corrected": False})
           for t in range(k)]
    return {**dict(zip("abc", raw)), "d": oracle(params)}


def gd_oracle(params: dict) -> dict:
    p = torch.nn.Parameter(f64([float(v) for v in params["point"]]))
    opt = torch.optim.SGD([p], lr=params["lr"])
    f = torch_function(params["terms"])
    seen = []
    for _ in range(2):
        opt.zero_grad()
        f(p).backward()
        seen.append((p.detach().tolist(), p.grad.tolist()))
        opt.step()
    (_, _), (p1, g1) = seen
    return {"a": p1[0], "b": p1[1], "c": g1[0], "d": g1[1], "e": p.detach().tolist()}


def cosine_oracle(params: dict) -> dict:
    oracle = families()["schedules.cosine_annealing"].module.oracle
    lr0, eta_min = params["lr0"], params["eta_min"]
    at_e = oracle(params)
    return {"a": (at_e - eta_min) / (lr0 - eta_min), "b": at_e,
            "c": oracle({**params, "epoch": params["T_max"] + params["epoch"]})}


def power_oracle(params: dict) -> dict:
    oracle = families()["spectral.power_iteration"].module.oracle
    w, u0 = f64(params["W"]), f64(params["start"])
    v = oracle({**params, "ask": "v"})
    return {"a": torch.linalg.vector_norm(w.T @ u0).item(), "b": v,
            "c": torch.linalg.vector_norm(w @ f64(v)).item(), "d": oracle({**params, "ask": "u"}),
            "e": oracle(params)}


def distillation_oracle(params: dict) -> dict:
    temp = params["T"]
    zs, zt, y = f64(params["student"]), f64(params["teacher"]), torch.tensor(params["labels"])
    kl = F.kl_div(F.log_softmax(zs / temp, dim=-1), F.softmax(zt / temp, dim=-1),
                  reduction="batchmean")
    hard = F.cross_entropy(zs, y)
    return {"a": F.softmax(zt / temp, dim=-1)[0].tolist(),
            "b": F.softmax(zs / temp, dim=-1)[0].tolist(), "c": kl.item(),
            "d": (kl * temp * temp).item(), "e": hard.item(),
            "f": families()["averaging.distillation"].module.oracle(params)}


def wgan_oracle(params: dict) -> dict:
    real, fake = f64(params["real"]), f64(params["fake"])
    x_hat = torch.lerp(fake, real, f64(params["eps"]).reshape(-1, 1)).requires_grad_(True)
    w = f64(params["w"])
    scores = x_hat @ w + params["c"] * x_hat[:, 0] ** 2
    (grads,) = torch.autograd.grad(scores.sum(), x_hat)
    norms = torch.linalg.vector_norm(grads, dim=1).tolist()
    return {"a": x_hat[0, 0].item(), "b": grads[0].tolist(), "c": norms[0],
            "d": x_hat[1, 0].item(), "e": norms[1],
            "f": families()["gan.wgan_gp_penalty"].module.oracle(params)}


ORACLES: dict[str, Callable[[dict], dict]] = {
    "optimizers.adam_step": adam_oracle,
    "optimizers.sgd_momentum": sgd_oracle,
    "clipping.clip_grad_norm": clip_oracle,
    "normalization.batchnorm_train": batchnorm_oracle,
    "averaging.ema": ema_oracle,
    "calculus.gradient_descent_step": gd_oracle,
    "schedules.cosine_annealing": cosine_oracle,
    "spectral.power_iteration": power_oracle,
    "averaging.distillation": distillation_oracle,
    "gan.wgan_gp_penalty": wgan_oracle,
}


# -- perturbations: an input that moves earlier parts but is no constant of the checked formulas
def _nudge(rng, x: float) -> float:
    return x + rng.choice([-1, 1]) * rng.uniform(0.05, 0.5)


def _adam(params, rng):
    return {**params, "grads": [_nudge(rng, params["grads"][0])]}, "cde"


def _sgd(params, rng):
    g1, g2 = params["grads"]
    return {**params, "grads": [_nudge(rng, g1), g2]}, "bcd"


def _clip(params, rng):
    first = [_nudge(rng, x) for x in params["grads"][0]]
    return {**params, "grads": [first, *params["grads"][1:]]}, "bc"


def _batchnorm(params, rng):
    scale, shift = rng.uniform(0.5, 2.0), rng.uniform(-2, 2)
    return {**params, "x": [[scale * v + shift for v in row] for row in params["x"]]}, "ef"


def _ema(params, rng):
    return {**params, "values": [_nudge(rng, params["values"][0]), *params["values"][1:]]}, "bcd"


def _gd(params, rng):
    return {**params, "point": [_nudge(rng, v) for v in params["point"]]}, "cde"


def _cosine(params, rng):
    t_max = params["T_max"]
    while True:
        epoch = rng.randint(1, t_max - 1)
        if epoch != params["epoch"] and 2 * epoch != t_max:
            return {**params, "epoch": epoch}, "bc"


def _distillation(params, rng):
    teacher = [[_nudge(rng, z) for z in params["teacher"][0]]]
    return {**params, "teacher": teacher}, "df"


def _wgan(params, rng):
    fake = [[_nudge(rng, row[0]), row[1]] for row in params["fake"]]
    return {**params, "fake": fake}, "bcef"


PERTURB = {
    "optimizers.adam_step": _adam,
    "optimizers.sgd_momentum": _sgd,
    "clipping.clip_grad_norm": _clip,
    "normalization.batchnorm_train": _batchnorm,
    "averaging.ema": _ema,
    "calculus.gradient_descent_step": _gd,
    "schedules.cosine_annealing": _cosine,
    "averaging.distillation": _distillation,
    "gan.wgan_gp_penalty": _wgan,
    # spectral.power_iteration: every formula's constants are W and u_0 themselves (W^T u_0,
    # W W^T u_0), so no input moves its earlier parts alone; its formulas are checked at the keys.
}


def _close(got, want, tolerance: dict) -> bool:
    return check(want, repr(got), kind="vector" if isinstance(want, list) else "number",
                 **tolerance).status == "correct"


# -- the tests ---------------------------------------------------------------------------------
def test_at_least_ten_families_in_six_topics_ask_in_parts():
    assert len(MULTIPART) >= 10, MULTIPART
    assert len({families()[f].topic for f in MULTIPART}) >= 6
    assert set(MULTIPART) == set(ORACLES)  # a new multi-part family brings its oracle here


@pytest.mark.parametrize("family_id", MULTIPART)
def test_each_part_agrees_with_pytorch(family_id):
    for seed in SEEDS:
        params = parts_params(family_id, seed)
        want = ORACLES[family_id](params)
        for pid, part in parts_of(family_id, params).items():
            if want.get(pid) is None:
                continue
            value = want[pid]
            got = part.answer
            assert len(got if isinstance(got, list) else [got]) == len(
                value if isinstance(value, list) else [value]), (seed, pid)
            pairs = zip(got, value) if isinstance(got, list) else [(got, value)]
            assert all(math.isclose(g, v, rel_tol=1e-9, abs_tol=1e-12) for g, v in pairs), \
                (seed, pid, got, value)


@pytest.mark.parametrize("family_id", MULTIPART)
def test_formulas_at_the_earlier_keys_give_the_keys(family_id):
    """As grading evaluates them: from quiz.json's stored values, with the part's tolerance."""
    dependent = 0
    for seed in SEEDS:
        question = parts_question(family_id, seed)
        keys = {p.id: p.answer for p in question.parts}
        for part in question.parts:
            assert set(part.uses) <= {p.id for p in question.parts[: question.parts.index(part)]}
            if not part.formula:
                continue
            dependent += 1
            assert all(isinstance(keys[u], (int, float)) for u in part.uses), (seed, part.id)
            value = follow_through_value(part, keys)
            assert value is not None and _close(value, part.answer, part.tolerance), \
                (seed, part.id, part.formula, value, part.answer)
    assert dependent >= len(SEEDS)  # every variant has dependent parts


@pytest.mark.parametrize("family_id", sorted(PERTURB))
def test_formulas_at_moved_earlier_values_give_the_reference(family_id):
    """Move the earlier parts through an input the formula does not mention: the formula at the
    moved values equals reference/'s part for the moved input, and grading a student who
    answers that whole moved computation credits those parts by follow-through."""
    followed = moved_parts = 0
    for seed in PERTURBED_SEEDS:
        question = parts_question(family_id, seed)
        params = question.params
        moved, checked = PERTURB[family_id](params, rng_for(seed, "move", family_id))
        key, other = parts_of(family_id, params), parts_of(family_id, moved)
        values = {pid: p.answer for pid, p in other.items()}
        for pid in checked:
            part = key[pid]
            if not part.formula:
                continue  # a constant partial derivative of f: nothing to follow through from
            # (clip_grad_norm_'s coefficient stays 1 while the norm stays below max_norm)
            moved_parts += any(values[u] != key[u].answer for u in part.uses)
            value = follow_through_value(part, values)
            assert value is not None and _close(value, other[pid].answer, part.tolerance), \
                (seed, pid, part.formula, value, other[pid].answer)
        texts = {pid: repr(p.answer) for pid, p in other.items()}
        verdicts = grade_parts(question, texts)
        for pid in checked:
            assert verdicts[pid].status == "correct", (seed, pid, verdicts[pid])
            followed += verdicts[pid].method == "follow-through"
    assert moved_parts >= len(PERTURBED_SEEDS) * len(checked) / 2
    assert followed >= len(PERTURBED_SEEDS) / 2


@pytest.mark.parametrize("family_id", MULTIPART)
def test_validate_finds_nothing_wrong_with_the_parts(family_id):
    """Keys grade correct, mistakes incorrect with their feedback, both languages, formulas at
    the keys, the family's own (closed-form- and oracle-checked) answer among the parts."""
    family = families()[family_id]
    for seed in range(60):
        question = parts_question(family_id, seed)
        assert question.kind == "parts" and question.parts
        assert part_problems(family, question) == [], seed
        for lang in ("en", "zh"):
            stem = question.prompt[lang]
            assert ("in parts" in stem) if lang == "en" else ("小题" in stem)
            assert "PyTorch" in stem or "torch." in stem  # the convention the answers follow
