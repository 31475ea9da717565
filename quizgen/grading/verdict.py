"""The verdict returned for every answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Verdict:
    """How one answer was graded.

    ``status`` is "correct", "incorrect" or "invalid" (could not be read; ``feedback`` says where
    and why); ``score`` is in [0, 1] (a fraction of entries for vectors and matrices);
    ``interpreted`` is the answer as it was read, in plain math (``(2/3)*x``); ``method`` names
    what decided ("numeric", "sigfigs", "entrywise", "random-points", "sympy", "choice",
    "parse"), or "timeout" when nothing could decide within the verdict's time budget (a
    regrade tries such an answer again); ``mistake`` is the name of the matched common
    mistake, if any.
    """

    status: str
    score: float
    feedback: str
    interpreted: str = ""
    method: str = ""
    mistake: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.method == "timeout"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "score": self.score,
            "feedback": self.feedback,
            "interpreted": self.interpreted,
            "method": self.method,
            "mistake": self.mistake,
        }
