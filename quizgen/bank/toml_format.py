"""The TOML format of a declarative family: read one file into a Spec, naming every problem.

The keys (docs/authoring.md has the tutorial and the full reference)::

    id, topic, title, kind, tolerance, variables      what the family is
    [params]                                           name = 3 | { choice = [...] } |
                                                       { int = [lo, hi] } | { min, max, step } |
                                                       { formula = "..." } (from the ones above)
    [answer] formula, check                            the answer, and an optional second way
    [prompt] en, zh                                    the question, with {name} placeholders
    [[mistakes]] name, formula, feedback               at least two named wrong answers
    [[solution]] en, zh                                worked steps (default: formula = answer)

Unknown keys, formulas the grader's parser rejects, placeholders that name no parameter and
shapes that do not match are all problems, each one line naming the file and the key; a file
with any problem gives no Spec. Reading is bounded: the file's size, the number of parameters,
mistakes, steps and choices, and the length of every text.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from question_bank import DEFAULT_TOLERANCE
from quizgen.grading.variables import VariableError, parse_variables
from quizgen.sampling import MIN_MISTAKES  # they double as multiple-choice distractors

from . import formulas, placeholders

KINDS = ("number", "vector", "expression")
TOP_KEYS = ("id", "topic", "title", "kind", "tolerance", "variables", "params", "answer",
            "prompt", "mistakes", "solution")
# Bounds on what one file may ask for, so reading a bank costs little whatever it holds.
MAX_FILE_BYTES = 256 * 1024
MAX_PARAMS, MAX_MISTAKES, MAX_STEPS, MAX_CHOICES = 100, 50, 50, 1000
MAX_GRID = 1_000_000  # values between min and max
MAX_TEXT = 10_000  # characters of one text
ANSWER = "answer"  # the placeholder for the answer, in solutions and feedback
FORMS = {"choice": ("choice",), "int": ("int",), "min": ("min", "max", "step"),
         "formula": ("formula",)}  # the ways to give a parameter, and the keys of each


@dataclass
class Param:
    name: str
    draw: Callable[[random.Random], int | float] | None = None  # None: a derived value
    formula: formulas.Formula | None = None


@dataclass
class Spec:
    id: str
    topic: str
    title: dict[str, str]
    kind: str
    tolerance: dict[str, float]
    variables: list[str]  # as declared, "x:real"
    variable_names: tuple[str, ...]
    params: list[Param]
    answer: formulas.Formula
    check: formulas.Formula | None
    prompt: dict[str, str]
    mistakes: list[tuple[str, formulas.Formula, dict[str, str]]]
    solution: list[dict[str, str]]
    origin: dict[str, str] = field(default_factory=dict)


def read_toml(path: Path, shown: str) -> tuple[dict | None, str | None]:
    """The file's table, or the one-line problem that stops it being read."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, f"{shown}: {size} bytes; a bank file may have at most {MAX_FILE_BYTES}"
        raw = path.read_bytes()
    except OSError as e:
        return None, f"{shown}: cannot read ({e.strerror})"
    try:
        return tomllib.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError as e:
        return None, f"{shown}: not UTF-8 text (byte {e.start + 1})"
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        if message.endswith(")") and "(at line " in message:  # "... (at line 3, column 5)"
            text, where = message[:-1].rsplit(" (at ", 1)
            return None, f"{shown}: {where}: TOML syntax: {text}"
        return None, f"{shown}: TOML syntax: {message}"


class Reader:
    """Checks one TOML family and builds its Spec, collecting every problem it finds."""

    def __init__(self, shown: str, folder: str, stem: str) -> None:
        self.shown, self.folder, self.stem = shown, folder, stem
        self.problems: list[str] = []
        self.no_zh: list[str] = []

    def problem(self, key: str, message: str) -> None:
        line = f"{self.shown}: {key}: {message}"  # one line, whatever a quoted key holds
        self.problems.append(line.replace("\r", "\\r").replace("\n", "\\n"))

    @property
    def warnings(self) -> list[str]:
        if not self.no_zh:
            return []
        return [f"{self.shown}: no zh for {', '.join(self.no_zh)}; the English text is used"]

    # -- pieces -------------------------------------------------------------------------------
    def unknown(self, table: dict, allowed, where: str) -> None:
        for key in table:
            if key not in allowed:
                self.problem(f"{where}{key}", f"unknown key (expected one of: "
                                              f"{', '.join(allowed)})")

    def text(self, value: Any, key: str) -> dict[str, str] | None:
        """A text: "..." (English) or {en = "...", zh = "..."}; zh falls back to en."""
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            self.problem(key, 'must be a text or a table { en = "...", zh = "..." }')
            return None
        self.unknown(value, ("en", "zh"), f"{key}.")
        texts = {lang: value.get(lang) for lang in ("en", "zh")}
        if not isinstance(texts["en"], str) or not texts["en"].strip():
            self.problem(f"{key}.en", "missing: every text needs its English version")
            return None
        if texts["zh"] is None or (isinstance(texts["zh"], str) and not texts["zh"].strip()):
            self.no_zh.append(key)
            texts["zh"] = texts["en"]
        for lang, text in texts.items():
            if not isinstance(text, str):
                self.problem(f"{key}.{lang}", "must be a text")
                return None
            if len(text) > MAX_TEXT:
                self.problem(f"{key}.{lang}", f"{len(text)} characters; at most {MAX_TEXT}")
                return None
        return texts

    def placeholders(self, text: dict[str, str] | None, key: str, known: list[str]) -> None:
        for lang, value in (text or {}).items():
            if lang == "zh" and value == text["en"]:
                continue  # the English fallback: already checked
            try:
                used = placeholders.names(value)
            except placeholders.PlaceholderError as e:
                self.problem(f"{key}.{lang}", str(e))
                continue
            for name in used:
                if name not in known:
                    hint = (" (the prompt cannot show the answer)" if name == ANSWER
                            else f" (known: {', '.join(known) or 'none'})")
                    self.problem(f"{key}.{lang}", f"{{{name}}} is not a parameter{hint}")

    def formula(self, value: Any, key: str, names: tuple[str, ...]) -> formulas.Formula | None:
        try:
            return formulas.read(value, names)
        except formulas.FormulaError as e:
            self.problem(key, f"formula {value!r}: {e}" if isinstance(value, str) else str(e))
            return None

    def number(self, value: Any, key: str) -> bool:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            self.problem(key, f"must be a number, not {value!r}")
        return ok

    # -- sections ------------------------------------------------------------------------------
    def tolerance(self, value: Any) -> dict[str, float]:
        if value is None:
            return dict(DEFAULT_TOLERANCE)
        if not isinstance(value, dict):
            self.problem("tolerance", "must be a table such as { rtol = 1e-4 } or { sigfigs = 3 }")
            return dict(DEFAULT_TOLERANCE)
        self.unknown(value, ("rtol", "atol", "sigfigs"), "tolerance.")
        if "sigfigs" in value and len(value) > 1:
            self.problem("tolerance", "sigfigs replaces rtol and atol; give one or the other")
        for key, x in value.items():
            if key == "sigfigs":
                if not (isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 15):
                    self.problem("tolerance.sigfigs", "must be a whole number from 1 to 15")
            elif key in ("rtol", "atol") and self.number(x, f"tolerance.{key}") and x < 0:
                self.problem(f"tolerance.{key}", "must not be negative")
        return {k: v for k, v in value.items() if k in ("rtol", "atol", "sigfigs")}

    def variables(self, value: Any, kind: str) -> tuple[list[str], tuple[str, ...]]:
        """The declared variables as written ("x:real"), and their names."""
        if kind != "expression":
            if value is not None:
                self.problem("variables", 'only an expression answer has variables (kind = '
                                          '"expression")')
            return [], ()
        if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            self.problem("variables", 'an expression answer declares its variables, e.g. '
                                      'variables = ["x:real", "t:positive_integer"]')
            return [], ()
        try:  # the grader's own reading of "name:domain", as quiz.json's vars will hold them
            names = tuple(v.name for v in parse_variables(value))
        except VariableError as e:
            self.problem("variables", str(e))
            return [], ()
        for name in names:
            if not formulas.is_single_name(name):
                self.problem("variables", f"{name!r} is not a name the grader reads as one "
                                          "variable (letters and digits, one optional _sub)")
        return list(value), names

    def params(self, table: Any, variables: tuple[str, ...]) -> list[Param]:
        if table is None:
            return []
        if not isinstance(table, dict):
            self.problem("params", "must be a table: [params] then one line per parameter")
            return []
        if len(table) > MAX_PARAMS:
            self.problem("params", f"{len(table)} parameters; at most {MAX_PARAMS}")
            return []
        every = tuple(n for n in table if formulas.is_single_name(n) and n != ANSWER
                      and n not in variables)
        self.param_names = every  # formulas may name them even where their line is broken
        found: list[Param] = []
        for name, spec in table.items():
            key = f"params.{name}"
            if name == ANSWER or name in variables:
                self.problem(key, f"{name!r} is reserved for "
                                  f"{'the answer' if name == ANSWER else 'a variable'}")
            elif not formulas.is_single_name(name):
                self.problem(key, "not a name the grader reads as one variable (letters and "
                                  "digits, one optional _sub, e.g. eps, K, beta_1)")
            else:
                param = self.param(name, spec, key, every, every[:every.index(name)])
                if param:
                    found.append(param)
        return found

    def param(self, name, spec, key, every, earlier) -> Param | None:
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return Param(name, draw=lambda rng, v=spec: v)
        if not isinstance(spec, dict):
            self.problem(key, "must be a number or a table: { choice = [...] }, "
                              "{ int = [low, high] }, { min = , max = , step = } or "
                              '{ formula = "..." }')
            return None
        forms = [form for form, keys in FORMS.items() if set(keys) & set(spec)]
        if len(forms) != 1:
            unknown = [k for k in spec if not any(k in keys for keys in FORMS.values())]
            for k in unknown or [""]:
                why = ("unknown key; " if k else
                       f"mixes {' and '.join('/'.join(FORMS[f]) for f in forms)}; " if forms
                       else "")
                self.problem(f"{key}.{k}" if k else key, why + "a parameter is one of: "
                             'choice = [...], int = [low, high], min/max/step, formula = "..."')
            return None
        allowed = FORMS[forms[0]]
        extra = [k for k in spec if k not in allowed]
        missing = [k for k in allowed if k not in spec]
        for k in extra:
            self.problem(f"{key}.{k}", f"unknown key next to {', '.join(allowed)}")
        if missing:
            self.problem(key, f"min, max and step go together; missing {', '.join(missing)}")
        if extra or missing:
            return None
        if "formula" in spec:
            formula = self.formula(spec["formula"], f"{key}.formula", every)
            if formula is None:
                return None
            later = sorted(formula.names - set(earlier))
            if later:
                self.problem(f"{key}.formula", f"uses {', '.join(later)}, defined after it (a "
                                               "derived value uses the parameters above it)")
            elif formula.shape:
                self.problem(f"{key}.formula", "a parameter is one number, not a list")
            else:
                return Param(name, formula=formula)
            return None
        if "choice" in spec:
            options = spec["choice"]
            if not (isinstance(options, list) and 0 < len(options) <= MAX_CHOICES):
                self.problem(f"{key}.choice", f"must be a list of 1 to {MAX_CHOICES} numbers")
                return None
            if all(self.number(x, f"{key}.choice") for x in options):
                return Param(name, draw=lambda rng, xs=tuple(options): rng.choice(xs))
            return None
        if "int" in spec:
            bounds = spec["int"]
            if not (isinstance(bounds, list) and len(bounds) == 2
                    and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                    and bounds[0] <= bounds[1]):
                self.problem(f"{key}.int", "must be [low, high], two whole numbers, low <= high")
                return None
            return Param(name, draw=lambda rng, lo=bounds[0], hi=bounds[1]: rng.randint(lo, hi))
        low, high, step = spec["min"], spec["max"], spec["step"]
        if not all(self.number(v, f"{key}.{k}") for k, v in spec.items()):
            return None
        if step <= 0 or low > high:
            self.problem(key, "needs min <= max and step > 0")
            return None
        first, size = Fraction(repr(low)), Fraction(repr(step))
        count = int((Fraction(repr(high)) - first) / size)
        if count >= MAX_GRID:
            self.problem(key, f"{count + 1} values between min and max; at most {MAX_GRID}")
            return None
        return Param(name, draw=lambda rng: _plain(first + size * rng.randint(0, count)))

    def mistakes(self, table: Any, names, known) -> list[tuple]:
        if not isinstance(table, list) or not all(isinstance(m, dict) for m in table):
            self.problem("mistakes", f"give at least {MIN_MISTAKES} [[mistakes]] tables "
                                     "(name, formula, feedback)")
            return []
        if not MIN_MISTAKES <= len(table) <= MAX_MISTAKES:
            self.problem("mistakes", f"{len(table)} given; a family needs {MIN_MISTAKES} to "
                                     f"{MAX_MISTAKES} named mistakes (they double as "
                                     "multiple-choice distractors)")
        found, seen = [], set()
        for i, m in enumerate(table, start=1):
            key = f"mistakes[{i}]"
            self.unknown(m, ("name", "formula", "feedback"), f"{key}.")
            name = m.get("name")
            if not (isinstance(name, str) and name.strip()):
                self.problem(f"{key}.name", "missing: every mistake has a name")
            elif name in seen:
                self.problem(f"{key}.name", f"{name!r} is used twice")
            seen.add(name)
            formula = self.formula(m.get("formula"), f"{key}.formula", names)
            feedback = self.text(m.get("feedback"), f"{key}.feedback")
            self.placeholders(feedback, f"{key}.feedback", known)
            if formula and feedback and isinstance(name, str):
                found.append((name, formula, feedback))
        return found

    def steps(self, value: Any, known) -> list[dict[str, str]] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not 0 < len(value) <= MAX_STEPS:
            self.problem("solution", f"give 1 to {MAX_STEPS} [[solution]] steps")
            return None
        steps = [self.text(step, f"solution[{i}]") for i, step in enumerate(value, start=1)]
        for i, step in enumerate(steps, start=1):
            self.placeholders(step, f"solution[{i}]", known)
        return steps if all(steps) else None

    # -- the whole file ------------------------------------------------------------------------
    def spec(self, data: dict) -> Spec | None:
        self.unknown(data, TOP_KEYS, "")
        topic = data.get("topic", self.folder)
        if topic != self.folder:
            self.problem("topic", f"{topic!r}, but the file is in the folder {self.folder!r} "
                                  "(a family lives in its topic's folder)")
        family_id = data.get("id", f"{self.folder}.{self.stem}")
        if not (isinstance(family_id, str) and family_id.strip() and family_id.split() == [
                family_id]):
            self.problem("id", "must be a text without spaces, e.g. \"course.label_smoothing\"")
        title = (self.text(data["title"], "title") if "title" in data
                 else dict.fromkeys(("en", "zh"), self.stem.replace("_", " ")))
        kind = data.get("kind", "number")
        if kind not in KINDS:
            self.problem("kind", f"{kind!r}: must be one of {', '.join(KINDS)}")
        tolerance = self.tolerance(data.get("tolerance"))
        variables, var_names = self.variables(data.get("variables"), kind)
        self.param_names: tuple[str, ...] = ()
        params = self.params(data.get("params"), var_names)
        names = self.param_names + var_names
        answer_table = data.get("answer")
        answer = check = None
        if not isinstance(answer_table, dict) or "formula" not in answer_table:
            self.problem("answer", '[answer] needs formula = "..." (the right answer)')
        else:
            self.unknown(answer_table, ("formula", "check"), "answer.")
            answer = self.formula(answer_table["formula"], "answer.formula", names)
            if "check" in answer_table:
                check = self.formula(answer_table["check"], "answer.check", names)
        param_names = list(self.param_names)
        prompt = self.text(data.get("prompt"), "prompt") if "prompt" in data else None
        if "prompt" not in data:
            self.problem("prompt", "missing: [prompt] with en (and zh)")
        self.placeholders(prompt, "prompt", param_names)
        known = [*param_names, ANSWER]
        mistakes = self.mistakes(data.get("mistakes"), names, known)
        solution = self.steps(data.get("solution"), known)
        if answer and kind in KINDS:
            self.shapes(kind, answer, check, mistakes)
        if self.problems:
            return None
        return Spec(id=family_id, topic=topic, title=title, kind=kind, tolerance=tolerance,
                    variables=variables, variable_names=var_names, params=params,
                    answer=answer, check=check, prompt=prompt, mistakes=mistakes,
                    solution=solution or _default_solution(answer, names))

    def shapes(self, kind: str, answer, check, mistakes) -> None:
        if kind == "vector" and not answer.shape:
            self.problem("answer.formula", 'a vector answer is a list, e.g. "[1 - eps, eps/K]"')
        if kind != "vector" and answer.shape:
            self.problem("answer.formula", f'a list answer needs kind = "vector", not {kind!r}')
        others = [("answer.check", check)] + [(f"mistakes[{i}].formula", m[1])
                                               for i, m in enumerate(mistakes, start=1)]
        for key, formula in others:
            if formula and formula.shape != answer.shape:
                self.problem(key, f"has shape {_shown(formula.shape)}, the answer "
                                  f"{_shown(answer.shape)}")


def _shown(shape: tuple[int, ...]) -> str:
    return "(a number)" if not shape else "x".join(map(str, shape))


def _plain(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def _default_solution(answer: formulas.Formula, names: tuple[str, ...]) -> list[dict]:
    """One step, ``$<the formula> = <the answer>$``, for a file that gives no [[solution]]."""
    import sympy

    symbolic = formulas.evaluate(answer, {n: sympy.Symbol(n) for n in names})
    tex = sympy.latex(matrix(symbolic) if isinstance(symbolic, list) else symbolic)
    step = "$" + tex.replace("{", "{{").replace("}", "}}") + f" = {{{ANSWER}}}$"
    return [{"en": step, "zh": step}]


def matrix(value: list):
    import sympy

    return sympy.Matrix(value if isinstance(value[0], list) else [value])
