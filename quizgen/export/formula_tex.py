"""A part's follow-through formula (grader notation, ``min(1, 1/(a + 1e-6))``) as LaTeX a key
can print: each earlier part shows as its label, ``\\text{(a)}``, so a marker reads "the
student's own answer to (a)".

The formula is read by the grader's own parser (the same tree grading evaluates), then written
with fractions, roots and named functions; parentheses only where precedence needs them.
"""

from __future__ import annotations

from quizgen.grading.nodes import Node
from quizgen.grading.parser import parse

from .wording import number_tex

_NAMED = {"sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "exp", "log",
          "min", "max", "arcsin", "arccos", "arctan"}
_SPELLED = {"asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "log10": r"\log_{10}",
            "log2": r"\log_{2}", "sigmoid": r"\sigma", "sign": r"\operatorname{sign}"}
_CONSTANTS = {"pi": r"\pi", "e": "e", "E": "e", "inf": r"\infty"}
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def part_label_tex(part_id: str) -> str:
    return rf"\text{{({part_id})}}"


def formula_tex(formula: str, uses: list[str]) -> str:
    """``formula`` in the parts ``uses`` as LaTeX (a vector as a row ``(x, y)``)."""
    return _tex(parse(formula, tuple(uses)))


def _tex(node: Node) -> str:
    op = node.op
    if op == "num":
        return number_tex(node.value) if any(c in node.text for c in "eE") else node.text
    if op == "var":
        return part_label_tex(node.value)
    if op == "const":
        return _CONSTANTS.get(node.value, rf"\mathrm{{{node.value}}}")
    if op == "vec":
        return r"\left(" + ",\\ ".join(_tex(a) for a in node.args) + r"\right)"
    if op == "call":
        return _call(node)
    if op == "root":
        return rf"\sqrt[{node.value}]{{{_tex(node.args[0])}}}"
    if op == "fact":
        return _wrap(node.args[0], 5) + "!"
    if op == "neg":
        return "-" + _wrap(node.args[0], 3)
    if op == "pow":
        base, expo = node.args
        return f"{_wrap(base, 5)}^{{{_tex(expo)}}}"
    left, right = node.args
    if op == "div":
        return rf"\frac{{{_tex(left)}}}{{{_tex(right)}}}"
    if op == "mul":
        return rf"{_wrap(left, 2)} \cdot {_wrap(right, 3)}"
    sign = " + " if op == "add" else " - "
    return _wrap(left, 1) + sign + _wrap(right, 2)


def _call(node: Node) -> str:
    name, args = node.value, ", ".join(_tex(a) for a in node.args)
    if name == "sqrt":
        return rf"\sqrt{{{args}}}"
    if name == "abs":
        return rf"\left|{args}\right|"
    if name in ("floor", "ceil"):
        return rf"\left\l{name}{args}\right\r{name}"
    head = rf"\{name}" if name in _NAMED else _SPELLED.get(name, rf"\operatorname{{{name}}}")
    return rf"{head}\left({args}\right)"


def _wrap(node: Node, min_prec: int) -> str:
    text = _tex(node)
    prec = _PREC.get(node.op, 5)
    if node.op == "num" and (text.startswith("-") or "times" in text or "^" in text):
        prec = 3
    if node.op == "div":
        prec = 5  # a fraction bar groups by itself
    if prec < min_prec or (node.op == "neg" and min_prec > 1):
        return rf"\left({text}\right)"
    return text
