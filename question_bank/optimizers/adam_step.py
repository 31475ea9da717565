"""One or two Adam steps on a single scalar weight (torch.optim.Adam's conventions).

Difficulty 1: the first step from zero state. 2: a step from given moments m, v after t steps.
3: two consecutive steps, or the bias-corrected moment m-hat / v-hat after a step from given
state; or (half the time) one step from given state asked in parts: m_t, v_t, m-hat, v-hat and
the new weight, each later part following from the earlier ones. The convention stated to the student is PyTorch's: t counts from 1 and eps is added to
sqrt(v-hat), outside the square root.
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank import _parts
from question_bank._format import nonzero, num, par
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.optim import adam_step

ID = "optimizers.adam_step"
TOPIC = "optimizers"
TITLE = {"en": "Adam update", "zh": "Adam 更新"}
KIND = "number"

SYMBOL = {"theta": r"\theta", "m_hat": r"\hat{m}", "v_hat": r"\hat{v}"}


def sample(rng: random.Random, difficulty: int) -> dict:
    if _parts.chosen(rng, difficulty):
        return {**sample(rng, 2), "parts": True}  # one step from given state, every value
    params = {
        "theta": nonzero(rng, -2, 2, 2),
        "lr": rng.choice([1e-3, 5e-3, 1e-2, 5e-2, 0.1]),
        "beta1": rng.choice([0.9, 0.9, 0.8, 0.95]),
        "beta2": rng.choice([0.999, 0.999, 0.99]),
        "eps": 1e-8,
        "t": 0,
        "m": 0.0,
        "v": 0.0,
        "ask": "theta",
    }
    if difficulty == 1:
        params["grads"] = [nonzero(rng, -3, 3, 2)]
        return params
    params["t"] = rng.randint(1, 9)
    params["m"] = nonzero(rng, -1, 1, 3)
    params["v"] = round(rng.uniform(0.01, 2), 3)
    steps = 2 if difficulty == 3 and rng.random() < 0.5 else 1
    params["grads"] = [nonzero(rng, -3, 3, 2) for _ in range(steps)]
    if difficulty == 3 and steps == 1:
        params["ask"] = rng.choice(["m_hat", "v_hat"])
    return params


@per_variant
def run(params: dict):
    """Every step's intermediate values, from reference.optim.adam_step in float64."""
    param = torch.tensor([params["theta"]], dtype=torch.float64)
    state = {"step": params["t"]}
    if params["t"]:
        state["exp_avg"] = torch.tensor([params["m"]], dtype=torch.float64)
        state["exp_avg_sq"] = torch.tensor([params["v"]], dtype=torch.float64)
    steps = []
    for g in params["grads"]:
        result = adam_step(param, torch.tensor([g], dtype=torch.float64), state,
                           lr=params["lr"], betas=(params["beta1"], params["beta2"]),
                           eps=params["eps"])
        steps.append(result)
        param, state = result.param, result.state
    return steps


def answer(params: dict) -> float:
    last = run(params)[-1]
    value = {"theta": last.param, "m_hat": last.exp_avg_hat, "v_hat": last.exp_avg_sq_hat}
    return value[params["ask"]].item()


def closed_form(params: dict) -> sp.Expr:
    """Kingma & Ba, Algorithm 1, in exact rational arithmetic."""
    q = sp.Rational
    theta, m, v, t = q(str(params["theta"])), q(str(params["m"])), q(str(params["v"])), params["t"]
    lr, b1, b2, eps = (q(str(params[k])) for k in ("lr", "beta1", "beta2", "eps"))
    for g in params["grads"]:
        g, t = q(str(g)), t + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta = theta - lr * m_hat / (sp.sqrt(v_hat) + eps)
    return {"theta": theta, "m_hat": m_hat, "v_hat": v_hat}[params["ask"]]


def answer_tex(params: dict) -> str:
    return num(answer(params), 8)


def tolerance(params: dict) -> dict:
    # A step moves theta by about lr: grade theta to 0.1 % of one step, the moments to 1e-6.
    if params["ask"] == "theta":
        return {"rtol": 0.0, "atol": params["lr"] * 1e-3}
    return {"rtol": 1e-6, "atol": 1e-9}


def _givens(params: dict) -> str:
    return (
        f"$\\eta = {num(params['lr'])}$, $\\beta_1 = {num(params['beta1'])}$, "
        f"$\\beta_2 = {num(params['beta2'])}$, $\\epsilon = {num(params['eps'])}$"
    )


def prompt(params: dict, lang: str) -> str:
    if params.get("parts"):
        return _parts.stem(_parts_setup(params), 5, lang)
    theta, t, grads = num(params["theta"]), params["t"], params["grads"]
    target = SYMBOL[params["ask"]]
    final_t = t + len(grads)
    tol = tolerance(params)
    accuracy = num(tol["atol"]) if params["ask"] == "theta" else "10^{-6}"
    if lang == "zh":
        state = (
            "初始状态为零（$m_0 = v_0 = 0$，尚未更新过）"
            if t == 0
            else f"已经更新过 $t = {t}$ 步，当前一阶矩 $m_{{{t}}} = {num(params['m'])}$，"
            f"二阶矩 $v_{{{t}}} = {num(params['v'])}$"
        )
        grads_text = "，".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
        what = {"theta": f"更新后的参数 ${target}_{{{final_t}}}$",
                "m_hat": f"偏差校正后的一阶矩 ${target}_{{{final_t}}}$",
                "v_hat": f"偏差校正后的二阶矩 ${target}_{{{final_t}}}$"}[params["ask"]]
        return (
            f"用 Adam（PyTorch 约定：步数 $t$ 从 1 开始计，$\\epsilon$ 加在 "
            f"$\\sqrt{{\\hat v_t}}$ 之外）优化一个标量参数 $\\theta = {theta}$。{state}。"
            f"超参数：{_givens(params)}。接下来{'依次' if len(grads) > 1 else ''}得到梯度 {grads_text}。"
            f"求{what}（误差不超过 ${accuracy}$）。"
        )
    state = (
        "The optimizer state starts at zero ($m_0 = v_0 = 0$, no step taken yet)."
        if t == 0
        else f"It has already taken $t = {t}$ {'step' if t == 1 else 'steps'}; its first moment is "
        f"$m_{{{t}}} = {num(params['m'])}$ and its second moment $v_{{{t}}} = {num(params['v'])}$."
    )
    grads_text = ", then ".join(f"$g_{{{t + i + 1}}} = {num(g)}$" for i, g in enumerate(grads))
    arrive = "The gradient" if len(grads) == 1 else "The gradients"
    arrive = f"{arrive} {grads_text} {'arrives' if len(grads) == 1 else 'arrive'}"
    what = {"theta": f"the parameter ${target}_{{{final_t}}}$ after the update",
            "m_hat": f"the bias-corrected first moment ${target}_{{{final_t}}}$",
            "v_hat": f"the bias-corrected second moment ${target}_{{{final_t}}}$"}[params["ask"]]
    return (
        f"Adam (PyTorch's convention: steps count from $t = 1$, and $\\epsilon$ is added "
        f"outside $\\sqrt{{\\hat v_t}}$) optimizes a scalar weight $\\theta = {theta}$. {state} "
        f"Hyper-parameters: {_givens(params)}. {arrive}. "
        f"Compute {what} (to within ${accuracy}$)."
    )


def solution(params: dict, lang: str) -> list[str]:
    b1, b2, lr, eps = (num(params[k]) for k in ("beta1", "beta2", "lr", "eps"))
    lines = []
    m_prev, v_prev, theta_prev = params["m"], params["v"], params["theta"]
    for s, g in zip(run(params), params["grads"]):
        t = s.step
        head = f"第 $t = {t}$ 步：" if lang == "zh" else f"Step $t = {t}$: "
        lines += [
            head + f"$m_{{{t}}} = {b1} \\cdot {par(m_prev)} + (1 - {b1}) \\cdot {par(g)} "
            f"= {num(s.exp_avg.item(), 8)}$",
            f"$v_{{{t}}} = {b2} \\cdot {num(v_prev)} + (1 - {b2}) \\cdot {par(g)}^2 "
            f"= {num(s.exp_avg_sq.item(), 8)}$",
            f"$\\hat m_{{{t}}} = m_{{{t}}} / (1 - {b1}^{{{t}}}) = {num(s.exp_avg_hat.item(), 8)}$, "
            f"$\\hat v_{{{t}}} = v_{{{t}}} / (1 - {b2}^{{{t}}}) = {num(s.exp_avg_sq_hat.item(), 8)}$",
            f"$\\theta_{{{t}}} = {num(theta_prev, 8)} - {lr} \\cdot "
            f"\\frac{{\\hat m_{{{t}}}}}{{\\sqrt{{\\hat v_{{{t}}}}} + {eps}}} "
            f"= {num(s.param.item(), 8)}$",
        ]
        m_prev, v_prev, theta_prev = s.exp_avg.item(), s.exp_avg_sq.item(), s.param.item()
    answer_line = {"en": "Answer: ", "zh": "答案："}[lang]
    final_t = params["t"] + len(params["grads"])
    symbol = f"{SYMBOL[params['ask']]}_{{{final_t}}}"
    return lines + [answer_line + f"${symbol} = {answer_tex(params)}$"]


def _variant(params: dict, **changes) -> float:
    """The answer a student gets who computes Adam with one step done differently."""
    q = {k: params[k] for k in ("theta", "m", "v", "t", "lr", "beta1", "beta2", "eps")}
    theta, m, v, t = q["theta"], q["m"], q["v"], q["t"]
    b1, b2, lr, eps = q["beta1"], q["beta2"], q["lr"], q["eps"]
    for g in params["grads"]:
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        k = t - 1 if changes.get("t_from_zero") else t
        m_hat = m if changes.get("no_bias_correction") else m / (1 - b1**k)
        v_hat = v if changes.get("no_bias_correction") else v / (1 - b2**k)
        root = v_hat if changes.get("no_sqrt") else v_hat**0.5
        step = lr * m_hat / (root + eps)
        theta = theta + step if changes.get("wrong_sign") else theta - step
    return {"theta": theta, "m_hat": m_hat, "v_hat": v_hat}[params["ask"]]


FEEDBACK = {
    "no_bias_correction": {
        "en": "You used the raw moments m and v; Adam divides them by 1 - beta^t first "
              "(bias correction), which matters most in the first steps.",
        "zh": "你直接用了未校正的 m 和 v；Adam 先要除以 1 - beta^t 做偏差校正，前几步影响最大。",
    },
    "t_from_zero": {
        "en": "Your bias correction used the previous step count; PyTorch increments t first, "
              "so the correction uses the new t.",
        "zh": "偏差校正用了上一步的步数；PyTorch 先把 t 加一，再用新的 t 做校正。",
    },
    "wrong_sign": {
        "en": "You moved along the gradient; a descent step subtracts the update.",
        "zh": "你沿着梯度方向走了；下降步应当减去更新量。",
    },
    "no_sqrt": {
        "en": "You divided by v-hat itself; Adam divides by its square root plus epsilon.",
        "zh": "你除以了 v-hat 本身；Adam 除以的是它的平方根再加 epsilon。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    names = ["no_bias_correction"]
    if params["ask"] == "theta":
        names += ["wrong_sign", "no_sqrt"]
    if params["t"] > 0:
        names.append("t_from_zero")
    return [Mistake(n, _variant(params, **{n: True}), FEEDBACK[n]) for n in names]


# -- the variant in parts: m_t, v_t, m-hat, v-hat, theta_t ---------------------------------------
def _parts_setup(params: dict) -> dict[str, str]:
    t, g = params["t"], params["grads"][0]
    m, v = num(params["m"]), num(params["v"])
    return {
        "en": f"Adam (PyTorch's convention: steps count from $t = 1$, and $\\epsilon$ is added "
              f"outside $\\sqrt{{\\hat v_t}}$) optimizes a scalar weight "
              f"$\\theta_{{{t}}} = {num(params['theta'])}$. It has taken $t = {t}$ "
              f"{'step' if t == 1 else 'steps'}: $m_{{{t}}} = {m}$, $v_{{{t}}} = {v}$. "
              f"Hyper-parameters: {_givens(params)}. The gradient $g_{{{t + 1}}} = {num(g)}$ "
              f"arrives.",
        "zh": f"用 Adam（PyTorch 约定：步数 $t$ 从 1 开始计，$\\epsilon$ 加在 "
              f"$\\sqrt{{\\hat v_t}}$ 之外）优化一个标量参数 "
              f"$\\theta_{{{t}}} = {num(params['theta'])}$。已经更新过 $t = {t}$ 步："
              f"$m_{{{t}}} = {m}$，$v_{{{t}}} = {v}$。超参数：{_givens(params)}。"
              f"接下来得到梯度 $g_{{{t + 1}}} = {num(g)}$。",
    }


def parts(params: dict) -> list[_parts.Part] | None:
    """m_t, v_t (from the given state), m-hat from (a), v-hat from (b), theta from (c), (d)."""
    if not params.get("parts"):
        return None
    (s,) = run(params)
    t, g, lit = s.step, params["grads"][0], _parts.lit
    b1, b2, lr, eps = (params[k] for k in ("beta1", "beta2", "lr", "eps"))
    m, v = s.exp_avg.item(), s.exp_avg_sq.item()
    m_hat, v_hat, theta = s.exp_avg_hat.item(), s.exp_avg_sq_hat.item(), s.param.item()
    tight = {"rtol": 1e-6, "atol": 1e-9}
    fb = {
        "no_one_minus_beta": {
            "en": "The new gradient enters with weight 1 - beta1: "
                  "m_t = beta1 * m_(t-1) + (1 - beta1) * g_t.",
            "zh": "新梯度的权重是 1 - beta1：m_t = beta1 * m_(t-1) + (1 - beta1) * g_t。"},
        "not_squared": {
            "en": "The second moment averages the squared gradient g_t^2, not g_t itself.",
            "zh": "二阶矩平均的是梯度的平方 g_t^2，而不是 g_t 本身。"},
        "v_no_one_minus_beta": {
            "en": "The squared gradient enters with weight 1 - beta2: "
                  "v_t = beta2 * v_(t-1) + (1 - beta2) * g_t^2.",
            "zh": "梯度平方的权重是 1 - beta2：v_t = beta2 * v_(t-1) + (1 - beta2) * g_t^2。"},
        "no_bias_correction": FEEDBACK["no_bias_correction"],
        "t_from_zero": FEEDBACK["t_from_zero"],
        "wrong_sign": FEEDBACK["wrong_sign"],
        "no_sqrt": FEEDBACK["no_sqrt"],
    }
    mk = _parts.mistake
    sym = {"m": f"m_{{{t}}}", "v": f"v_{{{t}}}", "mh": f"\\hat m_{{{t}}}",
           "vh": f"\\hat v_{{{t}}}"}
    b1t, b2t, lrt, epst = num(b1), num(b2), num(lr), num(eps)
    return [
        _parts.part(0, {"en": f"the first moment ${sym['m']}$.",
                        "zh": f"一阶矩 ${sym['m']}$。"},
                    m, num(m, 10), tight,
                    _parts.both(f"${sym['m']} = {b1t} \\cdot {par(params['m'])} + (1 - {b1t}) "
                          f"\\cdot {par(g)} = {num(m, 10)}$"),
                    [mk("no_one_minus_beta", b1 * params["m"] + g, fb["no_one_minus_beta"])]),
        _parts.part(1, {"en": f"the second moment ${sym['v']}$.",
                        "zh": f"二阶矩 ${sym['v']}$。"},
                    v, num(v, 10), tight,
                    _parts.both(f"${sym['v']} = {b2t} \\cdot {num(params['v'])} + (1 - {b2t}) "
                          f"\\cdot {par(g)}^2 = {num(v, 10)}$"),
                    [mk("not_squared", b2 * params["v"] + (1 - b2) * g, fb["not_squared"]),
                     mk("v_no_one_minus_beta", b2 * params["v"] + g * g,
                        fb["v_no_one_minus_beta"])]),
        _parts.part(2, {"en": f"the bias-corrected first moment ${sym['mh']}$, from (a).",
                        "zh": f"偏差校正后的一阶矩 ${sym['mh']}$（由 (a) 得到）。"},
                    m_hat, num(m_hat, 10), tight,
                    _parts.both(f"${sym['mh']} = {sym['m']} / (1 - {b1t}^{{{t}}}) = {num(m_hat, 10)}$"),
                    [mk("no_bias_correction", m, fb["no_bias_correction"]),
                     mk("t_from_zero", m / (1 - b1 ** (t - 1)), fb["t_from_zero"])],
                    uses=["a"], formula=f"a/(1 - {lit(b1)}^{t})"),
        _parts.part(3, {"en": f"the bias-corrected second moment ${sym['vh']}$, from (b).",
                        "zh": f"偏差校正后的二阶矩 ${sym['vh']}$（由 (b) 得到）。"},
                    v_hat, num(v_hat, 10), tight,
                    _parts.both(f"${sym['vh']} = {sym['v']} / (1 - {b2t}^{{{t}}}) = {num(v_hat, 10)}$"),
                    [mk("no_bias_correction", v, fb["no_bias_correction"]),
                     mk("t_from_zero", v / (1 - b2 ** (t - 1)), fb["t_from_zero"])],
                    uses=["b"], formula=f"b/(1 - {lit(b2)}^{t})"),
        _parts.part(4, {"en": f"the updated weight $\\theta_{{{t}}}$, from (c) and (d), "
                              f"to within ${num(lr * 1e-3)}$.",
                        "zh": f"更新后的参数 $\\theta_{{{t}}}$（由 (c)、(d) 得到），"
                              f"误差不超过 ${num(lr * 1e-3)}$。"},
                    theta, num(theta, 10), tolerance(params),
                    _parts.both(f"$\\theta_{{{t}}} = {num(params['theta'])} - {lrt} \\cdot "
                          f"\\frac{{{sym['mh']}}}{{\\sqrt{{{sym['vh']}}} + {epst}}} "
                          f"= {num(theta, 10)}$"),
                    [mk("wrong_sign", params["theta"] + lr * m_hat / (v_hat**0.5 + eps),
                        fb["wrong_sign"]),
                     mk("no_sqrt", params["theta"] - lr * m_hat / (v_hat + eps), fb["no_sqrt"])],
                    uses=["c", "d"],
                    formula=f"{lit(params['theta'])} - {lit(lr)}*c/(sqrt(d) + {lit(eps)})"),
    ]
