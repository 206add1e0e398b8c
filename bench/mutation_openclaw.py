"""Mutation testing of the real plugin: how many of StrykerJS's mutants of `@openclaw/sms` the suite kills.

    python bench/mutation_openclaw.py [--sample N --seed S] [--budget MIN] [--report DIR]
    python bench/mutation_openclaw.py --rescore --report DIR    # after judging survivors equivalent: no run
    python bench/mutation_openclaw.py --resume DIR [--report DIR2]   # go on where a budget cut a run

`sms-harness selfcheck --gateway openclaw` runs 26 defects written by hand; this runs a seeded sample of
those a tool writes (harness/openclaw/jsmutants.py: Stryker's mutators over the published plugin's dist/,
kept to the channel's code paths). Each mutant is written alone into the private install that
`--sms-plugin-from` and selfcheck use (the published package installed the official way, reset between
runs), and the features that reach its function run against it with `-x`. Each feature first runs on the
unmutated plugin, the first time a mutant needs it (a budget cut then costs no run of features no mutant
reached); a mutant runs only the features that pass unmutated, within three times their time plus a gateway
start and two minutes; they start in a seeded random order, none after the budget. Killed: a scenario
failed and failed again run alone (the report says which; a kill that does not repeat, a timing failure on a
loaded machine, sends the features through once more; a gateway that did not start counts when it fails
twice); timeout: stopped at its bound (counted as killed); survived: every scenario passed. DIR/mutation.md and .json have bench/mutation.py's shape: score per dist
module, every survivor with its diff, the equivalents judged by hand in bench/mutation_openclaw_equivalent.toml.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import random
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mutation import (
    Equivalent,
    ModuleRun,
    Outcome,
    check_equivalents,
    read_equivalents,
    read_report,
    score,
    write_report,
)
from harness import children, preparation, runner, selfcheck
from harness.cache import ProvisionError
from harness.openclaw import install, jsmutants
from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN
from harness.openclaw.parity import published_package
from harness.openclaw.private import PrivatePlugin
from harness.report import UNFINISHED

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "bench" / "mutation_openclaw_equivalent.toml"
BASELINE_TIMEOUT = 3600.0  # the unmutated plugin over every sampled feature
START_FAILED = "the gateway did not start (twice): "
START_MARKERS = ("the gateway to start", "did not report ready")  # how a failed start reads in a report


def equivalents_for(mutants: Sequence[jsmutants.JsMutant], package: Path, path: Path = EQUIVALENTS) -> list[Equivalent]:
    """The hand-judged equivalents, each checked to name a generated mutant and quote its mutated line."""
    known = {(m.module, m.id): m for m in mutants}
    entries = read_equivalents(path) if path.exists() else []
    return check_equivalents(
        path, entries, lambda e: mutated_line(known[e.module, e.id], package) if (e.module, e.id) in known else None
    )


def mutated_line(mutant: jsmutants.JsMutant, package: Path) -> str:
    """The line the mutant starts on, as it reads after the mutation (what the equivalents file quotes)."""
    text = mutant.mutated((package / "dist" / mutant.file).read_text(encoding="utf-8"))
    return text.splitlines()[mutant.line - 1].strip()


def verdict(code: int, data: dict[str, Any] | None) -> tuple[str, str]:
    """killed, survived or incompetent (the run broke without a scenario failing), and what killed it."""
    failed = next((s for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed"), None)
    if failed and failed["message"] == UNFINISHED:  # stopped from outside, not by the mutant
        return "not run", "interrupted"
    if failed:
        first = next((line for line in failed["message"].splitlines() if line.strip()), "")
        start = any(marker in failed["message"] for marker in START_MARKERS)
        where = START_FAILED if start else ""
        return "killed", f"{where}{selfcheck.title(failed)}: {first.strip()[:200]}"
    if code == 0 and data and data["scenarios"]:
        return "survived", ""
    return "incompetent", f"pytest exited {code} with no failed scenario"


def feature_seconds(data: dict[str, Any]) -> dict[str, float]:
    """Each feature's scenario time in a run's report (its file's stem: the --feature name)."""
    seconds: dict[str, float] = {}
    for scenario in data["scenarios"]:
        name = Path(scenario["feature_file"]).stem
        seconds[name] = seconds.get(name, 0.0) + scenario["duration"]
    return seconds


def run_one(
    plugin: PrivatePlugin,
    mutant: jsmutants.JsMutant,
    features: Sequence[str],
    limit: float,
    base: runner.RunOptions,
    runs: Path,
    outcome: Outcome,
) -> None:
    """The private install reset, this one mutant written into it, `features` run against it within `limit`
    seconds; the verdict, what killed it and the time go into `outcome`. A gateway that did not start is
    blamed on the mutant only when it fails to start a second time: on a loaded machine a start can time out."""
    started = time.monotonic()
    try:
        for attempt in (1, 2):
            plugin.reset()
            mutant.apply(plugin.packages[0])
            where = runs / f"{mutant.module}-{mutant.id.replace('#', '-')}-{attempt}"
            options = replace(base, report=where, features=list(features), exitfirst=True)
            try:
                code, data = runner.run_suite(options, True, limit)
                outcome.status, outcome.output = verdict(code, data)
            except children.TimedOut:
                outcome.status, outcome.output = "timeout", f"stopped after {limit:.0f}s"
                break
            if outcome.output.startswith(START_FAILED):
                continue
            if outcome.status != "killed" or attempt == 2 or confirmed(plugin, mutant, options, data, limit):
                break
            print(f"{mutant.module} {mutant.id}: {outcome.output[:120]} passed run again alone: once more", flush=True)
    finally:
        outcome.seconds = round(time.monotonic() - started, 1)


def confirmed(
    plugin: PrivatePlugin,
    mutant: jsmutants.JsMutant,
    options: runner.RunOptions,
    data: dict[str, Any] | None,
    limit: float,
) -> bool:
    """Whether the scenario that killed the mutant fails again on it, run alone. On a loaded machine a scenario
    can fail on timing (a reply later than its timeout), the machine's doing, not the mutant's; a kill that
    does not repeat sends the mutant's features through once more, and that second run's verdict stands."""
    failed = next(s for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed")
    plugin.reset()
    mutant.apply(plugin.packages[0])
    name = failed["nodeid"].rpartition("::")[2].partition("[")[0]  # an outline's examples all run again
    again = replace(options, report=options.report.with_name(options.report.name + "-confirm"), keyword=name)
    try:
        return verdict(*runner.run_suite(again, True, limit))[0] == "killed"
    except children.TimedOut:
        return True  # a hang on the mutant, alone: as a timeout, a kill


class Unmutated:
    """Each feature's unmutated run, made the first time a mutant needs it, so a budget cut costs no run of
    features no mutant reached: whether it passes (a mutant runs only those that do) and its time."""

    def __init__(self, base: runner.RunOptions, report: Path) -> None:
        self.base, self.report = base, report
        self.seconds: dict[str, float] = {}  # scenario time per feature
        self.passed: dict[str, bool] = {}
        self.overhead = 0.0  # the longest time a run spent outside its scenarios (gateway start, set-up)
        self.lock = threading.Lock()  # one at a time: a worker waiting for a feature must not run it again

    def ready(self, plugin: PrivatePlugin, features: Sequence[str]) -> list[str]:
        """Of `features`, those the unmutated plugin passes, each run unmutated first if it has not been."""
        with self.lock:
            missing = [f for f in features if f not in self.passed]
            if missing:
                self.measure(plugin, missing)
            return [f for f in features if self.passed[f]]

    def measure(self, plugin: PrivatePlugin, features: list[str]) -> None:
        where = self.report / "runs" / f"unmutated-{'-'.join(features)}"
        options = replace(self.base, openclaw_state=str(plugin.root), report=where, features=features)
        for _ in range(2):  # a second chance for a run a loaded machine broke (a start that timed out)
            plugin.reset()
            started = time.monotonic()
            try:
                code, data = runner.run_suite(options, True, BASELINE_TIMEOUT)
            except children.TimedOut:  # its features count as failing, not the whole run as broken
                code, data = 124, None
            failed = {
                Path(s["feature_file"]).stem for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed"
            }
            if code == 0 and data and not failed:
                break
        seconds = feature_seconds(data or {"scenarios": []})
        self.overhead = max(self.overhead, time.monotonic() - started - sum(seconds.values()))
        for feature in features:
            self.seconds[feature] = seconds.get(feature, 0.0)
            self.passed[feature] = bool(data) and feature in seconds and feature not in failed
        print(
            f"unmutated {', '.join(features)}: {selfcheck.totals(data)} in {time.monotonic() - started:.0f}s",
            flush=True,
        )

    def bound(self, features: Sequence[str]) -> float:
        """A mutant's time limit: three times what its features took unmutated, with one gateway start, plus two
        minutes (the machine is shared: a run that is merely slowed must not pass for a hang)."""
        return round(3 * (self.overhead + sum(self.seconds.get(f, 0.0) for f in features)) + 120)


def earlier_verdicts(
    report: Path, seed: int, sample: int, plugin_version: str
) -> tuple[dict[tuple[str, str], Outcome], dict]:
    """The verdicts an earlier run of the same sample reached (to go on where its budget cut it), and its
    settings with its module rows (`modules`); the mutants it did not run are left to this one."""
    try:
        runs, meta = read_report(report)
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"--resume {report}: no finished report there to go on from ({exc})") from None
    if (meta["seed"], meta["sample"], meta["sms_plugin"]) != (seed, sample, plugin_version):
        raise SystemExit(
            f"--resume {report}: it ran seed {meta['seed']}, {meta['sample']} mutants of {meta['sms_plugin']}, "
            f"not seed {seed}, {sample} of {plugin_version}"
        )
    kept = {(o.module, o.id): o for r in runs for o in r.outcomes if o.status not in ("not run", "incompetent")}
    return kept, {**meta, "modules": {r.module: r for r in runs}}


def run(
    options: runner.RunOptions,
    sample: int,
    seed: int,
    budget: float,
    report: Path,
    workers: int = 1,
    resume: Path | None = None,
) -> int:
    """Generate, sample, run the unmutated plugin, then each mutant on `workers` private installs; the report.
    With `resume`, the mutants an earlier run of the same sample reached keep their verdicts."""
    started = time.monotonic()
    deadline = started + 60 * budget
    install.install(options.openclaw_version or DEFAULT_OPENCLAW)
    tool, node = jsmutants.tool(), install.node()
    with contextlib.ExitStack() as stack:
        plugins = [stack.enter_context(preparation.private_plugin(options)) for _ in range(workers)]
        package = plugins[0].packages[0]
        mutants = jsmutants.generate(package, node, tool)
        chosen = jsmutants.sample(mutants, sample, seed)
        equivalents = equivalents_for(mutants, package)
        kept = [m for m in mutants if not m.left_out]
        print(
            f"{len(mutants)} mutants by Stryker {jsmutants.STRYKER_VERSION}, {len(kept)} in the channel's paths, "
            f"{len(chosen)} sampled (seed {seed})",
            flush=True,
        )
        base = replace(options, workers=0, verbose=False)
        baselines = Unmutated(base, report)
        outcomes = [(m, Outcome(m.module, m.id, m.line, m.scope, "not run", 0.0, m.diff(package))) for m in chosen]
        plugin_version = options.sms_plugin_version or DEFAULT_SMS_PLUGIN
        earlier, before = earlier_verdicts(resume, seed, len(chosen), plugin_version) if resume else ({}, {})
        for _, outcome in outcomes:
            if (outcome.module, outcome.id) in earlier:
                prior = earlier[outcome.module, outcome.id]
                outcome.status, outcome.seconds, outcome.output = prior.status, prior.seconds, prior.output
        if resume:
            print(
                f"{len(earlier)} verdicts kept from {resume}; {len(chosen) - len(earlier)} mutants to run", flush=True
            )
        limits: dict[tuple[str, str], float] = {}
        free: queue.Queue[PrivatePlugin] = queue.Queue()
        for plugin in plugins:
            free.put(plugin)
        done = iter(range(1, len(outcomes) + 1))

        def one(job: tuple[jsmutants.JsMutant, Outcome]) -> None:
            mutant, outcome = job
            if outcome.status != "not run" or time.monotonic() > deadline:
                return  # no mutant starts after the budget: it stays 'not run'
            plugin = free.get()
            try:
                features = baselines.ready(plugin, mutant.features)
                if not features or time.monotonic() > deadline:
                    outcome.output = "" if features else f"its features fail unmutated: {', '.join(mutant.features)}"
                    return
                limit = limits[mutant.module, mutant.id] = baselines.bound(features)
                base_here = replace(base, openclaw_state=str(plugin.root))
                run_one(plugin, mutant, features, limit, base_here, report / "runs", outcome)
            finally:
                free.put(plugin)
            print(
                f"[{next(done)}/{len(outcomes)}] {mutant.module} {mutant.id} line {mutant.line} ({mutant.scope}): "
                f"{outcome.status} {outcome.seconds:.0f}s {outcome.output[:150]}",
                flush=True,
            )

        order = outcomes.copy()
        random.Random(seed).shuffle(order)  # a budget cut leaves a random part of the sample, not the last file
        pool = ThreadPoolExecutor(max_workers=workers)
        interrupted = False
        try:
            list(pool.map(one, order))
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the running mutants finish (within their bounds)
            interrupted = True
            print("interrupted: no other mutant starts; the report shows what ran", flush=True)
        finally:
            pool.shutdown(cancel_futures=True)
    runs = []
    for module in jsmutants.MODULES:
        mine = [(m, o) for m, o in outcomes if m.module == module]
        features = tuple(sorted({f for m, _ in mine for f in m.features}))
        prior = before.get("modules", {}).get(module)  # a resumed run's figures span both sittings
        runs.append(
            ModuleRun(
                module,
                features,
                baseline_seconds=max(
                    sum(baselines.seconds.get(f, 0.0) for f in features), prior.baseline_seconds if prior else 0.0
                ),
                timeout=max([limits.get((m.module, m.id), 0) for m, _ in mine] + [prior.timeout if prior else 0]),
                annotations=sum(1 for m in mutants if m.module == module and m.left_out),
                outcomes=[o for _, o in mine],
            )
        )
    meta = {
        "stryker": jsmutants.STRYKER_VERSION,
        "openclaw": options.openclaw_version or DEFAULT_OPENCLAW,
        "sms_plugin": plugin_version,
        "generated": len(mutants),
        "in_paths": len(kept),
        "sample": len(chosen),
        "seed": seed,
        "budget_minutes": budget,
        "workers": workers,
        "wall_seconds": time.monotonic() - started + before.get("wall_seconds", 0.0),
        "sittings": before.get("sittings", 1) + 1 if resume else 1,
        "left_out": {why: sum(1 for m in mutants if m.left_out == why) for why in ("logging", "ui text", "not mapped")},
    }
    print(write(report, runs, equivalents, meta))
    return 130 if interrupted else 0


def write(report: Path, runs: list[ModuleRun], equivalents: Sequence[Equivalent], meta: dict[str, Any]) -> str:
    """bench/mutation.py's report, headed with this run's tool, versions and sample, and its start failures."""
    left = ", ".join(f"{count} {why}" for why, count in meta["left_out"].items())
    heading = [
        "# Mutation testing of the real plugin",
        "",
        f"StrykerJS instrumenter {meta['stryker']} over `@openclaw/sms@{meta['sms_plugin']}`'s dist/, run on "
        f"openclaw {meta['openclaw']}: {meta['generated']} mutants generated, {meta['in_paths']} in the channel's "
        f"paths (left out: {left}), a sample of {meta['sample']} (seed {meta['seed']}); budget "
        f"{meta['budget_minutes']} min; {meta['workers']} worker(s); wall time {meta['wall_seconds']:.0f} s"
        f"{' in ' + str(meta['sittings']) + ' sittings (--resume)' if meta.get('sittings', 1) > 1 else ''}.",
        "Score = killed (timeouts included) / (killed + timeout + survived); equivalent and incompetent "
        "mutants are left out; 'not run' ones were cut by the budget. Each mutant ran the features of its "
        "function (harness/openclaw/jsmutants.py FEATURES) with -x.",
    ]
    outcomes = [o for r in runs for o in r.outcomes]
    total = score(outcomes, {(e.module, e.id) for e in equivalents})
    heading.append(
        f"**All modules: {total['killed'] + total['timeout']}/{total['total']} = {total['score']} %** "
        f"({total['killed']} killed, {total['timeout']} timeouts, {total['survived']} survived, "
        f"{total['equivalent']} equivalent, {total['incompetent']} incompetent, {total['not run']} not run)."
    )
    sections = {
        "Killed by a gateway that did not start": [o for o in outcomes if o.output.startswith(START_FAILED)],
        "Timeouts": [o for o in outcomes if o.status == "timeout"],
        "What killed each mutant": [o for o in outcomes if o.status == "killed"],
    }
    extra: list[str] = []
    for title, listed in sections.items():
        extra += ["", f"## {title} ({len(listed)})", ""]
        extra += [f"- {o.module} `{o.id}` line {o.line} ({o.definition}): {o.output}" for o in listed]
    return write_report(report, runs, equivalents, meta, heading, "left out", extra[1:])


def rescore(report: Path) -> str:
    """The report of a finished run again, with today's equivalents (checked against the published package)."""
    runs, meta = read_report(report)
    package = published_package(meta["sms_plugin"])
    equivalents = equivalents_for(jsmutants.generate(package, install.node(), jsmutants.tool()), package)
    return write(report, runs, equivalents, meta)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", type=int, default=45, help="how many mutants, seeded (default 45)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--budget", type=float, default=85, help="minutes after which no new mutant starts")
    p.add_argument("--workers", type=int, default=1, choices=(1, 2), help="mutants at once, each with its gateway")
    p.add_argument("--report", type=Path, default=Path("report/mutation-openclaw"))
    p.add_argument("--rescore", action="store_true", help="no run: score DIR/mutation.json again")
    p.add_argument("--resume", type=Path, help="keep the verdicts of an earlier run of the same sample in this DIR")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # as Ctrl-C: the report, the private installs gone
    try:
        if args.rescore:
            print(rescore(args.report))
            return 0
        options = runner.RunOptions(gateway="openclaw")
        return run(options, args.sample, args.seed, args.budget, args.report, args.workers, args.resume)
    except (jsmutants.GenerationError, preparation.PreparationError, ValueError) as exc:
        print(f"mutation-openclaw: {exc}", file=sys.stderr)
        return 2
    except ProvisionError as exc:
        print(f"mutation-openclaw: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:  # before the mutants: the unmutated runs have ended, the private installs are gone
        print("mutation-openclaw: interrupted before any mutant ran", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
