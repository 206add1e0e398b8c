"""The conformance suite's wall time, the share of it spent waiting, and the harness's overhead.

Runs, in one pytest process, the whole suite and a baseline feature whose
scenarios only start and stop (bench/noop). Prints the suite's wall time, the
CPU time of everything the run started against it (the rest is waiting: for
replies, quiet windows, polls), the median scenario time, the median baseline
time (the harness overhead every scenario pays) and their ratio. Bounded by
--max-seconds.

    python bench/suite_time.py [--gateway reference|openclaw] [-k EXPR] [--max-seconds 1800]

For the OpenClaw run's breakdown next to the reference's, see bench/openclaw_time.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suite_run import run_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default="reference")
    parser.add_argument("-k", default=None, help="only scenarios matching this expression (and the baseline)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    run = run_suite(args.gateway, args.k, args.max_seconds, baseline=True)
    if not run.baseline or not run.durations:
        raise SystemExit(f"nothing measured (pytest exit {run.exit_code})")
    base = sorted(run.baseline)[len(run.baseline) // 2]
    print(f"gateway: {args.gateway}; pytest exit {run.exit_code}; {run.totals}")
    print(f"wall time (suite + {len(run.baseline)} baseline runs, one process): {run.wall:8.1f} s")
    print(f"scenarios measured:                                  {len(run.durations):8d}")
    print(f"sum of scenario times:                               {sum(run.durations):8.1f} s")
    print(f"median scenario time:                                {run.median:8.3f} s")
    print(f"median baseline (start + stop only) = harness overhead: {base:5.3f} s")
    print(f"overhead share of the median scenario:               {base / run.median:8.2f}")
    print(
        f"CPU of the run (pytest, emulator, gateway, CLIs): {run.cpu:8.1f} s of {run.wall:.1f} s wall: "
        f"{run.waiting_share:.0%} of the time spent waiting"
    )
    if args.gateway == "reference":
        total = sum(run.durations)
        print(
            f"the reference suite on one worker against its 30 s goal: {total:.1f} s ({'within' if total <= 30 else 'over'})"
        )
        if total > 30:
            waited = run.wall * run.waiting_share
            print(
                f"in the way: {run.cpu:.1f} s of CPU (the run's own work, {'over' if run.cpu > 30 else 'under'} 30 s "
                f"even with no waiting) and {waited:.1f} s of waiting (replies, quiet windows, polls)"
            )


if __name__ == "__main__":
    main()
