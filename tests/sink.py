"""A webhook sink: a real loopback HTTP server that records every request it gets.

The emulator's tests use it where no gateway is wanted: it answers each path with a
configurable status, body and delay. (The benchmarks deliver to a bare Quart endpoint in a
process of its own instead: `bench/common.py`'s baseline.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode(), keep_blank_values=True)


@dataclass
class Answer:
    status: int = 200
    body: str = "<Response></Response>"
    delay: float = 0.0
    content_type: str = "text/xml; charset=utf-8"


@dataclass
class Sink:
    """Start with `with Sink() as sink:`; `sink.url` is its base URL."""

    answers: dict[str, Answer] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        sink = self
        self._cond = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with sink._cond:
                    sink.received.append(Received(self.command, parts.path, parts.query, dict(self.headers), body))
                    sink._cond.notify_all()
                answer = sink.answers.get(parts.path, Answer())
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), name="sink", daemon=True)

    def __enter__(self) -> Sink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """At least `count` requests, or AssertionError saying what did arrive."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(
                    f"sink expected {count} request(s) within {timeout}s, got "
                    f"{[(r.method, r.path) for r in self.received]}"
                )
            return list(self.received)
