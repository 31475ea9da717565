"""Safe, fast grading of what students type.

``check(expected, answer, kind=..., variables=...)`` reads the answer with a hand-written lexer
and parser (never ``eval`` or ``sympify``), checks size bounds before evaluating anything,
compares numbers by tolerance, expressions exactly over each variable's domain at unpredictable
random points (SymPy in a time-limited worker only when the points cannot decide), vectors entry
by entry, within a time budget per verdict, and returns a :class:`Verdict`.
See docs/grading.md for the accepted notation.
"""

from .check import KINDS, check, infer_kind
from .context import ExpectedError
from .variables import DOMAINS, Variable, VariableError, parse_variables
from .verdict import Verdict

__all__ = ["check", "Verdict", "infer_kind", "ExpectedError", "KINDS", "DOMAINS", "Variable",
           "VariableError", "parse_variables"]
