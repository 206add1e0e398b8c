"""Known divergences of a real gateway from the guide, each pinned to one step and one observation.

A gateway's list (`divergences.toml` beside its driver) names, per divergence, the scenario, the
step where the gateway departs from the guide, and fragments of that step's failure message that
show what the gateway does there. The scenario counts as an expected failure only when it fails at
that step with every fragment in its message. A failure anywhere else (the gateway did not start,
provisioning, a timeout in another step) stays a failure, a new observation at the pinned step
fails and shows both, and a scenario that now passes fails the run: the entry must go.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

FIELDS = ("test", "scenario", "step", "guide", "seen")


@dataclass(frozen=True)
class Divergence:
    test: str  # the pytest test name (fnmatch pattern)
    scenario: str
    step: str  # the step's text as the scenario writes it, without its keyword
    guide: str  # what the guide (or the specification) says
    gateway: str  # what the gateway was seen to do, in words
    seen: tuple[str, ...]  # exact fragments of the step's failure message: the observation as data
    gateway_name: str = "openclaw"
    versions: tuple[str, ...] = ()  # the versions it was seen on; none listed: every version

    @property
    def reason(self) -> str:
        """The report's text: the step, both sides, and what is pinned."""
        seen = f" ({self.gateway_name} {', '.join(self.versions)})" if self.versions else ""
        return (
            f"{self.gateway_name} diverges{seen} at step «{self.step}»\n"
            f"  the guide: {self.guide}\n"
            f"  {self.gateway_name}: {self.gateway}\n"
            f"  pinned observation: {' … '.join(repr(s) for s in self.seen)}"
        )

    def applies(self, version: str) -> bool:
        return not self.versions or version in self.versions

    def judge(self, passed: bool, failed_step: str | None, message: str) -> str | None:
        """None when the scenario diverged exactly as pinned; otherwise why this is a failure."""
        if passed:
            return (
                f"listed divergence now passes: {self.gateway_name} does what the guide says at «{self.step}»; "
                "remove its entry from divergences.toml"
            )
        if failed_step != self.step:
            where = f"at step «{failed_step}»" if failed_step else "outside any step (set-up or teardown)"
            return f"failed {where}, not at the divergence's step «{self.step}»: this is a failure, not the divergence"
        missing = [fragment for fragment in self.seen if fragment not in message]
        if missing:
            return (
                f"failed at the divergence's step «{self.step}», but not as pinned: the message lacks "
                f"{', '.join(repr(m) for m in missing)}\n  pinned: {self.gateway_name} {self.gateway}"
            )
        return None


def load(path: Path, gateway_name: str) -> list[Divergence]:
    """The list in `path`, each entry checked; a list that cannot be read is a usage error in one line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"{path}: not a readable TOML list of divergences ({exc})") from None
    entries = []
    for i, raw in enumerate(data.get("divergence", [])):
        missing = {*FIELDS, gateway_name} - set(raw)
        if missing:
            raise pytest.UsageError(f"{path}: divergence #{i + 1} lacks {', '.join(sorted(missing))}")
        versions, seen = raw.get("versions", []), raw["seen"]
        if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
            raise pytest.UsageError(f"{path}: divergence #{i + 1}: versions must be a list of version strings")
        if not isinstance(seen, list) or not seen or not all(isinstance(s, str) and s for s in seen):
            raise pytest.UsageError(f"{path}: divergence #{i + 1}: seen must list the failure's exact fragments")
        entries.append(
            Divergence(
                raw["test"],
                raw["scenario"],
                raw["step"],
                raw["guide"],
                raw[gateway_name],
                tuple(seen),
                gateway_name,
                tuple(versions),
            )
        )
    return entries


KEY = pytest.StashKey[Divergence]()


def attach(items: list[pytest.Item], divergences: list[Divergence], version: str) -> None:
    """Give each matching item its divergence, judged after its call (tests/test_divergences.py checks
    that every entry of our own lists names a scenario and one of its steps)."""
    for divergence in (d for d in divergences if d.applies(version)):
        for item in items:
            if fnmatch.fnmatchcase(item.name, divergence.test):
                item.stash[KEY] = divergence
