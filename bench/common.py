"""Shared benchmark helpers: bounded load loops, servers in their own processes, the baseline.

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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from quart import Quart, request

ROOT = Path(__file__).resolve().parent.parent


async def bounded_load(
    call: Callable[[int], Awaitable[None]], count: int, concurrency: int, max_seconds: float
) -> tuple[int, float]:
    """Run `call(worker)` up to `count` times, `concurrency` workers at once, stopping at `max_seconds`.

    Returns (calls done, seconds). Each worker should use its own connection:
    one shared httpx pool serialises 32 workers and hides the server's speed.
    """
    done = 0
    next_index = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker(number: int) -> None:
        nonlocal done, next_index
        while next_index < count and time.perf_counter() < deadline:
            next_index += 1
            await call(number)
            done += 1

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, time.perf_counter() - started


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


def serve_baseline(body: str) -> None:
    from hypercorn.asyncio import serve

    from emulator.server import base_url, bind, hypercorn_config

    sock = bind("127.0.0.1", 0)
    print(base_url(sock), flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
        await serve(baseline_app(body), hypercorn_config(sock), shutdown_trigger=stop.wait)

    asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serve the bare Quart baseline endpoint")
    parser.add_argument("--body", default="")
    serve_baseline(parser.parse_args().body)
