"""Read course bank folders into families, collecting every problem instead of stopping at one.

A bank folder mirrors ``question_bank/``::

    <topic>/<family>.py      a family module, the interface of question_bank/ (Python)
    <topic>/<family>.toml    a declarative family (no Python; docs/authoring.md)
    concepts/<topic>.toml    conceptual items, the format of question_bank/concepts/

Names starting with ``_`` or ``.`` are helpers, not families. Each family remembers where it
came from (the bank folder's name, the file inside it and the file's SHA-256), which quiz.json
records per question so that ``regrade`` can tell when the file changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from question_bank import Family, builtin_families
from question_bank.concepts import ConceptFileError, ConceptPool, _check_item

from . import declarative, python_family
from .toml_format import Reader, read_toml

CONCEPTS = "concepts"
ITEM_KEYS = ("id", "section", "type", "difficulty", "question", "explanation", "answer",
             "fixed_order", "choices")
CHOICE_KEYS = ("text", "correct", "why", "name")


@dataclass
class Loaded:
    families: list[Family] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each one line, naming its file
    warnings: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # family id -> the file, as shown


def load(folders) -> Loaded:
    """Every family of the bank folders, in order; problems and warnings for all of them."""
    loaded = Loaded()
    found: list[tuple[Family, str]] = []
    seen: set[Path] = set()
    for folder in folders:
        if not str(folder).strip():
            continue  # an empty entry in QUIZGEN_BANK
        root = Path(folder).expanduser().resolve()
        shown = str(Path(folder))
        if root in seen:
            continue
        seen.add(root)
        if not root.is_dir():
            loaded.problems.append(f"{shown}: no such bank folder")
            continue
        for path in _family_files(root, loaded, shown):
            family = _load_file(path, root, shown, loaded)
            if family is not None:
                found.append((family, Path(shown, path.relative_to(root)).as_posix()))
    _keep_unique_ids(found, loaded)
    return loaded


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _family_files(root: Path, loaded: Loaded, shown: str) -> list[Path]:
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if not entry.is_dir():
            if entry.suffix in (".py", ".toml"):
                loaded.warnings.append(f"{Path(shown, entry.name).as_posix()}: ignored; a "
                                       "family goes in a topic folder, <topic>/<family>"
                                       f"{entry.suffix}")
            continue
        found += [p for p in sorted(entry.iterdir()) if p.is_file()
                  and p.suffix in (".py", ".toml") and not p.name.startswith(("_", "."))]
    return found


def _load_file(path: Path, root: Path, shown_root: str, loaded: Loaded) -> Family | None:
    shown = Path(shown_root, path.relative_to(root)).as_posix()
    origin = {"source": "bank", "bank": root.name, "file": path.relative_to(root).as_posix(),
              "sha256": sha256(path)}
    folder = path.parent.name
    if folder == CONCEPTS:
        if path.suffix != ".toml":
            loaded.warnings.append(f"{shown}: ignored; concepts/ holds <topic>.toml files")
            return
        family, problems, warnings = _load_concepts(path, shown, origin)
    elif path.suffix == ".toml":
        family, problems, warnings = declarative.load(path, shown, folder, origin)
    else:
        family, problems = python_family.load(path, root, shown_root, origin)
        warnings = []
    loaded.problems += problems
    loaded.warnings += warnings
    return None if family is None else Family(family)


def _keep_unique_ids(found: list[tuple[Family, str]], loaded: Loaded) -> None:
    """An id names one family: a clash with a built-in or another bank file is a problem."""
    builtins = builtin_families()
    for family, shown in found:
        if family.id in builtins:
            loaded.problems.append(f"{shown}: id {family.id!r} is already a built-in family; "
                                   "choose another id")
        elif family.id in loaded.files:
            loaded.problems.append(f"{shown}: id {family.id!r} is already used by "
                                   f"{loaded.files[family.id]}")
        else:
            loaded.files[family.id] = shown
            loaded.families.append(family)


def _load_concepts(path: Path, shown: str, origin: dict):
    """A bank's ``concepts/<topic>.toml``: the built-in item format, ``section`` optional, and
    an optional top-level ``id`` (default ``<topic>.concepts``)."""
    data, problem = read_toml(path, shown)
    if problem:
        return None, [problem], []
    topic = path.stem
    reader = Reader(shown, CONCEPTS, topic)
    reader.unknown(data, ("id", "items"), "")
    items = data.get("items")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        reader.problem("items", "give at least one [[items]] table")
        items = []
    ids = set()
    for n, item in enumerate(items, start=1):
        key = f"items[{n}]"
        reader.unknown(item, ITEM_KEYS, f"{key}.")
        for name in ("question", "explanation"):
            item[name] = reader.text(item.get(name), f"{key}.{name}") or item.get(name)
        choices = item.get("choices", [])
        for c, choice in enumerate(choices if isinstance(choices, list) else [], start=1):
            if not isinstance(choice, dict):
                continue
            reader.unknown(choice, CHOICE_KEYS, f"{key}.choices[{c}].")
            for name in ("text", "why"):
                if name in choice:
                    choice[name] = reader.text(choice[name], f"{key}.choices[{c}].{name}") \
                        or choice[name]
        item.setdefault("section", None)  # the built-ins cite the seed's sections; optional here
        try:
            _check_item(topic, item, source=shown)
        except (ConceptFileError, KeyError, TypeError, AttributeError) as e:
            reader.problems.append(str(e) if isinstance(e, ConceptFileError)
                                   else f"{shown}: {key}: malformed ({e})")
        if item.get("id") in ids:
            reader.problem(f"{key}.id", f"{item['id']!r} is used twice")
        ids.add(item.get("id"))
    family_id = data.get("id", f"{topic}.{CONCEPTS}")
    if not isinstance(family_id, str) or len(family_id.split()) != 1:
        reader.problem("id", f'must be a text without spaces, e.g. "{topic}.course_concepts"')
    if reader.problems:
        return None, reader.problems, reader.warnings
    pool = ConceptPool(topic, items)
    pool.ID, pool.ORIGIN = family_id, origin
    return pool, [], reader.warnings
