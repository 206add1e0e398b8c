"""Deliberate defects written into a copy of a real gateway's code, each by its exact text.

`sms-harness selfcheck --gateway openclaw|hermes` proves the suite catches defects in the real
gateways, not only in our model: each defect is one small textual change that must occur exactly
once in the files it is meant for, so a gateway version it was not written for is refused in one
line instead of silently left unmutated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class MutationError(Exception):
    """A mutant cannot be applied to this gateway version; one line for the user."""


@dataclass(frozen=True)
class PluginMutant:
    what: str  # the defect, in words, for the kill matrix
    old: str  # exact text in the gateway's code, once
    new: str
    features: tuple[str, ...]  # the feature files that concern it (their stems)


def write_once(name: str, mutant: PluginMutant, files: Iterable[Path], where: Path, new_file: bool = False) -> Path:
    """Replace the mutant's text in the one file of `files` that holds it (once), and return that file.
    `new_file`: the file is replaced by a new one, never written through (it may be a hard link)."""
    hits = {path: path.read_text(encoding="utf-8").count(mutant.old) for path in files}
    if sum(hits.values()) != 1:
        raise MutationError(
            f"{name}: its text occurs {sum(hits.values())} times in {where}, not once "
            "(a version this mutant was not written for?)"
        )
    path = next(path for path, count in hits.items() if count)
    text = path.read_text(encoding="utf-8").replace(mutant.old, mutant.new)
    if new_file:
        path.unlink()
    path.write_text(text, encoding="utf-8")
    return path
