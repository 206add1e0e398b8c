"""`sms-harness openclaw install` and `sms-harness openclaw parity`: the real OpenClaw gateway
provisioned ahead of a run, and refclaw's channel functions compared with the published plugin's."""

from __future__ import annotations

import argparse
import sys


def cmd_openclaw_install(args: argparse.Namespace) -> int:
    from harness import cache
    from harness.openclaw import install

    if args.check:
        found = install.problems(args.openclaw_version)
        for problem in found:
            print(f"sms-harness: {problem}", file=sys.stderr)
        if not found:
            print(f"openclaw@{args.openclaw_version} and Node {install.NODE_MAJOR} are sound in {cache.cache_home()}")
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
