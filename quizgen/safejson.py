"""JSON from untrusted sources (batch lines, submission files, request bodies), at bounded cost.

``load`` refuses nesting deeper than ``MAX_DEPTH`` (Python's decoder would raise RecursionError
near a thousand levels, and every later walk of the value would recurse as deep) with a
ValueError that says so; lone surrogates (``"\\ud800"``, valid JSON but not text) are replaced
by U+FFFD in every string, so what is stored and printed can always be encoded.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")  # one character class: linear


class JSONInputError(ValueError):
    """Not JSON, or JSON too deeply nested to be a quiz case, a submission or a form."""


def load(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONInputError(f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise JSONInputError(f"not valid JSON ({e.msg}, {where})") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise JSONInputError(f"not valid JSON ({e})") from None
    return _checked(value, max_depth)


def _checked(value: Any, max_depth: int) -> Any:
    """Depth-checked copy with clean strings, walked without recursion."""
    root: list[Any] = [None]
    stack = [(value, root, 0, 1)]
    while stack:
        item, parent, key, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise JSONInputError(f"nested deeper than {max_depth} levels")
            copy: Any = {}
            for k, v in item.items():
                copy[clean_text(k)] = None
                stack.append((v, copy, clean_text(k), depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise JSONInputError(f"nested deeper than {max_depth} levels")
            copy = [None] * len(item)
            stack.extend((v, copy, i, depth + 1) for i, v in enumerate(item))
        elif isinstance(item, str):
            copy = clean_text(item)
        else:
            copy = item
        parent[key] = copy
    return root[0]


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a no-op for ordinary text)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def dumps_line(value: Any) -> str:
    """One line of JSON output, readable (non-ASCII kept) and always encodable."""
    line = json.dumps(value, ensure_ascii=False)
    try:
        line.encode("utf-8")
        return line
    except UnicodeEncodeError:
        return json.dumps(value)
