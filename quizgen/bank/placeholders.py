"""``{name}`` in a declarative family's texts: a parameter's (or the answer's) value as LaTeX.

``{{`` and ``}}`` are literal braces, as in Python's format strings (so LaTeX groups are written
``\\frac{{1}}{{K}}``). Nothing else is interpreted: no attribute access, no format spec, no code.
Inside ``$...$`` the value goes in as LaTeX; outside math, a plain number goes in as it is and
anything else (``3 \\times 10^{-4}``, a vector) is wrapped in ``$...$`` so it renders as math.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\\$|\$\$|\$|\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


class PlaceholderError(ValueError):
    pass


def names(text: str) -> list[str]:
    """The names ``text`` refers to, in order; PlaceholderError at a stray brace."""
    found = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if m.group(1):
            found.append(m.group(1))
        elif token in ("{", "}"):
            raise PlaceholderError(
                f"stray {token!r} at character {m.start() + 1}: write {token * 2} for a literal "
                f"brace, or {{name}} for a parameter's value")
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``{name}`` replaced by the LaTeX in ``values`` (checked by `names`)."""
    out, at, in_math = [], 0, False
    for m in _TOKEN.finditer(text):
        out.append(text[at:m.start()])
        at = m.end()
        token = m.group()
        if token in ("$", "$$"):
            in_math = not in_math
            out.append(token)
        elif token in ("{{", "}}"):
            out.append(token[0])
        elif m.group(1):
            tex = values[m.group(1)]
            out.append(tex if in_math or _PLAIN_NUMBER.fullmatch(tex) else f"${tex}$")
        else:
            out.append(token)  # \$, a literal dollar
    out.append(text[at:])
    return "".join(out)
