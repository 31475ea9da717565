"""The question bank: one module per question family, grouped by topic.

A family module (see ``optimizers/adam_step.py`` for a complete one) defines

    ID, TOPIC, TITLE = {"en": ..., "zh": ...}, KIND ("number" | "vector" | "expression")
    sample(rng: random.Random, difficulty: int) -> params        JSON-serializable dict
    prompt(params, lang) -> str                                   text with $LaTeX$
    answer(params) -> float | list[float] | str                   computed by reference/
    answer_tex(params) -> str                                     LaTeX of the answer
    closed_form(params) -> sympy expression (or Matrix)           an independent derivation
    solution(params, lang) -> list[str]                           worked steps with $LaTeX$
    mistakes(params) -> list[Mistake]                             named wrong answers

and optionally ``kind(params)``, ``tolerance(params)``, ``variables(params)`` and
``choices(params)`` where these depend on the sampled parameters. A family with an expression
variant declares its variables as ``"name:domain"`` and defines ``evaluate(params, values)``,
the quantity computed by ``reference/`` at given values of them (see ``_formula.py``). Conceptual items (choice and
true/false) live in ``concepts/<topic>.toml`` and are served through the same interface.
Families know nothing of file formats. Instructors' course banks (``quizgen.bank``) add
families from folders outside the package; ``families()`` mixes them in while in use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

DEFAULT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-9}
DIFFICULTIES = (1, 2, 3)
BUILTIN = {"source": "built-in"}  # a course bank's family says {"source": "bank", ...}


@dataclass(frozen=True)
class Family:
    """A family module seen through one interface, optional hooks filled with defaults."""

    module: ModuleType

    @property
    def id(self) -> str:
        return self.module.ID

    @property
    def topic(self) -> str:
        return self.module.TOPIC

    @property
    def title(self) -> dict[str, str]:
        return self.module.TITLE

    def kind(self, params: dict[str, Any]) -> str:
        hook = getattr(self.module, "kind", None)
        return hook(params) if hook else self.module.KIND

    def tolerance(self, params: dict[str, Any]) -> dict[str, float]:
        hook = getattr(self.module, "tolerance", None)
        return hook(params) if hook else dict(DEFAULT_TOLERANCE)

    def variables(self, params: dict[str, Any]) -> list[str]:
        hook = getattr(self.module, "variables", None)
        return hook(params) if hook else []

    def choices(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        hook = getattr(self.module, "choices", None)
        return hook(params) if hook else []

    @property
    def origin(self) -> dict[str, str]:
        """Where the family comes from, as quiz.json records it per question."""
        return dict(getattr(self.module, "ORIGIN", BUILTIN))

    def __getattr__(self, name: str):
        # sample, prompt, answer, answer_tex, closed_form, solution, mistakes
        return getattr(self.module, name)


@cache
def builtin_families() -> dict[str, Family]:
    """Every family shipped in this package, by id, discovered from the package tree."""
    found: dict[str, Family] = {}
    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        if info.ispkg:
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "ID") and hasattr(module, "sample"):
            found[module.ID] = Family(module)
    from .concepts import pools

    found.update((pool.ID, Family(pool)) for pool in pools())
    return dict(sorted(found.items()))


_COURSE: dict[str, Family] = {}  # families of the instructors' course banks in use


@cache
def families() -> dict[str, Family]:
    """Every family, by id: the built-ins and those of the course banks in use."""
    return dict(sorted({**builtin_families(), **_COURSE}.items()))


def use_course_families(found: Iterable[Family]) -> None:
    """Mix these course-bank families (quizgen.bank) with the built-ins, replacing any mixed
    in before; ``()`` leaves the built-ins alone."""
    _COURSE.clear()
    _COURSE.update((family.id, family) for family in found)
    families.cache_clear()


def topics() -> dict[str, list[Family]]:
    """Families grouped by topic, topics and families in a stable order."""
    grouped: dict[str, list[Family]] = {}
    for family in families().values():
        grouped.setdefault(family.topic, []).append(family)
    return grouped
