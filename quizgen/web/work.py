"""Grading and previews off the threads that serve pages, a bounded amount per student.

A verdict costs at most its time budget (quizgen.grading: 3 s, SymPy in worker processes), but
a student who sends costly answers as fast as the rate limits allow must not occupy the threads
every other student's pages need. So the work runs on a small pool of its own, and each student
has at most ``PER_STUDENT`` jobs of each kind in flight: a request that would start another gets
``Busy`` at once (a 429), without waiting, so it holds no page thread. A request waits for its
own job only as long as it chooses (``run``'s ``wait``); a submit that is still being graded
after that is finished in the background.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as StillRunning
from typing import Any

THREADS = 4  # grading threads; the SymPy worker processes are a pool of their own
PER_STUDENT = 1

__all__ = ["Busy", "StillRunning", "StudentWork"]


class Busy(Exception):
    """The student already has a job of this kind in flight."""


class StudentWork:
    def __init__(self, threads: int = THREADS, per_student: int = PER_STUDENT) -> None:
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="quizgen-grading")
        self.per_student = per_student
        self.in_flight: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def claim(self, kind: str, student: str) -> tuple[str, str]:
        """Reserve a slot for the student's next job of ``kind`` (raises Busy)."""
        key = (kind, student)
        with self.lock:
            if self.in_flight[key] >= self.per_student:
                raise Busy(key)
            self.in_flight[key] += 1
        return key

    def release(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.in_flight[key] -= 1
            if self.in_flight[key] <= 0:
                del self.in_flight[key]

    def start(self, key: tuple[str, str], fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn`` on the pool in a slot ``claim`` reserved; the slot frees when it ends."""
        future = self.pool.submit(fn, *args)
        future.add_done_callback(lambda _: self.release(key))
        return future

    def run(self, kind: str, student: str, fn: Callable[..., Any], *args: Any,
            wait: float) -> Any:
        """``fn(*args)`` on the pool; its result within ``wait`` seconds, else StillRunning
        (the job goes on). Raises Busy when the student already has such a job in flight."""
        return self.start(self.claim(kind, student), fn, *args).result(timeout=wait)

    def background(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Work of nobody's request (start-up recovery), on the same bounded pool."""
        return self.pool.submit(fn, *args)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
