"""Who may call the control API (and the dev phone's page): this machine's own programs only."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from quart import current_app, request

from emulator.errors import ControlError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
OPEN_PATHS = {"/_emulator/health", "/_emulator/openapi.json"}  # say nothing about the state
PAGE_PREFIX = "/_emulator/phone/"  # the dev phone's static files: the data it reads needs the token
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


async def guard() -> None:
    """Only this machine's own programs may drive the emulator.

    The Host must be a loopback name (a DNS-rebound page carries its own host name); writes must
    be JSON (a web page cannot POST that cross-site without a CORS preflight, which is never
    granted); and with --control-token every call but health needs `Authorization: Bearer TOKEN`.
    """
    if urlsplit(f"//{request.host}").hostname not in LOOPBACK_HOSTS:  # lower-cased, port and [] gone
        raise ControlError(f"the control API answers loopback host names only, not Host {request.host!r}", 403)
    token = current_app.config.get("CONTROL_TOKEN")
    if token and request.path not in OPEN_PATHS and not request.path.startswith(PAGE_PREFIX):
        given = request.headers.get("Authorization", "")
        if not given and request.path == "/_emulator/events" and "token" in request.args:
            given = f"Bearer {request.args['token']}"  # a browser's EventSource cannot send headers
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ControlError("the control API needs Authorization: Bearer <the --control-token>", 401)
    if request.method in WRITES and request.mimetype != "application/json":
        raise ControlError("control API writes take Content-Type: application/json", 415)
