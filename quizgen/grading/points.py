"""The random points expressions are compared at: inside each variable's domain, unpredictable.

Points are drawn per verdict from ``HMAC(secret, variables + answer)``. Without the secret
nobody can tell where an answer will be evaluated, so no answer can be crafted to agree with the
key only there; with it (a quiz's secret is kept in its gradebook) the same answer is evaluated
at the same points again, so a regrade reproduces every verdict. Callers without a gradebook
get a secret drawn once per process.

Each real variable takes both signs at about half the points each, independently of the other
variables; magnitudes are log-uniform on [0.1, 20] so that terms of different degree are told
apart. Integers are drawn from [-12, 12], positive integers from [1, 25], and unit-interval
values half uniformly and half close to 1 (betas, momentum), where ``1 - beta^t`` lives.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os

from .variables import Variable

N_POINTS = 24
N_DISCRETE = 128  # where a piecewise function may differ on a small part of the domain only
N_MORE = 128  # a second, larger sample when too few of the first points count
PROCESS_SECRET = os.urandom(32)
_LOG_LOW, _LOG_HIGH = -1.0, math.log10(20.0)


def _draw(domain: str, u, v):
    """Values inside ``domain`` from two arrays ``u``, ``v`` of uniform [0, 1) numbers."""
    import numpy as np

    n = len(u)
    # both signs, half each, independently of other variables: the lower half of v is negative
    rank = np.empty(n, dtype=np.intp)
    rank[np.argsort(v)] = np.arange(n)
    negative = rank < n // 2
    if domain in ("real", "positive", "nonnegative"):
        values = 10 ** (_LOG_LOW + (_LOG_HIGH - _LOG_LOW) * u)
        return np.where(negative, -values, values) if domain == "real" else values
    if domain == "integer":
        values = np.floor(1 + 12 * u)
        values = np.where(negative, -values, values)
        values[0] = 0.0
        return values
    if domain == "positive_integer":
        return np.floor(1 + 25 * u)
    if domain == "unit_interval":
        half = n // 2
        return np.concatenate([0.02 + 0.96 * u[:half], 1 - 10 ** (-3.0 + 2.0 * u[half:])])
    raise ValueError(f"unknown domain {domain!r}")


def seed_for(secret: bytes, variables: tuple[Variable, ...], answer: str) -> bytes:
    key = ",".join(map(str, variables)) + "\x00" + answer
    return hmac.digest(secret, key.encode("utf-8", "surrogatepass"), "sha256")


def sample_points(variables: tuple[Variable, ...], seed: bytes, n: int = N_POINTS) -> dict:
    """{name: float64 array of n values inside the variable's domain}.

    The uniform numbers are the bits of SHAKE-256(seed, n): as unpredictable as the seed, and
    far cheaper per verdict than seeding a random generator."""
    import numpy as np

    stream = hashlib.shake_256(seed + n.to_bytes(4, "big")).digest(16 * n * len(variables))
    uniform = np.frombuffer(stream, dtype=np.uint64) * 2.0**-64
    points = {}
    for k, variable in enumerate(variables):
        u, v = uniform[2 * k * n:(2 * k + 1) * n], uniform[(2 * k + 1) * n:(2 * k + 2) * n]
        array = np.asarray(_draw(variable.domain, u, v), dtype=float)
        array.flags.writeable = False
        points[variable.name] = array
    return points
