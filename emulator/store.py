"""The state file behind `--state FILE`: everything recorded survives a restart.

Snapshots are coalesced (one per burst of changes), taken off the event loop (the loop only
takes a cheap view; rendering, writing and fsync run in a thread) and atomic (written to a
temporary file, fsync'd, then renamed), readable by the owner only (mode 0600); the last one
is written on shutdown. Between snapshots every change to a message goes to the journal
(`emulator/journal.py`), which a REST write waits for.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from emulator import journal
from emulator.errors import ControlError
from emulator.models import Backend

COALESCE_SECONDS = 0.5  # messages are in the journal meanwhile; records (calls, deliveries) may lag this much


def journal_path(path: Path) -> Path:
    """The journal's segments are this path with ".<n>" appended."""
    return path.with_name(path.name + ".journal")


def load(path: Path, seed: int) -> Backend:
    """The backend saved at `path` with its journal replayed over it, or a fresh one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        backend = Backend.from_json(data) if data else Backend(seed)
        records, backend.journal_next = journal.replay(journal_path(path), int(data.get("journal_from", 0)))
        backend.replay(records)
    except (ValueError, KeyError, TypeError) as exc:
        raise ControlError(
            f"state file {path} is not an emulator state file ({exc.__class__.__name__}: {exc})"
        ) from None
    return backend


def write(render: Callable[[], dict[str, Any]], journal_from: int, path: Path) -> None:
    """A snapshot that is whole on disk before it replaces the last one; only its owner may read it
    (it holds the accounts' auth tokens)."""
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps({**render(), "journal_from": journal_from}, separators=(",", ":")).encode("utf-8")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # a left-over .tmp of another mode keeps its mode through O_CREAT
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


class StateFile:
    """Takes a snapshot shortly after each burst of changes, and when a write needs one."""

    def __init__(self, backend: Backend, path: Path) -> None:
        self.backend = backend
        self.path = path
        self._pending: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self.journal = journal.Journal(journal_path(path), backend.journal_next)
        backend.journal = self.journal.append
        backend.message_records = {sid: asdict(m) for sid, m in backend.messages.items()}

    def changed(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._due)

    def _due(self) -> None:
        self._pending = None
        task = asyncio.get_running_loop().create_task(self.snapshot())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # errors surface in the next write

    async def snapshot(self) -> None:
        """Return once a snapshot taken after this call began is on disk; the loop only takes its view."""
        async with self._lock:
            render = self.backend.snapshot()
            first = self.journal.rotate()
            await asyncio.to_thread(write, render, first, self.path)
            self.journal.covered(first)

    def flush(self) -> None:
        """The last snapshot, at shutdown, in one go."""
        if self._pending is not None:
            self._pending.cancel()
        self._pending = None
        first = self.journal.rotate()
        write(self.backend.snapshot(), first, self.path)
        self.journal.covered(first)
