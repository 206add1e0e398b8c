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

    @property
    def reason(self) -> str:
        return f"OpenClaw divergence: the guide says {self.guide}; OpenClaw {self.openclaw}"


def load(path: Path = FILE) -> list[Divergence]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for i, raw in enumerate(data.get("divergence", [])):
        missing = {"test", "scenario", "guide", "openclaw"} - set(raw)
        if missing:
            raise pytest.UsageError(f"{path}: divergence #{i + 1} lacks {', '.join(sorted(missing))}")
        entries.append(Divergence(raw["test"], raw["scenario"], raw["guide"], raw["openclaw"]))
    return entries


def mark(items: list[pytest.Item], divergences: list[Divergence]) -> list[Divergence]:
    """Mark matching items xfail(strict); returns the entries that matched nothing (stale or filtered out)."""
    unmatched = []
    for divergence in divergences:
        hits = [item for item in items if fnmatch.fnmatchcase(item.name, divergence.test)]
        for item in hits:
            item.add_marker(pytest.mark.xfail(strict=True, reason=divergence.reason))
        if not hits:
            unmatched.append(divergence)
    return unmatched
