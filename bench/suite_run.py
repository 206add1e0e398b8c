"""Run the conformance suite in its own pytest process and read back where its time went.

Shared by bench/suite_time.py and bench/openclaw_time.py: the report's scenario
durations, the driver's timings (provisioning, gateway starts, hot reloads, CLI
calls) and each step definition's count and seconds.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "Start and stop"  # bench/noop's scenario: the harness's own cost per scenario


@dataclass
class SuiteRun:
    gateway: str
    wall: float
    exit_code: int
    totals: dict[str, int]
    durations: list[float]  # measured scenarios (not skipped, not the baseline)
    baseline: list[float]
    timings: dict[str, Any] = field(default_factory=dict)  # summed over workers
    steps: dict[str, list[float]] = field(default_factory=dict)  # step function -> [count, seconds]
    cpu: float = 0.0  # CPU seconds of pytest and everything it started (emulator, gateways, CLIs)

    @property
    def waiting_share(self) -> float:
        """The share of wall time in which nothing of the run computed (on one worker): waits."""
        return max(0.0, 1 - self.cpu / self.wall) if self.wall else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.durations) if self.durations else 0.0

    @property
    def cli(self) -> list[float]:
        return list(self.timings.get("cli", []))


def run_suite(
    gateway: str, keyword: str | None, max_seconds: float, baseline: bool = False, workers: int = 0
) -> SuiteRun:
    """The suite (and, with `baseline`, bench/noop) against `gateway`, bounded by `max_seconds`.

    `workers`: pytest-xdist workers, each with its own emulator and gateway (0: one process).
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        argv = [sys.executable, "-m", "pytest", str(ROOT / "scenarios")]
        argv += [str(ROOT / "bench" / "noop")] if baseline else []
        argv += ["-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "--gateway", gateway]
        argv += ["--sms-report", str(report)]
        argv += ["-n", str(workers)] if workers else []
        if keyword:
            argv += ["-k", f"({keyword}) or start_and_stop" if baseline else keyword]
        started, cpu_before = time.perf_counter(), children_cpu()
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=max_seconds)
        wall, cpu = time.perf_counter() - started, children_cpu() - cpu_before
        try:
            data = json.loads((report / "report.json").read_text())
        except FileNotFoundError:
            raise SystemExit(
                f"{gateway}: no report (pytest exit {result.returncode}):\n{result.stdout[-2000:]}"
            ) from None
        parts = [json.loads(f.read_text()) for f in report.glob("gateway-timings-*.json")]
    timings: dict[str, Any] = {}
    steps: dict[str, list[float]] = {}
    for part in parts:
        for name, [count, seconds] in part.pop("steps", {}).items():
            entry = steps.setdefault(name, [0, 0.0])
            entry[0] += count
            entry[1] += seconds
        for key, value in part.items():
            timings[key] = timings.get(key, [] if isinstance(value, list) else 0) + value
    scenarios = data["scenarios"]
    return SuiteRun(
        gateway,
        wall,
        result.returncode,
        data["totals"],
        [s["duration"] for s in scenarios if BASELINE not in s["scenario"] and s["outcome"] != "skipped"],
        [s["duration"] for s in scenarios if BASELINE in s["scenario"]],
        timings,
        steps,
        cpu,
    )


def children_cpu() -> float:
    """CPU seconds of every finished child so far, their own children included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
