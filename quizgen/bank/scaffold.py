"""`quizgen new`: a commented, working example family that `quizgen validate` passes unchanged.

``DIR/<topic>/<family>.toml`` writes a declarative family, ``DIR/<topic>/<family>.py`` a
Python one, ``DIR/concepts/<topic>.toml`` a file of conceptual items. The examples live in
``scaffolds/`` beside this module; only their names are filled in.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path

from .loader import CONCEPTS


class ScaffoldError(ValueError):
    pass


def scaffold(path: Path, force: bool = False) -> tuple[str, str]:
    """Write the example for ``path``; returns (family id, bank folder)."""
    path = Path(path)
    if path.suffix not in (".toml", ".py"):
        raise ScaffoldError(f"{path}: give DIR/<topic>/<family>.toml, .py, or "
                            "DIR/concepts/<topic>.toml")
    topic, family = path.parent.name, path.stem
    if topic == CONCEPTS:
        if path.suffix != ".toml":
            raise ScaffoldError(f"{path}: conceptual items are a .toml file")
        topic, template, family_id = family, "concepts.toml", f"{family}.course_concepts"
    else:
        template, family_id = f"family{path.suffix}", f"{topic}.{family}"
    for what, name in (("topic", topic), ("family", family)):
        if not (name.isidentifier() and name.isascii() and not name.startswith("_")):
            raise ScaffoldError(f"{path}: the {what} name {name!r} must be letters, digits and "
                                "_ (not first), e.g. course/label_smoothing.toml")
    if _is_builtin(topic, family) and template != "concepts.toml":
        raise ScaffoldError(f"{path}: {family_id} is a built-in family; choose another name")
    if path.exists() and not force:
        raise ScaffoldError(f"{path} exists; pass --force to overwrite it")
    bank = path.parent.parent
    text = (files(__package__) / "scaffolds" / template).read_text(encoding="utf-8")
    text = (text.replace("__TOPIC__", topic).replace("__FAMILY__", family)
            .replace("__BANK__", str(bank)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return family_id, str(bank)


def _is_builtin(topic: str, family: str) -> bool:
    """Is there a built-in module with that id? (found without importing torch)"""
    try:
        return find_spec(f"question_bank.{topic}.{family}") is not None
    except ModuleNotFoundError:  # no built-in topic of that name
        return False
