"""Declarative question families: one TOML file per family, no Python (docs/authoring.md).

`DeclarativeFamily` serves a checked Spec (toml_format.py) through the interface of a family
module, so sampling, resampling of colliding mistakes, grading, every export and
`quizgen validate` treat it exactly like a built-in family. Formulas are parsed by the grader's
parser and evaluated exactly by SymPy (formulas.py); nothing in the file is ever executed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from question_bank._format import num, row
from quizgen.model import Mistake

from . import formulas, placeholders
from .errors import BankError
from .toml_format import ANSWER, Reader, Spec, matrix, read_toml


def load(path: Path, shown: str, folder: str, origin: dict[str, str]):
    """(family or None, problems, warnings) for one TOML family file."""
    data, problem = read_toml(path, shown)
    if problem:
        return None, [problem], []
    reader = Reader(shown, folder, path.stem)
    spec = reader.spec(data)
    if spec is None:
        return None, reader.problems, reader.warnings
    spec.origin = origin
    return DeclarativeFamily(spec, shown), [], reader.warnings


@dataclass
class _Variant:
    """Everything computed for one variant, once: build_question asks for each piece."""

    values: dict[str, Any]  # exact parameter values and the variables' Symbols
    exact: Any  # the answer: an exact SymPy value, or nested lists of them
    answer: Any  # the answer as quiz.json stores it
    answer_tex: str
    mistakes: list  # each mistake's value as quiz.json stores it, in file order


class DeclarativeFamily:
    """A TOML family seen through the family-module interface (question_bank.Family)."""

    CACHE = 256  # variants kept: build_question asks for the same one several times

    def __init__(self, spec: Spec, shown: str) -> None:
        self.spec, self.shown = spec, shown
        self.ID, self.TOPIC, self.TITLE, self.KIND = spec.id, spec.topic, spec.title, spec.kind
        self.ORIGIN = spec.origin
        self._variants: dict[str, _Variant] = {}

    def __repr__(self) -> str:
        return f"<declarative family {self.ID} from {self.shown}>"

    # -- the interface ----------------------------------------------------------------------
    def sample(self, rng: random.Random, difficulty: int) -> dict:
        params: dict[str, int | float] = {}
        values: dict[str, Any] = {}
        for p in self.spec.params:
            if p.draw is not None:
                params[p.name] = p.draw(rng)
                values[p.name] = formulas.exact_number(params[p.name])
            else:
                values[p.name] = self._exact(p.formula, values, f"params.{p.name}.formula")
                params[p.name] = _plain_float(self._float(values[p.name], values,
                                                          f"params.{p.name}.formula"))
        return params

    def tolerance(self, params: dict) -> dict:
        return dict(self.spec.tolerance)

    def variables(self, params: dict) -> list[str]:
        return list(self.spec.variables)  # "name:domain", as quiz.json's vars hold them

    def answer(self, params: dict):
        return self._variant(params).answer

    def answer_tex(self, params: dict) -> str:
        return self._variant(params).answer_tex

    def closed_form(self, params: dict):
        variant = self._variant(params)
        exact = variant.exact if self.spec.check is None else self._exact(
            self.spec.check, variant.values, "answer.check")
        return matrix(exact) if isinstance(exact, list) else exact

    def prompt(self, params: dict, lang: str) -> str:
        return placeholders.fill(self.spec.prompt[lang], self._texts(params, answer=False))

    def solution(self, params: dict, lang: str) -> list[str]:
        texts = self._texts(params)
        return [placeholders.fill(step[lang], texts) for step in self.spec.solution]

    def mistakes(self, params: dict) -> list[Mistake]:
        texts = self._texts(params)
        return [Mistake(name, value, {lang: placeholders.fill(text, texts)
                                      for lang, text in feedback.items()})
                for (name, _, feedback), value in zip(self.spec.mistakes,
                                                      self._variant(params).mistakes)]

    # -- evaluation ---------------------------------------------------------------------------
    def _variant(self, params: dict) -> _Variant:
        key = json.dumps(params, sort_keys=True)
        found = self._variants.get(key)
        if found is None:
            values: dict[str, Any] = {}
            for p in self.spec.params:
                values[p.name] = (formulas.exact_number(params[p.name]) if p.draw is not None
                                  else self._exact(p.formula, values, f"params.{p.name}.formula"))
            if self.spec.variables:
                import sympy

                # Plain symbols: SymPy's own simplifications then hold on every domain.
                values.update((n, sympy.Symbol(n)) for n in self.spec.variable_names)
            found = self._evaluate(values)
            if len(self._variants) >= self.CACHE:
                self._variants.clear()
            self._variants[key] = found
        return found

    def _evaluate(self, values: dict) -> _Variant:
        key = "answer.formula"
        exact = self._exact(self.spec.answer, values, key)
        answer = self._value(exact, values, key)
        mistakes = []
        for i, (_, formula, _) in enumerate(self.spec.mistakes, start=1):
            key = f"mistakes[{i}].formula"
            mistakes.append(self._value(self._exact(formula, values, key), values, key))
        return _Variant(values, exact, answer, self._tex(exact, answer), mistakes)

    def _fail(self, key: str, why: str, values: dict) -> BankError:
        shown = ", ".join(f"{p.name} = {num(float(values[p.name]))}" for p in self.spec.params
                          if p.draw is not None and p.name in values)  # what was drawn
        return BankError(f"{self.shown}: {key}: " + (f"with {shown}, " if shown else "") + why)

    def _exact(self, formula: formulas.Formula, values: dict, key: str):
        try:
            return formulas.evaluate(formula, values)
        except formulas.FormulaError as e:
            raise self._fail(key, str(e), values) from None

    def _float(self, exact, values: dict, key: str):
        try:
            return formulas.to_floats(exact)
        except formulas.FormulaError as e:
            raise self._fail(key, f"the value {e}", values) from None

    def _value(self, exact, values: dict, key: str):
        """What quiz.json stores: floats, nested lists of floats, or an expression's text."""
        if self.KIND != "expression":
            return self._float(exact, values, key)
        import sympy

        text = sympy.sstr(exact)
        try:  # the key must be in the notation the grader reads
            formulas.read(text, self.spec.variable_names)
        except formulas.FormulaError as e:
            raise self._fail(key, f"SymPy writes it as {text!r}, which the grader cannot read "
                                  f"({e})", values) from None
        return text

    def _tex(self, exact, value) -> str:
        """The answer as LaTeX, as the built-ins print it (8 significant figures)."""
        if self.KIND == "expression":
            import sympy

            return sympy.latex(exact)
        if not isinstance(value, list):
            return num(value, 8)
        if value and isinstance(value[0], list):
            body = " \\\\ ".join(" & ".join(num(x, 8) for x in r) for r in value)
            return f"\\begin{{pmatrix}}{body}\\end{{pmatrix}}"
        return row(value, 8)

    def _texts(self, params: dict, answer: bool = True) -> dict[str, str]:
        """The LaTeX each placeholder stands for: parameters as the built-ins print them."""
        texts = {name: num(value) for name, value in params.items()}
        if answer:
            texts[ANSWER] = self.answer_tex(params)
        return texts


def _plain_float(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
