"""Has a quiz's course bank changed since the quiz was made? (for ``quizgen regrade``)

quiz.json records, per question, ``origin = {"source": "bank", "bank": <folder name>,
"file": <path inside it>, "sha256": ...}``. The file is looked for in the bank folders given
(``--bank`` / ``QUIZGEN_BANK``) and then in ``./<folder name>``; only its bytes are hashed,
nothing in it is run.
"""

from __future__ import annotations

from pathlib import Path

from .loader import sha256


def bank_changes(questions, folders=()) -> list[str]:
    """One line per bank file that changed or cannot be found, naming its questions."""
    by_file: dict[tuple[str, str, str], list[str]] = {}
    for q in questions:
        o = q.origin
        if o.get("source") == "bank":
            key = (o.get("bank", ""), o.get("file", ""), o.get("sha256", ""))
            by_file.setdefault(key, []).append(q.id)
    lines, missing = [], {}
    for (bank, file, digest), ids in by_file.items():
        path = _find(bank, file, folders)
        if path is None:
            missing.setdefault(bank, []).extend(ids)
        elif sha256(path) != digest:
            lines.append(f"warning: {path} changed since the quiz was made ({_which(ids)}); "
                         "regrade uses the answers stored in the quiz; make the quiz again to "
                         "use the new version")
    for bank, ids in missing.items():
        lines.append(f"note: cannot tell whether the course bank {bank!r} changed "
                     f"({_which(ids)}): its files were not found; pass --bank DIR")
    return lines


def _which(ids: list[str]) -> str:
    return f"{'question' if len(ids) == 1 else 'questions'} {', '.join(ids)}"


def _find(bank: str, file: str, folders) -> Path | None:
    if not file or Path(file).is_absolute() or ".." in Path(file).parts:
        return None  # a hand-edited quiz.json: look nowhere outside a bank folder
    roots = [Path(f) for f in folders if str(f).strip()]
    roots.sort(key=lambda root: root.resolve().name != bank)  # the folder of that name first
    if bank and Path(bank).name == bank and bank not in (".", ".."):
        roots.append(Path(bank))
    for root in roots:
        candidate = root / file
        if candidate.is_file():
            return candidate
    return None
