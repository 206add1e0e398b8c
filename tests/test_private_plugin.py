"""A private plugin install: found in its state directory, restored exactly, its files replaced by a local build."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.openclaw.private import PrivateInstallError, PrivatePlugin, package_dir

PROJECT = "npm/projects/openclaw-sms-1/node_modules/@openclaw/sms"


def installed(root: Path, name: str = "main") -> Path:
    """A state directory shaped as `openclaw plugins install` leaves it (files only, no OpenClaw)."""
    package = root / name / PROJECT
    (package / "dist").mkdir(parents=True)
    (package / "node_modules" / "zod").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@openclaw/sms", "version": "2026.9.4"}))
    (package / "dist" / "index.js").write_text("export const published = true;\n")
    (package / "dist" / "old-chunk.js").write_text("export {};\n")
    (root / name / "openclaw.json").write_text("{}")
    return package


def build(root: Path, name: str = "@openclaw/sms") -> Path:
    (root / "dist").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": name, "version": "2026.9.5-dev"}))
    (root / "dist" / "index.js").write_text("export const local = true;\n")
    (root / "node_modules" / "typescript").mkdir(parents=True)
    return root


def test_the_installed_package_is_found_in_a_state_directory(tmp_path: Path) -> None:
    with pytest.raises(PrivateInstallError, match="expected one installed @openclaw/sms"):
        package_dir(tmp_path)
    package = installed(tmp_path)
    assert package_dir(tmp_path / "main") == package


def test_reset_brings_back_the_state_as_installed(tmp_path: Path) -> None:
    package = installed(tmp_path)
    plugin = PrivatePlugin(tmp_path)
    (package / "dist" / "index.js").write_text("mutated")
    (tmp_path / "main" / "state.sqlite").write_text("pairings of an earlier run")
    plugin.reset()
    assert (package / "dist" / "index.js").read_text() == "export const published = true;\n"
    assert not (tmp_path / "main" / "state.sqlite").exists()


def test_a_local_build_replaces_the_published_files_in_every_worker_state(tmp_path: Path) -> None:
    packages = [installed(tmp_path / "states", name) for name in ("gw0", "gw1")]
    plugin = PrivatePlugin(tmp_path / "states", ("gw0", "gw1"))
    plugin.replace_files(build(tmp_path / "build"))
    for package in packages:
        assert (package / "dist" / "index.js").read_text() == "export const local = true;\n"
        assert not (package / "dist" / "old-chunk.js").exists()
        assert (package / "node_modules" / "zod").is_dir()  # the installed dependencies stay
        assert not (package / "node_modules" / "typescript").exists()  # the build's own do not come along
    plugin.reset()
    assert (packages[0] / "dist" / "index.js").read_text() == "export const local = true;\n"


def test_an_npm_pack_tarball_is_a_build_too(tmp_path: Path) -> None:
    package = installed(tmp_path / "states")
    tarball = tmp_path / "openclaw-sms-2026.9.5-dev.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for path, text in (("package/package.json", '{"name": "@openclaw/sms"}'), ("package/dist/index.js", "//b")):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    PrivatePlugin(tmp_path / "states").replace_files(tarball)
    assert (package / "dist" / "index.js").read_text() == "//b"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: build(p, "@openclaw/other"), "names '@openclaw/other', not @openclaw/sms"),
        (lambda p: p, "no readable package.json"),
        (lambda p: (p / "x.tgz").write_text("not a tarball") and p / "x.tgz", "not a readable npm tarball"),
    ],
)
def test_a_build_that_is_not_the_plugin_is_refused_in_one_line(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    installed(tmp_path / "states")
    (tmp_path / "b").mkdir()
    with pytest.raises(PrivateInstallError, match=message):
        PrivatePlugin(tmp_path / "states").replace_files(make(tmp_path / "b"))
