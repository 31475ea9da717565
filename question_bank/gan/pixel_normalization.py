r"""Scaling pixels to a tanh generator's range [-1, 1] and back.

:math:`x' = (x - 127.5)/127.5` (= ``ToTensor()`` then ``Normalize(0.5, 0.5)``) and the inverse
:math:`x = (y + 1)\cdot 127.5`.

Difficulty 1: one 8-bit pixel to [-1, 1]. 2: a tanh output back to the pixel scale, unrounded.
3: three pixels of an RGB image to [-1, 1] (a vector), or three tanh outputs to uint8 pixels
(clamped to [0, 255] and rounded, as ``reference.gan.unit_range_to_pixels(...,
round_to_uint8=True)`` does).
"""

from __future__ import annotations

import random

import sympy as sp
import torch

from question_bank._format import num, row
from question_bank._memo import per_variant
from quizgen.model import Mistake
from reference.gan import pixels_to_unit_range, unit_range_to_pixels

ID = "gan.pixel_normalization"
TOPIC = "gan"
TITLE = {"en": "Pixel normalization for GANs", "zh": "GAN 的像素归一化"}
KIND = "number"


def _tanh_output(rng: random.Random, avoid_ties: bool = False) -> float:
    """Two decimals, away from 0; with avoid_ties, (y + 1) * 127.5 is not a whole number + 0.5
    (which rounding convention applies would then matter more than the normalization)."""
    while True:
        y = round(rng.uniform(-0.98, 0.98), 2)
        fraction = (round(y * 100) + 100) * 1275 % 1000  # (y + 1) * 127.5 in thousandths
        if abs(y) >= 0.05 and not (avoid_ties and fraction == 500):
            return y


def sample(rng: random.Random, difficulty: int) -> dict:
    if difficulty == 1:
        return {"direction": "forward", "values": [rng.randint(0, 255)], "round": False}
    if difficulty == 2:
        return {"direction": "inverse", "values": [_tanh_output(rng)], "round": False}
    if rng.random() < 0.5:
        return {"direction": "forward", "values": [rng.randint(0, 255) for _ in range(3)],
                "round": False}
    values = [_tanh_output(rng, avoid_ties=True) for _ in range(3)]
    # A slightly out-of-range output shows the clamp (tanh never reaches +-1, a linear head can).
    if rng.random() < 0.5:
        values[rng.randrange(3)] = rng.choice([-1.03, 1.02, 1.05])
    return {"direction": "inverse", "values": values, "round": True}


def kind(params: dict) -> str:
    return "vector" if len(params["values"]) > 1 else "number"


def _shape(values: list[float], params: dict):
    return values if len(params["values"]) > 1 else values[0]


@per_variant
def answer(params: dict):
    x = torch.tensor(params["values"], dtype=torch.float64)
    if params["direction"] == "forward":
        out = pixels_to_unit_range(x)
    else:
        out = unit_range_to_pixels(x, round_to_uint8=params["round"])
    return _shape([float(v) for v in out.tolist()], params)


def oracle(params: dict):
    """torchvision's recipe written with torch ops: ToTensor (/255) then Normalize(0.5, 0.5);
    the inverse as the denormalization y * 0.5 + 0.5, times 255, then torch.round/clamp."""
    x = torch.tensor(params["values"], dtype=torch.float64)
    if params["direction"] == "forward":
        out = (x / 255 - 0.5) / 0.5
    else:
        out = (x * 0.5 + 0.5) * 255
        if params["round"]:
            out = torch.clamp(out, 0, 255).round().to(torch.uint8).to(torch.float64)
    return _shape(out.tolist(), params)


def closed_form(params: dict):
    half = sp.Rational(255, 2)
    out = []
    for v in params["values"]:
        v = sp.Rational(str(v))
        if params["direction"] == "forward":
            out.append((v - half) / half)
        else:
            x = (v + 1) * half
            if params["round"]:  # the sampler avoids exact .5 ties
                x = sp.floor(sp.Min(255, sp.Max(0, x)) + sp.Rational(1, 2))
            out.append(x)
    return sp.Matrix(out) if len(out) > 1 else out[0]


def answer_tex(params: dict) -> str:
    value = answer(params)
    return row(value, 8) if isinstance(value, list) else num(value, 8)


def tolerance(params: dict) -> dict:
    if params["round"]:
        return {"rtol": 0.0, "atol": 0.01}  # whole pixel values: exact
    return {"rtol": 1e-4, "atol": 1e-6}


def prompt(params: dict, lang: str) -> str:
    values = params["values"]
    shown = row(values) if len(values) > 1 else num(values[0])
    forward = "x' = \\frac{x - 127.5}{127.5}"
    inverse = "x = (y + 1) \\cdot 127.5"
    if params["direction"] == "forward":
        if lang == "zh":
            what = ("这三个通道值" if len(values) > 1 else "该像素")
            return (f"GAN 的生成器以 tanh 结尾，输出在 $[-1, 1]$，所以训练图像也要缩放到 $[-1, 1]$："
                    f"${forward}$（等价于 ToTensor() 之后接 Normalize(0.5, 0.5)）。8 位像素值为 "
                    f"${shown}$，求{what}归一化后的值" + ("（向量，" if len(values) > 1 else "（")
                    + "至少 5 位有效数字）。")
        what = "these channel values" if len(values) > 1 else "this pixel"
        return (f"A GAN generator ends in tanh, with outputs in $[-1, 1]$, so the training images "
                f"are scaled to $[-1, 1]$ too: ${forward}$ (the same as ToTensor() followed by "
                f"Normalize(0.5, 0.5)). The 8-bit pixel value is ${shown}$; compute {what} after "
                f"normalization" + (" (a vector, " if len(values) > 1 else " (")
                + "at least 5 significant figures).")
    if params["round"]:
        if lang == "zh":
            return (f"生成器最后一层输出 $y = {shown}$（一个像素的 RGB 三个通道）。用 ${inverse}$ 映射回像素"
                    f"范围，再截断到 $[0, 255]$、四舍五入为整数（uint8）。"
                    f"求得到的三个像素值（向量）。")
        return (f"A generator's last layer outputs $y = {shown}$ (the RGB channels of one pixel). "
                f"Map them back to pixels with ${inverse}$, then clamp to $[0, 255]$ and round "
                f"to the nearest integer (uint8). Compute the three pixel values (a vector).")
    if lang == "zh":
        return (f"以 tanh 结尾的生成器输出 $y = {shown}$。按 ${inverse}$ 映射回 $[0, 255]$ 的像素尺度，"
                f"求对应的像素值（不取整）。")
    return (f"A tanh generator outputs $y = {shown}$. Map it back to the $[0, 255]$ pixel scale "
            f"with ${inverse}$ and give the pixel value (unrounded).")


def solution(params: dict, lang: str) -> list[str]:
    lines = []
    value = answer(params)
    out = value if isinstance(value, list) else [value]
    for v, o in zip(params["values"], out):
        if params["direction"] == "forward":
            lines.append(f"$\\frac{{{num(v)} - 127.5}}{{127.5}} = {num(o, 8)}$")
        else:
            raw = (v + 1) * 127.5
            text = f"$({num(v)} + 1) \\cdot 127.5 = {num(raw, 8)}$"
            if params["round"]:
                text += (f"，截断并取整得 ${num(o)}$" if lang == "zh"
                         else f", clamped and rounded: ${num(o)}$")
            lines.append(text)
    head = "答案：" if lang == "zh" else "Answer: "
    return lines + [head + f"${answer_tex(params)}$"]


FEEDBACK = {
    "divided_by_255": {
        "en": "x / 255 maps pixels to [0, 1]; a tanh generator needs [-1, 1]: "
              "(x - 127.5) / 127.5.",
        "zh": "x / 255 只把像素映射到 [0, 1]；tanh 生成器需要 [-1, 1]：(x - 127.5) / 127.5。",
    },
    "no_shift": {
        "en": "x / 127.5 lands in [0, 2]; subtract 127.5 first (or 1 afterwards) to centre the "
              "range on 0.",
        "zh": "x / 127.5 落在 [0, 2]；要先减 127.5（或之后减 1），让区间以 0 为中心。",
    },
    "centred_only": {
        "en": "x / 255 - 0.5 lands in [-0.5, 0.5]; Normalize(0.5, 0.5) also divides by the "
              "std 0.5.",
        "zh": "x / 255 - 0.5 只落在 [-0.5, 0.5]；Normalize(0.5, 0.5) 还要再除以标准差 0.5。",
    },
    "times_255": {
        "en": "y + 1 lies in [0, 2], so it is multiplied by 127.5, not 255.",
        "zh": "y + 1 落在 [0, 2]，所以要乘 127.5，而不是 255。",
    },
    "no_shift_inverse": {
        "en": "Add 1 before scaling: x = (y + 1) * 127.5 maps -1 to 0 and 1 to 255.",
        "zh": "缩放之前要先加 1：x = (y + 1) * 127.5 把 -1 映到 0、把 1 映到 255。",
    },
    "unit_range_inverse": {
        "en": "y * 255 undoes a [0, 1] scaling; the generator's range is [-1, 1], so use "
              "(y + 1) * 127.5.",
        "zh": "y * 255 对应的是 [0, 1] 的缩放；生成器的范围是 [-1, 1]，应当用 (y + 1) * 127.5。",
    },
    "no_clamp": {
        "en": "uint8 holds 0..255 only: clamp to [0, 255] before rounding (a cast alone "
              "would wrap around).",
        "zh": "uint8 只能存 0..255：取整前要先截断到 [0, 255]（直接转换会溢出回绕）。",
    },
}


def mistakes(params: dict) -> list[Mistake]:
    values = params["values"]

    def each(f):
        return _shape([f(v) for v in values], params)

    if params["direction"] == "forward":
        found = [("divided_by_255", each(lambda x: x / 255)),
                 ("no_shift", each(lambda x: x / 127.5)),
                 ("centred_only", each(lambda x: x / 255 - 0.5))]
    else:
        finish = (lambda x: float(round(min(255.0, max(0.0, x))))) if params["round"] else float
        found = [("times_255", each(lambda y: finish((y + 1) * 255))),
                 ("no_shift_inverse", each(lambda y: finish(y * 127.5))),
                 ("unit_range_inverse", each(lambda y: finish(y * 255)))]
        if params["round"] and any(abs(v) > 1 for v in values):
            found.append(("no_clamp", each(lambda y: float(round((y + 1) * 127.5)))))
    return [Mistake(name, value, FEEDBACK[name]) for name, value in found]
