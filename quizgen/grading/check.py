"""``check(expected, answer)``: read a student's answer safely, compare it, explain the verdict.

The expected side (trusted quiz data, but still parsed by the same safe parser) is prepared once
per distinct value and cached, so grading a batch of answers to one question re-uses it.
Nothing here imports SymPy; the symbolic fallback lives in a worker process (see symbolic.py).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from . import compare, symbolic
from .lexer import MAX_NUMBER_CHARS
from .messages import LANGS, AnswerError, message
from .nodes import Node, render
from .normalize import canonical_name
from .numeric import evaluate_points, evaluate_scalar, sample_points
from .parser import parse
from .verdict import Verdict

KINDS = ("number", "vector", "expression", "choice")

_PLAIN_NUMBER = re.compile(r"\s*([+-]?(?:\d{1,40}\.?\d{0,40}|\.\d{1,40})(?:[eE][+-]?\d{1,3})?)\s*")


class ExpectedError(ValueError):
    """The expected answer (from the quiz file) or an option of ``check`` is malformed."""


def infer_kind(expected: Any, variables: Iterable[str] = ()) -> str:
    """"expression" when variables are declared, "vector" for a list (or "[...]" text),
    "choice" for True/False, otherwise "number"."""
    if isinstance(expected, bool):
        return "choice"
    if tuple(variables):
        return "expression"
    if isinstance(expected, (list, tuple)):
        return "vector"
    if isinstance(expected, str) and expected.lstrip().startswith("["):
        return "vector"
    return "number"


def check(expected: Any, answer: str, *, kind: str | None = None, variables: Iterable[str] = (),
          rtol: float | None = None, atol: float | None = None, sigfigs: int | None = None,
          mistakes: Iterable[Any] = (), lang: str = "en", choices: Iterable[str] = ()) -> Verdict:
    """Grade one answer. Never raises for any ``answer``; raises ExpectedError for a malformed
    ``expected``, ``kind`` or tolerance (the quiz's fault, not the student's). ``choices``, the
    option ids of a choice question, makes an answer naming no such option ``invalid``."""
    lang = lang if lang in LANGS else "en"
    try:
        names = tuple(canonical_name(v) for v in variables)
    except AnswerError as err:
        raise ExpectedError(f"bad variable name in {variables!r}") from err
    kind = kind or infer_kind(expected, names)
    if kind not in KINDS:
        raise ExpectedError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if sigfigs is not None and not (isinstance(sigfigs, int) and 1 <= sigfigs <= 17):
        raise ExpectedError(f"sigfigs must be a whole number from 1 to 17, not {sigfigs!r}")
    tol = _Tolerance(rtol, atol, sigfigs)
    if not isinstance(answer, str):
        answer = _as_text(answer)
    mistakes = tuple(mistakes)
    try:
        if kind == "number":
            return _grade_number(expected, answer, tol, mistakes, lang)
        if kind == "choice":
            return _grade_choice(expected, answer, mistakes, lang, tuple(choices))
        if kind == "vector" or _is_list(expected):
            return _grade_vector(expected, answer, names, tol, mistakes, lang)
        return _grade_expression(expected, answer, names, tol, mistakes, lang)
    except ExpectedError:
        raise
    except AnswerError as err:
        return Verdict("invalid", 0.0, err.render(lang), "", err.method)
    except Exception:  # noqa: BLE001  one unreadable answer must never stop a batch
        return Verdict("invalid", 0.0, message("internal", lang), "", "parse")


class _Tolerance:
    __slots__ = ("rtol", "atol", "sigfigs")

    def __init__(self, rtol, atol, sigfigs) -> None:
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value is not None and not (isinstance(value, (int, float)) and value >= 0):
                raise ExpectedError(f"{name} must be a number >= 0, not {value!r}")
        self.rtol, self.atol, self.sigfigs = rtol, atol, sigfigs

    def numbers(self, got: float, want: float) -> bool:
        return compare.numbers_match(got, want, self.rtol, self.atol, self.sigfigs)


def _as_text(answer: Any) -> str:
    if answer is None:
        return ""
    if isinstance(answer, (bytes, bytearray)):
        return bytes(answer).decode("utf-8", errors="replace")
    return str(answer)


def _is_list(expected: Any) -> bool:
    return isinstance(expected, (list, tuple)) or (
        isinstance(expected, str) and expected.lstrip().startswith("["))


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def _mistake_feedback(item: Any, lang: str) -> str:
    feedback = _field(item, "feedback")
    if isinstance(feedback, dict):
        return str(feedback.get(lang) or feedback.get("en") or next(iter(feedback.values()), ""))
    return str(feedback)


def _matched_mistake(mistakes, matches) -> Any:
    """The first mistake whose value ``matches`` accepts; unreadable mistake values are skipped."""
    for item in mistakes:
        try:
            if matches(_field(item, "value")):
                return item
        except (AnswerError, ExpectedError, KeyError, AttributeError, TypeError, ValueError):
            continue
    return None


def _incorrect(score, feedback, interpreted, method, mistake, lang) -> Verdict:
    if mistake is not None:
        return Verdict("incorrect", score, _mistake_feedback(mistake, lang), interpreted, method,
                       str(_field(mistake, "name")))
    return Verdict("incorrect", score, feedback, interpreted, method)


# -- numbers ---------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _expected_number(expected: Any) -> float:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        value = float(expected)
    else:
        try:
            value = _read_number(str(expected))[0]
        except AnswerError as err:
            raise ExpectedError(f"expected value {expected!r}: {err.render('en')}") from None
    if not math.isfinite(value):
        raise ExpectedError(f"expected value {expected!r} is not finite")
    return value


def _read_number(text: str) -> tuple[float, str]:
    """(value, how it was read). Plain decimals skip the parser entirely."""
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain and len(plain.group(1)) <= MAX_NUMBER_CHARS:
        value = float(plain.group(1))
        if math.isfinite(value):
            return value, plain.group(1)
    tree = parse(text)
    return _real_value(tree), render(tree)


def _real_value(tree: Node, env=None) -> float:
    if tree.op == "vec":
        raise AnswerError("not_scalar", n=len(tree.args))
    value = evaluate_scalar(tree, env)
    if isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            if not (math.isfinite(value.real) and math.isfinite(value.imag)):
                raise AnswerError("not_finite")
            raise AnswerError("not_real")
        value = value.real
    if not math.isfinite(value):
        raise AnswerError("not_finite")
    return value


def _grade_number(expected, answer, tol, mistakes, lang) -> Verdict:
    want = _expected_number(_freeze(expected))
    got, interpreted = _read_number(answer)
    method = "numeric" if tol.sigfigs is None else "sigfigs"
    if tol.numbers(got, want):
        return Verdict("correct", 1.0, message("correct", lang), interpreted, method)
    mistake = _matched_mistake(mistakes, lambda v: tol.numbers(got, _expected_number(_freeze(v))))
    if tol.sigfigs is None:
        feedback = message("incorrect_number", lang, got=interpreted)
    else:
        feedback = message("incorrect_sigfigs", lang, got=interpreted, n=tol.sigfigs)
    return _incorrect(0.0, feedback, interpreted, method, mistake, lang)


# -- expressions -----------------------------------------------------------------------------

class _Expected:
    """A parsed expected expression and its values at the sample points."""

    __slots__ = ("tree", "values")

    def __init__(self, tree: Node, values) -> None:
        self.tree, self.values = tree, values


def _points_of(tree: Node, variables: tuple[str, ...]):
    import numpy as np

    with np.errstate(all="ignore"):
        return evaluate_points(tree, sample_points(variables))


@lru_cache(maxsize=4096)
def _expected_expression(expected: Any, variables: tuple[str, ...]) -> _Expected:
    text = repr(expected) if isinstance(expected, float) else str(expected)
    try:
        tree = parse(text, variables)
    except AnswerError as err:
        raise ExpectedError(f"expected expression {expected!r}: {err.render('en')}") from None
    if tree.op == "vec":
        raise ExpectedError(f"expected expression {expected!r} is a list")
    return _Expected(tree, _points_of(tree, variables))


def _read_expression(text: str, variables: tuple[str, ...]) -> Node:
    tree = parse(text, variables)
    if tree.op == "vec":
        raise AnswerError("not_scalar", n=len(tree.args))
    return tree


def _compare_expression(want: _Expected, tree: Node, values, variables, tol,
                        allow_sympy: bool = True):
    """(status or None if undecided, method, index of a disagreeing point)."""
    import numpy as np

    rtol = tol.rtol
    with np.errstate(all="ignore"):
        state, where = compare.compare_points(want.values, values, rtol, tol.atol)
    if state == compare.SAME:
        return "correct", "random-points", None
    if state == compare.DIFFERENT:
        return "incorrect", "random-points", where
    if not allow_sympy:
        return None, "random-points", where
    outcome = symbolic.equivalent(want.tree, tree, variables)
    if outcome == symbolic.EQUIVALENT:
        return "correct", "sympy", None
    if outcome == symbolic.DIFFERENT:
        return "incorrect", "sympy", where
    if outcome == symbolic.TIMEOUT:
        raise AnswerError("timeout", method="sympy")
    if state == compare.LEANS_DIFFERENT:
        return "incorrect", "random-points", where
    raise AnswerError("undecided", method="sympy")


def _describe_point(variables, index) -> str:
    points = sample_points(variables)
    parts = []
    for name in variables:
        value = points[name][index].real
        parts.append(f"{name} = {value:.3g}")
    return ", ".join(parts) if parts else "every point"


def _grade_expression(expected, answer, variables, tol, mistakes, lang) -> Verdict:
    want = _expected_expression(_freeze(expected), variables)
    tree = _read_expression(answer, variables)
    interpreted = render(tree)
    values = _points_of(tree, variables)
    status, method, where = _compare_expression(want, tree, values, variables, tol)
    if status == "correct":
        return Verdict("correct", 1.0, message("correct", lang), interpreted, method)

    def matches(value) -> bool:
        other = _expected_expression(_freeze(value), variables)
        return _compare_expression(other, tree, values, variables, tol, False)[0] == "correct"

    mistake = _matched_mistake(mistakes, matches)
    if where is not None and variables:
        feedback = message("incorrect_expression", lang,
                           point=_describe_point(variables, where))
    else:
        feedback = message("incorrect_expression_symbolic", lang)
    return _incorrect(0.0, feedback, interpreted, method, mistake, lang)


# -- vectors and matrices --------------------------------------------------------------------

def _shape_and_leaves(tree: Node) -> tuple[tuple[int, ...], list[Node]]:
    """Row-major shape and entries of a (nested) list; a lone value has shape ()."""
    if tree.op != "vec":
        return (), [tree]
    shapes, leaves = set(), []
    for item in tree.args:
        shape, item_leaves = _shape_and_leaves(item)
        shapes.add(shape)
        leaves.extend(item_leaves)
    if len(shapes) > 1:
        raise AnswerError("ragged")
    return (len(tree.args), *shapes.pop()), leaves


def _tree_of_value(value: Any, variables) -> Node:
    """Parse a trusted nested list/number/string the same safe way as an answer."""
    if isinstance(value, tuple):
        items = tuple(_tree_of_value(v, variables) for v in value)
        return Node("vec", items)
    text = repr(value) if isinstance(value, float) else str(value)
    return parse(text, variables)


class _ExpectedVector:
    __slots__ = ("shape", "entries")

    def __init__(self, shape, entries) -> None:
        self.shape, self.entries = shape, entries


@lru_cache(maxsize=4096)
def _expected_vector(expected: Any, variables: tuple[str, ...]) -> _ExpectedVector:
    try:
        tree = _tree_of_value(expected, variables)
        shape, leaves = _shape_and_leaves(tree)
        if variables:
            entries = tuple(_Expected(leaf, _points_of(leaf, variables)) for leaf in leaves)
        else:
            entries = tuple(_real_value(leaf) for leaf in leaves)
    except AnswerError as err:
        raise ExpectedError(f"expected value {expected!r}: {err.render('en')}") from None
    return _ExpectedVector(shape, entries)


def _same_layout(want: tuple[int, ...], got: tuple[int, ...]) -> bool:
    """Equal shapes, or the same entries written as a row or a column ((n,) ~ (n,1) ~ (1,n))."""
    if want == got:
        return True

    def squeeze(shape):
        return tuple(d for d in shape if d != 1) or (1,)

    return squeeze(want) == squeeze(got) and max(len(want), len(got)) <= 2


def _describe_shape(shape: tuple[int, ...], lang: str) -> str:
    if not shape:
        return "a single value" if lang == "en" else "单个值"
    if len(shape) == 1:
        return f"{shape[0]} entries" if lang == "en" else f"{shape[0]} 个分量"
    dims = "×".join(map(str, shape))
    return f"a {dims} matrix" if lang == "en" else f"{dims} 矩阵"


def _entry_label(index: int, shape: tuple[int, ...]) -> str:
    if len(shape) <= 1:
        return str(index + 1)
    position = []
    for dim in reversed(shape):
        position.append(index % dim + 1)
        index //= dim
    return "(" + ", ".join(map(str, reversed(position))) + ")"


_NUMBER_TEXT = r"[+-]?(?:\d{1,30}\.?\d{0,30}|\.\d{1,30})(?:[eE][+-]?\d{1,3})?"
_PLAIN_LIST = re.compile(rf"\s*[\[(]?\s*({_NUMBER_TEXT}(?:\s*,\s*{_NUMBER_TEXT})*)\s*[\])]?\s*")
_COMMA = re.compile(r"\s*,\s*")


def _plain_list(answer: str):
    """Entries of a flat list of plain decimals ("[1, 2.5, -3e-2]"), skipping the parser."""
    match = _PLAIN_LIST.fullmatch(answer)
    if match is None:
        return None
    stripped = answer.strip()
    ends = (stripped[:1] in "[(") + (stripped[-1:] in "])") * 2
    if ends == 3 and stripped[0] + stripped[-1] not in ("[]", "()") or ends in (1, 2):
        return None  # unbalanced or mismatched brackets: the parser explains
    texts = _COMMA.split(match.group(1))
    values = [float(t) for t in texts]
    if not all(math.isfinite(v) for v in values):
        return None
    return texts, values


def _grade_vector(expected, answer, variables, tol, mistakes, lang) -> Verdict:
    want = _expected_vector(_freeze(expected), variables)
    plain = None if variables else _plain_list(answer)
    if plain is not None:
        texts, numbers = plain
        return _score_numbers(want, numbers, (len(numbers),), "[" + ", ".join(texts) + "]",
                              tol, mistakes, lang)
    tree = parse(answer, variables)
    interpreted = render(tree)
    shape, leaves = _shape_and_leaves(tree)
    if not _same_layout(want.shape, shape):
        feedback = message("shape", lang, want=_describe_shape(want.shape, lang),
                           got=_describe_shape(shape, lang))
        return Verdict("incorrect", 0.0, feedback, interpreted, "entrywise")
    if variables:
        got = [(leaf, _points_of(leaf, variables)) for leaf in leaves]
        methods = set()
        right = []
        for entry, (leaf, values) in zip(want.entries, got):
            status, method, _ = _compare_expression(entry, leaf, values, variables, tol)
            methods.add(method)
            right.append(status == "correct")
        method = "sympy" if "sympy" in methods else "entrywise"

        def matches(value) -> bool:
            other = _expected_vector(_freeze(value), variables)
            return _same_layout(other.shape, shape) and all(
                _compare_expression(e, leaf, v, variables, tol, False)[0] == "correct"
                for e, (leaf, v) in zip(other.entries, got))
    else:
        numbers = [_real_value(leaf) for leaf in leaves]
        return _score_numbers(want, numbers, shape, interpreted, tol, mistakes, lang)
    return _score(want, right, interpreted, method, matches, mistakes, lang)


def _score_numbers(want, numbers, shape, interpreted, tol, mistakes, lang) -> Verdict:
    if not _same_layout(want.shape, shape):
        feedback = message("shape", lang, want=_describe_shape(want.shape, lang),
                           got=_describe_shape(shape, lang))
        return Verdict("incorrect", 0.0, feedback, interpreted, "entrywise")
    right = [tol.numbers(g, w) for g, w in zip(numbers, want.entries)]

    def matches(value) -> bool:
        other = _expected_vector(_freeze(value), ())
        return _same_layout(other.shape, shape) and all(
            tol.numbers(g, w) for g, w in zip(numbers, other.entries))

    return _score(want, right, interpreted, "entrywise", matches, mistakes, lang)


def _score(want, right, interpreted, method, matches, mistakes, lang) -> Verdict:
    n_right = sum(right)
    score = n_right / len(right) if right else 1.0
    if n_right == len(right):
        return Verdict("correct", 1.0, message("correct", lang), interpreted, method)
    wrong = ", ".join(_entry_label(i, want.shape) for i, ok in enumerate(right) if not ok)
    feedback = message("entries", lang, right=n_right, total=len(right), wrong=wrong)
    mistake = _matched_mistake(mistakes, matches)
    return _incorrect(score, feedback, interpreted, method, mistake, lang)


# -- single and multiple choice, true/false ----------------------------------------------------

_TRUE = {"TRUE", "T", "YES", "Y", "对", "是", "正确", "真", "√", "✓", "✔"}
_FALSE = {"FALSE", "F", "NO", "N", "错", "否", "错误", "假", "×", "✗", "✘"}
_LABEL_SPLIT = re.compile(r"[\s,;/、，；和及与]+|\band\b", re.I)


def _labels(value: Any, letters_only: bool) -> frozenset[str]:
    if isinstance(value, bool):
        return frozenset({"TRUE" if value else "FALSE"})
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset().union(*(_labels(v, letters_only) for v in value))
    text = unicodedata.normalize("NFKC", str(value)).upper()
    labels = set()
    for piece in _LABEL_SPLIT.split(text):
        piece = piece.strip("()[]{}.:：。 ")
        if not piece:
            continue
        if piece in _TRUE:
            labels.add("TRUE")
        elif piece in _FALSE:
            labels.add("FALSE")
        elif letters_only and piece.isalpha() and piece.isascii():
            labels.update(piece)  # "AC" is A and C when every option is one letter
        else:
            labels.add(piece)
    return frozenset(labels)


def _grade_choice(expected, answer, mistakes, lang, choices=()) -> Verdict:
    want = _labels(expected, letters_only=False)
    if not want:
        raise ExpectedError(f"expected choice {expected!r} has no label")
    letters_only = all(len(w) == 1 for w in want)
    got = _labels(answer, letters_only)
    interpreted = ", ".join(sorted(got))
    if not got:
        example = ", ".join(sorted(want)[:1]) if letters_only else "A"
        raise AnswerError("no_choice", example=example)
    allowed = _labels(list(choices), letters_only=False) if choices else frozenset()
    if allowed and not got <= allowed:
        unknown = ", ".join(sorted(got - allowed))
        raise AnswerError("not_an_option", unknown=unknown, options=", ".join(sorted(allowed)))
    if got == want:
        return Verdict("correct", 1.0, message("correct", lang), interpreted, "choice")
    right, extra = len(got & want), len(got - want)
    score = max(0.0, (right - extra) / len(want)) if len(want) > 1 else 0.0
    mistake = _matched_mistake(mistakes, lambda v: _labels(v, letters_only) == got)
    if score > 0:
        feedback = message("choice_partial", lang, right=right, total=len(want), extra=extra)
    else:
        feedback = message("incorrect", lang)
    return _incorrect(score, feedback, interpreted, "choice", mistake, lang)
