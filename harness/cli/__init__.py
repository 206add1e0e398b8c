"""`sms-harness`: the command line. Its parser is made of each command group's `add_*` (serve.py: the
emulator and the dev phone; suite.py: run, selfcheck, merge, grid; openclaw.py: install, parity);
`main` turns a user's mistake into one line on stderr and exit 2 (usage.py), a failed install into 3.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from emulator.errors import ControlError
from harness.cli import openclaw, serve, suite
from harness.cli.usage import UsageError

PROVISION_FAILED = 3  # not 1 (a scenario failed) nor 2 (a usage mistake): nothing could be installed

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    serve.add_emulator,
    serve.add_devphone,
    suite.add_run,
    suite.add_selfcheck,
    suite.add_merge,
    suite.add_grid,
    openclaw.add_openclaw,
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
    except Exception as exc:  # the harness's own one-line errors (imported only when one comes: the
        # emulator's start-up does not pay for the cache's and the suite's modules)
        from harness import isolation, preparation, runner
        from harness.cache import ProvisionError

        if isinstance(exc, ProvisionError):  # nothing could be installed: not a usage mistake, not a failed scenario
            print(f"sms-harness: {exc}", file=sys.stderr)
            return PROVISION_FAILED
        if isinstance(exc, runner.Interrupted):
            print(f"sms-harness: {exc}", file=sys.stderr)
            return 130
        if isinstance(exc, runner.SuiteNotFound | preparation.PreparationError | isolation.IsolationError):
            print(f"sms-harness: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130
