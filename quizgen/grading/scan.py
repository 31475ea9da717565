"""Hand-written scanners for the fast paths: a plain decimal, a flat list of plain decimals.

They replace regular expressions that backtracked on student text (a list pattern with nested
quantifiers took 105 s on 127 characters). Each scanner looks at every character at most a
fixed number of times, so its cost is linear in the length of the text whatever its shape;
anything they do not accept goes to the full parser, which is linear too.
"""

from __future__ import annotations

MAX_DIGITS = 40  # digits before or after the point: longer literals go to the parser's message
MAX_EXPONENT_DIGITS = 3
_SPACE = " \t\r\n"


def decimal_end(text: str, i: int) -> int:
    """End of a plain decimal starting at text[i] (``-1.5e-3``, ``.5``, ``7.``), or -1."""
    n = len(text)
    if i < n and text[i] in "+-":
        i += 1
    start = i
    while i < n and text[i].isdigit() and text[i].isascii():
        i += 1
    whole = i - start
    fraction = 0
    if i < n and text[i] == ".":
        i += 1
        mark = i
        while i < n and text[i].isdigit() and text[i].isascii():
            i += 1
        fraction = i - mark
    if whole + fraction == 0 or whole > MAX_DIGITS or fraction > MAX_DIGITS:
        return -1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        mark = j
        while j < n and text[j].isdigit() and text[j].isascii():
            j += 1
        if j == mark or j - mark > MAX_EXPONENT_DIGITS:
            return -1  # "2e" or "1e99999": the parser explains
        i = j
    return i


def plain_decimal(text: str) -> str | None:
    """The decimal literal when ``text`` is one, surrounded by spaces only; else None."""
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    end = decimal_end(text, i)
    if end < 0:
        return None
    literal = text[i:end]
    while end < n and text[end] in _SPACE:
        end += 1
    return literal if end == n else None


def plain_list(text: str) -> list[str] | None:
    """The literals of ``[1, 2.5, -3e-2]``, ``(1, 2)`` or ``1, 2`` (plain decimals only), else
    None. Brackets must match; one pass over the text."""
    body = text.strip(_SPACE)
    if body[:1] in "[(" or body[-1:] in "])":
        if len(body) < 2 or body[0] + body[-1] not in ("[]", "()"):
            return None  # unbalanced or mismatched: the parser explains
        body = body[1:-1]
    literals = []
    i, n = 0, len(body)
    while True:
        while i < n and body[i] in _SPACE:
            i += 1
        end = decimal_end(body, i)
        if end < 0:
            return None
        literals.append(body[i:end])
        i = end
        while i < n and body[i] in _SPACE:
            i += 1
        if i == n:
            return literals
        if body[i] != ",":
            return None
        i += 1
