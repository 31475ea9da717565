r"""The lr after a given validation-loss history under torch's ReduceLROnPlateau (mode 'min').

An epoch improves when :math:`l < \text{best}\,(1 - \text{threshold})` (threshold_mode 'rel',
threshold 1e-4); otherwise it is bad. After more than ``patience`` bad epochs in a row (the
(patience+1)-th) the lr is multiplied by ``factor``, the count restarts from 0, and the next
``cooldown`` epochs are not counted as bad.

Difficulty 1: patience 1 or 2, no cooldown, clear improvements and plateaus. 2: a longer history
with a "tiny" improvement smaller than the relative threshold. 3: a cooldown, possibly two
reductions. Reducing on the patience-th bad epoch (conventions.md section 6) is a named mistake,
with ignoring the threshold, comparing with the previous epoch instead of the best, not
resetting the count and ignoring the cooldown.

Samples keep every reduction far above torch's eps = 1e-8 and min_lr = 0, which the stated
convention therefore leaves out.
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp
import torch

import reference.optim
from question_bank._format import num
from question_bank._memo import per_variant
from question_bank.schedules._lr import ANSWER, distinct_from
from quizgen.model import Mistake
from reference.lr_scheduler import ReduceLROnPlateau

ID = "schedules.plateau"
TOPIC = "schedules"
TITLE = {"en": "ReduceLROnPlateau", "zh": "ReduceLROnPlateau（平台期降学习率）"}
KIND = "number"

THRESHOLD = 1e-4
BASE_LRS = (0.1, 0.01, 0.05, 0.001, 0.2)


def sample(rng: random.Random, difficulty: int) -> dict:
    """A history with at least one reduction that separates two named mistakes."""
    while True:
        params = _draw(rng, difficulty)
        if simulate(params) != Fraction(str(params["lr0"])) and len(mistakes(params)) >= 2:
            return params


def _draw(rng: random.Random, difficulty: int) -> dict:
    length = {1: rng.randint(6, 8), 2: rng.randint(9, 12), 3: rng.randint(10, 14)}[difficulty]
    patience = {1: rng.choice((1, 2)), 2: rng.choice((2, 3)), 3: rng.choice((1, 2))}[difficulty]
    digits = 2 if difficulty == 1 else 5
    best = round(rng.uniform(0.8, 2.5), 2)
    losses, tiny_used = [best], False
    for _ in range(length - 1):
        roll = rng.random()
        if difficulty > 1 and not tiny_used and roll < 0.25:
            # Lower than best, but by less than best * 1e-4: not an improvement for torch.
            steps = max(1, int(best * 10) - 1)
            loss, tiny_used = round(best - 1e-5 * rng.randint(1, steps), digits), True
        elif roll < 0.55:
            loss = round(best - rng.uniform(0.02, 0.15), 2)
        else:
            loss = round(best + rng.choice((0.0, rng.uniform(0.0, 0.1))), 2)
        loss = max(loss, 0.3)
        losses.append(loss)
        best = min(best, loss)
    return {"lr0": rng.choice(BASE_LRS), "factor": rng.choice((0.1, 0.5)),
            "patience": patience, "cooldown": rng.choice((1, 2)) if difficulty == 3 else 0,
            "losses": losses}


@per_variant
def run(params: dict) -> list[dict]:
    """After each epoch: the lr, best loss, bad-epoch count and cooldown left (reference)."""
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = reference.optim.SGD([weight], lr=params["lr0"])
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=params["factor"],
                                  patience=params["patience"], threshold=THRESHOLD,
                                  cooldown=params["cooldown"])
    trace = []
    for loss in params["losses"]:
        scheduler.step(loss)
        trace.append({"lr": optimizer.param_groups[0]["lr"], "best": scheduler.best,
                      "bad": scheduler.num_bad_epochs, "cooldown": scheduler.cooldown_counter})
    return trace


def answer(params: dict) -> float:
    return run(params)[-1]["lr"]


def oracle(params: dict) -> float:
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=params["lr0"])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=params["factor"], patience=params["patience"],
        threshold=THRESHOLD, cooldown=params["cooldown"])
    for loss in params["losses"]:
        scheduler.step(loss)
    return optimizer.param_groups[0]["lr"]


@per_variant
def simulate(params: dict, *, reduce_after: int | None = None, threshold: bool = True,
             compare_previous: bool = False, reset_count: bool = True,
             cooldown: bool = True) -> Fraction:
    """The lr by the documented rule in exact arithmetic; the keywords make the usual slips."""
    limit = params["patience"] + 1 if reduce_after is None else reduce_after
    rel = Fraction(str(THRESHOLD)) if threshold else Fraction(0)
    lr, factor = Fraction(str(params["lr0"])), Fraction(str(params["factor"]))
    best, previous, bad, cool = None, None, 0, 0
    for value in params["losses"]:
        loss = Fraction(str(value))
        reference = previous if compare_previous else best
        if reference is None or loss < reference * (1 - rel):
            best, bad = loss, 0
        else:
            bad += 1
        previous = loss
        if cooldown and cool > 0:
            cool, bad = cool - 1, 0
        if bad >= limit:
            lr *= factor
            cool = params["cooldown"]
            bad = 0 if reset_count else bad
    return lr


def closed_form(params: dict) -> sp.Expr:
    return sp.Rational(simulate(params))


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-6, "atol": 1e-12}


def _call(params: dict) -> str:
    return (f"torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', "
            f"factor={params['factor']}, patience={params['patience']}, threshold=1e-4, "
            f"threshold_mode='rel', cooldown={params['cooldown']})")


def prompt(params: dict, lang: str) -> str:
    # One formula per loss, so that a long history wraps between numbers.
    losses = ", ".join(f"${num(x)}$" for x in params["losses"])
    lr0, n = num(params["lr0"]), len(params["losses"])
    rule_en = (r"an epoch whose loss $l$ satisfies $l < \text{best} \cdot (1 - 10^{-4})$ is an "
               r"improvement (best is the lowest loss so far), any other epoch is a bad epoch, "
               r"and patience is the number of consecutive bad epochs that are tolerated")
    rule_zh = (r"若某个 epoch 的损失 $l$ 满足 $l < \text{best} \cdot (1 - 10^{-4})$"
               r"（best 为迄今最低的损失），该 epoch 算作改进，否则算作坏 epoch；"
               r"patience 是可以容忍的连续坏 epoch 数")
    cooldown = params["cooldown"]
    if cooldown:
        rule_en += ("; after each reduction " + ("the next epoch is" if cooldown == 1 else
                                                f"the next {cooldown} epochs are")
                    + " a cooldown, during which bad epochs are not counted")
        rule_zh += f"；每次降低学习率之后的 {cooldown} 个 epoch 为冷却期，冷却期内的坏 epoch 不计数"
    if lang == "zh":
        return (f"优化器初始学习率 $\\eta_0 = {lr0}$，使用 {_call(params)}。按 PyTorch 的规则，"
                f"{rule_zh}。每个 epoch 结束时以验证损失调用 scheduler.step(loss)，"
                f"这 ${n}$ 个 epoch 的验证损失依次为 {losses}。"
                f"求处理完全部 ${n}$ 个损失之后的学习率。")
    return (f"An optimizer starts with learning rate $\\eta_0 = {lr0}$ and is wrapped in "
            f"{_call(params)}. By PyTorch's rules, {rule_en}. At the end of each epoch "
            f"scheduler.step(loss) is called with the validation loss; over ${n}$ epochs the "
            f"losses are {losses}. What is the learning rate after all ${n}$ losses have been "
            f"passed to the scheduler?")


def solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    lines, lr = [], params["lr0"]
    for epoch, (loss, state) in enumerate(zip(params["losses"], run(params)), start=1):
        reduced = state["lr"] < lr
        lr = state["lr"]
        note = ("，学习率降低" if zh else ", lr reduced") if reduced else ""
        cool = (f"，冷却剩余 ${state['cooldown']}$" if zh else
                f", cooldown left ${state['cooldown']}$") if params["cooldown"] else ""
        lines.append(
            f"epoch ${epoch}$: $l = {num(loss)}$" + (
                f"，best $= {num(state['best'])}$，坏 epoch 计数 ${state['bad']}$" if zh else
                f", best $= {num(state['best'])}$, bad epochs ${state['bad']}$")
            + cool + f"{'，' if zh else ', '}$\\eta = {num(lr, 8)}$" + note)
    patience = params["patience"]
    head = (f"连续坏 epoch 数超过 patience $= {patience}$，即达到 ${patience + 1}$ 时，学习率乘以 "
            f"${num(params['factor'])}$，计数清零：" if zh else
            f"The lr is multiplied by ${num(params['factor'])}$ when the run of bad epochs "
            f"exceeds patience $= {patience}$, i.e. reaches ${patience + 1}$, and the count "
            f"restarts from 0:")
    return [head, *lines, ANSWER[lang] + f"$\\eta = {answer_tex(params)}$"]


FEEDBACK = {
    "reduces_on_patience_th_bad_epoch": {
        "en": "You reduced the lr on the patience-th bad epoch; patience bad epochs are "
              "tolerated, and torch reduces when the count exceeds patience, i.e. on the "
              "(patience + 1)-th bad epoch in a row.",
        "zh": "你在第 patience 个坏 epoch 就降低了学习率；patience 个坏 epoch 是可以容忍的，"
              "torch 在计数超过 patience（即连续第 patience + 1 个坏 epoch）时才降低。",
    },
    "threshold_ignored": {
        "en": "You counted a tiny decrease as an improvement; with threshold_mode='rel' a loss "
              "must be below best * (1 - 1e-4) to count.",
        "zh": "你把极小的下降也算作了改进；threshold_mode='rel' 时损失必须低于 "
              "best * (1 - 1e-4) 才算改进。",
    },
    "compares_to_previous_epoch": {
        "en": "You compared each loss with the previous epoch's; ReduceLROnPlateau compares with "
              "the best loss seen so far.",
        "zh": "你把每个损失和上一个 epoch 比较了；ReduceLROnPlateau 比较的是迄今为止最好的损失。",
    },
    "bad_count_not_reset": {
        "en": "You kept counting bad epochs after a reduction; torch resets the count to 0 "
              "whenever it reduces the lr.",
        "zh": "降低学习率之后你继续累计坏 epoch；torch 每次降低学习率都会把计数清零。",
    },
    "cooldown_ignored": {
        "en": "You ignored the cooldown: during the cooldown epochs after a reduction, bad "
              "epochs are not counted.",
        "zh": "你忽略了冷却期：降低学习率之后的冷却期内，坏 epoch 不计数。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    found = [
        ("reduces_on_patience_th_bad_epoch", simulate(params, reduce_after=params["patience"])),
        ("threshold_ignored", simulate(params, threshold=False)),
        ("compares_to_previous_epoch", simulate(params, compare_previous=True)),
        ("bad_count_not_reset", simulate(params, reset_count=False)),
    ]
    if params["cooldown"]:
        found.append(("cooldown_ignored", simulate(params, cooldown=False)))
    right = float(simulate(params))
    return [Mistake(n, float(v), FEEDBACK[n]) for n, v in distinct_from(right, found)]
