"""`sms-harness selfcheck`: the suite must pass the unmutated gateway and fail each of its mutants
(refclaw's own, defects written into a private install of the real plugin, or into a copy of
Hermes's code), one run each; the kill matrix is printed and written as selfcheck.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from harness.openclaw.install import DEFAULT_SMS_PLUGIN
from harness.preparation import private_plugin
from harness.runner import RunOptions, run_suite

# What a selfcheck run changes in the options: the mutant (None: the unmutated gateway) to overrides.
Setup = Callable[[str | None], dict[str, Any]]


def selfcheck(options: RunOptions, only: list[str] | None = None) -> int:
    """The unmutated gateway must pass; each mutant must make at least one scenario fail."""
    if options.gateway == "openclaw":
        return selfcheck_openclaw(options, only)
    if options.gateway == "hermes":
        return selfcheck_hermes(options, only)
    if options.gateway != "reference":
        print("sms-harness: selfcheck runs against the reference gateway, OpenClaw or Hermes", file=sys.stderr)
        return 2
    from refclaw.mutants import MUTANTS

    names = known_mutants(only, list(MUTANTS))
    if names is None:
        return 2
    return kill_matrix(options, names, lambda name: {"mutant": name}, "the unmutated reference gateway")


def selfcheck_openclaw(options: RunOptions, only: list[str] | None) -> int:
    """Each defect of mutants.MUTANTS written into a private install of the real plugin, one at a time."""
    from harness.openclaw import mutants

    names = known_mutants(only, list(mutants.MUTANTS))
    if names is None:
        return 2
    features = sorted({feature for name in names for feature in mutants.MUTANTS[name].features})
    version = options.sms_plugin_version or DEFAULT_SMS_PLUGIN
    with private_plugin(options) as plugin:  # with --sms-plugin-from: the mutants of a local build

        def setup(name: str | None) -> dict[str, Any]:
            plugin.reset()
            if name:
                where = mutants.apply(name, plugin.packages[0])
                print(f"  {name}: {mutants.MUTANTS[name].what} ({where.name})", flush=True)
            chosen = list(mutants.MUTANTS[name].features) if name else features
            return {"openclaw_state": str(plugin.root), "features": chosen, "workers": 0}

        try:
            unmutated = f"the unmutated @openclaw/sms@{version} ({', '.join(features)})"
            return kill_matrix(options, names, setup, unmutated)
        except mutants.MutationError as exc:
            print(f"sms-harness: {exc}", file=sys.stderr)
            return 2


def selfcheck_hermes(options: RunOptions, only: list[str] | None) -> int:
    """Each defect of hermes.mutants.MUTANTS in a private (hard-linked) copy of Hermes's venv, one at a time."""
    from harness.hermes import install, mutants

    names = known_mutants(only, list(mutants.MUTANTS))
    if names is None:
        return 2
    features = sorted({feature for name in names for feature in mutants.MUTANTS[name][1].features})
    version = options.hermes_version or install.DEFAULT_HERMES
    hermes = install.install(version)
    # beside the cache entry: hard links need the same file system; removed at the end
    private = install.Hermes(
        mutants.private_copy(hermes.root, hermes.root.with_name(f".selfcheck-{os.getpid()}")), version
    )
    applied: list[str] = []

    def setup(name: str | None) -> dict[str, Any]:
        while applied:  # the last mutant's file back as the cache has it
            mutants.restore(applied.pop(), private.site_packages, hermes.site_packages)
        if not name:
            return {"hermes_root": None, "features": features, "workers": 0}
        where = mutants.apply(name, private.site_packages)
        applied.append(name)
        print(f"  {name}: {mutants.MUTANTS[name][1].what} ({where.name})", flush=True)
        return {"hermes_root": str(private.root), "features": list(mutants.MUTANTS[name][1].features), "workers": 0}

    try:
        return kill_matrix(options, names, setup, f"the unmutated hermes-agent {version} ({', '.join(features)})")
    except mutants.MutationError as exc:
        print(f"sms-harness: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(private.root, ignore_errors=True)


def known_mutants(only: list[str] | None, known: list[str]) -> list[str] | None:
    unknown = [m for m in only or [] if m not in known]
    if unknown:
        print(f"sms-harness: unknown mutant(s) {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return None
    return only or known


def kill_matrix(options: RunOptions, names: list[str], setup: Setup, unmutated: str) -> int:
    """Run the unmutated gateway, then each mutant with -x; print and write the kill matrix.

    A mutant is killed by a scenario that fails with it; the unmutated run must pass those features.
    """
    base = options.report
    started = time.monotonic()
    print(f"selfcheck: {unmutated} must pass every scenario", flush=True)
    code, data = run_suite(replace(options, report=base / "unmutated", verbose=False, **setup(None)), quiet=True)
    clean = code == 0 and data is not None and data["totals"]["failed"] == 0
    print(f"  unmutated: {'PASS' if clean else 'FAIL'} ({totals(data)})", flush=True)
    rows = []
    for name in names:
        mutant_started = time.monotonic()
        run_options = replace(options, report=base / name, exitfirst=True, verbose=False, **setup(name))
        code, data = run_suite(run_options, quiet=True)
        killer = next((s for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed"), None)
        # with -x under xdist pytest reports an interruption (exit 2): a failed scenario is what counts
        verdict = "killed" if killer else ("SURVIVED" if code == 0 else f"ERROR (exit {code})")
        rows.append((name, verdict, title(killer) if killer else "", time.monotonic() - mutant_started))
        print(f"  {name:<32} {verdict:<10} {rows[-1][2][:90]} ({rows[-1][3]:.0f}s)", flush=True)
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\nkill matrix ({len(rows)} mutants, {time.monotonic() - started:.0f}s):")
    print(f"{'mutant':<{width}}  {'verdict':<10}  first failing scenario")
    for name, verdict, killer, _ in rows:
        print(f"{name:<{width}}  {verdict:<10}  {killer}")
    (base / "selfcheck.json").write_text(
        json.dumps(
            {
                "gateway": options.gateway,
                "unmutated_passed": clean,
                "mutants": [{"name": n, "verdict": v, "killed_by": k, "seconds": round(s, 1)} for n, v, k, s in rows],
            },
            indent=2,
        )
    )
    survived = [r[0] for r in rows if r[1] != "killed"]
    if not clean:
        print(f"selfcheck FAILED: {unmutated} does not pass the suite")
        return 1
    if survived:
        print(f"selfcheck FAILED: not killed: {', '.join(survived)}")
        return 1
    print("selfcheck passed: every mutant was killed")
    return 0


def title(scenario: dict[str, Any]) -> str:
    """feature — scenario [example], as the kill matrix names its killer."""
    example = f" [{scenario['example']}]" if scenario.get("example") else ""
    return f"{scenario['feature']} — {scenario['scenario']}{example}"


def totals(data: dict[str, Any] | None) -> str:
    if not data:
        return "no report"
    t = data["totals"]
    return f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped"
