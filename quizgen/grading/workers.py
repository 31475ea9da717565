"""A pool of worker processes for the grading work that cannot be bounded in advance (SymPy).

Each worker is a ``python -m quizgen.grading.worker`` subprocess speaking JSON lines on its
stdin/stdout (no pickle): started with ``subprocess``, so it works inside a caller's
multiprocessing pool (whose daemonic processes may not fork children of their own); limited in
memory; and watching its parent, so it exits when the grading process dies, even by ``kill -9``.

A job that overruns its time limit gets ``None``: its worker is killed and a fresh one starts in
the background, so one costly answer never blocks the next. Several workers serve several
threads at once (the web server's); when all are busy or still starting, a job waits for one
only as long as its own time limit allows.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

STARTUP_LIMIT = 60.0  # a worker that has not started by then is given up
DEFAULT_SIZE = max(2, min(4, os.cpu_count() or 2))


class _Worker:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # the folder that holds quizgen/
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quizgen.grading.worker", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, text=True, encoding="utf-8", bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.jobs = 0

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the worker exited

    def wait_ready(self) -> bool:
        return self._reply(STARTUP_LIMIT) == {"ready": True}

    def _reply(self, timeout: float):
        try:
            line = self.lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if line is None:
            return None
        try:
            return json.loads(line)
        except ValueError:
            return None

    def call(self, job: dict, timeout: float):
        self.jobs += 1
        job = {**job, "id": self.jobs}
        try:
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            return None
        reply = self._reply(timeout)
        if not isinstance(reply, dict) or reply.get("id") != self.jobs:
            return None
        return reply.get("result")

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """Up to ``size`` workers, started in the background on demand and kept for the next job.

    A job's time limit covers waiting for a free worker, or for one to finish restarting
    after an overrun, and the work; only the very first start of the pool (importing SymPy,
    like importing NumPy for the first expression) is not counted. A worker still starting
    when a job gives up keeps starting and serves the next job, so no start is wasted.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.idle: list[_Worker] = []
        self.count = 0  # workers alive or starting
        self.cond = threading.Condition()
        self.pid = os.getpid()

    def run(self, job: dict, time_limit: float):
        """The worker's result for ``job``, or None if it did not finish within
        ``time_limit`` seconds, counted from now."""
        self._forget_if_forked()
        with self.cond:
            cold = self.count == 0
        if cold:  # the pool's first worker: its start is not this job's time
            self.warm()
            self.ready(STARTUP_LIMIT)
        deadline = time.monotonic() + time_limit
        worker = self._acquire(deadline)
        if worker is None:
            return None
        result = worker.call(job, deadline - time.monotonic())
        if result is None:  # overran (or died): kill it, start a fresh one for the next job
            self._discard(worker)
            self.warm()
        else:
            with self.cond:
                self.idle.append(worker)
                self.cond.notify_all()
        return result

    def _acquire(self, deadline: float) -> _Worker | None:
        with self.cond:
            while not self.idle:
                if self.count < self.size:
                    self._start_in_background()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.cond.wait(remaining)
            return self.idle.pop()

    def _start_in_background(self) -> None:
        """Start one worker (call with ``cond`` held); it joins ``idle`` once ready."""
        self.count += 1
        threading.Thread(target=self._start, daemon=True).start()

    def _start(self) -> None:
        worker = None
        try:
            started = _Worker()
            if started.wait_ready():
                worker = started
            else:
                started.kill()
        except OSError:
            pass
        with self.cond:
            if worker is None:
                self.count -= 1
            else:
                self.idle.append(worker)
            self.cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self.cond:
            self.count -= 1
            self.cond.notify_all()

    def _forget_if_forked(self) -> None:
        """A forked child (a caller's multiprocessing pool) must not share its parent's pipes."""
        if os.getpid() != self.pid:
            self.pid = os.getpid()
            self.idle, self.count, self.cond = [], 0, threading.Condition()

    def ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until a worker is idle (starting one if none is)."""
        self.warm()
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.count == 0:
                    return False
                self.cond.wait(remaining)
            return True

    def warm(self) -> None:
        """Start a worker in the background unless one is idle or starting, or the pool is
        full (a server calls this before its first request)."""
        with self.cond:
            starting = self.count - len(self.idle)
            if not self.idle and not starting and self.count < self.size:
                self._start_in_background()

    def shutdown(self) -> None:
        with self.cond:
            idle, self.idle = self.idle, []
            self.count -= len(idle)
        for worker in idle:
            worker.kill()


POOL = WorkerPool()
atexit.register(POOL.shutdown)
