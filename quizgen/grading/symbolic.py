"""SymPy equivalence for the few answers random points cannot decide, in a worker process.

The tree is converted to SymPy with SymPy's constructors (never by parsing a string), and the
check runs in a separate process under a memory limit (``resource.setrlimit``) and a wall-clock
limit: a CAS that hangs costs at most ``TIME_LIMIT`` seconds and becomes "could not be checked in
time". The worker is started on first use and kept for the next check; it is killed and replaced
after a timeout. The grading process itself never imports SymPy.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading

from .nodes import Node

TIME_LIMIT = 3.0  # seconds per check, as PrairieLearn gives SymPy
MEMORY_LIMIT = 2 << 30  # bytes of address space the worker may add to what it has at start
STARTUP_LIMIT = 30.0  # importing SymPy in a fresh worker is not counted against TIME_LIMIT

EQUIVALENT, DIFFERENT, UNKNOWN, TIMEOUT = "equivalent", "different", "unknown", "timeout"


def to_sympy(node: Node, symbols: dict):
    """Build the SymPy expression of a tree from constructors (decimal literals become exact)."""
    import sympy

    if not _SYMPY_FUNCTIONS:
        _load_functions()
    op = node.op
    if op == "num":
        return sympy.Rational(node.text)
    if op == "var":
        return symbols[node.value]
    if op == "const":
        return sympy.pi if node.value == "pi" else sympy.E
    args = [to_sympy(a, symbols) for a in node.args]
    if op == "neg":
        return -args[0]
    if op == "add":
        return sympy.Add(args[0], args[1])
    if op == "sub":
        return sympy.Add(args[0], -args[1])
    if op == "mul":
        return sympy.Mul(args[0], args[1])
    if op == "div":
        return sympy.Mul(args[0], sympy.Pow(args[1], -1))
    if op == "pow":
        return sympy.Pow(args[0], args[1])
    if op == "root":
        return sympy.real_root(args[0], node.value) if node.value % 2 else sympy.root(
            args[0], node.value)
    if op == "fact":
        return sympy.factorial(args[0])
    if op == "call":
        name = node.value
        x = args[0]
        if name == "log10":
            return sympy.log(x, 10)
        if name == "log2":
            return sympy.log(x, 2)
        return _SYMPY_FUNCTIONS[name](x)
    raise ValueError(f"cannot convert {op!r} to SymPy")


_SYMPY_FUNCTIONS: dict = {}


def _load_functions() -> None:
    import sympy

    _SYMPY_FUNCTIONS.update({
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot,
        "sec": sympy.sec, "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos,
        "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
        "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    })


def decide(expected: Node, answer: Node, variables: tuple[str, ...]) -> str:
    """EQUIVALENT, DIFFERENT or UNKNOWN, computed in this process (the worker's job)."""
    import sympy
    from sympy.core import random as sympy_random

    if not _SYMPY_FUNCTIONS:
        _load_functions()
    symbols = {name: sympy.Symbol(name) for name in variables}
    e = to_sympy(expected, symbols)
    a = to_sympy(answer, symbols)
    difference = a - e
    if difference == 0 or sympy.simplify(difference) == 0:
        return EQUIVALENT
    sympy_random.seed(0)  # equals() tests random points: seed it so verdicts are reproducible
    same = a.equals(e)
    if same is True:
        return EQUIVALENT
    if same is False:
        return DIFFERENT
    return UNKNOWN


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + MEMORY_LIMIT
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no resource module (not Linux): the time limit still applies


def _worker_main(conn) -> None:
    _limit_memory()
    import sympy  # noqa: F401  (import once, before the first timed job)

    _load_functions()
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        try:
            result = decide(*job)
        except MemoryError:
            result = TIMEOUT
        except Exception:  # noqa: BLE001  any SymPy failure means "cannot decide"
            result = UNKNOWN
        conn.send(result)


class _Worker:
    """One SymPy process behind one pipe; the lock keeps two threads (the web server's) from
    interleaving their jobs on it."""

    def __init__(self) -> None:
        self.process = None
        self.conn = None
        self.lock = threading.Lock()

    def _start(self) -> bool:
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        parent, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        if parent.poll(STARTUP_LIMIT) and parent.recv() == "ready":
            return True
        self.stop()
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
        if self.conn is not None:
            self.conn.close()
        self.process = self.conn = None

    def run(self, job, time_limit: float) -> str:
        with self.lock:
            return self._run(job, time_limit)

    def _run(self, job, time_limit: float) -> str:
        if self.process is None or not self.process.is_alive():
            self.stop()
            if not self._start():
                return TIMEOUT
        try:
            self.conn.send(job)
            if self.conn.poll(time_limit):
                return self.conn.recv()
        except (OSError, EOFError):
            pass
        self.stop()  # hung or died: the next check starts a fresh worker
        return TIMEOUT


_WORKER = _Worker()


def equivalent(expected: Node, answer: Node, variables: tuple[str, ...],
               time_limit: float | None = None) -> str:
    """EQUIVALENT, DIFFERENT, UNKNOWN or TIMEOUT, from a time- and memory-limited worker."""
    return _WORKER.run((expected, answer, variables), TIME_LIMIT if time_limit is None
                       else time_limit)
