"""`sms-harness`: the command line. User mistakes end in one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.errors import ControlError
from harness.cache import ProvisionError, cache_home

if TYPE_CHECKING:
    from harness.runner import RunOptions


PROVISION_FAILED = 3  # not 1 (a scenario failed) nor 2 (a usage mistake): nothing could be installed


class UsageError(Exception):
    """A mistake the user can fix; printed as one line, never a traceback."""


def cmd_emulator(args: argparse.Namespace) -> int:
    from emulator import activity, server
    from emulator.provision import STARTER_NUMBER, starter
    from emulator.proxy import TWILIO_HOSTS

    if args.state is not None:
        writable_folder(args.state.parent, f"--state {args.state}")
    backend = server.build_backend(args.seed, args.config, args.state)
    sock = server.bind(args.host, args.port)
    url = server.base_url(sock)
    proxy_sock = server.bind(args.host, args.proxy_port) if args.proxy_port is not None else None
    if proxy_sock is None and args.ca_file:
        raise UsageError("--ca-file goes with --proxy-port")
    proxy = server.connect_proxy(backend, proxy_sock, url, args.ca_file)
    made = None if backend.accounts or args.empty else starter(backend, args.sms_url)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.quiet:
        backend.on_record = activity.printer(say)

    def ready() -> None:
        print(url, flush=True)
        say(f"Twilio emulator ready at {url} (control API: {url}/_emulator/openapi.json); Ctrl-C stops it")
        token = f"#token={args.control_token}" if args.control_token else ""  # the page sends it as a Bearer token
        say(f"Dev phone page: {url}/_emulator/phone/{token}")
        if made:
            account = made["account"]
            say(
                f"Account {account.sid}, auth token {account.auth_token}, number {STARTER_NUMBER} "
                f"(webhook {args.sms_url}), Messaging Service {made['services'][0].sid}"
            )
        if proxy_sock is not None:
            say(
                f"HTTPS proxy for {', '.join(TWILIO_HOSTS)} at {server.base_url(proxy_sock)}"
                + (f"; trust the CA in {args.ca_file}" if args.ca_file else "")
            )

    server.serve_foreground(backend, sock, ready, proxy, args.state, args.control_token)
    return 0


def add_emulator(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emulator", help="run the Twilio emulator in the foreground")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1 or ::1)")
    p.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    p.add_argument("--seed", type=int, default=0, help="faker seed for generated SIDs, tokens and numbers")
    p.add_argument("--config", type=Path, help="accounts.toml to provision from")
    p.add_argument("--state", type=Path, help="state file: everything recorded survives a restart")
    p.add_argument(
        "--empty",
        action="store_true",
        help="start with no account (by default an emulator with none gets one, with number +15551234567)",
    )
    p.add_argument(
        "--sms-url",
        default="http://127.0.0.1:18789/webhooks/sms",
        help="the default number's incoming-message webhook (default: OpenClaw's gateway port and path)",
    )
    p.add_argument("--quiet", action="store_true", help="no line per REST call and per webhook")
    p.add_argument("--proxy-port", type=int, help="also be an HTTPS CONNECT proxy for the Twilio hosts (0: any port)")
    p.add_argument("--ca-file", type=Path, help="with --proxy-port: write the proxy's CA certificate here")
    p.add_argument(
        "--control-token",
        help="require `Authorization: Bearer TOKEN` on the control API (/_emulator/…); the harness's "
        "client sends $SMS_EMULATOR_TOKEN",
    )
    p.set_defaults(func=cmd_emulator)


def writable_folder(folder: Path, what: str) -> None:
    """The folder exists, or can be made, and takes files: checked before anything starts."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".sms-harness-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder} ({exc.strerror or exc})") from None


def cmd_devphone(args: argparse.Namespace) -> int:
    from harness import devphone

    writable_folder(args.workdir, f"--workdir {args.workdir}")
    options = devphone.Options(
        port=args.port,
        proxy_port=args.proxy_port,
        gateway_url=args.gateway_url,
        public_url=args.public_url,
        config=args.config.resolve() if args.config else None,
        seed=args.seed,
        workdir=args.workdir.resolve(),
        reference=args.reference,
        open_browser=args.open,
    )
    try:
        return devphone.run(options)
    except devphone.DevPhoneError as exc:
        raise UsageError(str(exc)) from None


def add_devphone(sub: argparse._SubParsersAction) -> None:
    from harness import devphone

    p = sub.add_parser(
        "devphone", help="test a gateway by hand in the browser: the emulator, a ready account, the page"
    )
    p.add_argument("--gateway-url", default=devphone.DEFAULT_GATEWAY_URL, help="where your gateway listens (loopback)")
    p.add_argument(
        "--public-url",
        default=devphone.DEFAULT_PUBLIC_URL,
        help="the webhook URL Twilio signs (your publicWebhookUrl); its origin is routed to --gateway-url",
    )
    p.add_argument("--port", type=int, default=0, help="the emulator's port (0 picks a free one)")
    p.add_argument("--proxy-port", type=int, default=0, help="the HTTPS proxy's port for the Twilio hosts (0: any)")
    p.add_argument("--config", type=Path, help="accounts.toml to provision from instead of the ready account")
    p.add_argument("--seed", type=int, default=0, help="faker seed for generated SIDs, tokens and numbers")
    p.add_argument(
        "--workdir", type=Path, default=devphone.DEFAULT_WORKDIR, help="where the CA and the patch are written"
    )
    p.add_argument("--reference", action="store_true", help="also run the embedded reference gateway against it")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(func=cmd_devphone)


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


def cmd_openclaw_install(args: argparse.Namespace) -> int:
    from harness.openclaw import install

    if args.check:
        found = install.problems(args.openclaw_version)
        for problem in found:
            print(f"sms-harness: {problem}", file=sys.stderr)
        if not found:
            print(f"openclaw@{args.openclaw_version} and Node {install.NODE_MAJOR} are sound in {cache_home()}")
        return 1 if found else 0
    print(install.install(args.openclaw_version, force=args.force).openclaw)
    return 0


def add_openclaw(sub: argparse._SubParsersAction) -> None:
    from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN

    p = sub.add_parser("openclaw", help="provision the real OpenClaw gateway ahead of a run")
    verbs = p.add_subparsers(dest="verb", required=True)
    inst = verbs.add_parser("install", help="Node 24 and openclaw from the npm registry, into the cache")
    inst.add_argument("--openclaw-version", default=DEFAULT_OPENCLAW)
    how = inst.add_mutually_exclusive_group()
    how.add_argument("--force", action="store_true", help="install again even if the cache is sound")
    how.add_argument("--check", action="store_true", help="only say whether the cache is sound (exit 0) or not (1)")
    inst.set_defaults(func=cmd_openclaw_install)
    par = verbs.add_parser("parity", help="refclaw's channel functions side by side with the published plugin's")
    par.add_argument("--openclaw-version", default=DEFAULT_OPENCLAW)
    par.add_argument("--sms-plugin-version", default=DEFAULT_SMS_PLUGIN)
    par.add_argument("--count", type=int, default=300, choices=range(1, 5001), metavar="N", help="inputs per area")
    par.add_argument("--seed", type=int, default=1)
    par.add_argument("--show", type=int, default=3, help="differences shown per area")
    par.set_defaults(func=cmd_openclaw_parity)


def cmd_openclaw_parity(args: argparse.Namespace) -> int:
    from harness.openclaw import install, parity

    target = install.install(args.openclaw_version)
    package = parity.plugin_package(target, args.sms_plugin_version)
    lines = parity.compare(target, package, args.count, args.seed, args.show)
    print(
        f"refclaw against @openclaw/sms@{args.sms_plugin_version} in openclaw@{args.openclaw_version}, "
        f"{args.count} inputs per area (seed {args.seed})"
    )
    print("\n".join(lines))
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_emulator,
    add_devphone,
    add_run,
    add_selfcheck,
    add_merge,
    add_grid,
    add_openclaw,
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sms-harness", description="Twilio emulator and SMS channel conformance harness")
    sub = p.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ControlError) as exc:
        print(f"sms-harness: {exc}", file=sys.stderr)
        return 2
    except ProvisionError as exc:  # nothing could be installed: not a usage mistake, not a failed scenario
        print(f"sms-harness: {exc}", file=sys.stderr)
        return PROVISION_FAILED
    except Exception as exc:  # a suite's own one-line errors (imported only when one comes)
        from harness import isolation, preparation, runner

        if isinstance(exc, runner.Interrupted):
            print(f"sms-harness: {exc}", file=sys.stderr)
            return 130
        if isinstance(exc, runner.SuiteNotFound | preparation.PreparationError | isolation.IsolationError):
            print(f"sms-harness: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
