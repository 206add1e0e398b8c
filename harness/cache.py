"""The harness's download cache: each entry installed once, under a lock, built aside, proven before use.

Node, each OpenClaw version, the published plugin's package, the benchmark peers: each is a folder
under `cache_home()`. Several processes may ask for one entry at once (xdist workers, parallel runs,
CI jobs on one runner): one builds it under an OS file lock while the others wait, then use it. An
entry is built in a hidden sibling folder and renamed into place only once it is complete and its
check passed, so Ctrl-C, `kill -9`, a full disk or a dropped connection leaves the previous entry or
none, never half of one. Each entry keeps a manifest of the files its install wrote (path and size);
before every use the manifest and the entry's own check are run, and a damaged entry is reported in
one line and rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

MANIFEST = ".sms-harness-manifest.json"
LOCK_TIMEOUT = 1800.0  # the longest install (OpenClaw, ~650 MB) takes about a minute; a stuck one, far less than this


class ProvisionError(Exception):
    """Something could not be provisioned; its message is one line for the user, naming what and where."""


def cache_home() -> Path:
    """$SMS_HARNESS_CACHE, else $XDG_CACHE_HOME/sms-harness, else ~/.cache/sms-harness."""
    explicit = os.environ.get("SMS_HARNESS_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sms-harness"


def say(message: str) -> None:
    print(f"[sms-harness cache] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Entry:
    """One cache entry: where it lives, how to build it into an empty folder, and how to prove it works.

    `check` runs on a finished folder (the built one before it is renamed into place, and the
    entry before each use) and returns what is wrong with it, or None.
    """

    path: Path
    what: str
    build: Callable[[Path], dict[str, object]]  # fills the folder; returns facts kept in the manifest
    check: Callable[[Path], str | None] = lambda _folder: None

    @property
    def lock(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def problem(self) -> str | None:
        """What is wrong with the entry as it stands, or None when it is sound."""
        if not self.path.is_dir():
            return "not installed"
        return manifest_problem(self.path) or self.check(self.path)

    def facts(self) -> dict[str, object]:
        """What the build recorded (versions, seconds), or {} for an entry not installed."""
        try:
            return json.loads((self.path / MANIFEST).read_text(encoding="utf-8")).get("facts", {})
        except (OSError, ValueError):
            return {}


def write_manifest(folder: Path, facts: dict[str, object]) -> int:
    """Record every file and link under `folder` (links with size -1); returns how many."""
    files: dict[str, int] = {}
    for directory, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            stat = os.lstat(path)
            files[os.path.relpath(path, folder)] = -1 if os.path.islink(path) else stat.st_size
    (folder / MANIFEST).write_text(json.dumps({"facts": facts, "files": files}), encoding="utf-8")
    return len(files)


def manifest_problem(folder: Path) -> str | None:
    """What the manifest finds missing or changed, in one line, or None."""
    try:
        files: dict[str, int] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return "it has no manifest (an install that never finished)"
    except (OSError, ValueError, KeyError, TypeError):
        return "its manifest is unreadable"
    missing, changed = [], []
    for relative, size in files.items():
        try:
            stat = os.lstat(folder / relative)
        except FileNotFoundError:
            missing.append(relative)
            continue
        if size >= 0 and stat.st_size != size:
            changed.append(relative)
    if missing:
        return f"{len(missing)} file(s) missing, first {missing[0]}"
    if changed:
        return f"{len(changed)} file(s) changed in size, first {changed[0]}"
    return None


def provide(entry: Entry, force: bool = False) -> Path:
    """The entry's folder, sound: used as it is, or (re)built under its lock. Raises ProvisionError."""
    if not force and entry.problem() is None:
        return entry.path
    lock = FileLock(entry.lock)
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=LOCK_TIMEOUT)
    except Timeout:
        raise ProvisionError(
            f"{entry.what}: another process held the cache lock {entry.lock} for {LOCK_TIMEOUT:.0f}s"
        ) from None
    except OSError as exc:  # an unwritable or read-only cache folder
        raise ProvisionError(
            f"{entry.what}: cannot use the cache at {entry.path.parent}: {exc.strerror or exc}"
        ) from None
    try:
        restore_moved_aside(entry)
        if not force:
            problem = entry.problem()  # another process may have built it while this one waited
            if problem is None:
                return entry.path
            if problem != "not installed":
                say(f"{entry.what} at {entry.path} is damaged ({problem}); reinstalling it")
        build_aside(entry)
        return entry.path
    finally:
        lock.release()


def restore_moved_aside(entry: Entry) -> None:
    """An install killed between its two renames left the previous entry aside: put it back (the lock is held)."""
    if not entry.path.exists():
        aside = sorted(entry.path.parent.glob(f".{entry.path.name}.old-*"))
        if aside:
            os.rename(aside[0], entry.path)


def build_aside(entry: Entry) -> None:
    """Build into a hidden sibling, check it, rename it into place and check it there (the lock is
    held). Whatever fails, the entry that was in place before is put back."""
    parent, name = entry.path.parent, entry.path.name
    for stale in [*parent.glob(f".{name}.part-*"), *parent.glob(f".{name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by an install that was killed: nobody else builds now
    part = parent / f".{name}.part-{os.getpid()}"
    old = parent / f".{name}.old-{os.getpid()}"
    started = time.monotonic()
    try:
        part.mkdir()
        facts = entry.build(part)
        facts["seconds"] = round(time.monotonic() - started, 1)
        count = write_manifest(part, facts)
        problem = entry.check(part)
        if problem:
            raise ProvisionError(f"{entry.what}: the new install does not work: {problem}")
        if entry.path.exists():
            os.rename(entry.path, old)
        os.rename(part, entry.path)
        problem = entry.check(entry.path)  # an install that names the folder it was built in fails here
        if problem:
            os.rename(entry.path, part)
            raise ProvisionError(f"{entry.what}: the install does not work once in place: {problem}")
    except BaseException as exc:
        if old.exists() and not entry.path.exists():
            os.rename(old, entry.path)  # the previous entry, as it was
        if isinstance(exc, OSError):
            raise ProvisionError(f"{entry.what}: could not install into {parent}: {exc.strerror or exc}") from None
        raise
    finally:
        shutil.rmtree(part, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    say(f"{entry.what} installed in {time.monotonic() - started:.0f}s ({count} files): {entry.path}")
