"""Serving the emulator with hypercorn on loopback: in a thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypercorn.asyncio import serve
from hypercorn.config import Config

from emulator import state_file
from emulator.app import create_app
from emulator.errors import ControlError
from emulator.models import Backend
from emulator.provision import load_config, provision
from emulator.proxy import Authority, ConnectProxy

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on loopback; port 0 picks a free one."""
    if host not in LOOPBACK:
        raise ControlError(f"host {host!r} is not loopback; the emulator listens on 127.0.0.1 or ::1 only")
    if not 0 <= port <= 65535:
        raise ControlError(f"port {port} is not a port (0 to 65535; 0 picks a free one)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ControlError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def hypercorn_config(sock: socket.socket) -> Config:
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 2.0
    config.keep_alive_timeout = 30.0
    return config


def build_backend(seed: int = 0, config: Path | None = None, state: Path | None = None) -> Backend:
    """The backend a run starts from: the state file if any, then the config's provisioning."""
    backend = state_file.load(state, seed) if state else Backend(seed)
    if config is not None:
        spec = load_config(config)
        if state is None or not backend.accounts:
            if "seed" in spec and not backend.accounts:
                backend = Backend(int(spec["seed"]))
            provision(backend, {k: v for k, v in spec.items() if k != "seed"})
    return backend


def connect_proxy(
    backend: Backend, sock: socket.socket | None, emulator_url: str, ca_path: Path | None
) -> ConnectProxy | None:
    """The Twilio CONNECT proxy on `sock`, forwarding decrypted requests to the emulator at `emulator_url`."""
    if sock is None:
        return None
    authority = Authority()
    if ca_path:
        authority.write_ca(ca_path)
    upstream = urlsplit(emulator_url)
    return ConnectProxy(
        sock,
        (upstream.hostname or "127.0.0.1", upstream.port or 80),
        authority,
        functools.partial(backend.record, "connects"),
    )


async def serve_until(
    backend: Backend,
    sock: socket.socket,
    shutdown: Callable[[], Any],
    state: Path | None = None,
    ready: Callable[[], None] | None = None,
    proxy: ConnectProxy | None = None,
    control_token: str | None = None,
) -> None:
    app = create_app(backend, state, proxy, control_token)
    quiet_collector()
    if ready:
        app.before_serving(_async(ready))
    await serve(app, hypercorn_config(sock), shutdown_trigger=shutdown)


def quiet_collector() -> None:
    """Fewer, later garbage collections in a serving process: what is alive at start-up is frozen
    out of every collection, and the youngest generation is collected every 20,000 allocations
    rather than 700, so a burst of requests is not paused by collections (create p99, bench)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def serve_foreground(
    backend: Backend,
    sock: socket.socket,
    ready: Callable[[], None],
    proxy: ConnectProxy | None = None,
    state: Path | None = None,
    control_token: str | None = None,
) -> None:
    """Serve in this thread until SIGINT or SIGTERM (a terminal's Ctrl-C), then stop cleanly."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_until(backend, sock, stop.wait, state, ready, proxy, control_token)

    asyncio.run(main())


def _async(fn: Callable[[], None]) -> Callable[[], Any]:
    async def call() -> None:
        fn()

    return call


class BackgroundServer:
    """An ASGI app served by hypercorn on a free loopback port in a thread; a context manager.

    Ready means `ready_path` answered 200.
    """

    def __init__(
        self,
        app_factory: Callable[[], Any],
        host: str = "127.0.0.1",
        port: int = 0,
        ready_path: str = "/",
        name: str = "server",
    ) -> None:
        self.app_factory = app_factory
        self.host, self.port, self.ready_path, self.name = host, port, ready_path, name
        self.url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 5.0) -> str:
        sock = bind(self.host, self.port)
        self.url = base_url(sock)
        started = threading.Event()

        def run() -> None:
            async def main() -> None:
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                started.set()
                await serve(self.app_factory(), hypercorn_config(sock), shutdown_trigger=self._stop.wait)

            try:
                asyncio.run(main())
            except BaseException as exc:  # surfaced by start()
                self._error = exc
                started.set()
            finally:
                with contextlib.suppress(OSError):  # hypercorn usually closed it already
                    sock.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError(f"{self.name} thread did not start within {timeout}s")
        self._wait_ready(timeout)
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        import httpx  # only a server started from Python waits this way; the CLI's start-up skips it

        deadline = time.monotonic() + timeout
        last: str = "no answer yet"
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._error:
                    raise RuntimeError(f"{self.name} failed to start: {self._error}") from self._error
                try:
                    if client.get(f"{self.url}{self.ready_path}").status_code == 200:
                        return
                except httpx.HTTPError as exc:
                    last = repr(exc)
                time.sleep(0.01)
        raise TimeoutError(f"{self.name} at {self.url} not ready within {timeout}s (last: {last})")

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop and self._stop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"{self.name} did not stop within {timeout}s")

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmulatorServer(BackgroundServer):
    """The emulator in a background thread: `with EmulatorServer() as server: server.url`.

    With `proxy=True` it is also the HTTPS CONNECT proxy for the Twilio hosts
    (`proxy_url`); clients trust the CA written to `ca_path`.
    """

    def __init__(
        self,
        backend: Backend | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        state: Path | None = None,
        proxy: bool = False,
        ca_path: Path | None = None,
        control_token: str | None = None,
    ) -> None:
        self.backend = backend or Backend()
        self.state, self.proxy, self.ca_path = state, proxy, ca_path
        self.proxy_url = ""
        self._proxy_sock: socket.socket | None = None
        super().__init__(
            lambda: create_app(
                self.backend,
                self.state,
                connect_proxy(self.backend, self._proxy_sock, self.url, self.ca_path),
                control_token,
            ),
            host,
            port,
            "/_emulator/health",
            "twilio-emulator",
        )

    def start(self, timeout: float = 5.0) -> str:
        if self.proxy:
            self._proxy_sock = bind(self.host, 0)
            self.proxy_url = base_url(self._proxy_sock)
        return super().start(timeout)

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self
