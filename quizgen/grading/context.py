"""What every answer test needs besides the two answers: tolerance, variables, language,
named mistakes, the verdict's deadline and the secret the sample points are drawn from."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .messages import AnswerError
from .variables import Variable, names_of

VERDICT_TIME_LIMIT = 3.0  # seconds per verdict, on every path


class ExpectedError(ValueError):
    """The expected answer (from the quiz file) or an option of ``check`` is malformed."""


class Tolerance:
    __slots__ = ("rtol", "atol", "sigfigs")

    def __init__(self, rtol=None, atol=None, sigfigs=None) -> None:
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value is not None and not (isinstance(value, (int, float)) and value >= 0
                                          and not isinstance(value, bool)):
                raise ExpectedError(f"{name} must be a number >= 0, not {value!r}")
        if sigfigs is not None and not (isinstance(sigfigs, int) and 1 <= sigfigs <= 17
                                        and not isinstance(sigfigs, bool)):
            raise ExpectedError(f"sigfigs must be a whole number from 1 to 17, not {sigfigs!r}")
        self.rtol, self.atol, self.sigfigs = rtol, atol, sigfigs

    def numbers(self, got: float, want: float, got_text: str | None = None) -> bool:
        """Whether two numbers match (``got_text``: the decimal the student typed, if any)."""
        from .kinds import number, sigfigs

        if self.sigfigs is not None:
            return sigfigs.same(got, want, self.sigfigs, got_text)
        return number.within(got, want, self.rtol, self.atol, got_text)


class Deadline:
    """A verdict's time budget; work that would run past it stops with a timeout."""

    __slots__ = ("end",)

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise AnswerError("timeout", method="timeout")


@dataclass
class Context:
    variables: tuple[Variable, ...]
    tol: Tolerance
    lang: str
    deadline: Deadline
    secret: bytes
    mistakes: tuple = ()
    choices: tuple[str, ...] = ()
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.names = names_of(self.variables)
