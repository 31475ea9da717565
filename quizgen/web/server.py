"""Running the app under waitress, a production WSGI server (pure Python, no fork, Windows too).

Waitress refuses bodies over ``max_body`` itself, before the app reads a byte, and serves each
request in one of ``threads`` worker threads.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from flask import Flask

from .app import MAX_BODY

DEFAULT_THREADS = 8


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, *,
                threads: int = DEFAULT_THREADS, max_body: int = MAX_BODY):
    """A waitress server bound to (host, port), not yet running (``port=0``: any free port;
    the bound one is ``server.effective_port``)."""
    from waitress import create_server

    return create_server(app, host=host, port=port, threads=threads,
                         max_request_body_size=max_body, ident="quizgen",
                         clear_untrusted_proxy_headers=True)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, *,
          threads: int = DEFAULT_THREADS, max_body: int = MAX_BODY,
          on_ready: Callable[[str, int], None] | None = None) -> None:
    server = make_server(app, host, port, threads=threads, max_body=max_body)
    if on_ready is not None:
        on_ready(host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
