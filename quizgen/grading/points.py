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
import random

from .variables import Variable

N_POINTS = 12
N_MORE = 64  # a second, larger sample when too few of the first points count
PROCESS_SECRET = os.urandom(32)
_LOG_LOW, _LOG_HIGH = -1.0, math.log10(20.0)


def _magnitude(rng: random.Random) -> float:
    return 10 ** rng.uniform(_LOG_LOW, _LOG_HIGH)


def _signs(rng: random.Random, n: int) -> list[int]:
    signs = [1, -1] * (n // 2) + [1] * (n % 2)
    rng.shuffle(signs)
    return signs


def _draw(domain: str, rng: random.Random, n: int) -> list[float]:
    if domain == "real":
        return [s * _magnitude(rng) for s in _signs(rng, n)]
    if domain in ("positive", "nonnegative"):
        return [_magnitude(rng) for _ in range(n)]
    if domain == "integer":
        return [float(s * rng.randint(1, 12)) if k else 0.0
                for k, s in enumerate(_signs(rng, n))]
    if domain == "positive_integer":
        return [float(rng.randint(1, 25)) for _ in range(n)]
    if domain == "unit_interval":
        half = n // 2
        return ([rng.uniform(0.02, 0.98) for _ in range(half)]
                + [1 - 10 ** rng.uniform(-3.0, -1.0) for _ in range(n - half)])
    raise ValueError(f"unknown domain {domain!r}")


def seed_for(secret: bytes, variables: tuple[Variable, ...], answer: str) -> bytes:
    key = ",".join(map(str, variables)) + "\x00" + answer
    return hmac.new(secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def sample_points(variables: tuple[Variable, ...], seed: bytes, n: int = N_POINTS) -> dict:
    """{name: complex128 array of n values inside the variable's domain}."""
    import numpy as np

    rng = random.Random(int.from_bytes(seed[:16], "big") + n)
    points = {}
    for variable in variables:
        array = np.array(_draw(variable.domain, rng, n), dtype=np.complex128)
        array.flags.writeable = False
        points[variable.name] = array
    return points
