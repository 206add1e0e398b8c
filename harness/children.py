"""Every process a run starts carries the run's mark in its environment, so none can outlive the run.

`sms-harness run` starts its pytest with `run_child`: in a session of its own, with a token in
SMS_HARNESS_RUN, Ctrl-C and SIGTERM forwarded to its whole group. The gateways and CLIs the harness
starts carry the token on (their environments are built, not inherited, so `marked` adds it). When
pytest has exited, however it ended (Ctrl-C at any moment, SIGTERM, SIGKILL after the grace period),
`run_child` sweeps: any process still carrying the token is killed. Linux only (it reads /proc);
elsewhere the fixtures' own teardown is all there is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MARK = "SMS_HARNESS_RUN"


def new_token() -> str:
    return uuid.uuid4().hex


def marked(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with this run's mark, when there is a run."""
    token = os.environ.get(MARK)
    return {**env, MARK: token} if token else dict(env)


def carrying(token: str) -> list[int]:
    """The processes whose environment holds this run's mark (not this process)."""
    needle = f"{MARK}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in environ.split(b"\0") and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def sweep(token: str, within: float = 5.0) -> list[int]:
    """Kill every process left with this run's mark, and again while any still carries it (one may
    fork as the sweep runs; a killed one lingers until the kernel has ended it), for at most
    `within` seconds; returns their pids."""
    killed: list[int] = []
    deadline = time.monotonic() + within
    while left := carrying(token):
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed += [pid for pid in left if pid not in killed]
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return killed


GRACE_SECONDS = 30  # after Ctrl-C, how long pytest gets to stop its gateways and write the report


class TimedOut(Exception):
    """The run took longer than its caller allowed; it was stopped and every process it started is gone."""


def _interruptible() -> None:
    """In the child before exec: a shell starts background jobs with SIGINT ignored, and Python keeps
    an ignored SIGINT ignored, so the forwarded Ctrl-C would never reach pytest."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_child(argv: list[str], cwd: Path, out: Any, timeout: float | None = None) -> tuple[int, int | None]:
    """Run pytest in a session of its own. Ctrl-C or SIGTERM here becomes one SIGINT to its whole
    group (xdist workers included), so each scenario stops, each gateway is stopped by its fixture
    and the report is written; after GRACE_SECONDS, or at a second signal, the group is killed.
    The handlers are in place before pytest starts, and whatever still carries the run's mark when
    it has ended is killed before they go. Returns the exit code and the signal that interrupted the
    run, if one did; past `timeout` seconds the run is stopped like Ctrl-C stops it and TimedOut is raised."""
    token = new_token()
    started: list[subprocess.Popen[bytes]] = []
    caught: list[int] = []

    def kill(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if started:
                os.killpg(started[0].pid, sig)

    def forward(signum: int, _frame: object) -> None:
        caught.append(signum)
        if len(caught) == 1:
            kill(signal.SIGINT)
            timer = threading.Timer(GRACE_SECONDS, kill, (signal.SIGKILL,))
            timer.daemon = True
            timer.start()
        else:
            kill(signal.SIGKILL)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    code, expired = 1, False
    try:
        started.append(
            subprocess.Popen(
                argv,
                env={**os.environ, MARK: token},
                cwd=cwd,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_interruptible,
            )
        )
        if caught:  # the signal came while pytest was being started
            kill(signal.SIGINT)
        try:
            code = started[0].wait(timeout)
        except subprocess.TimeoutExpired:
            expired = True
            kill(signal.SIGINT)
            try:
                code = started[0].wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                kill(signal.SIGKILL)
                code = started[0].wait()
    finally:
        if started and started[0].poll() is None:  # an exception of our own: never leave the suite running
            kill(signal.SIGKILL)
            started[0].wait()
        left = sweep(token)  # whatever a killed worker could not stop
        if left:
            print(f"sms-harness: stopped {len(left)} process(es) the run left behind", file=sys.stderr, flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if expired:
        raise TimedOut(f"stopped after {timeout:.0f}s")
    return code, caught[0] if caught else None
