"""The suite's commands: `sms-harness run`, `selfcheck`, `merge` and `grid`, their shared options, and
`suite_options`, which checks the flags (a mistake is one line, exit 2) and makes the run's options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli.usage import UsageError, writable_folder

if TYPE_CHECKING:
    from harness.runner import RunOptions


def suite_options(args: argparse.Namespace) -> RunOptions:
    from harness.runner import RunOptions

    if args.workers < 0:
        raise UsageError("-n must be 0 (no parallel workers) or more")
    writable_folder(args.report, f"--report {args.report}")
    mutant = getattr(args, "mutant_one", None)
    if mutant:
        from refclaw.mutants import MUTANTS

        if args.gateway != "reference":
            raise UsageError("run --mutant runs a mutant of the reference gateway: drop --gateway or use selfcheck")
        if mutant not in MUTANTS:
            raise UsageError(f"--mutant {mutant}: no such mutant; known: {', '.join(MUTANTS)}")
    if args.gateway == "external" and not args.gateway_config:
        raise UsageError("--gateway external needs --gateway-config FILE (its base URL and CLI commands)")
    if args.gateway_config and not Path(args.gateway_config).exists():
        raise UsageError(f"--gateway-config {args.gateway_config} does not exist")
    if args.divergences:
        import pytest

        from harness import divergences

        if not Path(args.divergences).is_file():
            raise UsageError(f"--divergences {args.divergences} does not exist")
        try:
            divergences.load(Path(args.divergences), args.gateway)
        except pytest.UsageError as exc:
            raise UsageError(str(exc)) from None
    from harness import layout

    for name in args.features or []:
        if name not in layout.feature_names():
            known = ", ".join(layout.feature_names())
            raise UsageError(f"--feature {name}: no features/{name}.feature (known: {known})")
    from harness import matrix

    try:
        for flag, value in (
            ("--openclaw-version", args.openclaw_version),
            ("--sms-plugin-version", args.sms_plugin_version),
        ):
            if value is not None:
                matrix.versions(value, "", flag)
    except matrix.MatrixError as exc:
        raise UsageError(str(exc)) from None
    if args.sms_plugin_from:
        if args.gateway != "openclaw":
            raise UsageError("--sms-plugin-from goes with --gateway openclaw")
        if not Path(args.sms_plugin_from).exists():
            raise UsageError(f"--sms-plugin-from {args.sms_plugin_from} does not exist")
    if args.isolate:
        if args.emulator_url:
            raise UsageError("--isolate starts its own emulator inside the namespace: drop --emulator-url")
        from harness import isolation

        try:
            isolation.check()
        except isolation.IsolationError as exc:
            raise UsageError(str(exc)) from None
    return RunOptions(
        gateway=args.gateway,
        # the suite runs with the project as its working directory: the user's paths are theirs
        gateway_config=str(Path(args.gateway_config).resolve()) if args.gateway_config else None,
        report=args.report.resolve(),
        mutant=mutant,
        keyword=args.keyword,
        tags=args.tags,
        workers=args.workers,
        faker_seed=args.faker_seed,
        emulator_url=args.emulator_url,
        sender=args.sender,
        openclaw_version=args.openclaw_version,
        sms_plugin_version=args.sms_plugin_version,
        openclaw_bin=args.openclaw_bin,
        isolate=args.isolate,
        shard=args.shard,
        features=args.features,
        sms_plugin_from=str(Path(args.sms_plugin_from).resolve()) if args.sms_plugin_from else None,
        divergences=str(Path(args.divergences).resolve()) if args.divergences else None,
        hermes_version=args.hermes_version,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from harness import preflight, runner

    options = suite_options(args)
    try:
        preflight.check(options.gateway, options.gateway_config, options.emulator_url)
    except preflight.PreflightError as exc:
        print(f"sms-harness: {exc}", file=sys.stderr)
        return 2
    return runner.run(options)


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from harness import selfcheck

    if any("," in (value or "") for value in (args.openclaw_version, args.sms_plugin_version)):
        raise UsageError("selfcheck takes one --openclaw-version and one --sms-plugin-version")
    return selfcheck.selfcheck(suite_options(args), args.mutant or None)


def add_suite_options(p: argparse.ArgumentParser, report: str) -> None:
    from harness import options

    options.add_to_cli(p, {"shard": shard_value})
    p.add_argument("--report", type=Path, default=Path(report), help=f"report directory (default: {report})")
    p.add_argument(
        "--sms-plugin-from",
        metavar="DIR|TGZ",
        help="for --gateway openclaw: a local build of @openclaw/sms (its directory or npm pack tarball) "
        "in place of the published files",
    )
    p.add_argument(
        "--isolate",
        action="store_true",
        help="run in a network namespace with only loopback (unshare -rn); provisioning happens first, outside",
    )


def shard_value(value: str) -> str:
    from harness import shards

    try:
        shards.parse(value)
    except shards.ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def cmd_merge(args: argparse.Namespace) -> int:
    from harness import shards
    from harness.report import summary_table

    try:
        merged = shards.merge(args.reports, args.report)
    except shards.ShardError as exc:
        raise UsageError(str(exc)) from None
    print(summary_table(merged))
    print(f"merged {len(args.reports)} report(s) into {args.report}")
    return 1 if merged["totals"]["failed"] else 0


def cmd_grid(args: argparse.Namespace) -> int:
    import time

    from harness import grid

    started = time.time()
    try:
        if args.reports:
            columns = [grid.read(folder) for folder in args.reports]
        else:
            gateways = [g.strip() for g in args.gateways.split(",") if g.strip()]
            unknown = sorted(set(gateways) - {"reference", "openclaw", "hermes"})
            if unknown or not gateways:
                raise UsageError(f"--gateways {args.gateways!r}: choose from reference, openclaw, hermes")
            columns = grid.run(suite_options(args), gateways)
    except grid.GridError as exc:
        raise UsageError(str(exc)) from None
    return grid.write(columns, started, args.report)


def add_grid(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grid", help="several gateways side by side: a row per scenario, a cell per gateway")
    add_suite_options(p, "report-grid")
    p.add_argument(
        "--gateways",
        default="reference,openclaw,hermes",
        help="run the suite against each, in this order (default: reference,openclaw,hermes)",
    )
    p.add_argument("--from", dest="reports", nargs="+", type=Path, help="use these report folders; run nothing")
    p.set_defaults(func=cmd_grid)


def add_merge(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="combine the reports of shards (--shard K/N) into one")
    p.add_argument("reports", nargs="+", type=Path, help="the shards' report directories")
    p.add_argument("--report", type=Path, default=Path("report"), help="where to write the merged report")
    p.set_defaults(func=cmd_merge)


def add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the conformance suite and write its report")
    add_suite_options(p, "report")
    p.add_argument(
        "--mutant",
        dest="mutant_one",
        metavar="NAME",
        help="run against this deliberate defect of the reference gateway (refclaw/mutants.py)",
    )
    p.set_defaults(func=cmd_run)


def add_selfcheck(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "selfcheck",
        help="the suite must pass the gateway and fail each of its mutants (reference: refclaw's own; "
        "openclaw: defects written into a private install of the real @openclaw/sms, one at a time)",
    )
    add_suite_options(p, "report/selfcheck")
    p.add_argument("--mutant", action="append", help="check only this mutant (repeatable)")
    p.set_defaults(func=cmd_selfcheck)
