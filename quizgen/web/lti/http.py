"""Calls to an LMS platform (its JWKS, token endpoint, score and roster services) with a
bounded cost, whatever the other end does.

pylti1p3 calls ``requests`` without a timeout and reads whole bodies into memory; handing it
a :class:`BoundedSession` instead bounds every call: connecting and each read time out, the
whole body must arrive within ``deadline`` seconds and ``max_bytes`` bytes, and a JSON body
nested deeper than :data:`quizgen.safejson` allows is refused before anyone parses it.
"""

from __future__ import annotations

import time

import requests

from quizgen.safejson import JSONInputError
from quizgen.safejson import load as load_json

USER_AGENT = "quizgen-lti"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE = 20.0  # a whole response, however slowly it drips
MAX_BYTES = 4 * 1024 * 1024  # a roster page of a large course is a few hundred KB


class PlatformResponseError(requests.RequestException):
    """The platform's answer was too large, too slow or too deeply nested to read."""


class BoundedSession(requests.Session):
    def __init__(self, *, max_bytes: int = MAX_BYTES, deadline: float = DEADLINE,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT
        self.trust_env = False  # no proxies or .netrc credentials from the environment

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        kwargs["stream"] = True
        kwargs.setdefault("allow_redirects", False)
        started = time.monotonic()
        response = super().request(method, url, **kwargs)
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_bytes:
            response.close()
            raise PlatformResponseError(f"{url}: the answer is {declared} bytes, more than "
                                        f"{self.max_bytes}")
        body = bytearray()
        for piece in response.iter_content(64 * 1024):
            body += piece
            if len(body) > self.max_bytes:
                response.close()
                raise PlatformResponseError(f"{url}: the answer is over {self.max_bytes} bytes")
            if time.monotonic() - started > self.deadline:
                response.close()
                raise PlatformResponseError(f"{url}: the answer took over {self.deadline:g} s")
        response._content = bytes(body)
        response._content_consumed = True
        if body and "json" in response.headers.get("Content-Type", ""):
            try:
                load_json(bytes(body))
            except JSONInputError as e:
                raise PlatformResponseError(f"{url}: {e}") from None
        return response
