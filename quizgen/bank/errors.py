"""What goes wrong in a course bank, said in one line that names the file."""

from __future__ import annotations

import traceback
from pathlib import Path


class BankError(Exception):
    """A course bank file is broken; the message is one line starting with the file's path."""


def bank_frame(error: BaseException, root: Path) -> tuple[Path, int, str] | None:
    """(file, line, function) of the innermost frame of ``error`` that runs a file under
    ``root``: the instructor's code, not quizgen's."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(root):
            found = (path, frame.lineno, frame.name)
    return found


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def describe(error: BaseException) -> str:
    """One line for any exception met while sampling (a BankError already says everything)."""
    return str(error) if isinstance(error, BankError) else one_line(error)
