"""A pool of worker processes for the grading work that cannot be bounded in advance (SymPy).

Each worker is a ``python -m quizgen.grading.worker`` subprocess speaking JSON lines on its
stdin/stdout (no pickle): started with ``subprocess``, so it works inside a caller's
multiprocessing pool (whose daemonic processes may not fork children of their own); limited in
memory; and watching its parent, so it exits when the grading process dies, even by ``kill -9``.

A job that overruns its time limit gets ``None``: its worker is killed and a fresh one starts in
the background, so one costly answer never blocks the next. Several workers serve several
threads at once (the web server's); when all are busy, a job waits for one only as long as its
own time limit allows.
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

STARTUP_LIMIT = 30.0  # importing SymPy in a fresh worker is not counted against a job's limit
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
    """Up to ``size`` workers, started on demand and kept for the next job."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.idle: list[_Worker] = []
        self.count = 0  # workers alive or starting
        self.cond = threading.Condition()
        self.pid = os.getpid()

    def run(self, job: dict, time_limit: float):
        """The worker's result for ``job``, or None if it did not finish within ``time_limit``
        seconds (counted from when a worker took it) or no worker was free in time."""
        self._forget_if_forked()
        deadline = time.monotonic() + time_limit
        worker, fresh = self._acquire(deadline)
        if worker is None:
            return None
        if fresh:  # a new worker's startup (importing SymPy) is not the job's time
            deadline = time.monotonic() + time_limit
        result = worker.call(job, deadline - time.monotonic())
        if result is None:
            self._discard(worker)
            threading.Thread(target=self._start_spare, daemon=True).start()
        else:
            with self.cond:
                self.idle.append(worker)
                self.cond.notify()
        return result

    def _acquire(self, deadline: float) -> tuple[_Worker | None, bool]:
        """(an idle worker or a freshly started one, whether it is fresh)."""
        with self.cond:
            while not self.idle and self.count >= self.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, False
                self.cond.wait(remaining)
            if self.idle:
                return self.idle.pop(), False
            self.count += 1
        return self._start(), True

    def _start(self) -> _Worker | None:
        try:
            worker = _Worker()
            if worker.wait_ready():
                return worker
            worker.kill()
        except OSError:
            pass
        with self.cond:
            self.count -= 1
            self.cond.notify()
        return None

    def _start_spare(self) -> None:
        with self.cond:
            if self.count >= self.size:
                return
            self.count += 1
        worker = self._start()
        if worker is not None:
            with self.cond:
                self.idle.append(worker)
                self.cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self.cond:
            self.count -= 1
            self.cond.notify()

    def _forget_if_forked(self) -> None:
        """A forked child (a caller's multiprocessing pool) must not share its parent's pipes."""
        if os.getpid() != self.pid:
            self.pid = os.getpid()
            self.idle, self.count, self.cond = [], 0, threading.Condition()

    def warm(self) -> None:
        """Start one worker now (a server calls this before it listens)."""
        self._start_spare()

    def shutdown(self) -> None:
        with self.cond:
            idle, self.idle = self.idle, []
            self.count -= len(idle)
        for worker in idle:
            worker.kill()


POOL = WorkerPool()
atexit.register(POOL.shutdown)
