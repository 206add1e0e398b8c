"""The state file's journal: a message Twilio acknowledged is on disk before the answer goes out.

Snapshots of the whole state are coalesced and can lag a burst of requests; a `kill -9` between
two of them lost acknowledged creates. Every change to a message is appended here as one JSON
line, and a REST write waits for `commit()`: one write and one fsync for everything appended so
far (group commit, done in a thread, so the event loop never blocks on the disk).

The journal is a run of numbered segments (`state.json.journal.<n>`). A snapshot starts a new
segment (`rotate`) at the moment it forks its image of the state, is written off the event loop
while the loop carries on appending to the new segment, and once it is on disk the segments
before it are deleted (`covered`). The snapshot names the first segment it does not hold, so a
crash at any point leaves a snapshot plus exactly the segments to replay over it. Loading
replays them in order, ignoring a torn last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any


def segments(base: Path) -> list[tuple[int, Path]]:
    """The segment files next to `base`, oldest first."""
    found = []
    for path in base.parent.glob(base.name + ".*"):
        suffix = path.name.removeprefix(base.name + ".")
        if suffix.isdigit():
            found.append((int(suffix), path))
    return sorted(found)


class Journal:
    def __init__(self, base: Path, first: int) -> None:
        """`first`: the segment to append to; every segment before it is covered by the snapshot."""
        self.base = base
        self.index = first
        self._covered = first  # segments below this one are in a snapshot on disk
        self._pending: list[tuple[int, bytes]] = []
        self._appended = 0  # lines appended so far
        self._synced = 0  # of those, lines known to be on disk
        self._flushing: asyncio.Task[None] | None = None

    def segment(self, index: int) -> Path:
        return self.base.with_name(f"{self.base.name}.{index}")

    def append(self, record: dict[str, Any]) -> None:
        self._pending.append((self.index, json.dumps(record, separators=(",", ":")).encode() + b"\n"))
        self._appended += 1

    async def commit(self) -> None:
        """Return once every line appended before this call is fsync'd (or held by a snapshot on disk)."""
        target = self._appended
        while self._synced < target:
            if self._flushing is None:
                self._flushing = asyncio.create_task(self._flush())
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        try:
            lines, count = self._pending, self._appended
            self._pending = []
            if lines:
                await asyncio.to_thread(self._write, lines)
            self._synced = max(self._synced, count)
        finally:
            self._flushing = None

    def _write(self, lines: list[tuple[int, bytes]]) -> None:
        by_segment: dict[int, list[bytes]] = {}
        for index, line in lines:
            if index >= self._covered:  # else a snapshot on disk holds it, newer than this line
                by_segment.setdefault(index, []).append(line)
        for index, chunk in by_segment.items():
            fd = os.open(self.segment(index), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, b"".join(chunk))
                os.fsync(fd)
            finally:
                os.close(fd)

    def rotate(self) -> int:
        """Start a new segment; returns its number, the first one a snapshot taken now does not hold."""
        self.index += 1
        return self.index

    def covered(self, below: int) -> None:
        """A snapshot holding every segment before `below` is on disk: they go."""
        self._covered = max(self._covered, below)
        for index, path in segments(self.base):
            if index < below:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def replay(base: Path, first: int) -> tuple[list[dict[str, Any]], int]:
    """The records of segments `first` and later, in order, and the number of a fresh segment after them.

    Older segments (a crash came after their snapshot, before their deletion) are skipped. A line
    that does not parse ends its segment: only a last line can be torn by a kill, and nothing after
    it was acknowledged. Appending goes on in a fresh segment, never after a torn line.
    """
    records: list[dict[str, Any]] = []
    last = first - 1
    for index, path in segments(base):
        last = max(last, index)
        if index < first:
            continue
        for line in path.read_bytes().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                break
    return records, last + 1
