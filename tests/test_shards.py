"""--shard K/N splits the suite exactly once; merge puts shard reports back together."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness import shards

ROOT = Path(__file__).resolve().parent.parent


def test_shards_cover_every_scenario_once_and_evenly() -> None:
    ids = [f"scenarios/test_features.py::test_{i}" for i in range(23)]
    parts = [shards.keep(ids, (k, 4)) for k in range(1, 5)]
    assert set().union(*parts) == set(ids) and sum(len(p) for p in parts) == len(ids)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shards.keep(list(reversed(ids)), (2, 4)) == parts[1]  # order of collection does not matter


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "a/b", "2"])
def test_bad_shards_are_refused_in_one_line(value: str) -> None:
    with pytest.raises(shards.ShardError, match="expected K/N"):
        shards.parse(value)


@pytest.mark.slow
def test_two_shards_run_and_merge_into_the_whole(tmp_path: Path) -> None:
    """Through the CLI: two shards of the pairing feature, then merge; the merged report has both halves."""
    cli = [sys.executable, "-m", "harness.cli"]
    for k in (1, 2):
        run = subprocess.run(
            [*cli, "run", "-k", "pairing", "--shard", f"{k}/2", "--report", str(tmp_path / f"s{k}")],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    halves = [json.loads((tmp_path / f"s{k}" / "report.json").read_text())["scenarios"] for k in (1, 2)]
    assert halves[0] and halves[1] and not {s["nodeid"] for s in halves[0]} & {s["nodeid"] for s in halves[1]}
    merged = subprocess.run(
        [*cli, "merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--report", str(tmp_path / "all")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert merged.returncode == 0, merged.stderr
    data = json.loads((tmp_path / "all" / "report.json").read_text())
    assert len(data["scenarios"]) == len(halves[0]) + len(halves[1]) and data["shards"] == 2
    junit = ElementTree.parse(tmp_path / "all" / "junit.xml").getroot()
    assert int(junit.get("tests")) == len(junit.findall("testcase")) == len(data["scenarios"])
    assert "pairing" in (tmp_path / "all" / "report.html").read_text()
    bad = subprocess.run([*cli, "merge", str(tmp_path / "nowhere")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
