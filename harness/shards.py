"""Sharing one run between machines: a deterministic split of the scenarios, and the merge.

`--shard K/N` keeps every N-th scenario of the sorted node ids, starting at the K-th, so N CI
jobs (or N pytest-xdist-less runs) cover the suite exactly once with counts that differ by at
most one; `sms-harness merge DIR…` combines their report.json, report.html and junit.xml.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from harness.report import render_html, summarize, totals

SHARD = re.compile(r"^(\d+)/(\d+)$")


class ShardError(Exception):
    """A bad --shard value or an unreadable report (one line for the user)."""


def parse(value: str) -> tuple[int, int]:
    """ "K/N" with 1 <= K <= N."""
    match = SHARD.match(value.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ShardError(f"--shard {value!r}: expected K/N with 1 <= K <= N, such as 2/3")
    return int(match.group(1)), int(match.group(2))


def keep(nodeids: list[str], shard: tuple[int, int]) -> set[str]:
    """The node ids shard K of N runs."""
    index, count = shard
    return {nodeid for position, nodeid in enumerate(sorted(nodeids)) if position % count == index - 1}


def merge(directories: list[Path], out: Path) -> dict[str, Any]:
    """One report from shard reports: scenarios in node-id order, totals and features recounted."""
    documents = []
    for directory in directories:
        path = directory / "report.json"
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ShardError(f"{path}: no readable report ({exc.__class__.__name__}); did that shard run?") from None
    gateways = {d.get("gateway") for d in documents}
    if len(gateways) != 1:
        raise ShardError(f"the reports are of different gateways ({', '.join(sorted(map(str, gateways)))})")
    scenarios = sorted((s for d in documents for s in d["scenarios"]), key=lambda s: s["nodeid"])
    merged = {
        **documents[0],
        "started": min(d["started"] for d in documents),
        "seconds": max(d["seconds"] for d in documents),
        "exit_status": max(d["exit_status"] for d in documents),
        "shards": len(documents),
        "totals": totals(scenarios),
        "features": summarize(scenarios),
        "scenarios": scenarios,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(merged, indent=2), encoding="utf-8")
    (out / "report.html").write_text(render_html(merged), encoding="utf-8")
    merge_junit([d / "junit.xml" for d in directories if (d / "junit.xml").exists()], out / "junit.xml")
    return merged


def merge_junit(files: list[Path], out: Path) -> None:
    """One <testsuite> holding every shard's test cases, its counts summed."""
    suite = ElementTree.Element("testsuite", name="sms-harness")
    counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    for path in files:
        root = ElementTree.parse(path).getroot()
        for part in [root] if root.tag == "testsuite" else root.iter("testsuite"):
            for key in counts:
                counts[key] += int(part.get(key, 0))
            seconds = max(seconds, float(part.get("time", 0)))
            suite.extend(part.findall("testcase"))
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{seconds:.3f}")
    ElementTree.ElementTree(suite).write(out, encoding="utf-8", xml_declaration=True)
