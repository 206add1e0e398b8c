"""Running the project's own commands in a child process, as a user would, from any folder."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_python(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with this interpreter and the project importable wherever `cwd` is."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def sms_harness(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The `sms-harness` command line."""
    return run_python("-m", "harness.cli", *args, cwd=cwd, timeout=timeout)


class Background:
    """A long-running command of ours (`sms-harness devphone`, …): its stdout read as it comes,
    stopped with SIGTERM as Ctrl-C would, and made to say whether it stopped in time."""

    def __init__(self, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a group of its own: a Ctrl-C sent to it never reaches the tests
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.errors.append), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, put: Any) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 30) -> str:
        """The first stdout line starting with `prefix`; a timeout says what was printed instead."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(
            f"expected a line starting {prefix!r} within {timeout}s; stdout: {self.seen[-20:]}, "
            f"stderr: {self.errors[-20:]}, exit: {self.proc.poll()}"
        )

    def wait_for_stderr(self, text: str, timeout: float = 10) -> str:
        """The first stderr line holding `text`; a timeout says what was printed instead."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.errors if text in line), None)
            if found is not None:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected a stderr line with {text!r} within {timeout}s; stderr: {self.errors[-20:]}")

    def stop(self, timeout: float = 15, sig: int = signal.SIGTERM, group: bool = False) -> int:
        """Signal it (or, as a terminal's Ctrl-C does, its whole process group) and wait for the end."""
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(
                f"did not stop within {timeout}s of signal {sig}; stderr: {self.errors[-20:]}"
            ) from None


def marked(mark: str) -> list[int]:
    """Processes whose environment holds `mark`: what a command started, however deep."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
