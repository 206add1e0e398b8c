"""Ctrl-C and SIGTERM in the middle of `sms-harness run`: one line, exit 130, a partial report,
and no process of the run left behind (checked in the process table)."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import pytest

from harness.report import UNFINISHED
from tests.processes import Background, marked


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_stops_everything_and_keeps_what_finished(tmp_path: Path, sig: int, group: bool) -> None:
    mark = uuid.uuid4().hex
    run = Background("-m", "harness.cli", "run", "--report", str(tmp_path / "rep"), env={"HARNESS_TEST_MARK": mark})
    run.wait_for("scenarios/test_features.py::", timeout=120)
    for _ in range(3):  # a few scenarios in, with the gateway running
        run.wait_for("scenarios/test_features.py::", timeout=60)
    assert any(pid != run.proc.pid for pid in marked(mark)), "the gateway should be running by now"
    code = run.stop(timeout=60, sig=sig, group=group)

    name = signal.Signals(sig).name
    assert code == 130, (code, run.errors[-10:])
    said = [line for line in run.errors if line.startswith("sms-harness:")]
    assert len(said) == 1 and said[0].startswith(f"sms-harness: interrupted by {name}"), run.errors[-10:]
    assert "partial report" in said[0], said
    deadline = time.monotonic() + 10
    while marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marked(mark) == [], "a process of the run outlived it"
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    outcomes = [s["outcome"] for s in report["scenarios"]]
    assert outcomes.count("passed") >= 3, outcomes
    cut = [s for s in report["scenarios"] if s["message"] == UNFINISHED]
    assert all(s["outcome"] == "failed" for s in cut), "an interrupted scenario never counts as passed"
    assert len(cut) <= 1 and report["scenarios"][-1]["outcome"] in ("passed", "failed", "skipped", "divergence")
