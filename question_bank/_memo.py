"""Remember a family's costly, pure computation for the variant at hand.

Sampling a question calls ``answer``, ``answer_tex``, ``prompt`` and ``solution`` in both
languages, and ``mistakes``; in most families these all read the same run of the reference
(a scheduler stepped for 100 epochs, a gradient by autograd). :func:`per_variant` computes that
run once per set of arguments.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MAX_ENTRIES = 256  # variants remembered per function; a quiz asks for one at a time


def per_variant(function: F) -> F:
    """Cache ``function`` by the JSON of its arguments (params dicts, lists, numbers, text).

    The cached value is shared by every caller, so it must never be modified: return tuples
    or values the callers only read.
    """
    cache: dict[str, Any] = {}

    @functools.wraps(function)
    def cached(*args: Any, **kwargs: Any) -> Any:
        key = json.dumps([args, kwargs], sort_keys=True)
        try:
            return cache[key]
        except KeyError:
            pass
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        value = cache[key] = function(*args, **kwargs)
        return value

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]
