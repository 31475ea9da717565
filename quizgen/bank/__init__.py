"""Course banks: instructors' own question folders, outside the package, mixed with the
built-in bank (``--bank DIR`` or ``QUIZGEN_BANK``; docs/authoring.md).

`load` reads the folders (loader.py: Python families, declarative TOML families, concept
files), `sampling_problems` samples each family once per level as `quizgen validate` would, and
`use` mixes the families into ``question_bank.families()`` for the rest of the command.
"""

from __future__ import annotations

from question_bank import use_course_families

from .errors import BankError, describe
from .loader import Loaded, load, sha256

__all__ = ["BankError", "Loaded", "load", "sampling_problems", "use", "sha256"]

CHECK_SEEDS = 3  # validate's seeds 0..2: one variant per difficulty level


def sampling_problems(loaded: Loaded) -> list[str]:
    """Sample every family of the bank at validate's first seeds; one line per broken family,
    with the seed that breaks it (``quizgen validate --bank DIR --seeds 3`` shows the same)."""
    import json

    from quizgen.validate import sample_question

    problems = []
    for family in loaded.families:
        for seed in range(CHECK_SEEDS):
            try:
                question = sample_question(family, seed)
                json.dumps(question.params)
            except BankError as e:
                problems.append(f"{e} (seed {seed})")
                break
            except Exception as e:  # raised by quizgen on what the family returned
                problems.append(f"{loaded.files[family.id]}: {describe(e)} (seed {seed})")
                break
    return problems


def use(loaded: Loaded) -> None:
    """Mix the bank's families with the built-ins for this process (``use(Loaded())`` undoes)."""
    use_course_families(loaded.families)
