"""The per-gateway list of known divergences from the guide, run as strict expected failures."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

FILE = Path(__file__).with_name("divergences.toml")


@dataclass(frozen=True)
class Divergence:
    test: str
    scenario: str
    guide: str
    openclaw: str
    versions: tuple[str, ...] = ()  # the openclaw versions it was seen on; none listed: every version

    @property
    def reason(self) -> str:
        seen = f" (openclaw {', '.join(self.versions)})" if self.versions else ""
        return f"OpenClaw divergence{seen}: the guide says {self.guide}; OpenClaw {self.openclaw}"

    def applies(self, openclaw_version: str) -> bool:
        return not self.versions or openclaw_version in self.versions


def load(path: Path = FILE) -> list[Divergence]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for i, raw in enumerate(data.get("divergence", [])):
        missing = {"test", "scenario", "guide", "openclaw"} - set(raw)
        if missing:
            raise pytest.UsageError(f"{path}: divergence #{i + 1} lacks {', '.join(sorted(missing))}")
        versions = raw.get("versions", [])
        if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
            raise pytest.UsageError(f"{path}: divergence #{i + 1}: versions must be a list of version strings")
        entries.append(Divergence(raw["test"], raw["scenario"], raw["guide"], raw["openclaw"], tuple(versions)))
    return entries


def mark(items: list[pytest.Item], divergences: list[Divergence], openclaw_version: str) -> list[Divergence]:
    """Mark matching items xfail(strict); returns the entries that matched nothing (stale or filtered out)."""
    unmatched = []
    for divergence in (d for d in divergences if d.applies(openclaw_version)):
        hits = [item for item in items if fnmatch.fnmatchcase(item.name, divergence.test)]
        for item in hits:
            item.add_marker(pytest.mark.xfail(strict=True, reason=divergence.reason))
        if not hits:
            unmatched.append(divergence)
    return unmatched
