"""The state file behind `--state FILE`: everything recorded survives a restart.

Writes are coalesced (one snapshot per burst of changes) and atomic (write to
a temporary file, fsync, then rename), readable by the owner only (mode 0600),
and the last snapshot is written on shutdown. Between snapshots every change to a
message goes to the journal (`emulator/journal.py`), which a REST write waits for.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from emulator import journal
from emulator.errors import ControlError
from emulator.models import Backend

COALESCE_SECONDS = 0.5  # messages are in the journal meanwhile; records (calls, deliveries) may lag this much


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def load(path: Path, seed: int) -> Backend:
    """The backend saved at `path` with its journal replayed over it, or a fresh one."""
    try:
        backend = Backend.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else Backend(seed)
        backend.replay(journal.replay(journal_path(path)))
    except (ValueError, KeyError, TypeError) as exc:
        raise ControlError(
            f"state file {path} is not an emulator state file ({exc.__class__.__name__}: {exc})"
        ) from None
    return backend


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
        self.journal = journal.Journal(journal_path(path))
        backend.journal = self.journal.append

    def changed(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self.flush)

    def flush(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self._pending = None
        save(self.backend, self.path)
        self.journal.truncate()  # the snapshot holds all it said
