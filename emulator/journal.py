"""The state file's journal: a message Twilio acknowledged is on disk before the answer goes out.

Snapshots of the whole state are coalesced and can lag a burst of requests; a `kill -9` between
two of them lost acknowledged creates. Every change to a message is appended here as one JSON
line, and a REST write waits for `commit()`: one write and one fsync for everything appended so
far (group commit, done in a thread, so the event loop never blocks on the disk). A snapshot
covers everything before it, so the journal is emptied after each one; loading replays it over
the snapshot, ignoring a torn last line.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: list[bytes] = []
        self._appended = 0  # lines appended so far
        self._synced = 0  # of those, lines known to be on disk
        self._flushing: asyncio.Task[None] | None = None
        self._generation = 0  # bumped by truncate: a batch taken before it must not land after it

    def append(self, record: dict[str, Any]) -> None:
        self._pending.append(json.dumps(record, separators=(",", ":")).encode() + b"\n")
        self._appended += 1

    async def commit(self) -> None:
        """Return once every line appended before this call is fsync'd."""
        target = self._appended
        while self._synced < target:
            if self._flushing is None:
                self._flushing = asyncio.create_task(self._flush())
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        try:
            lines, count, generation = self._pending, self._appended, self._generation
            self._pending = []
            if lines:
                await asyncio.to_thread(self._write, b"".join(lines), generation)
            self._synced = max(self._synced, count)
        finally:
            self._flushing = None

    def _write(self, data: bytes, generation: int) -> None:
        if generation != self._generation:  # a snapshot since holds these lines, newer than they are
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def truncate(self) -> None:
        """A snapshot now holds everything: what is pending or on disk here is covered by it."""
        self._pending = []
        self._synced = self._appended
        self._generation += 1
        if self.path.exists():
            os.truncate(self.path, 0)


def replay(path: Path) -> list[dict[str, Any]]:
    """The journal's records in order; a last line cut short by a kill is left out."""
    if not path.exists():
        return []
    records = []
    for line in path.read_bytes().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # only the last line can be torn: nothing after it was acknowledged
    return records
