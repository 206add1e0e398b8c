"""A private install of `@openclaw/sms`: the published package, installed the official way, restorable.

OpenClaw trusts a channel plugin by its install record (installed from npm by `openclaw plugins
install`), not by its files, and refuses one loaded from a path, a link or a tarball. So a plugin
the harness changes (a mutant, a local build given by --sms-plugin-from) is the published package
installed into a state directory of our own, its files then replaced there. The user's own
installation is never touched, and the directory is removed when the run ends (it holds tokens).
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from harness.openclaw.driver import install_plugin
from harness.openclaw.install import Installation


class PrivateInstallError(Exception):
    """The local build cannot be used; one line for the user."""


def package_dir(state_dir: Path) -> Path:
    """The `@openclaw/sms` package OpenClaw installed into this state directory."""
    found = sorted(state_dir.glob("npm/projects/*/node_modules/@openclaw/sms/package.json"))
    if len(found) != 1:
        raise PrivateInstallError(f"expected one installed @openclaw/sms under {state_dir}, found {len(found)}")
    return found[0].parent


class PrivatePlugin:
    """State directories named `names` (main, or gw0, gw1, … for workers) under `root`, plugin installed.

    `root` is what --openclaw-state takes. `reset()` brings the state back exactly as installed,
    before any run: same paths, so OpenClaw's install record and plugin index stay valid, and
    nothing (pairings, the allowFrom store, queues) leaks from one run into the next.
    """

    def __init__(self, root: Path, names: tuple[str, ...] = ("main",)) -> None:
        """Over state directories already prepared under `root`; see `install`."""
        self.root = root
        self.states = [root / name for name in names]
        for state in self.states:
            if not self._pristine(state).exists():
                shutil.copytree(state, self._pristine(state), symlinks=True)

    @classmethod
    def install(
        cls,
        installation: Installation,
        version: str,
        openclaw_bin: str | None = None,
        names: tuple[str, ...] = ("main",),
    ) -> PrivatePlugin:
        """`openclaw plugins install @openclaw/sms@VERSION` into a new private state directory per name."""
        root = Path(tempfile.mkdtemp(prefix="sms-harness-plugin-"))
        try:
            for name in names:
                install_plugin(
                    openclaw_bin or str(installation.openclaw), installation, root / name, root / "work", version
                )
            return cls(root, names)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    @property
    def packages(self) -> list[Path]:
        return [package_dir(state) for state in self.states]

    def _pristine(self, state: Path) -> Path:
        return self.root / f"{state.name}.pristine"

    def reset(self) -> None:
        for state in self.states:
            shutil.rmtree(state)
            shutil.copytree(self._pristine(state), state, symlinks=True)

    def replace_files(self, build: Path) -> None:
        """Put a local build's files (a package directory or an `npm pack` tarball) in place of the published ones.

        The build's own package.json must name @openclaw/sms; its dependencies are the installed
        ones (a build that changes them needs publishing to a registry).
        """
        source = unpacked(build, self.root / "build")
        for package in self.packages:
            for entry in package.iterdir():
                if entry.name != "node_modules":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            shutil.copytree(source, package, symlinks=True, dirs_exist_ok=True, ignore=ignore_node_modules)
        for state in self.states:  # later resets bring the build back, not the published package
            shutil.rmtree(self._pristine(state))
            shutil.copytree(state, self._pristine(state), symlinks=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def ignore_node_modules(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "node_modules"]


def unpacked(build: Path, scratch: Path) -> Path:
    """The package directory of a build: the directory itself, or the `package/` of an npm tarball."""
    if build.is_file():
        try:
            with tarfile.open(build) as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise PrivateInstallError(f"--sms-plugin-from {build}: not a readable npm tarball ({exc})") from None
        build = scratch / "package"
    manifest = build / "package.json"
    try:
        name = json.loads(manifest.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError):
        raise PrivateInstallError(f"--sms-plugin-from: no readable package.json in {build}") from None
    if name != "@openclaw/sms":
        raise PrivateInstallError(f"--sms-plugin-from: {manifest} names {name!r}, not @openclaw/sms")
    if not (build / "dist").is_dir():
        raise PrivateInstallError(f"--sms-plugin-from: {build} has no dist/ (build the plugin first)")
    return build
