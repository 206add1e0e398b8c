"""The conformance suite's wall time and the harness's overhead per scenario.

Runs, in one pytest process, the whole suite and a baseline feature whose
scenarios only start and stop (bench/noop). Prints the suite's wall time, the
median scenario time, the median baseline time (the harness overhead every
scenario pays) and their ratio. Bounded by pytest-timeout and --max-seconds.

    python bench/suite_time.py [--gateway reference|openclaw] [-k EXPR] [--max-seconds 1800]

With --gateway openclaw it also splits the wall time into provisioning, gateway
starts and scenarios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default="reference")
    parser.add_argument("-k", default=None, help="only scenarios matching this expression (and the baseline)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "scenarios"),
            str(ROOT / "bench" / "noop"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            "--gateway",
            args.gateway,
            "--sms-report",
            str(report),
        ]
        if args.k:
            argv += ["-k", f"({args.k}) or start_and_stop"]
        started = time.perf_counter()
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=args.max_seconds)
        wall = time.perf_counter() - started
        data = json.loads((report / "report.json").read_text())
        timings = [json.loads(f.read_text()) for f in report.glob("gateway-timings-*.json")]
    baseline = [s["duration"] for s in data["scenarios"] if "Start and stop" in s["scenario"]]
    suite = [
        s["duration"] for s in data["scenarios"] if "Start and stop" not in s["scenario"] and s["outcome"] != "skipped"
    ]
    if not baseline or not suite:
        raise SystemExit(f"nothing measured (pytest exit {result.returncode}):\n{result.stdout[-2000:]}")
    base, median = statistics.median(baseline), statistics.median(suite)
    print(f"gateway: {args.gateway}; pytest exit {result.returncode}; {data['totals']}")
    print(f"wall time (suite + {len(baseline)} baseline runs, one process): {wall:8.1f} s")
    print(f"scenarios measured:                                  {len(suite):8d}")
    print(f"sum of scenario times:                               {sum(suite):8.1f} s")
    print(f"median scenario time:                                {median:8.3f} s")
    print(f"median baseline (start + stop only) = harness overhead: {base:5.3f} s")
    print(f"overhead share of the median scenario:               {base / median:8.2f}")
    if timings:  # the OpenClaw driver says where its time went
        provisioning = sum(t.get("provisioning", 0) + t.get("plugin_install", 0) for t in timings)
        starts = sum(t.get("gateway_starts", 0) for t in timings)
        count = sum(int(t.get("starts", 0)) for t in timings)
        calls = [c for t in timings for c in t.get("cli", [])]
        print(f"split: provisioning (cache check + plugin install)    {provisioning:8.1f} s")
        print(f"split: gateway starts ({count:d})                          {starts:8.1f} s")
        if calls:
            print(
                f"split: CLI calls ({len(calls)}, median {statistics.median(calls):.2f} s)           {sum(calls):8.1f} s"
            )
        print(f"split: scenarios (the rest of the wall time)         {wall - provisioning - starts:8.1f} s")
    elif args.gateway == "reference":
        print(
            f"the reference suite on one worker against its 90 s goal: {sum(suite):.1f} s "
            f"({'within' if sum(suite) < 90 else 'over'})"
        )


if __name__ == "__main__":
    main()
