"""`sms-harness`: the command line. User mistakes end in one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from emulator.errors import ControlError


class UsageError(Exception):
    """A mistake the user can fix; printed as one line, never a traceback."""


def cmd_emulator(args: argparse.Namespace) -> int:
    from emulator import server

    backend = server.build_backend(args.seed, args.config, args.state)
    sock = server.bind(args.host, args.port)
    url = server.base_url(sock)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready() -> None:
            print(url, flush=True)
            print(
                f"Twilio emulator ready at {url} (control API: {url}/_emulator/openapi.json); Ctrl-C stops it",
                file=sys.stderr,
                flush=True,
            )

        await server.serve_until(backend, sock, stop.wait, args.state, ready)

    asyncio.run(main())
    return 0


def add_emulator(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emulator", help="run the Twilio emulator in the foreground")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1 or ::1)")
    p.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    p.add_argument("--seed", type=int, default=0, help="faker seed for generated SIDs, tokens and numbers")
    p.add_argument("--config", type=Path, help="accounts.toml to provision from")
    p.add_argument("--state", type=Path, help="state file: everything recorded survives a restart")
    p.set_defaults(func=cmd_emulator)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [add_emulator]


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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
