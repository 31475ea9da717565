"""How the initialization families name what they ask: the distribution the weights are drawn
from and the quantity wanted, in both languages (``bound`` is the letter of the uniform bound:
``a`` for Xavier, ``b`` for He, whose ``a`` is the leaky ReLU slope)."""

from __future__ import annotations


def drawn_from(ask: str, bound: str, lang: str) -> str:
    if ask == "bound":
        return f"均匀分布 $U(-{bound}, {bound})$" if lang == "zh" else f"$U(-{bound}, {bound})$"
    return "正态分布 $N(0, \\sigma^2)$" if lang == "zh" else "$N(0, \\sigma^2)$"


def wanted(ask: str, bound: str, lang: str) -> str:
    if lang == "zh":
        return {"var": "权重的方差 $\\sigma^2$", "std": "权重的标准差 $\\sigma$",
                "bound": f"均匀分布的边界 ${bound}$"}[ask]
    return {"var": "the variance $\\sigma^2$ of the weights",
            "std": "the standard deviation $\\sigma$ of the weights",
            "bound": f"the bound ${bound}$ of the uniform distribution"}[ask]
