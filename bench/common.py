"""Shared benchmark helpers: servers in their own processes, the baseline.

Servers run in separate processes so the load generator does not share a GIL
with them (in one process, thread switching dominates the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quart import Quart, request

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def process(*args: str, timeout: float = 15.0) -> Iterator[str]:
    """Start a server process that prints its URL on its first stdout line; stop it on exit."""
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        url = proc.stdout.readline().strip()
        if not url.startswith("http") or time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(args)} did not print its URL (got {url!r})")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def baseline_app(body: str) -> Quart:
    """One do-nothing Quart endpoint, served by hypercorn like the emulator."""
    app = Quart("baseline")

    @app.route("/", methods=["GET", "POST"])
    async def index() -> tuple[str, int]:
        await request.get_data()  # as the emulator does; an unread body breaks keep-alive in hypercorn
        return body, 200

    return app


def serve_baseline(body: str, port: int = 0) -> None:
    from hypercorn.asyncio import serve

    from emulator.server import base_url, bind, hypercorn_config

    sock = bind("127.0.0.1", port)
    print(base_url(sock), flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
        await serve(baseline_app(body), hypercorn_config(sock), shutdown_trigger=stop.wait)

    asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serve the bare Quart baseline endpoint")
    parser.add_argument("--body", default="")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    serve_baseline(options.body, options.port)
