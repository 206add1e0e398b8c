"""A gateway process: started with an environment, its URL read from stdout, logs kept, stopped by PID."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from harness import children
from harness.drivers.base import DriverError
from harness.redaction import redact


def free_port() -> int:
    """A loopback port nobody holds now, for a gateway told its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayProcess:
    """One running gateway. Its stderr goes to `log_path`; its first stdout line is its base URL."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        ready_path: str = "/readyz",
        timeout: float = 30.0,
        port: int | None = None,
    ) -> None:
        """With `port`, the gateway was told its port and need not print its URL."""
        self.argv, self.env, self.log_path = list(argv), children.marked(env), log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log if port else subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        self.ready_path = ready_path
        try:  # Ctrl-C while it starts: nobody holds this object yet, so it stops itself
            self.url = f"http://127.0.0.1:{port}" if port else self._read_url(timeout)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _read_url(self, timeout: float) -> str:
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                lines.put(raw.decode(errors="replace").strip())

        threading.Thread(target=pump, name="gateway-stdout", daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    self._failed(f"exited with code {self.proc.returncode} before printing its URL")
                continue
            if line.startswith("http"):
                return line
        self._failed(f"printed no URL within {timeout}s")
        raise AssertionError("unreachable")

    def wait_ready(self, timeout: float = 30.0) -> None:
        path = self.ready_path
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    self._failed(f"exited with code {self.proc.returncode} while starting")
                try:
                    response = client.get(self.url + path)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = exc.__class__.__name__
                time.sleep(0.05)
        self._failed(f"not ready at {self.url}{path} within {timeout}s (last: {last})")

    def _failed(self, what: str) -> None:
        self.stop()
        tail = redact(self.log_text()[-3000:].strip())
        raise DriverError(f"gateway `{' '.join(self.argv[-2:])}` {what}; its log ends with:\n{tail}")

    def log_text(self, offset: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL if it does not go in time."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
        self._log.close()
