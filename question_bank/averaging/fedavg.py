r"""One FedAvg server aggregation (McMahan et al., 2017), weights proportional to sample counts.

:math:`w_{t+1} = \sum_{k\in S_t} \frac{n_k}{n} w^k_{t+1}` with :math:`n = \sum_{k\in S_t} n_k`
over the *participating* clients :math:`S_t` (the weights must sum to 1).

Difficulty 1: three clients, all participating, a scalar weight. 2: four or five clients, some
not participating this round, a scalar weight. 3: as 2 with a two-entry weight vector, or the
aggregation weight :math:`n_k/n` of one participating client.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import nonzero, num, par, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.averaging import fedavg

ID = "averaging.fedavg"
TOPIC = "averaging"
TITLE = {"en": "FedAvg aggregation", "zh": "FedAvg 聚合"}
KIND = "number"

COUNTS = (50, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000)


def sample(rng: random.Random, difficulty: int) -> dict:
    clients = 3 if difficulty == 1 else rng.choice([4, 5])
    size = 2 if difficulty == 3 else 1
    counts = rng.sample(COUNTS, clients)
    weights = [[nonzero(rng, -2, 3, 2) for _ in range(size)] for _ in range(clients)]
    if difficulty == 1:
        active = list(range(clients))
    else:
        active = sorted(rng.sample(range(clients), rng.randint(2, clients - 1)))
    ask = "weight"
    if difficulty == 3 and rng.random() < 1 / 3:
        ask = "coefficient"
    params = {"counts": counts, "weights": weights, "active": active, "ask": ask}
    if ask == "coefficient":
        params["client"] = rng.choice(active)
    return params


def kind(params: dict) -> str:
    return "vector" if params["ask"] == "weight" and len(params["weights"][0]) > 1 else "number"


@per_variant
def _result(params: dict):
    active = params["active"]
    states = [{"w": torch.tensor(params["weights"][k], dtype=torch.float64)} for k in active]
    return fedavg(states, [params["counts"][k] for k in active])


def _shape(params: dict, values: list[float]):
    return values if len(params["weights"][0]) > 1 else values[0]


def answer(params: dict):
    r = _result(params)
    if params["ask"] == "coefficient":
        return r.weights[params["active"].index(params["client"])]
    return _shape(params, r.state_dict["w"].tolist())


def oracle(params: dict):
    """A sample-weighted mean with torch tensors: (n * w).sum(0) / n.sum() over S_t."""
    active = params["active"]
    n = torch.tensor([params["counts"][k] for k in active], dtype=torch.float64)
    if params["ask"] == "coefficient":
        return (n / n.sum())[active.index(params["client"])].item()
    w = torch.tensor([params["weights"][k] for k in active], dtype=torch.float64)
    return _shape(params, ((n[:, None] * w).sum(dim=0) / n.sum()).tolist())


def closed_form(params: dict):
    active = params["active"]
    total = sum(sp.Integer(params["counts"][k]) for k in active)
    if params["ask"] == "coefficient":
        return sp.Integer(params["counts"][params["client"]]) / total
    size = len(params["weights"][0])
    out = [sum(params["counts"][k] * sp.Rational(str(params["weights"][k][i])) for k in active)
           / total for i in range(size)]
    return sp.Matrix(out) if size > 1 else out[0]


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if isinstance(value, list) else num(value, 8)


def tolerance(params: dict) -> dict:
    return {"rtol": 1e-4, "atol": 1e-6}


def _table(params: dict, lang: str) -> str:
    def show(w):
        return row(w) if len(w) > 1 else num(w[0])

    parts = []
    for k, (n, w) in enumerate(zip(params["counts"], params["weights"]), start=1):
        if lang == "zh":
            parts.append(f"客户端 {k}：$n_{{{k}}} = {n}$，$w^{{{k}}} = {show(w)}$")
        else:
            parts.append(f"client {k}: $n_{{{k}}} = {n}$, $w^{{{k}}} = {show(w)}$")
    return ("；" if lang == "zh" else "; ").join(parts)


def _active_text(params: dict, lang: str) -> str:
    active = [k + 1 for k in params["active"]]
    if len(active) == len(params["counts"]):
        return "所有客户端都参与了本轮" if lang == "zh" else "all clients take part in this round"
    names = ("、" if lang == "zh" else ", ").join(map(str, active))
    return (f"本轮只有客户端 {names} 参与（其余客户端没有上传）" if lang == "zh"
            else f"only clients {names} take part in this round (the others send nothing)")


def prompt(params: dict, lang: str) -> str:
    table, active = _table(params, lang), _active_text(params, lang)
    if params["ask"] == "coefficient":
        c = params["client"] + 1
        what = (f"客户端 {c} 在本轮聚合中的权重系数 $n_{{{c}}}/n$" if lang == "zh"
                else f"the aggregation coefficient $n_{{{c}}}/n$ of client {c} in this round")
    else:
        what = ("聚合后的全局模型参数 $w_{t+1}$" if lang == "zh"
                else "the aggregated global parameter $w_{t+1}$")
    rule = "w_{t+1} = \\sum_{k \\in S_t} \\frac{n_k}{n} w^k"
    if lang == "zh":
        return (f"联邦学习用 FedAvg 聚合（${rule}$，$n_k$ 为客户端 $k$ 的样本数）。本轮各客户端上传的"
                f"本地参数与样本数为：{table}。{active}。求{what}（至少 5 位有效数字）。")
    return (f"A federated server aggregates with FedAvg (${rule}$, where $n_k$ is client $k$'s "
            f"number of samples). This round's local parameters and sample counts are: {table}. "
            f"Here {active}. Compute {what} (at least 5 significant figures).")


def solution(params: dict, lang: str) -> list[str]:
    r = _result(params)
    active = params["active"]
    counts = " + ".join(str(params["counts"][k]) for k in active)
    lines = [(f"参与的客户端 $S_t = \\{{{', '.join(str(k + 1) for k in active)}\\}}$，"
              if lang == "zh" else
              f"Participants $S_t = \\{{{', '.join(str(k + 1) for k in active)}\\}}$, ")
             + f"$n = {counts} = {r.total_samples}$"]
    coefficients = ", ".join(f"\\frac{{n_{{{k + 1}}}}}{{n}} = {num(c, 6)}"
                             for k, c in zip(active, r.weights))
    lines.append(f"${coefficients}$")
    if params["ask"] == "weight":
        terms = " + ".join(f"{num(c, 6)} \\cdot "
                           f"{row(params['weights'][k]) if kind(params) == 'vector' else par(params['weights'][k][0])}"
                           for k, c in zip(active, r.weights))
        lines.append(f"$w_{{t+1}} = {terms} = {answer_tex(params)}$")
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "all_clients_total": {
        "en": "n must sum the samples of the participating clients only; dividing by all "
              "clients' total makes the weights sum to less than 1.",
        "zh": "n 只能对本轮参与的客户端的样本数求和；除以所有客户端的总数，权重之和就小于 1 了。",
    },
    "unweighted_mean": {
        "en": "FedAvg weights each client by its number of samples n_k / n, not equally.",
        "zh": "FedAvg 按样本数 n_k / n 给每个客户端加权，而不是等权平均。",
    },
    "included_absent": {
        "en": "Clients that did not take part send no update this round; average only over "
              "the participants S_t.",
        "zh": "没有参与的客户端本轮没有上传参数；只能在参与者 S_t 上做平均。",
    },
    "not_normalized": {
        "en": "The weighted sum must be divided by the total number of samples n, so that the "
              "coefficients n_k / n sum to 1.",
        "zh": "加权和还要除以样本总数 n，使系数 n_k / n 之和为 1。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    active, counts, weights = params["active"], params["counts"], params["weights"]
    everyone = range(len(counts))
    size = len(weights[0])
    total_all = sum(counts)

    def combine(ks, coefficient):
        values = [sum(coefficient(k) * weights[k][i] for k in ks) for i in range(size)]
        return values if size > 1 else values[0]

    found = []
    if params["ask"] == "coefficient":
        c = params["client"]
        found += [("unweighted_mean", 1 / len(active)),
                  ("all_clients_total", counts[c] / total_all)]
    else:
        found.append(("unweighted_mean", combine(active, lambda k: 1 / len(active))))
        if len(active) < len(counts):
            found += [("all_clients_total", combine(active, lambda k: counts[k] / total_all)),
                      ("included_absent", combine(everyone, lambda k: counts[k] / total_all))]
        else:
            found.append(("not_normalized", combine(active, lambda k: counts[k])))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
