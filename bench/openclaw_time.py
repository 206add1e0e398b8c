"""Where the real-gateway run's time goes, next to the reference run of the same scenarios.

Runs the suite against the reference gateway and then against OpenClaw (two pytest
processes, one after the other, so they never share the 2 cores) and prints, side
by side: wall time, scenario count and median, provisioning and plugin install,
gateway starts (count, seconds), hot reloads (count, seconds), CLI calls (count,
median, sum), and the step definitions that took the most time. Every change to
the OpenClaw driver shows here what it bought. Bounded by --max-seconds per run.

    python bench/openclaw_time.py [-k EXPR] [--max-seconds 3600] [--top 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suite_run import SuiteRun, run_suite


def rows(run: SuiteRun) -> dict[str, str]:
    t, cli = run.timings, run.cli
    return {
        "pytest exit": str(run.exit_code),
        "outcomes": " ".join(f"{k}={v}" for k, v in run.totals.items() if v),
        "wall time": f"{run.wall:.1f} s",
        "scenarios measured": str(len(run.durations)),
        "sum of scenario times": f"{sum(run.durations):.1f} s",
        "median scenario": f"{run.median:.2f} s",
        "provisioning (cache check)": f"{t.get('provisioning', 0):.1f} s",
        "plugin install": f"{t.get('plugin_install', 0):.1f} s",
        "gateway starts": f"{int(t.get('starts', 0))} in {t.get('gateway_starts', 0):.1f} s",
        "hot reloads waited for": f"{int(t.get('reloads', 0))} in {t.get('reload_seconds', 0):.1f} s",
        "CLI calls": f"{len(cli)}, median {statistics.median(cli):.2f} s, {sum(cli):.1f} s" if cli else "-",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default=None, help="only scenarios matching this expression")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="per run")
    parser.add_argument("--top", type=int, default=12, help="how many step definitions to list")
    args = parser.parse_args()
    runs = [run_suite(gateway, args.k, args.max_seconds) for gateway in ("reference", "openclaw")]
    table = [rows(r) for r in runs]
    print(f"{'':32} {'reference':>28} {'openclaw':>34}")
    for key in table[0]:
        print(f"{key:32} {table[0][key]:>28} {table[1][key]:>34}")
    ref, real = runs
    if ref.wall:
        print(f"{'openclaw / reference wall time':32} {real.wall / ref.wall:>63.1f}x")
    print("\nstep definitions by OpenClaw time (count, seconds; reference seconds):")
    ranked = sorted(real.steps.items(), key=lambda item: -item[1][1])[: args.top]
    for name, (count, seconds) in ranked:
        print(f"  {name:40} {int(count):5d} {seconds:8.1f} s   {ref.steps.get(name, [0, 0.0])[1]:7.1f} s")


if __name__ == "__main__":
    main()
