"""Declared variables and their real domains: ``"fan_in:positive"``, ``"t:positive_integer"``.

A variable is written ``name`` (domain ``real``) or ``name:domain`` wherever one is declared: the
``--vars`` option of ``quizgen check``, a batch line's ``"vars"``, quiz.json's ``vars`` and
``check(..., variables=...)``. The domain says where the random sample points lie and which
assumptions the SymPy fallback gives the symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .messages import AnswerError
from .normalize import canonical_name

# domain -> what it means, for messages and docs
DOMAINS = {
    "real": "any real number",
    "positive": "a real number > 0",
    "nonnegative": "a real number >= 0",
    "integer": "a whole number",
    "positive_integer": "a whole number >= 1",
    "unit_interval": "a real number in the open interval (0, 1)",
}
DEFAULT_DOMAIN = "real"


class VariableError(ValueError):
    """A declared variable is malformed: an unknown domain or a name that cannot be read."""


@dataclass(frozen=True, order=True)
class Variable:
    name: str  # canonical spelling (see normalize.canonical_name)
    domain: str = DEFAULT_DOMAIN

    def __str__(self) -> str:
        return self.name if self.domain == DEFAULT_DOMAIN else f"{self.name}:{self.domain}"


def parse_variable(spec: object) -> Variable:
    if isinstance(spec, Variable):
        return spec
    text = str(spec)
    name, sep, domain = text.rpartition(":") if ":" in text else (text, "", DEFAULT_DOMAIN)
    domain = domain.strip()
    if sep and domain not in DOMAINS:
        raise VariableError(f"unknown domain {domain!r} for variable {name.strip()!r}; "
                            f"domains: {', '.join(DOMAINS)}")
    try:
        canonical = canonical_name(name.strip())
    except AnswerError:
        raise VariableError(f"bad variable name {name.strip()!r}") from None
    if not canonical or not (canonical[0].isalpha() and canonical.replace("_", "").isalnum()):
        raise VariableError(f"bad variable name {name.strip()!r}")
    return Variable(canonical, domain)


def parse_variables(specs) -> tuple[Variable, ...]:
    """Variables from a comma-separated string or an iterable of specs; duplicates refused."""
    if isinstance(specs, str):
        specs = [s for s in specs.split(",") if s.strip()]
    specs = tuple(specs)
    try:
        return _parse_variables(specs)
    except TypeError:  # unhashable specs
        return _parse_variables.__wrapped__(specs)


@lru_cache(maxsize=1024)
def _parse_variables(specs: tuple) -> tuple[Variable, ...]:
    variables = tuple(parse_variable(s) for s in specs)
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise VariableError(f"variable {twice[0]!r} is declared twice")
    return variables


def names_of(variables: tuple[Variable, ...]) -> tuple[str, ...]:
    return tuple(v.name for v in variables)
