"""Running the app under waitress, a production WSGI server (pure Python, no fork, Windows too).

Waitress reads each request whole in its event loop before a worker thread sees it, so a slow
or idle client holds a connection, never a thread. What bounds those connections is set here
for a classroom (hundreds of browsers, each keeping a few connections open):

* ``connection_limit``: connections held at once (waitress's default, 100, is one class's idle
  keep-alive connections; past it waitress stops accepting and everyone waits);
* ``channel_timeout``: a connection with no traffic for this many seconds is closed, so idle
  and stalled clients give their place back (waitress checks every ``cleanup_interval``);
* ``max_body`` and ``max_header``: a request larger than these is refused before the app reads
  it.

Beyond that (per-address connection caps, TLS), a reverse proxy in front: docs/web.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from .app import MAX_BODY

DEFAULT_THREADS = 8
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30  # seconds; browsers reconnect quietly, a slowloris loses its seat
MAX_HEADER = 32 * 1024  # cookies and headers of a browser are a few KB
FILES_PER_CONNECTION_MARGIN = 64  # the database, the log, the listening socket, ...


@dataclass(frozen=True)
class ServerOptions:
    threads: int = DEFAULT_THREADS
    connection_limit: int = CONNECTION_LIMIT
    channel_timeout: int = CHANNEL_TIMEOUT
    max_body: int = MAX_BODY
    max_header: int = MAX_HEADER
    # The address of a reverse proxy whose X-Forwarded-For/-Proto headers are believed (the
    # client's address for sign-in limits; HTTPS for Secure cookies). None: no proxy.
    trusted_proxy: str | None = None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def raise_open_file_limit(wanted: int) -> int | None:
    """Raise this process's open-file limit towards ``wanted`` (each connection is a file);
    returns the limit now in force, or None where there is no such limit (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000,
                options: ServerOptions | None = None):
    """A waitress server bound to (host, port), not yet running (``port=0``: any free port;
    the bound one is ``server.effective_port``)."""
    from waitress import create_server

    o = options or ServerOptions()
    raise_open_file_limit(o.connection_limit + FILES_PER_CONNECTION_MARGIN)
    proxy = {}
    if o.trusted_proxy:
        proxy = {"trusted_proxy": o.trusted_proxy, "trusted_proxy_count": 1,
                 "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto",
                                           "x-forwarded-host", "x-forwarded-port"}}
    return create_server(
        app, host=host, port=port, threads=o.threads, ident="quizgen",
        connection_limit=o.connection_limit, channel_timeout=o.channel_timeout,
        cleanup_interval=max(1, min(30, o.channel_timeout // 2)),
        # select() cannot watch more than 1024 sockets; poll() can.
        asyncore_use_poll=True,
        max_request_body_size=o.max_body, max_request_header_size=o.max_header,
        clear_untrusted_proxy_headers=True, **proxy)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000,
          options: ServerOptions | None = None, *,
          on_ready: Callable[[str, int], None] | None = None) -> None:
    server = make_server(app, host, port, options)
    if on_ready is not None:
        on_ready(host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
