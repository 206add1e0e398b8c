"""Provisioning Hermes Agent from PyPI: `hermes-agent[sms]` at a pinned version in a venv of its own.

One cache entry per version (`hermes/<version>`), through `harness.cache` like OpenClaw's. The venv
is built aside and renamed into place, so its console scripts (whose shebangs name the folder it was
built in) are never used: the gateway and its CLI run as `<venv>/bin/python -m hermes_cli.main`.
`hermes --version` is not used either: it asks PyPI for updates.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.cache import Entry, ProvisionError, cache_home, provide

DEFAULT_HERMES = "0.19.0"
INSTALL_TIMEOUT = 900.0
CHECK = (
    "import importlib.metadata as m, hermes_cli.main, plugins.platforms.sms.adapter; print(m.version('hermes-agent'))"
)


@dataclass(frozen=True)
class Hermes:
    """A provisioned Hermes Agent: its venv's Python runs the gateway and the CLI."""

    root: Path
    version: str

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        """Where its packages are (the selfcheck copies one from here to mutate it)."""
        return next((self.root / "lib").glob("python3*/site-packages"))

    def argv(self, *args: str) -> list[str]:
        return [str(self.python), "-m", "hermes_cli.main", *args]


def checked_run(argv: list[str], what: str, timeout: float = INSTALL_TIMEOUT) -> str:
    """Its output, or a ProvisionError naming `what` and the command's own reason."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ProvisionError(f"{what} did not finish within {timeout:.0f}s (is PyPI reachable?)") from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = next((line for line in said if line.startswith("ERROR:")), said[-1] if said else "no output")
        raise ProvisionError(f"{what} failed (exit {done.returncode}): {reason}")
    return done.stdout.strip()


def entry(version: str) -> Entry:
    def build(folder: Path) -> dict[str, object]:
        checked_run([sys.executable, "-m", "venv", str(folder)], "making a venv for Hermes Agent")
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        pip += ["--retries", "1", "--timeout", "15"]  # no registry: one line within a minute, not after many
        checked_run([*pip, f"hermes-agent[sms]=={version}"], f"installing hermes-agent[sms]=={version}")
        return {"hermes": version}

    def check(folder: Path) -> str | None:
        try:
            found = checked_run([str(folder / "bin" / "python"), "-c", CHECK], "importing Hermes Agent", timeout=120)
        except ProvisionError as exc:
            return str(exc)
        return None if found == version else f"hermes-agent {found} is installed, expected {version}"

    return Entry(cache_home() / "hermes" / version, f"hermes-agent[sms]=={version}", build, check)


def install(version: str = DEFAULT_HERMES, force: bool = False) -> Hermes:
    """Hermes Agent in the cache, sound (a cheap check when it already is)."""
    return Hermes(provide(entry(version), force), version)
