"""An HTTP CONNECT proxy that is Twilio: TLS for its API hosts and its media CDN, nothing else.

A client that honours a proxy (OpenClaw's managed proxy, twilio-python with
HTTPS_PROXY) sends `CONNECT api.twilio.com:443`; the proxy answers with a
certificate from a CA made for this run (trust it with NODE_EXTRA_CA_CERTS or
REQUESTS_CA_BUNDLE), decrypts, and hands the plain requests to the emulator's
own HTTP listener, whose REST handlers serve them. CONNECT to any other host
is refused (403) and recorded. Nothing leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.media import CDN_HOST

if TYPE_CHECKING:
    import trustme


def new_ca() -> trustme.CA:
    """A fresh CA; trustme (and cryptography under it) is imported only when a proxy is wanted."""
    import trustme

    return trustme.CA()


TWILIO_HOSTS = ("api.twilio.com", "messaging.twilio.com", CDN_HOST)
MAX_HEADER_BYTES = 16 * 1024
HEADER_TIMEOUT = 10.0


@dataclass
class Authority:
    """The run's CA and the server certificate for the Twilio hosts."""

    ca: trustme.CA = field(default_factory=lambda: new_ca())

    def __post_init__(self) -> None:
        self.cert = self.ca.issue_cert(*TWILIO_HOSTS)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(self.context)

    def write_ca(self, path: Path) -> Path:
        """The CA certificate (PEM) clients must trust."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(path))
        return path


class ConnectProxy:
    """Serves CONNECT on a loopback socket inside the emulator's event loop."""

    def __init__(
        self, sock: socket.socket, upstream: tuple[str, int], authority: Authority, record: Callable[..., object]
    ) -> None:
        """`record(host=, port=, allowed=, client=)` keeps every CONNECT (the backend's record_connect)."""
        self.sock, self.upstream, self.authority, self.record = sock, upstream, authority, record
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._track, sock=self.sock)

    async def close(self) -> None:
        if self.server:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self.handle(reader, writer)
        finally:
            self.tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        if len(head) > MAX_HEADER_BYTES:
            await reply(writer, 431, "Request Header Fields Too Large")
            return
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or parts[0].upper() != "CONNECT":
            await reply(writer, 405, "Only CONNECT is served here")
            return
        host, _, port_text = parts[1].rpartition(":")
        port = int(port_text) if port_text.isdigit() else 443
        # The emulator itself (its scripted model, say) is reachable too, as a plain tunnel: a client
        # that sends even loopback traffic through its proxy (openclaw 2026.9.4) must still get there.
        itself = (host.strip("[]"), port) == self.upstream
        allowed = itself or (host.lower() in TWILIO_HOSTS and port == 443)
        peer = writer.get_extra_info("peername")
        self.record(host=host, port=port, allowed=allowed, client=f"{peer[0]}:{peer[1]}" if peer else "")
        if not allowed:
            await reply(writer, 403, f"CONNECT to {host}:{port} refused: this proxy is Twilio only")
            return
        await reply(writer, 200, "Connection Established", close=False)
        if not itself:
            try:
                await writer.start_tls(self.authority.context)
            except (ssl.SSLError, ConnectionError, OSError):
                return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)


async def reply(writer: asyncio.StreamWriter, status: int, reason: str, close: bool = True) -> None:
    body = b"" if status == 200 else reason.encode() + b"\n"
    head = f"HTTP/1.1 {status} {reason}\r\n"
    if status != 200:
        head += f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    if close:
        writer.close()


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(64 * 1024):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
