"""The grading worker process: ``python -m quizgen.grading.worker PARENT_PID``.

Reads one JSON job per line on stdin and answers one JSON line on stdout. It limits its own
address space, imports SymPy once before saying it is ready, and exits when its parent is gone:
at end of input, or when a watchdog thread sees that its parent process id has changed (the
parent was killed while a job was running).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

MEMORY_LIMIT = 2 << 30  # bytes of address space the worker may add to what it has at start
WATCH_INTERVAL = 0.25  # seconds between checks that the parent is alive


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + MEMORY_LIMIT
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no resource module (not Linux): the parent's time limit still applies


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(WATCH_INTERVAL)


def _run(job: dict):
    from .nodes import Node
    from .symbolic import decide
    from .variables import parse_variables

    if job.get("job") == "sympy":
        return decide(Node.from_json(job["expected"]), Node.from_json(job["answer"]),
                      parse_variables(job["variables"]))
    raise ValueError(f"unknown job {job.get('job')!r}")


def main() -> None:
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _limit_memory()
    import sympy  # noqa: F401  (import once, before the first timed job)

    from .symbolic import DIFFERENT, TIMEOUT, UNKNOWN  # noqa: F401

    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            job = json.loads(line)
            job_id = job.get("id")
        except ValueError:
            continue
        try:
            result = _run(job)
        except MemoryError:
            result = TIMEOUT
        except Exception:  # noqa: BLE001  any SymPy failure means "cannot decide"
            result = UNKNOWN
        out.write(json.dumps({"id": job_id, "result": result}) + "\n")
        out.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
