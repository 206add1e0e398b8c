"""Where the real-gateway run's time goes, next to the reference run of the same scenarios.

Runs the suite against the reference gateway and then against OpenClaw (two pytest
processes, one after the other, so they never share the 2 cores) and prints, side
by side: wall time, scenario count and median, provisioning and plugin install,
gateway starts (count, seconds), hot reloads (count, seconds), CLI calls (count,
median, sum), the CPU time of every process of the run and the wall time that CPU
alone needs on this machine's cores (no parallel run can be faster), and the step
definitions that took the most time. Every change to the OpenClaw driver shows here
what it bought. Bounded by --max-seconds per run.

    python bench/openclaw_time.py [-k EXPR] [--workers 0,2] [--max-seconds 3600] [--top 12]

`--workers 0,2` runs OpenClaw once serially and once with two pytest-xdist workers (each its own
gateway), so the table shows what parallel workers buy on the same machine in the same run.
Timings of several workers are summed (CPU-side figures); wall time is the run's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suite_run import SuiteRun, run_suite

CORES = os.cpu_count() or 1


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
        "CPU, every process of the run": f"{run.cpu:.0f} s",
        "  of it pytest and the emulator": f"{t.get('harness_cpu', 0):.0f} s",
        f"wall floor on {CORES} cores (CPU / cores)": f"{run.cpu / CORES:.0f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default=None, help="only scenarios matching this expression")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="per run")
    parser.add_argument("--top", type=int, default=12, help="how many step definitions to list")
    parser.add_argument("--workers", default="0", help="OpenClaw runs to make, by worker count (e.g. 0,2)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    ref = run_suite("reference", args.k, args.max_seconds)
    reals = [run_suite("openclaw", args.k, args.max_seconds, workers=n) for n in counts]
    table = [rows(r) for r in (ref, *reals)]
    names = ["reference", *(f"openclaw -n {n}" if n else "openclaw" for n in counts)]
    print(f"{'':32} {names[0]:>28}" + "".join(f" {name:>34}" for name in names[1:]))
    for key in table[0]:
        print(f"{key:32} {table[0][key]:>28}" + "".join(f" {t[key]:>34}" for t in table[1:]))
    if ref.wall:
        print(
            f"{'openclaw / reference wall time':32} {'':>28}" + "".join(f" {r.wall / ref.wall:>33.1f}x" for r in reals)
        )
    if len(reals) > 1 and reals[-1].wall:
        print(f"{'first / last openclaw wall time':32} {'':>28} {reals[0].wall / reals[-1].wall:>33.2f}x")
    real = reals[0]
    print("\nstep definitions by OpenClaw time (count, seconds; reference seconds):")
    ranked = sorted(real.steps.items(), key=lambda item: -item[1][1])[: args.top]
    for name, (count, seconds) in ranked:
        print(f"  {name:40} {int(count):5d} {seconds:8.1f} s   {ref.steps.get(name, [0, 0.0])[1]:7.1f} s")
    if args.k is None:  # the goals are about the whole suite, run as CI runs it (the most workers)
        goals(max(zip(counts, reals, strict=True), key=lambda pair: pair[0]))


# The whole OpenClaw run's CPU work before the second round of performance work: 635-668 s of CPU
# on 2 cores (the project's figures, several runs). The goal is 40 % less, measured from the low end.
CPU_BEFORE = 635.0
CPU_GOAL = 0.6 * CPU_BEFORE
WALL_GOAL = 1.15  # the run's wall time over its CPU floor (CPU / cores)


def goals(judged: tuple[int, SuiteRun]) -> None:
    """The goals for a whole OpenClaw run, each as met or not, with the figure reached. The wall time
    is judged only on a run with a worker per core: a serial run cannot use the cores it is held to."""
    workers, run = judged
    floor = run.cpu / CORES
    parallel = workers >= CORES
    checks = [
        (f"run CPU <= {CPU_GOAL:.0f} s (-40 % of {CPU_BEFORE:.0f} s)", run.cpu, CPU_GOAL),
        (f"wall <= {WALL_GOAL}x CPU / {CORES} cores", run.wall / floor if floor and parallel else None, WALL_GOAL),
    ]
    print(f"\ngoals (the whole suite against OpenClaw, the run with {workers or 'no'} workers):")
    for name, reached, target in checks:
        verdict = "not measured" if reached is None else ("met" if reached <= target else "NOT met")
        print(f"  {name:40} {verdict:8}" + (f" ({reached:.2f})" if reached is not None else ""))


if __name__ == "__main__":
    main()
