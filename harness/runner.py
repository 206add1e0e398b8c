"""`sms-harness run` and `sms-harness selfcheck`: the suite as a command, with its report.

Both run pytest in a child process over scenarios/ (so each run, and each
xdist worker, has its own emulator and gateway) and read back report.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness import isolation
from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN
from harness.report import summary_table

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
NO_TESTS = 5


class SuiteNotFound(Exception):
    """scenarios/ is not next to the harness package (an install without the checkout)."""


@dataclass
class RunOptions:
    gateway: str = "reference"
    gateway_config: str | None = None
    report: Path = Path("report")
    keyword: str | None = None
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


def pytest_argv(options: RunOptions) -> list[str]:
    if not (SCENARIOS / "test_features.py").exists():
        raise SuiteNotFound(
            f"cannot find the scenarios at {SCENARIOS}: run sms-harness from a checkout of the "
            "project (pip install -e .)"
        )
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(SCENARIOS),
        "--rootdir",
        str(ROOT),
        "-p",
        "no:cacheprovider",
        "--gateway",
        options.gateway,
        "--sms-report",
        str(options.report),
        "--junitxml",
        str(options.report / "junit.xml"),
        "--tb=short",
        "-rN",
        "--no-header",
    ]
    argv += ["-v"] if options.verbose else ["-q"]
    for flag, value in (
        ("--gateway-config", options.gateway_config),
        ("-k", options.keyword),
        ("--mutant", options.mutant),
        ("--emulator-url", options.emulator_url),
        ("--faker-seed", options.faker_seed),
        ("--openclaw-version", options.openclaw_version),
        ("--sms-plugin-version", options.sms_plugin_version),
        ("--openclaw-bin", options.openclaw_bin),
        ("--openclaw-state", options.openclaw_state),
        ("--shard", options.shard),
    ):
        if value is not None:
            argv += [flag, str(value)]
    argv += ["--sender", options.sender]
    if options.workers:
        argv += ["-n", str(options.workers)]
    if options.exitfirst:
        argv += ["-x"]
    return argv


def run_suite(options: RunOptions, quiet: bool = False) -> tuple[int, dict[str, Any] | None]:
    """Run pytest; returns its exit code and the report document (None if none was written)."""
    options.report.mkdir(parents=True, exist_ok=True)
    report = options.report / "report.json"
    report.unlink(missing_ok=True)
    out = subprocess.DEVNULL if quiet else None
    prepared: Path | None = None
    if options.isolate and options.gateway == "openclaw":
        prepared = isolation.prepare_openclaw(
            options.openclaw_version or DEFAULT_OPENCLAW,
            options.sms_plugin_version or DEFAULT_SMS_PLUGIN,
            options.openclaw_bin,
            options.workers,
        )
        options = replace(options, openclaw_state=str(prepared))
    argv = pytest_argv(options)
    try:
        argv = isolation.wrap(argv) if options.isolate else argv
        code = subprocess.run(argv, cwd=ROOT, stdout=out, stderr=out, stdin=subprocess.DEVNULL).returncode
    finally:
        if prepared:
            shutil.rmtree(prepared, ignore_errors=True)
    data = json.loads(report.read_text()) if report.exists() else None
    return code, data


def print_summary(data: dict[str, Any], report_dir: Path) -> None:
    print()
    print(summary_table(data))
    for scenario in (s for s in data["scenarios"] if s["outcome"] == "divergence"):
        print(f"\nDIVERGENCE {scenario['feature']} — {scenario['scenario']}\n    {scenario['message']}")
    failed = [s for s in data["scenarios"] if s["outcome"] == "failed"]
    for scenario in failed:
        print(f"\nFAILED {scenario['feature']} — {scenario['scenario']}")
        lines = [line for line in scenario["message"].splitlines() if line.strip()]
        print("\n".join("    " + line for line in lines[:25]))
    print(f"\nreport: {report_dir / 'report.html'} (also report.json, junit.xml)")


def run(options: RunOptions) -> int:
    code, data = run_suite(options)
    if data:
        print_summary(data, options.report)
    if code == NO_TESTS or (data is not None and not data["scenarios"]):
        print("sms-harness: no scenario matched", file=sys.stderr)
        return 1
    return code


# -- selfcheck ---------------------------------------------------------------------------------


def selfcheck(options: RunOptions, only: list[str] | None = None) -> int:
    """The unmutated reference must pass; each mutant must make at least one scenario fail."""
    from refclaw.mutants import MUTANTS

    if options.gateway != "reference":
        print("sms-harness: selfcheck runs against the reference gateway only", file=sys.stderr)
        return 2
    unknown = [m for m in only or [] if m not in MUTANTS]
    if unknown:
        print(f"sms-harness: unknown mutant(s) {', '.join(unknown)}; known: {', '.join(MUTANTS)}", file=sys.stderr)
        return 2
    base = options.report
    started = time.monotonic()
    print("selfcheck: the unmutated reference gateway must pass every scenario", flush=True)
    code, data = run_suite(
        RunOptions(**{**options.__dict__, "report": base / "unmutated", "verbose": False}), quiet=True
    )
    clean = code == 0 and data is not None and data["totals"]["failed"] == 0
    print(f"  unmutated: {'PASS' if clean else 'FAIL'} ({_totals(data)})", flush=True)
    rows = []
    for name in only or list(MUTANTS):
        mutant_started = time.monotonic()
        run_options = RunOptions(
            **{**options.__dict__, "report": base / name, "mutant": name, "exitfirst": True, "verbose": False}
        )
        code, data = run_suite(run_options, quiet=True)
        killer = next((s for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed"), None)
        # with -x under xdist pytest reports an interruption (exit 2): a failed scenario is what counts
        verdict = "killed" if killer else ("SURVIVED" if code == 0 else f"ERROR (exit {code})")
        rows.append((name, verdict, killer["scenario"] if killer else "", time.monotonic() - mutant_started))
        print(f"  {name:<28} {verdict:<10} {rows[-1][2][:70]} ({rows[-1][3]:.0f}s)", flush=True)
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\nkill matrix ({len(rows)} mutants, {time.monotonic() - started:.0f}s):")
    print(f"{'mutant':<{width}}  {'verdict':<10}  first failing scenario")
    for name, verdict, killer, _ in rows:
        print(f"{name:<{width}}  {verdict:<10}  {killer}")
    (base / "selfcheck.json").write_text(
        json.dumps(
            {
                "unmutated_passed": clean,
                "mutants": [{"name": n, "verdict": v, "killed_by": k, "seconds": round(s, 1)} for n, v, k, s in rows],
            },
            indent=2,
        )
    )
    survived = [r[0] for r in rows if r[1] != "killed"]
    if not clean:
        print("selfcheck FAILED: the unmutated reference gateway does not pass the suite")
        return 1
    if survived:
        print(f"selfcheck FAILED: not killed: {', '.join(survived)}")
        return 1
    print("selfcheck passed: every mutant was killed")
    return 0


def _totals(data: dict[str, Any] | None) -> str:
    if not data:
        return "no report"
    t = data["totals"]
    return f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped"
