"""The state file behind `--state FILE`: everything recorded survives a restart.

Snapshots are coalesced (one per burst of changes), taken off the event loop (a forked child
renders, writes and fsyncs its copy-on-write image of the state) and atomic (written to a
temporary file, fsync'd, then renamed), readable by the owner only (mode 0600); the last one
is written on shutdown. Between snapshots every change to a message goes to the journal
(`emulator/journal.py`), which a REST write waits for.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulator import journal
from emulator.errors import ControlError
from emulator.models import Backend

COALESCE_SECONDS = 0.5  # messages are in the journal meanwhile; records (calls, deliveries) may lag this much …
SNAPSHOT_SHARE = 0.2  # … or more under load: snapshots take at most this share of the time (they cost CPU and GIL)


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


def write(backend: Backend, journal_from: int, path: Path) -> None:
    """A snapshot that is whole on disk before it replaces the last one; only its owner may read it
    (it holds the accounts' auth tokens)."""
    tmp = path.with_name(path.name + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # a left-over .tmp of another mode keeps its mode through O_CREAT
        for piece in pieces({**backend.to_json(), "journal_from": journal_from}):
            file.write(piece)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


def write_in_child(backend: Backend, journal_from: int, path: Path) -> int:
    """Write a snapshot from a forked child, as Redis does, and return its pid.

    In a thread, rendering tens of thousands of records held the GIL against the event loop in
    5 ms turns and tripled the p99 of every request meanwhile; the child renders its own
    copy-on-write image of the state and exits without touching anything of the parent's.
    """
    pid = os.fork()
    if pid == 0:  # the child: no loop, no other thread; it only writes the file
        code = 1
        try:
            signal.set_wakeup_fd(-1)  # a signal here must not wake the parent's loop
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            write(backend, journal_from, path)
            code = 0
        finally:
            os._exit(code)
    return pid


def pieces(data: dict[str, Any]) -> Iterator[str]:
    """The snapshot's JSON, a list item at a time: one json.dumps of the whole state holds the GIL
    for its whole length (hundreds of milliseconds at 20k messages), and the event loop with it."""
    yield "{"
    for i, (key, value) in enumerate(data.items()):
        yield ("," if i else "") + json.dumps(key) + ":"
        if isinstance(value, list):
            yield "[" + ",".join(json.dumps(item, separators=(",", ":")) for item in value[:1])
            for item in value[1:]:
                yield "," + json.dumps(item, separators=(",", ":"))
            yield "]"
        else:
            yield json.dumps(value, separators=(",", ":"))
    yield "}"


class StateFile:
    """Takes a snapshot shortly after each burst of changes, and when a write needs one."""

    def __init__(self, backend: Backend, path: Path) -> None:
        self.backend = backend
        self.path = path
        self._pending: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._last_seconds = 0.0  # how long the last snapshot took, fork to fsync
        self._forks = 0  # snapshots forked so far
        self.journal = journal.Journal(journal_path(path), backend.journal_next)
        backend.journal = self.journal.append

    def schedule(self) -> None:
        """A snapshot soon: once a burst of changes is over (coalesced), not once per change."""
        if self._pending is None:
            wait = max(COALESCE_SECONDS, self._last_seconds * (1 - SNAPSHOT_SHARE) / SNAPSHOT_SHARE)
            self._pending = asyncio.get_running_loop().call_later(wait, self._due)

    def _due(self) -> None:
        self._pending = None
        task = asyncio.get_running_loop().create_task(self.snapshot())
        # a failed snapshot is taken again with the next change, and a write that needs one fails with it
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def snapshot(self) -> None:
        """Return once a snapshot forked after this call began is on disk; the loop only forks.
        Writers waiting together share one snapshot."""
        wanted = self._forks + 1
        async with self._lock:
            if self._forks >= wanted:
                return
            self._forks += 1
            started = time.monotonic()
            self.backend.unjournaled = False
            first = self.journal.rotate()  # the child's image holds every line before this segment
            pid = write_in_child(self.backend, first, self.path)
            _, status = await asyncio.to_thread(os.waitpid, pid, 0)
            if status != 0:
                raise RuntimeError(f"the snapshot process for {self.path} failed (wait status {status})")
            self.journal.covered(first)
            self._last_seconds = time.monotonic() - started

    def flush(self) -> None:
        """The last snapshot, at shutdown, in one go."""
        if self._pending is not None:
            self._pending.cancel()
        self._pending = None
        first = self.journal.rotate()
        self.backend.unjournaled = False
        write(self.backend, first, self.path)
        self.journal.covered(first)
