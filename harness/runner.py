"""`sms-harness run` and `sms-harness selfcheck`: the suite as a command, with its report.

Both run pytest in a child process over scenarios/ (so each run, and each
xdist worker, has its own emulator and gateway) and read back report.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from harness import children, gateways, isolation, layout
from harness import options as option_table
from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN
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


class PreparationError(Exception):
    """OpenClaw or its plugin could not be made ready before the run; one line for the user."""


@contextmanager
def private_plugin(options: RunOptions, names: tuple[str, ...] = ("main",)) -> Iterator[Any]:
    """A private install of the plugin (one state directory per name), with --sms-plugin-from's
    build in place of the published files; removed afterwards (it holds the run's tokens)."""
    from harness.drivers.base import DriverError
    from harness.openclaw import install, private

    version = options.sms_plugin_version or DEFAULT_SMS_PLUGIN
    print(f"installing @openclaw/sms@{version} into a private state directory", file=sys.stderr, flush=True)
    try:
        openclaw = options.openclaw_version or DEFAULT_OPENCLAW
        installation = install.installation(openclaw) if options.openclaw_bin else install.install(openclaw)
        plugin = private.PrivatePlugin.install(installation, version, options.openclaw_bin, names)
    except DriverError as exc:
        raise PreparationError(str(exc).splitlines()[0]) from None
    try:
        if options.sms_plugin_from:
            plugin.replace_files(Path(options.sms_plugin_from))
        yield plugin
    except private.PrivateInstallError as exc:
        raise PreparationError(str(exc)) from None
    finally:
        plugin.close()


@contextmanager
def prepared_state(options: RunOptions, always: bool = False) -> Iterator[RunOptions]:
    """OpenClaw's state made ready outside the run, when the run cannot or must not install the plugin itself.

    --isolate: the namespace has no registry. --sms-plugin-from: a local build replaces the
    published plugin's files in a private install (OpenClaw refuses a plugin loaded from a path).
    `always`: a version matrix installs ahead, so a pair that cannot be installed says so in one line.
    """
    wanted = always or options.isolate or options.sms_plugin_from
    if options.gateway != "openclaw" or options.openclaw_state or not wanted:
        yield options
        return
    names = tuple(f"gw{i}" for i in range(options.workers)) if options.workers else ("main",)
    with private_plugin(options, names) as plugin:
        yield replace(options, openclaw_state=str(plugin.root))


def run_suite(
    options: RunOptions, quiet: bool = False, timeout: float | None = None
) -> tuple[int, dict[str, Any] | None]:
    """Run pytest; returns its exit code and the report document (None if none was written).
    Past `timeout` seconds the run is stopped as Ctrl-C stops it and TimedOut is raised."""
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


GRACE_SECONDS = 30  # after Ctrl-C, how long pytest gets to stop its gateways and write the report


class TimedOut(Exception):
    """The run took longer than its caller allowed; it was stopped and every process it started is gone."""


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


def _interruptible() -> None:
    """In the child before exec: a shell starts background jobs with SIGINT ignored, and Python keeps
    an ignored SIGINT ignored, so the forwarded Ctrl-C would never reach pytest."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_child(argv: list[str], cwd: Path, out: Any, timeout: float | None = None) -> tuple[int, int | None]:
    """Run pytest in a session of its own. Ctrl-C or SIGTERM here becomes one SIGINT to its whole
    group (xdist workers included), so each scenario stops, each gateway is stopped by its fixture
    and the report is written; after GRACE_SECONDS, or at a second signal, the group is killed.
    The handlers are in place before pytest starts, and whatever still carries the run's mark when
    it has ended is killed before they go. Returns the exit code and the signal that interrupted the
    run, if one did; past `timeout` seconds the run is stopped like Ctrl-C stops it and TimedOut is raised."""
    token = children.new_token()
    started: list[subprocess.Popen[bytes]] = []
    caught: list[int] = []

    def kill(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if started:
                os.killpg(started[0].pid, sig)

    def forward(signum: int, _frame: object) -> None:
        caught.append(signum)
        if len(caught) == 1:
            kill(signal.SIGINT)
            timer = threading.Timer(GRACE_SECONDS, kill, (signal.SIGKILL,))
            timer.daemon = True
            timer.start()
        else:
            kill(signal.SIGKILL)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    code, expired = 1, False
    try:
        started.append(
            subprocess.Popen(
                argv,
                env={**os.environ, children.MARK: token},
                cwd=cwd,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_interruptible,
            )
        )
        if caught:  # the signal came while pytest was being started
            kill(signal.SIGINT)
        try:
            code = started[0].wait(timeout)
        except subprocess.TimeoutExpired:
            expired = True
            kill(signal.SIGINT)
            try:
                code = started[0].wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                kill(signal.SIGKILL)
                code = started[0].wait()
    finally:
        if started and started[0].poll() is None:  # an exception of our own: never leave the suite running
            kill(signal.SIGKILL)
            started[0].wait()
        left = children.sweep(token)  # whatever a killed worker could not stop
        if left:
            print(f"sms-harness: stopped {len(left)} process(es) the run left behind", file=sys.stderr, flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if expired:
        raise TimedOut(f"stopped after {timeout:.0f}s")
    return code, caught[0] if caught else None


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


# -- selfcheck ---------------------------------------------------------------------------------

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
    print(f"  unmutated: {'PASS' if clean else 'FAIL'} ({_totals(data)})", flush=True)
    rows = []
    for name in names:
        mutant_started = time.monotonic()
        run_options = replace(options, report=base / name, exitfirst=True, verbose=False, **setup(name))
        code, data = run_suite(run_options, quiet=True)
        killer = next((s for s in (data or {}).get("scenarios", []) if s["outcome"] == "failed"), None)
        # with -x under xdist pytest reports an interruption (exit 2): a failed scenario is what counts
        verdict = "killed" if killer else ("SURVIVED" if code == 0 else f"ERROR (exit {code})")
        rows.append((name, verdict, _title(killer) if killer else "", time.monotonic() - mutant_started))
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


def _title(scenario: dict[str, Any]) -> str:
    """feature — scenario [example], as the kill matrix names its killer."""
    example = f" [{scenario['example']}]" if scenario.get("example") else ""
    return f"{scenario['feature']} — {scenario['scenario']}{example}"


def _totals(data: dict[str, Any] | None) -> str:
    if not data:
        return "no report"
    t = data["totals"]
    return f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped"
