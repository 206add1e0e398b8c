"""A mistake the user made on the command line: one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path


class UsageError(Exception):
    """A mistake the user can fix; printed as one line, never a traceback."""


def writable_folder(folder: Path, what: str) -> None:
    """The folder exists, or can be made, and takes files: checked before anything starts."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".sms-harness-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder} ({exc.strerror or exc})") from None
