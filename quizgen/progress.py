"""A progress bar on a terminal's stderr for the long commands (a roster's variants and sheets,
``validate``): one line, redrawn at most ten times a second, erased when done.

Only a terminal sees it: piped or redirected stderr, tests and CI get nothing, so logs hold the
commands' output and nothing else. Other output can go to stdout between two redraws:
:meth:`Progress.clear` erases the line first, and the next :meth:`Progress.advance` draws it
again below.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")

WIDTH = 30  # characters of the bar itself
INTERVAL = 0.1  # seconds between redraws


class Progress:
    """``label [#########.........]  123/400`` on ``stream``, if it is a terminal."""

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.shown = self.stream.isatty()
        self.total, self.label, self.done = max(total, 0), label, 0
        self._drawn_at = 0.0

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self.shown and time.monotonic() - self._drawn_at >= INTERVAL:
            self._draw()

    def clear(self) -> None:
        """Erase the bar's line (before printing something else on the terminal)."""
        if self.shown and self._drawn_at:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn_at = 0.0

    def _draw(self) -> None:
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()
        self._drawn_at = time.monotonic()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()


def tracked(items: Iterable[T], total: int, label: str,
            stream: IO[str] | None = None) -> Iterator[T]:
    """``items``, advancing a :class:`Progress` bar as each one is taken."""
    with Progress(total, label, stream) as progress:
        for item in items:
            yield item
            progress.advance()
