r"""Knowledge distillation at temperature T (Hinton et al., 2015), as torch computes it.

Soft targets :math:`p^T = \operatorname{softmax}(z_t/T)`, student :math:`q^T =
\operatorname{softmax}(z_s/T)`, and the loss, with :math:`\alpha` weighting the soft term:

.. math:: L = \alpha\,T^2\,\mathrm{KL}(p^T \,\|\, q^T) + (1-\alpha)\,\mathrm{CE}(z_s, y)

where the KL is ``F.kl_div(F.log_softmax(z_s/T), F.softmax(z_t/T), reduction='batchmean')``
and the CE is at temperature 1.

Difficulty 1: the teacher's soft targets (a vector). 2: the soft term :math:`T^2\,\mathrm{KL}`
for one sample. 3: the whole loss for one sample, or the batch mean over two samples; or, half
the time at difficulty 2, the soft term's gradient with respect to a student logit as a formula,
T (q_i - p_i). Half of the difficulty-3 variants ask the loss for one sample in parts: p^T, q^T,
the KL, the soft term T^2 KL from it, the hard cross-entropy, and the loss from those two.
"""

from __future__ import annotations

import math
import random

import sympy as sp
import torch
import torch.nn.functional as F

from question_bank import _formula, _parts
from question_bank._format import num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.averaging import distillation_loss

ID = "averaging.distillation"
TOPIC = "averaging"
TITLE = {"en": "Knowledge distillation", "zh": "知识蒸馏"}
KIND = "number"

CLASSES = 3


def _logits(rng: random.Random) -> list[int]:
    while True:
        z = [rng.randint(-2, 5) for _ in range(CLASSES)]
        if len(set(z)) > 1:
            return z


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 2 and rng.random() < 0.5:
        return {"formula": True, "ask": "soft_gradient"}
    if _parts.chosen(rng, difficulty):  # one sample's loss, every value
        while True:
            params = sample(rng, 1)
            if len(params["labels"]) == 1:
                return {**params, "ask": "loss", "parts": True}
    batch = 2 if difficulty == 3 and rng.random() < 0.5 else 1
    while True:
        params = {
            "teacher": [_logits(rng) for _ in range(batch)],
            "student": [_logits(rng) for _ in range(batch)],
            "labels": [rng.randrange(CLASSES) for _ in range(batch)],
            "T": rng.choice([2, 3, 4, 5]),
            "alpha": rng.choice([0.5, 0.7, 0.9, 0.3]),
            "ask": {1: "soft_targets", 2: "soft_loss", 3: "loss"}[difficulty],
        }
        if _variant({**params, "ask": "soft_loss"}, missing_t2=True) > 1e-3:
            return params  # the student must disagree with the teacher (KL > 0.001)


def kind(params: dict) -> str:
    if params.get("formula"):
        return "expression"
    return "vector" if params["ask"] == "soft_targets" else "number"


def variables(params: dict) -> list[str]:
    return list(FORMULA_VARIABLES) if params.get("formula") else []


def _tensors(params: dict):
    s = torch.tensor(params["student"], dtype=torch.float64)
    t = torch.tensor(params["teacher"], dtype=torch.float64)
    y = torch.tensor(params["labels"], dtype=torch.long)
    return s, t, y


@per_variant
def _result(params: dict):
    s, t, y = _tensors(params)
    return distillation_loss(s, t, y, params["T"], params["alpha"])


def answer(params: dict):
    if params.get("formula"):
        return _formula.text(_formula_value(params))
    r = _result(params)
    if params["ask"] == "soft_targets":
        return r.teacher_probs[0].tolist()
    return (r.soft_loss if params["ask"] == "soft_loss" else r.loss).item()


def oracle(params: dict):
    """torch.nn.functional: softmax, kl_div(reduction='batchmean') and cross_entropy."""
    s, t, y = _tensors(params)
    temp, alpha = params["T"], params["alpha"]
    if params["ask"] == "soft_targets":
        return F.softmax(t / temp, dim=-1)[0].tolist()
    soft = F.kl_div(F.log_softmax(s / temp, dim=-1), F.softmax(t / temp, dim=-1),
                    reduction="batchmean") * temp * temp
    if params["ask"] == "soft_loss":
        return soft.item()
    return (alpha * soft + (1 - alpha) * F.cross_entropy(s, y)).item()


def _log_softmax(z, temp) -> list[sp.Expr]:
    """ln softmax(z / T)_c = z_c / T - ln sum_j exp(z_j / T), exactly."""
    scaled = [sp.Rational(x) / temp for x in z]
    log_sum = sp.log(sum(sp.exp(x) for x in scaled))
    return [x - log_sum for x in scaled]


def closed_form(params: dict):
    if params.get("formula"):
        return _formula_value(params)
    temp, alpha = sp.Integer(params["T"]), sp.Rational(str(params["alpha"]))
    if params["ask"] == "soft_targets":
        return sp.Matrix([sp.exp(x) for x in _log_softmax(params["teacher"][0], temp)])
    kl = ce = 0
    for zt, zs, y in zip(params["teacher"], params["student"], params["labels"]):
        log_p, log_q = _log_softmax(zt, temp), _log_softmax(zs, temp)
        kl += sum(sp.exp(lp) * (lp - lq) for lp, lq in zip(log_p, log_q))
        ce += -_log_softmax(zs, 1)[y]
    batch = len(params["labels"])
    soft = temp**2 * kl / batch
    if params["ask"] == "soft_loss":
        return soft
    return alpha * soft + (1 - alpha) * ce / batch


def answer_tex(params: dict) -> str:
    if params.get("formula"):
        return _formula.latex(_formula_value(params), NAMES)
    value = answer(params)
    return row(value, 8) if params["ask"] == "soft_targets" else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _samples_text(params: dict, lang: str) -> str:
    parts = []
    for b, (zt, zs, y) in enumerate(zip(params["teacher"], params["student"], params["labels"])):
        if len(params["labels"]) == 1:
            prefix = ""
        else:
            prefix = f"样本 {b + 1}：" if lang == "zh" else f"sample {b + 1}: "
        parts.append(f"{prefix}$z_t = {row(zt)}$, $z_s = {row(zs)}$"
                     + (f"，真实类别 $y = {y}$" if lang == "zh" else f", true class $y = {y}$"))
    return ("；" if lang == "zh" else "; ").join(parts)


def prompt(params: dict, lang: str) -> str:
    if params.get("formula"):
        return _formula_prompt(params, lang)
    temp, ask = params["T"], params["ask"]
    if ask == "soft_targets":
        zt = row(params["teacher"][0])
        if lang == "zh":
            return (f"教师模型对某个样本输出 logits $z_t = {zt}$（类别 0, 1, 2）。蒸馏温度 $T = {temp}$。"
                    f"求软目标 $p^T = \\text{{softmax}}(z_t / T)$（向量，至少 5 位有效数字）。")
        return (f"A teacher outputs the logits $z_t = {zt}$ (classes 0, 1, 2) for one sample. At "
                f"distillation temperature $T = {temp}$, compute the soft targets "
                f"$p^T = \\text{{softmax}}(z_t / T)$ (a vector, at least 5 significant figures).")
    data = _samples_text(params, lang)
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 6, lang)
    kl = "T^2 \\cdot \\text{KL}(p^T \\lVert q^T)"
    defs = ("p^T = \\text{softmax}(z_t / T)", "q^T = \\text{softmax}(z_s / T)")
    code = ("F.kl_div(F.log_softmax(z_s / T), F.softmax(z_t / T), reduction='batchmean') "
            "* T * T")
    if ask == "soft_loss":
        if lang == "zh":
            return (f"知识蒸馏，温度 $T = {temp}$，{data}。令 ${defs[0]}$，${defs[1]}$。求软损失 "
                    f"${kl}$（即 {code}，自然对数，至少 5 位有效数字）。")
        return (f"Knowledge distillation at temperature $T = {temp}$: {data}. With ${defs[0]}$ "
                f"and ${defs[1]}$, compute the soft loss ${kl}$ (that is, {code}; natural logs, "
                f"at least 5 significant figures).")
    a = num(params["alpha"])
    loss = f"L = \\alpha \\cdot {kl} + (1 - \\alpha) \\cdot \\text{{CE}}(z_s, y)"
    batch = len(params["labels"])
    if lang == "zh":
        mean = "，两项都对 batch 取平均（KL 用 reduction='batchmean'）" if batch > 1 else ""
        return (f"知识蒸馏，温度 $T = {temp}$，$\\alpha = {a}$，{data}。损失为 ${loss}$，其中 "
                f"$\\alpha$ 加权软损失，${defs[0]}$，${defs[1]}$，硬损失 CE 是温度 1 下的交叉熵"
                f"（F.cross_entropy）{mean}。求 $L$（自然对数，至少 5 位有效数字）。")
    mean = (" Both terms are batch means (the KL with reduction='batchmean')." if batch > 1
            else "")
    return (f"Knowledge distillation at temperature $T = {temp}$ with $\\alpha = {a}$: {data}. "
            f"The loss is ${loss}$, where $\\alpha$ weights the soft term, ${defs[0]}$, "
            f"${defs[1]}$, and the hard term is the cross-entropy at temperature 1 "
            f"(F.cross_entropy).{mean} Compute $L$ (natural logs, at least 5 significant "
            f"figures).")


def solution(params: dict, lang: str) -> list[str]:
    if params.get("formula"):
        return _formula_solution(params, lang)
    r = _result(params)
    temp = params["T"]
    lines = []
    for b in range(len(params["labels"])):
        p = r.teacher_probs[b].tolist()
        q = r.student_log_probs[b].exp().tolist()
        tag = f"_{{{b + 1}}}" if len(params["labels"]) > 1 else ""
        lines.append(f"$p^T{tag} = \\text{{softmax}}({row(params['teacher'][b])} / {temp}) = "
                     f"{row(p, 6)}$")
        if params["ask"] != "soft_targets":
            lines.append(f"$q^T{tag} = \\text{{softmax}}({row(params['student'][b])} / {temp}) = "
                         f"{row(q, 6)}$")
    if params["ask"] != "soft_targets":
        lines.append(f"$\\text{{KL}} = \\sum_c p_c (\\ln p_c - \\ln q_c) = {num(r.kl.item(), 8)}$, "
                     f"$T^2 \\cdot \\text{{KL}} = {num(r.soft_loss.item(), 8)}$")
    if params["ask"] == "loss":
        a = num(params["alpha"])
        lines.append(f"$\\text{{CE}}(z_s, y) = -\\ln \\text{{softmax}}(z_s)_y = "
                     f"{num(r.hard_loss.item(), 8)}$")
        lines.append(f"$L = {a} \\cdot {num(r.soft_loss.item(), 8)} + (1 - {a}) \\cdot "
                     f"{num(r.hard_loss.item(), 8)} = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "no_temperature": {
        "en": "Soft targets divide the logits by T before the softmax; you used T = 1.",
        "zh": "软目标要先把 logits 除以 T 再做 softmax；你相当于用了 T = 1。",
    },
    "times_temperature": {
        "en": "Divide the logits by T (a higher T makes the distribution softer); you "
              "multiplied them.",
        "zh": "logits 要除以 T（T 越大分布越平滑）；你却乘了 T。",
    },
    "missing_t2": {
        "en": "The soft term is multiplied by T^2 so its gradients keep their scale as T "
              "grows; you left it out.",
        "zh": "软损失要乘以 T^2，使其梯度的量级不随 T 变化；你漏掉了这个因子。",
    },
    "chain_rule_missed": {
        "en": "The student's logits enter the softmax divided by T, so the chain rule brings a "
              "factor 1/T: T^2 (q - p) / T = T (q - p).",
        "zh": "学生的 logits 先除以 T 再进 softmax，链式法则会带来 1/T 的因子："
              "T^2 (q - p) / T = T (q - p)。",
    },
    "gradient_sign": {
        "en": "The gradient of the KL with respect to the student's logit is q - p (student "
              "minus teacher): it pushes q towards p when descending.",
        "zh": "KL 对学生 logit 的梯度是 q - p（学生减教师）：沿负梯度下降时 q 向 p 靠近。",
    },
    "t_one_side": {
        "en": "Both distributions use the same temperature: the student's softmax is of z_s / T "
              "as well.",
        "zh": "两个分布用同一个温度：学生的 softmax 也要对 z_s / T 计算。",
    },
    "kl_swapped": {
        "en": "The KL is KL(teacher || student) = sum p (ln p - ln q), the teacher's soft targets "
              "weighting the sum (F.kl_div takes the student's log-probs first, the teacher's "
              "probs second).",
        "zh": "KL 是 KL(教师 || 学生) = sum p (ln p - ln q)，由教师的软目标加权"
              "（F.kl_div 第一个参数是学生的对数概率，第二个是教师的概率）。",
    },
    "soft_cross_entropy": {
        "en": "You computed the soft cross-entropy -sum p ln q; it has the same gradient but "
              "exceeds the KL by the teacher's entropy.",
        "zh": "你算的是软交叉熵 -sum p ln q；它的梯度相同，但数值比 KL 多出教师分布的熵。",
    },
    "mean_reduction": {
        "en": "reduction='mean' divides by batch x classes; the KL needs reduction='batchmean', "
              "which divides by the batch size only.",
        "zh": "reduction='mean' 除以的是 batch 大小乘类别数；KL 要用 reduction='batchmean'，只除以 batch 大小。",
    },
    "alpha_on_hard": {
        "en": "Here alpha weights the soft (distillation) term and 1 - alpha the hard "
              "cross-entropy; you swapped them.",
        "zh": "本题中 alpha 加权软（蒸馏）损失，1 - alpha 加权硬交叉熵；你把它们对调了。",
    },
    "t_in_hard": {
        "en": "The hard cross-entropy with the true label is taken at temperature 1, on the "
              "raw logits z_s.",
        "zh": "与真实标签的硬交叉熵在温度 1 下计算，直接用原始 logits z_s。",
    },
}


def _soft(z, temp) -> list[float]:
    e = [math.exp(x / temp) for x in z]
    return [v / sum(e) for v in e]


def _variant(params: dict, **change) -> float:
    """The loss computed by a student with one slip (plain floats)."""
    temp, alpha = params["T"], params["alpha"]
    kl = ce = 0.0
    for zt, zs, y in zip(params["teacher"], params["student"], params["labels"]):
        p = _soft(zt, temp)
        q = _soft(zs, 1 if change.get("t_one_side") else temp)
        if change.get("kl_swapped"):
            p, q = q, p
        if change.get("soft_cross_entropy"):
            kl += -sum(pi * math.log(qi) for pi, qi in zip(p, q))
        else:
            kl += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
        ce += -math.log(_soft(zs, temp if change.get("t_in_hard") else 1)[y])
    batch = len(params["labels"])
    divisor = batch * CLASSES if change.get("mean_reduction") else batch
    soft = (1 if change.get("missing_t2") else temp**2) * kl / divisor
    if params["ask"] == "soft_loss":
        return soft
    a = 1 - alpha if change.get("alpha_on_hard") else alpha
    return a * soft + (1 - a) * ce / batch


def mistakes(params: dict) -> list[Mistake]:
    if params.get("formula"):
        return _formula.mistakes(_formula_mistakes(params), FEEDBACK)
    if params["ask"] == "soft_targets":
        z = params["teacher"][0]
        found = [("no_temperature", _soft(z, 1)), ("times_temperature", _soft(z, 1 / params["T"]))]
    elif params["ask"] == "soft_loss":
        names = ["missing_t2", "t_one_side", "kl_swapped", "soft_cross_entropy", "mean_reduction"]
        found = [(n, _variant(params, **{n: True})) for n in names]
    else:
        names = ["alpha_on_hard", "missing_t2", "t_in_hard", "kl_swapped"]
        found = [(n, _variant(params, **{n: True})) for n in names]
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]


# -- the formula variant: d(T^2 KL)/dz_i in the soft probabilities q_i, p_i and T ---------------
FORMULA_VARIABLES = ["q:unit_interval", "p:unit_interval", "T:positive"]
Q, P, T_SYMBOL = _formula.symbols(*FORMULA_VARIABLES)
NAMES = {}


def _formula_value(params: dict) -> sp.Expr:
    r"""d/dz_i of T^2 sum_j p_j (ln p_j - ln q_j), q = softmax(z/T): dq_j/dz_i = q_j
    (delta_ij - q_i) / T, so the sum is T^2 (q_i - p_i) / T."""
    return T_SYMBOL * (Q - P)


def evaluate(params: dict, values: dict) -> float:
    """Autograd through reference.averaging.distillation_loss (alpha = 1, the soft term) on two
    classes whose logits give the student q and the teacher p at temperature T."""
    temp, q, p = values["T"], values["q"], values["p"]
    student = torch.tensor([[temp * math.log(q / (1 - q)), 0.0]], dtype=torch.float64,
                           requires_grad=True)
    teacher = torch.tensor([[temp * math.log(p / (1 - p)), 0.0]], dtype=torch.float64)
    result = distillation_loss(student, teacher, torch.tensor([0]), temp, 1.0)
    result.loss.backward()
    return student.grad[0, 0].item()


def _formula_prompt(params: dict, lang: str) -> str:
    loss = ("T^2\\,\\mathrm{KL}(p^T \\,\\|\\, q^T)")
    if lang == "zh":
        return (f"知识蒸馏的软损失为 ${loss}$（PyTorch 写法：F.kl_div(F.log_softmax(z_s / T), "
                f"F.softmax(z_t / T), reduction='batchmean') * T * T，一个样本），其中 "
                f"$q^T = \\operatorname{{softmax}}(z_s / T)$ 是学生的软概率，$p^T = "
                f"\\operatorname{{softmax}}(z_t / T)$ 是教师的软目标。设某一类的 $q^T_i = q$、"
                f"$p^T_i = p$。写出软损失对学生这一类 logit $z_{{s,i}}$ 的梯度关于 $q, p, T$ 的"
                f"表达式，变量输入为 q、p、T。")
    return (f"The soft term of knowledge distillation is ${loss}$ (in PyTorch "
            f"F.kl_div(F.log_softmax(z_s / T), F.softmax(z_t / T), reduction='batchmean') * T * "
            f"T, for one sample), where $q^T = \\operatorname{{softmax}}(z_s / T)$ are the "
            f"student's soft probabilities and $p^T = \\operatorname{{softmax}}(z_t / T)$ the "
            f"teacher's soft targets. For one class, $q^T_i = q$ and $p^T_i = p$. Give the "
            f"gradient of the soft term with respect to the student's logit $z_{{s,i}}$ of "
            f"that class as an expression in $q$, $p$ and $T$; type them as q, p and T.")


def _formula_solution(params: dict, lang: str) -> list[str]:
    zh = lang == "zh"
    return [("对 softmax 的 logit 求导，KL（或软交叉熵）的梯度是 $q_i - p_i$；" if zh else
             "With respect to a softmax logit, the KL (or the soft cross-entropy) has gradient "
             "$q_i - p_i$; ")
            + ("logit 先除以 $T$，链式法则带来 $1/T$，再乘以 $T^2$：" if zh else
               "the logit is divided by $T$ first (a factor $1/T$), and the term is scaled by "
               "$T^2$: ")
            + "$\\frac{\\partial}{\\partial z_{s,i}} = T^2 \\cdot \\frac{q - p}{T} = "
            + f"{answer_tex(params)}$",
            ("答案：" if zh else "Answer: ") + f"${answer_tex(params)}$"]


def _formula_mistakes(params: dict) -> list[tuple[str, sp.Expr]]:
    return [("missing_t2", (Q - P) / T_SYMBOL), ("chain_rule_missed", T_SYMBOL**2 * (Q - P)),
            ("gradient_sign", T_SYMBOL * (P - Q))]


# -- the variant in parts: p^T, q^T, KL, T^2 KL, CE, the loss ------------------------------------
def _parts_setup(params: dict) -> dict[str, str]:
    temp, a = params["T"], num(params["alpha"])
    kl = "T^2 \\cdot \\text{KL}(p^T \\lVert q^T)"
    loss = f"L = \\alpha \\cdot {kl} + (1 - \\alpha) \\cdot \\text{{CE}}(z_s, y)"
    return {
        "en": f"Knowledge distillation at temperature $T = {temp}$ with $\\alpha = {a}$: "
              f"{_samples_text(params, 'en')}. The loss is ${loss}$ (PyTorch's convention: "
              f"F.kl_div(F.log_softmax(z_s / T), F.softmax(z_t / T), reduction='batchmean'), "
              f"$\\alpha$ weights the soft term, and the hard term is F.cross_entropy at "
              f"temperature 1), with $p^T = \\text{{softmax}}(z_t / T)$ and "
              f"$q^T = \\text{{softmax}}(z_s / T)$. Natural logs; give every value to at least "
              f"5 significant figures.",
        "zh": f"知识蒸馏，温度 $T = {temp}$，$\\alpha = {a}$，{_samples_text(params, 'zh')}。"
              f"损失为 ${loss}$（PyTorch 约定：F.kl_div(F.log_softmax(z_s / T), "
              f"F.softmax(z_t / T), reduction='batchmean')，$\\alpha$ 加权软损失，硬损失是温度 1 "
              f"下的 F.cross_entropy），其中 $p^T = \\text{{softmax}}(z_t / T)$，"
              f"$q^T = \\text{{softmax}}(z_s / T)$。自然对数；每个值保留至少 5 位有效数字。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """p^T and q^T (vectors), the KL, T^2 KL from (c), the hard CE, the loss from (d), (e)."""
    if not params.get("parts"):
        return None
    r, temp, alpha, lit, mk = _result(params), params["T"], params["alpha"], _parts.lit, _parts.mistake
    (zt,), (zs,), (y,) = params["teacher"], params["student"], params["labels"]
    p, q = r.teacher_probs[0].tolist(), r.student_log_probs[0].exp().tolist()
    kl, soft, hard, loss = (v.item() for v in (r.kl, r.soft_loss, r.hard_loss, r.loss))
    tol, fb = tolerance(params), FEEDBACK
    lines = {lang: solution(params, lang) for lang in ("en", "zh")}
    swapped = sum(qi * math.log(qi / pi) for pi, qi in zip(p, q))
    cross = -sum(pi * math.log(qi) for pi, qi in zip(p, q))
    hot = -math.log(_soft(zs, temp)[y])
    return [
        _parts.part(0, {"en": "the teacher's soft targets $p^T$ (a vector).",
                        "zh": "教师的软目标 $p^T$（向量）。"},
                    p, row(p, 8), tol, {k: v[:1] for k, v in lines.items()},
                    [mk("no_temperature", _soft(zt, 1), fb["no_temperature"]),
                     mk("times_temperature", _soft(zt, 1 / temp), fb["times_temperature"])],
                    kind="vector"),
        _parts.part(1, {"en": "the student's soft distribution $q^T$ (a vector).",
                        "zh": "学生的软分布 $q^T$（向量）。"},
                    q, row(q, 8), tol, {k: v[1:2] for k, v in lines.items()},
                    [mk("t_one_side", _soft(zs, 1), fb["t_one_side"])], kind="vector"),
        _parts.part(2, {"en": "$\\text{KL}(p^T \\lVert q^T)$, from (a) and (b).",
                        "zh": "$\\text{KL}(p^T \\lVert q^T)$（由 (a)、(b) 得到）。"},
                    kl, num(kl, 8), tol,
                    _parts.both(f"$\\text{{KL}} = \\sum_c p_c (\\ln p_c - \\ln q_c) = "
                                f"{num(kl, 8)}$"),
                    [mk("kl_swapped", swapped, fb["kl_swapped"]),
                     mk("soft_cross_entropy", cross, fb["soft_cross_entropy"])]),
        _parts.part(3, {"en": "the soft term $T^2 \\cdot \\text{KL}$, from (c).",
                        "zh": "软损失 $T^2 \\cdot \\text{KL}$（由 (c) 得到）。"},
                    soft, num(soft, 8), tol,
                    _parts.both(f"$T^2 \\cdot \\text{{KL}} = {temp}^2 \\cdot {num(kl, 8)} = "
                                f"{num(soft, 8)}$"),
                    [mk("missing_t2", kl, fb["missing_t2"])],
                    uses=["c"], formula=f"{temp}^2*c"),
        _parts.part(4, {"en": "the hard term $\\text{CE}(z_s, y)$.",
                        "zh": "硬损失 $\\text{CE}(z_s, y)$。"},
                    hard, num(hard, 8), tol,
                    _parts.both(f"$\\text{{CE}}(z_s, y) = -\\ln \\text{{softmax}}(z_s)_{{{y}}} = "
                                f"{num(hard, 8)}$"),
                    [mk("t_in_hard", hot, fb["t_in_hard"])]),
        _parts.part(5, {"en": "the loss $L$, from (d) and (e).",
                        "zh": "损失 $L$（由 (d)、(e) 得到）。"},
                    loss, num(loss, 8), tol,
                    _parts.both(f"$L = {num(alpha)} \\cdot {num(soft, 8)} + (1 - {num(alpha)}) "
                                f"\\cdot {num(hard, 8)} = {num(loss, 8)}$"),
                    [mk("alpha_on_hard", (1 - alpha) * soft + alpha * hard,
                        fb["alpha_on_hard"])],
                    uses=["d", "e"], formula=f"{lit(alpha)}*d + (1 - {lit(alpha)})*e"),
    ]
