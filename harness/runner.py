"""`sms-harness run`: the suite as a command, with its report.

The run's options become pytest's argv; pytest runs in a child process over scenarios/ (so each run,
and each xdist worker, has its own emulator and gateway; `children.run_child`), and report.json is
read back and summed up. `selfcheck.py`, `grid.py` and `matrix.py` run the suite through `run_suite`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness import gateways, isolation, layout
from harness import options as option_table
from harness.children import run_child
from harness.preparation import prepared_state
from harness.report import UNFINISHED, summary_table

NO_TESTS = 5
SCENARIO_TIMEOUT = 120  # seconds; pyproject's ini says the same for a plain pytest run in the checkout


class SuiteNotFound(Exception):
    """The suite's files are missing from this install (a broken or partial package)."""


@dataclass
class RunOptions:
    gateway: str = "reference"
    gateway_config: str | None = None
    report: Path = Path("report")
    keyword: str | None = None
    tags: str | None = None
    workers: int = 0
    mutant: str | None = None
    faker_seed: int | None = None
    emulator_url: str | None = None
    sender: str = "emulator"
    exitfirst: bool = False
    verbose: bool = True
    openclaw_version: str | None = None
    sms_plugin_version: str | None = None
    openclaw_bin: str | None = None
    isolate: bool = False
    openclaw_state: str | None = None
    shard: str | None = None
    features: list[str] | None = None
    sms_plugin_from: str | None = None
    divergences: str | None = None
    hermes_version: str | None = None
    hermes_root: str | None = None


def suite_root() -> Path:
    """pytest's rootdir and working directory: the checkout, or the installed suite's folder.
    The user's own paths (report, gateway config) are made absolute before they get here."""
    return layout.CHECKOUT if layout.in_checkout() else layout.scenarios_dir()


def pytest_argv(options: RunOptions) -> list[str]:
    suite = layout.scenarios_dir()
    if not (suite / "test_features.py").exists() or not layout.feature_names():
        raise SuiteNotFound(
            f"the suite is missing from this install (no scenarios or features at {suite}): reinstall sms-harness"
        )
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(suite),
        "--rootdir",
        str(suite_root()),
        "-p",
        "no:cacheprovider",
        "-o",
        f"timeout={SCENARIO_TIMEOUT}",
        "--junitxml",
        str(options.report / "junit.xml"),
        "--tb=short",
        "-rN",
        "--no-header",
        "-v" if options.verbose else "-q",
        *option_table.pytest_flags(asdict(options)),
    ]
    if options.exitfirst:
        argv += ["-x"]
    return argv


def run_suite(
    options: RunOptions, quiet: bool = False, timeout: float | None = None
) -> tuple[int, dict[str, Any] | None]:
    """Run pytest; returns its exit code and the report document (None if none was written).
    Past `timeout` seconds the run is stopped as Ctrl-C stops it and `children.TimedOut` is raised."""
    options.report.mkdir(parents=True, exist_ok=True)
    report = options.report / "report.json"
    report.unlink(missing_ok=True)
    out = subprocess.DEVNULL if quiet else None
    gateways.provision(options.gateway, options.openclaw_version, options.openclaw_bin, options.hermes_version)
    with prepared_state(options) as ready:
        argv = pytest_argv(ready)
        argv = isolation.wrap(argv) if ready.isolate else argv
        code, caught = run_child(argv, suite_root(), out, timeout)
    data = json.loads(report.read_text()) if report.exists() else None
    if caught:
        finished = None if data is None else sum(s["message"] != UNFINISHED for s in data["scenarios"])
        raise Interrupted(caught, options.report, finished)
    return code, data


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped the run; what finished is in the partial report."""

    def __init__(self, signum: int, report: Path, finished: int | None) -> None:
        self.signum, self.report, self.finished = signum, report, finished
        name = signal.Signals(signum).name
        where = (
            f"partial report ({finished} scenario(s) finished) in {report / 'report.html'}"
            if finished is not None
            else "no report was written"
        )
        super().__init__(f"interrupted by {name}; every process the run started is stopped; {where}")


def print_summary(data: dict[str, Any], report_dir: Path) -> None:
    print()
    print(summary_table(data))
    for scenario in (s for s in data["scenarios"] if s["outcome"] == "divergence"):
        print(f"\nDIVERGENCE {scenario['feature']} — {scenario['scenario']}")
        print("\n".join("    " + line for line in scenario["message"].splitlines()))
    for scenario in (s for s in data["scenarios"] if s["outcome"] == "skipped"):
        print(f"\nSKIPPED {scenario['feature']} — {scenario['scenario']}\n    {scenario['message']}")
    failed = [s for s in data["scenarios"] if s["outcome"] == "failed"]
    for scenario in failed:
        print(f"\nFAILED {scenario['feature']} — {scenario['scenario']}")
        lines = [line for line in scenario["message"].splitlines() if line.strip()]
        print("\n".join("    " + line for line in lines[:25]))
    print(f"\nreport: {report_dir / 'report.html'} (also report.json, junit.xml)")


def run(options: RunOptions) -> int:
    from harness import matrix

    if matrix.wanted(options):
        return matrix.run(options)
    code, data = run_suite(options)
    if data:
        print_summary(data, options.report)
    if code == NO_TESTS or (data is not None and not data["scenarios"]):
        print(f"sms-harness: no scenario matched {chosen(options)}", file=sys.stderr)
        return 1
    return code


def chosen(options: RunOptions) -> str:
    """The filters a run was given, and how each one matches, for a run that matched nothing."""
    given = [
        f"{flag} {value!r}"
        for flag, value in (("-k", options.keyword), ("--tags", options.tags), ("--shard", options.shard))
        if value
    ] + [f"--feature {name}" for name in options.features or []]
    return (
        f"{' and '.join(given) or 'the run'}: -k matches scenario and example names, --tags the scenarios' "
        "tags (guide, observed, pairing, signature, …), --feature a file of features/"
    )
