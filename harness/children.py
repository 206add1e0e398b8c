"""Every process a run starts carries the run's mark in its environment, so none can outlive the run.

`sms-harness run` gives its pytest a token in SMS_HARNESS_RUN; the gateways and CLIs the harness
starts carry it on (their environments are built, not inherited, so `marked` adds it). When pytest
has exited, however it ended (Ctrl-C at any moment, SIGTERM, SIGKILL after the grace period), the
runner sweeps: any process still carrying the token is killed. Linux only (it reads /proc); elsewhere
the fixtures' own teardown is all there is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Mapping
from pathlib import Path

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


def sweep(token: str, passes: int = 5) -> list[int]:
    """Kill every process left with this run's mark, again while any appear (one may fork as the
    sweep runs); returns their pids."""
    killed: list[int] = []
    for _ in range(passes):
        left = [pid for pid in carrying(token) if pid not in killed]
        if not left:
            break
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed += left
    return killed
