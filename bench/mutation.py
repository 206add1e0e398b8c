"""Mutation testing of the reference gateway: how many of cosmic-ray's mutants of refclaw the suite kills.

    python bench/mutation.py [--modules a,b] [--sample N --seed S] [--budget MIN] [--report DIR]
    python bench/mutation.py --rescore --report DIR    # after judging survivors equivalent: no run

`sms-harness selfcheck` measures the suite against hand-written defects; this measures it against every
mutant cosmic-ray makes of refclaw's behaviour modules (or a seeded sample per module). cosmic-ray
mutates files on disk, which is what the gateway *subprocess* needs: each worker owns a copy of the
tree, put first on PYTHONPATH, so the `python -m refclaw.cli gateway` that the scenarios start imports
the mutated file and the checkout is never touched. Each mutant runs only the features that exercise
its module (MODULE_FEATURES; refclaw's own tests first, for what no scenario can reach), with `-x` and a
timeout scaled from that selection's unmutated run; at most
two workers, and no new mutant starts after the budget. The sessions stay in DIR/sessions/MODULE.sqlite
(`cr-report`, `cr-html` read them); DIR/mutation.md and .json hold the score per module, every survivor
with its diff, and the mutants judged equivalent by hand in bench/mutation_equivalent.toml. Mutants inside
annotations (never evaluated under `from __future__ import annotations`) are left out by rule.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import json
import os
import queue
import random
import shlex
import shutil
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

import attrs
import cosmic_ray.commands
import cosmic_ray.plugins
from cosmic_ray.mutating import mutate_and_test, mutate_code
from cosmic_ray.testing import run_tests
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome, WorkResult

from harness import children

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "bench" / "mutation_equivalent.toml"
# What a worker's copy needs to run the scenarios: the gateway, the harness, the emulator, the suite
# (and refclaw's own tests).
TREE = ("refclaw", "harness", "emulator", "scenarios", "features", "tests", "conftest.py", "pyproject.toml")
# Which features exercise each module (by what the module does; docs/specification.md has one section
# per feature). A mutant runs only these: a too-narrow list shows up as survivors, a wide one as time.
# config runs mms too (its media limits are config), which also keeps messaging_service from directly
# following env_config: that order fails unmutated (the service scenario sees env_config's last send);
# and allowlist, replies and signatures, where its warnings are pinned (runs without them left
# three unseen). A `tests/…` entry (a file or one test) runs first: refclaw's own tests of what no
# gateway shows a scenario or that a scenario cannot make in its time (a damaged state file set aside,
# the turn log's cap, a background task's failure, two processes reading the clock in either order,
# the 1,000 routes and 20,000 MessageSids the limiters keep, Twilio unreachable, the view `openclaw
# parity` compares), never of what a scenario can see.
MODULE_FEATURES: dict[str, tuple[str, ...]] = {
    "text": ("tests/test_parity.py", "plain_text", "replies", "outbound"),  # parity: chunking's edge cases
    "numbers": ("allowlist", "outbound", "inbound_forms"),
    "access": ("allowlist", "pairing"),
    "signature": ("signatures",),
    "callback": ("replies", "setup"),
    "config": (
        "tests/test_parity.py",  # the only reader of Account.comparable(): refclaw beside the plugin
        "env_config",
        "setup",
        "mms",
        "messaging_service",
        "multi_account",
        "allowlist",
        "replies",
        "signatures",
    ),
    "delivery": (
        "tests/test_reference_channel.py::test_a_record_observed_just_after_the_reader_took_the_time_is_kept",
        "delivery",
        "probe",
    ),
    "media": ("mms",),
    "limits": (
        "tests/test_reference_channel.py::test_the_replay_memory_keeps_its_newest_sids_and_reads_the_clock_in_either_order",
        "tests/test_reference_channel.py::test_the_route_limiter_keeps_a_thousand_routes",
        "delivery",
        "webhook",
    ),
    "inbound": ("inbound_forms", "webhook", "mms"),
    "probe": ("probe",),
    "dispatcher": ("tests/test_reference_background.py", "webhook"),
    "channel": (
        "webhook",
        "inbound_forms",
        "allowlist",
        "pairing",
        "replies",
        "signatures",
        "multi_account",
        "delivery",
    ),
    "state": ("tests/test_reference_state.py", "pairing", "delivery", "probe"),
    "twilio_api": (
        "tests/test_reference_channel.py::test_twilio_unreachable_is_a_clear_send_error",
        "outbound",
        "replies",
        "messaging_service",
        "probe",
        "mms",
    ),
}
BASELINE_TIMEOUT = 900  # seconds for one module's features, unmutated
SCENARIO_TIMEOUT = 60  # pytest-timeout per scenario: a mutant that hangs one fails it fast
MAX_WORKERS = 2  # the machine's two cores; every worker runs an emulator, a gateway and pytest


@dataclass(frozen=True)
class Mutant:
    """One of cosmic-ray's work items, named by a stable id (operator#occurrence) instead of its uuid."""

    module: str
    job_id: str
    spec: MutationSpec

    @property
    def id(self) -> str:
        return f"{self.spec.operator_name}#{self.spec.occurrence}"

    @property
    def line(self) -> int:
        return self.spec.start_pos[0]


@dataclass
class Outcome:
    """What running one mutant gave: killed, timeout, survived, incompetent or not run."""

    module: str
    id: str
    line: int
    definition: str | None
    status: str
    seconds: float = 0.0
    diff: str = ""
    output: str = ""


@dataclass
class ModuleRun:
    """A module's selection: its features, the unmutated run's time, and the per-mutant timeout."""

    module: str
    features: tuple[str, ...]
    baseline_seconds: float = 0.0
    baseline_ok: bool = True
    timeout: float = 0.0
    annotations: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def module_path(module: str, root: Path = ROOT) -> Path:
    return root / "refclaw" / f"{module}.py"


def discover(module: str, session: Path) -> list[Mutant]:
    """Every mutant cosmic-ray makes of the module, written to a fresh session, in source order."""
    session.unlink(missing_ok=True)
    with use_db(str(session), WorkDB.Mode.create) as db:
        cosmic_ray.commands.init([module_path(module)], db, {})
        items = db.work_items
    mutants = [Mutant(module, item.job_id, item.mutations[0]) for item in items]
    return sorted(mutants, key=lambda m: (m.line, m.spec.operator_name, m.spec.occurrence))


@functools.cache
def annotation_spans(module: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Where the module's annotations are, when `from __future__ import annotations` keeps them from ever
    being evaluated (none otherwise): a mutant there (`str | None` -> `str + None`) cannot change behaviour."""
    tree = ast.parse(module_path(module).read_text(encoding="utf-8"))
    lazy = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )
    notes = [n.annotation for n in ast.walk(tree) if isinstance(n, ast.arg | ast.AnnAssign) and n.annotation]
    notes += [n.returns for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.returns]
    spans = (((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in notes)
    return tuple(spans) if lazy else ()


def in_annotations(mutant: Mutant) -> bool:
    """Left out of the run and the score, as no hand-written list could keep up with them."""
    where = tuple(mutant.spec.start_pos)
    return any(start <= where < end for start, end in annotation_spans(mutant.module))


def sample(mutants: list[Mutant], count: int | None, seed: int) -> list[Mutant]:
    """A seeded sample per module: the same module gives the same sample whatever else is run."""
    if count is None or count >= len(mutants):
        return mutants
    chosen = set(random.Random(f"{seed}:{mutants[0].module}").sample(range(len(mutants)), count))
    return [m for i, m in enumerate(mutants) if i in chosen]


def command(copy: Path, features: Sequence[str], token: str) -> str:
    """The scenarios of these features (and any of refclaw's own test files among them, first), run
    from the worker's copy so the gateway imports its refclaw; `token` marks every process they start,
    for `children.sweep` after a timeout."""
    tests = [name for name in features if name.startswith("tests/")]
    names = [name for name in features if not name.startswith("tests/")]
    pytest = [sys.executable, "-m", "pytest", "-x", "-q", f"--timeout={SCENARIO_TIMEOUT}"]
    runs = [[*pytest, *tests]] if tests else []
    if names or not tests:
        runs.append([*pytest, "scenarios", *(f"--sms-feature={name}" for name in names)])
    script = " && ".join(shlex.join(argv) for argv in runs)
    return shlex.join(["env", "-C", str(copy), f"PYTHONPATH={copy}", f"{children.MARK}={token}", "sh", "-c", script])


@contextmanager
def workspaces(count: int) -> Iterator[queue.Queue[Path]]:
    """Private copies of the tree, one per worker: a mutant on disk never shows in the checkout."""
    with tempfile.TemporaryDirectory(prefix="sms-mutation-") as tmp:
        copies: queue.Queue[Path] = queue.Queue()
        for index in range(count):
            copy = Path(tmp) / f"w{index}"
            for name in TREE:
                source, target = ROOT / name, copy / name
                if source.is_dir():
                    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
            copies.put(copy)
        yield copies


def baseline(copies: queue.Queue[Path], run: ModuleRun) -> None:
    """Runs the module's features unmutated: they must pass, and their time sets the mutants' timeout."""
    copy, token = copies.get(), children.new_token()
    try:
        start = time.monotonic()
        outcome, output = run_tests(command(copy, run.features, token), BASELINE_TIMEOUT)
        run.baseline_seconds = time.monotonic() - start
    finally:
        children.sweep(token)
        copies.put(copy)
    run.baseline_ok = outcome == TestOutcome.SURVIVED
    run.timeout = round(2 * run.baseline_seconds + 30)
    if not run.baseline_ok:
        print(f"{run.module}: its features fail unmutated, its mutants are not run:\n{output[-3000:]}", flush=True)


def mutate(copies: queue.Queue[Path], mutant: Mutant, features: Sequence[str], timeout: float) -> WorkResult:
    """cosmic-ray applies the mutant to the worker's copy, runs the features, and puts the file back."""
    copy, token = copies.get(), children.new_token()
    try:
        spec = attrs.evolve(mutant.spec, module_path=copy / Path(mutant.spec.module_path).relative_to(ROOT))
        result = mutate_and_test([spec], command(copy, features, token), timeout)
        return attrs.evolve(result, diff=result.diff.replace(f"{copy}/", ""))  # a/refclaw/x.py, not the copy
    finally:
        children.sweep(token)  # a timeout kills pytest's group, not the gateway in its own session
        copies.put(copy)


def status_of(result: WorkResult) -> str:
    if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome == TestOutcome.INCOMPETENT:
        return "incompetent"
    if result.test_outcome == TestOutcome.KILLED:
        return "timeout" if result.output == "timeout" else "killed"
    return "survived"


def run_mutants(
    jobs: Sequence[tuple[Mutant, Sequence[str], float]],
    copies: queue.Queue[Path],
    workers: int,
    deadline: float = float("inf"),
    session: dict[str, WorkDB] | None = None,
) -> list[Outcome]:
    """Runs (mutant, features, timeout) jobs on the workers; none starts after the deadline (monotonic)."""

    def one(job: tuple[Mutant, Sequence[str], float]) -> tuple[WorkResult | None, float]:
        if time.monotonic() > deadline:
            return None, 0.0
        start = time.monotonic()
        return mutate(copies, *job), time.monotonic() - start

    outcomes = []
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        for done, ((mutant, _, _), (result, seconds)) in enumerate(zip(jobs, pool.map(one, jobs), strict=True), 1):
            outcome = Outcome(mutant.module, mutant.id, mutant.line, mutant.spec.definition_name, "not run", seconds)
            if result is not None:
                outcome.status, outcome.diff = status_of(result), result.diff
                outcome.output = result.output[-2000:] if outcome.status == "incompetent" else ""
                if session is not None:
                    session[mutant.module].set_result(mutant.job_id, result)
            print(
                f"[{done}/{len(jobs)}] {mutant.module} {mutant.id} line {mutant.line}: {outcome.status} {seconds:.0f}s",
                flush=True,
            )
            outcomes.append(outcome)
    finally:
        pool.shutdown(cancel_futures=True)  # interrupted: the running mutants finish, no other starts
    return outcomes


@dataclass(frozen=True)
class Equivalent:
    """A mutant judged by hand to behave like the original: it is left out of the score."""

    module: str
    id: str
    line: str
    reason: str


def mutated_line(mutant: Mutant) -> str:
    """The first line the mutant changes, as it reads after the mutation (what the equivalents file quotes)."""
    operator = cosmic_ray.plugins.get_operator(mutant.spec.operator_name)(**mutant.spec.operator_args)
    original = module_path(mutant.module).read_text(encoding="utf-8")
    mutated = mutate_code(original, operator, mutant.spec.occurrence) or original
    added = (
        line[1:]
        for line in difflib.unified_diff(original.splitlines(), mutated.splitlines(), lineterm="", n=0)
        if line.startswith("+") and not line.startswith("+++")
    )
    return next(added, "").strip()


def read_equivalents(path: Path) -> list[Equivalent]:
    """The `[[equivalent]]` entries of a TOML file, unchecked."""
    return [Equivalent(**entry) for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])]


def check_equivalents(
    path: Path, entries: list[Equivalent], mutated: Callable[[Equivalent], str | None]
) -> list[Equivalent]:
    """Each entry checked to name a mutant and to quote its line: `mutated` gives the line the entry's
    mutant changes, as it reads mutated, or None when there is no such mutant."""
    for entry in entries:
        line = mutated(entry)
        if line is None:
            raise ValueError(f"{path}: {entry.module} has no mutant {entry.id}")
        if line != entry.line.strip():
            raise ValueError(f"{path}: {entry.module} {entry.id} now reads {line!r}, not {entry.line!r}")
    return entries


def load_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    """The hand-judged equivalents, each checked to name a mutant that exists and quote its line."""
    entries = read_equivalents(path)
    known: dict[str, dict[str, Mutant]] = {}
    with tempfile.TemporaryDirectory(prefix="sms-mutation-eq-") as sessions:
        for entry in entries:
            if entry.module not in MODULE_FEATURES:
                raise ValueError(f"{path}: {entry.module} is not a mutated module")
            if entry.module not in known:
                known[entry.module] = {
                    m.id: m for m in discover(entry.module, Path(sessions) / f"{entry.module}.sqlite")
                }
    return check_equivalents(
        path, entries, lambda e: mutated_line(known[e.module][e.id]) if e.id in known[e.module] else None
    )


def score(outcomes: Sequence[Outcome], equivalent: set[tuple[str, str]]) -> dict[str, float | int]:
    """Killed (timeouts included) over the mutants that ran, were competent and are not equivalent."""
    counts = {status: 0 for status in ("killed", "timeout", "survived", "incompetent", "not run", "equivalent")}
    for outcome in outcomes:
        status = outcome.status
        if (outcome.module, outcome.id) in equivalent and status == "survived":  # a kill disproves the listing
            status = "equivalent"
        counts[status] += 1
    total = counts["killed"] + counts["timeout"] + counts["survived"]
    killed = counts["killed"] + counts["timeout"]
    return {**counts, "total": total, "score": round(100 * killed / total, 1) if total else 0.0}


def write_report(
    report: Path,
    runs: Sequence[ModuleRun],
    equivalents: Sequence[Equivalent],
    meta: dict,
    heading: Sequence[str] | None = None,
    left_out: str = "in annotations",
    tail: Sequence[str] = (),
) -> str:
    """DIR/mutation.md and DIR/mutation.json; returns the markdown. `heading` (title and settings),
    `left_out` (what the last column counts) and `tail` (sections after the equivalents) let the real
    plugin's run share this report's shape."""
    judged = {(e.module, e.id) for e in equivalents}
    rows, survivors, listed = [], [], []
    for run in runs:
        figures = score(run.outcomes, judged)
        seconds = sum(o.seconds for o in run.outcomes)
        rows.append(
            {
                "module": run.module,
                "features": run.features,
                "in_annotations": run.annotations,
                "baseline_seconds": round(run.baseline_seconds),
                "baseline_ok": run.baseline_ok,
                "mutant_timeout": run.timeout,
                "seconds": round(seconds),
                **figures,
            }
        )
        for outcome in run.outcomes:
            if (outcome.module, outcome.id) in judged:
                continue
            if outcome.status == "survived":
                survivors.append(outcome)
    ran = {(o.module, o.id): o.status for run in runs for o in run.outcomes}
    for entry in equivalents:
        if (entry.module, entry.id) in ran:
            listed.append((entry, ran[entry.module, entry.id]))
    lines = [
        *(
            heading
            or [
                "# Mutation testing of refclaw",
                "",
                f"cosmic-ray {meta['cosmic_ray']}; sample {meta['sample'] or 'all'} per module, seed {meta['seed']}; "
                f"{meta['workers']} workers; budget {meta['budget_minutes']} min; "
                f"wall time {meta['wall_seconds']:.0f} s.",
                "Score = killed (timeouts included) / (killed + timeout + survived); equivalent and incompetent "
                "mutants are left out, and so are those in annotations (never evaluated under `from __future__ "
                "import annotations`); 'not run' ones were cut by the budget.",
            ]
        ),
        "",
        "| module | features | killed | timeout | survived | equivalent | incompetent | not run | score | "
        f"baseline (s) | mutants (s) | {left_out} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        note = "" if row["baseline_ok"] else " (its features fail unmutated)"
        lines.append(
            f"| {row['module']}{note} | {', '.join(row['features'])} | {row['killed']} | {row['timeout']} | "
            f"{row['survived']} | {row['equivalent']} | {row['incompetent']} | {row['not run']} | "
            f"{row['killed'] + row['timeout']}/{row['total']} = {row['score']} % | {row['baseline_seconds']} | "
            f"{row['seconds']} | {row['in_annotations']} |"
        )
    lines += ["", f"## Surviving mutants ({len(survivors)})", ""]
    for outcome in survivors:
        lines += [
            f"### {outcome.module} line {outcome.line} ({outcome.definition}): `{outcome.id}`",
            "",
            "```diff",
            outcome.diff.strip(),
            "```",
            "",
        ]
    lines += [f"## Listed as equivalent, among those run ({len(listed)})", ""]
    for entry, status in listed:
        warning = "" if status == "survived" else f" — **{status}, so not equivalent: remove it from the list**"
        lines.append(f"- {entry.module} `{entry.id}` `{entry.line.strip()}`: {entry.reason}{warning}")
    if tail:
        lines += ["", *tail]
    markdown = "\n".join(lines) + "\n"
    report.mkdir(parents=True, exist_ok=True)
    (report / "mutation.md").write_text(markdown, encoding="utf-8")
    data = {
        **meta,
        "modules": rows,
        "mutants": [asdict(o) for run in runs for o in run.outcomes],
        "equivalents": [{**asdict(e), "status": status} for e, status in listed],
    }
    (report / "mutation.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return markdown


def read_report(report: Path) -> tuple[list[ModuleRun], dict]:
    """The runs and settings DIR/mutation.json was written from."""
    data = json.loads((report / "mutation.json").read_text(encoding="utf-8"))
    runs = [
        ModuleRun(
            row["module"],
            tuple(row["features"]),
            baseline_seconds=row["baseline_seconds"],
            baseline_ok=row["baseline_ok"],
            timeout=row["mutant_timeout"],
            annotations=row["in_annotations"],
            outcomes=[Outcome(**o) for o in data["mutants"] if o["module"] == row["module"]],
        )
        for row in data["modules"]
    ]
    return runs, {key: value for key, value in data.items() if key not in ("modules", "mutants", "equivalents")}


def modules_arg(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODULE_FEATURES or not module_path(name).is_file()]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"not a mutated module: {', '.join(unknown)} (know {', '.join(MODULE_FEATURES)})"
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--modules", type=modules_arg, default=[m for m in MODULE_FEATURES if module_path(m).is_file()])
    p.add_argument("--sample", type=int, help="at most N mutants per module, seeded (default: all)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=MAX_WORKERS, choices=range(1, MAX_WORKERS + 1))
    p.add_argument("--budget", type=float, default=60, help="minutes after which no new mutant starts")
    p.add_argument("--report", type=Path, default=Path("report/mutation"))
    p.add_argument(
        "--rescore", action="store_true", help="no run: score DIR/mutation.json again with today's equivalents"
    )
    args = p.parse_args(argv)
    if args.rescore:  # equivalents are judged from a run's survivors, then the run is scored again
        runs_again, meta_again = read_report(args.report)
        print(write_report(args.report, runs_again, load_equivalents(), meta_again))
        return 0
    started = time.monotonic()
    deadline = started + 60 * args.budget
    sessions = args.report / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the copies go and no new mutant starts
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # a stale .pyc of an unmutated file must never be imported
    equivalents = load_equivalents()
    runs = {m: ModuleRun(m, MODULE_FEATURES[m]) for m in args.modules}
    chosen: dict[str, list[Mutant]] = {}
    for m in args.modules:
        mutants = discover(m, sessions / f"{m}.sqlite")
        behaviour = [mutant for mutant in mutants if not in_annotations(mutant)]
        runs[m].annotations = len(mutants) - len(behaviour)
        chosen[m] = sample(behaviour, args.sample, args.seed)
    dbs = {m: WorkDB(str(sessions / f"{m}.sqlite"), WorkDB.Mode.open) for m in args.modules}
    try:
        for m, mutants in chosen.items():  # what the sample leaves out is skipped, as cosmic-ray's filters do
            picked = {mutant.job_id for mutant in mutants}
            left = [item.job_id for item in dbs[m].work_items if item.job_id not in picked]
            dbs[m].set_multiple_results(left, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        print(f"{sum(map(len, chosen.values()))} mutants in {len(chosen)} modules; baselines first", flush=True)
        with workspaces(args.workers) as copies:
            pool = ThreadPoolExecutor(max_workers=args.workers)
            try:
                list(pool.map(lambda run: baseline(copies, run), runs.values()))
            finally:
                pool.shutdown(cancel_futures=True)
            # interleaved, so a budget cut leaves every module with some results
            order = sorted(((i, m) for m, mutants in chosen.items() for i in range(len(mutants))))
            jobs = [(chosen[m][i], runs[m].features, runs[m].timeout) for i, m in order if runs[m].baseline_ok]
            for outcome in run_mutants(jobs, copies, args.workers, deadline, dbs):
                runs[outcome.module].outcomes.append(outcome)
    finally:
        for db in dbs.values():
            db.close()
    meta = {
        "cosmic_ray": version("cosmic-ray"),
        "sample": args.sample,
        "seed": args.seed,
        "workers": args.workers,
        "budget_minutes": args.budget,
        "wall_seconds": time.monotonic() - started,
    }
    print(write_report(args.report, list(runs.values()), equivalents, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
