"""Serving the gateway's app on loopback, the way `openclaw gateway run` binds (loopback only).

The gateway owns this code instead of borrowing the emulator's: it is the system under
test, and a server start-up shared with the fake that tests it could hide one bug in both.
"""

from __future__ import annotations

import socket

from hypercorn.config import Config

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class BindError(Exception):
    """The gateway cannot listen where it was asked to (a one-line cause for the CLI)."""


def listen(host: str, port: int) -> socket.socket:
    """A listening, non-blocking socket; port 0 lets the kernel pick one."""
    if host not in LOOPBACK_HOSTS:
        raise BindError(f"--host {host!r}: the reference gateway binds to loopback only")
    if not 0 <= port <= 65535:
        raise BindError(f"--port {port}: a port is a number from 0 to 65535")
    family = socket.AF_INET6 if host == "::1" else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1" if host == "localhost" else host, port))
    except OSError as exc:
        listener.close()
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.listen(128)
    listener.setblocking(False)
    return listener


def url_of(listener: socket.socket) -> str:
    address, port = listener.getsockname()[:2]
    return f"http://[{address}]:{port}" if listener.family == socket.AF_INET6 else f"http://{address}:{port}"


def hypercorn_settings(listener: socket.socket) -> Config:
    settings = Config()
    settings.bind = [f"fd://{listener.fileno()}"]
    settings.accesslog = None
    settings.errorlog = None
    settings.graceful_timeout = 2.0
    return settings
