"""The state file behind `--state FILE`: everything recorded survives a restart.

Writes are coalesced (one snapshot per burst of changes) and atomic (write to
a temporary file, fsync, then rename), readable by the owner only (mode 0600),
and the last snapshot is written on shutdown.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from emulator.errors import ControlError
from emulator.models import Backend

COALESCE_SECONDS = 0.05


def load(path: Path, seed: int) -> Backend:
    """The backend saved at `path`, or a fresh one if there is no file yet."""
    if not path.exists():
        return Backend(seed)
    try:
        return Backend.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ControlError(
            f"state file {path} is not an emulator state file ({exc.__class__.__name__}: {exc})"
        ) from None


def save(backend: Backend, path: Path) -> None:
    """A snapshot that is whole on disk before it replaces the last one; only its owner may read it
    (it holds the accounts' auth tokens)."""
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(backend.to_json(), separators=(",", ":")).encode("utf-8")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # a left-over .tmp of another mode keeps its mode through O_CREAT
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


class StateFile:
    """Schedules a snapshot shortly after each change."""

    def __init__(self, backend: Backend, path: Path) -> None:
        self.backend = backend
        self.path = path
        self._pending: asyncio.TimerHandle | None = None

    def changed(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self.flush)

    def flush(self) -> None:
        self._pending = None
        save(self.backend, self.path)
