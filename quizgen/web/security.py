"""What keeps one student out of another's sheet and the web out of the gradebook.

* :class:`TokenIndex` finds the student a token belongs to without an early-exit string
  comparison: the token's SHA-256 picks the candidate and ``hmac.compare_digest`` confirms it,
  so response time says nothing about how many leading characters were right.
* CSRF: a random per-session secret (synchronizer token) that every POST form carries in a
  hidden field and every ``fetch`` in the ``X-CSRF-Token`` header; compared in constant time.
* :class:`RateLimiter`: one token bucket per (action, key). A bucket holds ``capacity`` requests
  and refills at ``rate`` per second: bursts are fine, a sustained flood is refused with 429.
* :class:`SignInLimiter`: failed sign-ins counted per address and per token prefix, with a
  doubling wait past a free allowance; a right token is never refused (see docs/web.md).
* :func:`security_headers`: a Content-Security-Policy with no inline script, no framing, no
  referrer, and ``no-store`` on every page (pages carry answers and verdicts).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# Pages and the JSON preview: own scripts and styles only, no inline code, data: images for the
# report's plots, nothing may frame the app.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# The classroom report is the standalone page of quizgen.report: inline <style>, no script.
CSP_REPORT = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).digest()


class TokenIndex:
    """Secret token -> owner, looked up in constant time per comparison."""

    def __init__(self, owners: dict[str, str]) -> None:
        """``owners``: {owner: token}; an empty token gives no access."""
        self._by_digest = {_digest(t): (owner, t) for owner, t in owners.items() if t}

    def __len__(self) -> int:
        return len(self._by_digest)

    def owner(self, presented: str) -> str | None:
        if not presented or len(presented) > 256:
            return None
        # The dict is keyed by SHA-256: how long a miss takes depends on the digest, which an
        # attacker cannot steer towards a real token's.
        found = self._by_digest.get(_digest(presented))
        if found is None:
            return None
        owner, token = found
        return owner if hmac.compare_digest(presented.encode(), token.encode()) else None


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def csrf_ok(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by (action, key); thread-safe, bounded in memory.

    ``limits``: {action: (capacity, refill per second)}. The oldest buckets are dropped past
    ``max_keys``: a dropped bucket comes back full, which only ever errs on the side of letting
    a request through.
    """

    def __init__(self, limits: dict[str, tuple[float, float]], *, max_keys: int = 50_000,
                 clock=time.monotonic) -> None:
        self.limits = dict(limits)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, action: str, key: str, cost: float = 1.0) -> bool:
        capacity, rate = self.limits[action]
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop((action, key), None)
            if bucket is None:
                bucket = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            allowed = bucket.tokens >= cost
            if allowed:
                bucket.tokens -= cost
            self._buckets[(action, key)] = bucket  # most recently used last
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return allowed

    def available(self, action: str, key: str) -> bool:
        """Whether ``allow`` would let one request through now, without spending it."""
        capacity, rate = self.limits[action]
        with self._lock:
            bucket = self._buckets.get((action, key))
            if bucket is None:
                return True
            return min(capacity, bucket.tokens + (self.clock() - bucket.stamp) * rate) >= 1

    def retry_after(self, action: str) -> int:
        """Seconds until one request is allowed again from an empty bucket."""
        _, rate = self.limits[action]
        return max(1, int(1 / rate + 0.999)) if rate > 0 else 60


@dataclass(frozen=True)
class Backoff:
    """``free`` failures cost nothing; each one after makes the key wait ``first`` seconds,
    doubling up to ``longest``; ``forget`` seconds without a failure clear the count."""

    free: int
    first: float = 1.0
    longest: float = 15 * 60.0
    forget: float = 15 * 60.0

    def wait(self, failures: int) -> float:
        over = failures - self.free
        if over <= 0:
            return 0.0
        return min(self.longest, self.first * 2.0 ** min(over - 1, 60))


@dataclass
class _Failures:
    count: int
    last: float
    until: float  # backing off until then


@dataclass(frozen=True)
class SignInPolicy:
    """Who is made to wait after failed sign-ins (docs/web.md, "Sign-in limits")."""

    address: Backoff = Backoff(free=20)  # students: a class behind one NAT shares an address
    prefix: Backoff = Backoff(free=5)  # tokens starting with the same 4 characters
    admin_address: Backoff = Backoff(free=5)  # the teacher's sign-in, counted apart
    admin: Backoff = Backoff(free=20)  # every failed teacher sign-in, from anywhere


TOKEN_PREFIX = 4  # characters of a presented token that key its bucket, never the whole token


class SignInLimiter:
    """Failed sign-ins per key, each key with its own :class:`Backoff`.

    The caller checks the token first and calls :meth:`failed` only when it was wrong, so a
    right token is never refused, whoever failed before it from the same address. What a key
    in backoff gets is a 429 with ``Retry-After`` instead of a 401. Memory is bounded: past
    ``max_keys`` the least recently failed keys are forgotten.
    """

    def __init__(self, policy: SignInPolicy | None = None, *, max_keys: int = 50_000,
                 clock=time.monotonic) -> None:
        self.policy = policy or SignInPolicy()
        self.max_keys = max_keys
        self.clock = clock
        self._keys: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def keys(self, admin: bool, address: str, presented: str) -> list[tuple[str, str]]:
        """The buckets a failed sign-in counts against (never the token itself: a prefix)."""
        if admin:
            return [("admin_address", address), ("admin", "")]
        return [("address", address), ("prefix", presented[:TOKEN_PREFIX])]

    def failed(self, keys: list[tuple[str, str]]) -> int:
        """Count one failure against each key; returns the seconds to wait (0: none)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                rule: Backoff = getattr(self.policy, key[0])
                entry = self._keys.pop(key, None)
                if entry is None or now - entry.last > rule.forget:
                    entry = _Failures(0, now, now)
                entry.count += 1
                entry.last = now
                entry.until = max(entry.until, now + rule.wait(entry.count))
                wait = max(wait, entry.until - now)
                self._keys[key] = entry
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
        # whole seconds for Retry-After, rounding away float dust ((t + 2) - t != 2.0)
        return max(1, math.ceil(wait - 1e-6)) if wait > 0 else 0

    def failures(self, key: tuple[str, str]) -> int:
        with self._lock:
            entry = self._keys.get(key)
            return entry.count if entry else 0


def framed_by(csp: str, origins: tuple[str, ...]) -> str:
    """``csp`` with ``frame-ancestors`` naming ``origins`` (the registered LMS platforms)
    instead of ``'none'``."""
    return csp.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(origins)) \
        if origins else csp


def security_headers(headers, *, csp: str = CSP, frame_ancestors: tuple[str, ...] = ()) -> None:
    """``frame_ancestors``: the origins that may show the page in a frame (an LMS); none:
    nothing may (``X-Frame-Options: DENY`` too, for browsers without CSP 2)."""
    headers["Content-Security-Policy"] = framed_by(
        headers.get("Content-Security-Policy") or csp, frame_ancestors)
    if not frame_ancestors:  # CSP's frame-ancestors overrides it; it cannot name several
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cache-Control", "no-store")
