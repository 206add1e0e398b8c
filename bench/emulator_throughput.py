"""Emulator throughput against a bare Quart/hypercorn endpoint measured in the same run.

Prints Messages.json creates/s at concurrency 32, list pages/s (PageSize 50, once after the
creates and again with --stored more messages in the account: a page should cost the same), and
inbound deliveries/s to a trivial sink at concurrency 64, each with its p99, the baseline's
requests/s and the ratio, and the journal's cost (creates with --state). Load comes from wrk
(bench/wrk.py); servers run in their own processes; every measurement is bounded in count and in
time; all traffic stays on loopback.

    python bench/emulator_throughput.py [--count N] [--seconds S] [--stored N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk
from bench.common import process
from emulator.client import EmulatorClient, Provisioned

CONCURRENCY = 32
INBOUND_CONCURRENCY = 64  # issue 13's goal is stated at 64
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CREATE = urlencode({"To": "+15557654321", "From": "+15551000001", "Body": "b"})


def messages(
    server: str, account: Provisioned, count: int, seconds: float, query: str = "", **request: Any
) -> wrk.Load:
    """Load on the account's Messages.json: creates with `method="POST"`, list pages with a `query`."""
    return wrk.run(
        f"{server}/2010-04-01/Accounts/{account.sid}/Messages.json{query}",
        seconds=seconds,
        count=count,
        connections=CONCURRENCY,
        auth=(account.sid, account.auth_token),
        **request,
    )


def creates(server: str, account: Provisioned, count: int, seconds: float) -> wrk.Load:
    """Messages.json creates for the account (number +15551000001)."""
    return messages(server, account, count, seconds, method="POST", body=CREATE, headers=FORM)


def listing(server: str, account: Provisioned, count: int, seconds: float) -> wrk.Load:
    return messages(server, account, count, seconds, query="?PageSize=50")


def inbound(server: str, count: int, seconds: float) -> wrk.Load:
    return wrk.run(
        f"{server}/_emulator/inbound",
        seconds=seconds,
        count=count,
        connections=INBOUND_CONCURRENCY,
        method="POST",
        body='{"from": "+15557654321", "to": "+15551000001", "body": "hi"}',
        headers={"Content-Type": "application/json"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="requests per measurement (a safety bound)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per measurement (bound)")
    parser.add_argument("--stored", type=int, default=10000, help="messages added before the second list measurement")
    args = parser.parse_args()

    missing = wrk.available()
    if missing:
        raise SystemExit(missing)
    with (
        process("-m", "bench.common") as baseline,
        process("-m", "bench.common", "--body", "<Response/>") as sink,
        process("-m", "harness.cli", "emulator", "--seed", "1", "--quiet", "--empty") as server,
        EmulatorClient(server) as control,
    ):
        account = control.create_account(numbers=[{"phone_number": "+15551000001", "sms_url": sink + "/"}])
        base = wrk.run(baseline + "/", seconds=args.seconds, count=args.count, connections=CONCURRENCY)
        create = creates(server, account, args.count, args.seconds)
        list_small = listing(server, account, args.count, args.seconds)
        stored_before = len(control.messages())
        creates(server, account, args.stored, args.seconds * 3)
        stored_after = len(control.messages())
        list_large = listing(server, account, args.count, args.seconds)
        delivered_before = len(control.deliveries(outcome="delivered"))
        inbound_load = inbound(server, args.count, args.seconds)
        delivered = len(control.deliveries(outcome="delivered")) - delivered_before
    with (
        tempfile.TemporaryDirectory() as folder,
        process(
            "-m", "harness.cli", "emulator", "--seed", "1", "--quiet", "--empty", "--state", f"{folder}/s.json"
        ) as kept,
        EmulatorClient(kept) as kept_control,
    ):
        durable = creates(
            kept, kept_control.create_account(numbers=[{"phone_number": "+15551000001"}]), args.count, args.seconds
        )

    def line(name: str, load: wrk.Load, extra: str = "") -> None:
        print(
            f"{name:33} {load.rps:8.0f} req/s  ratio {load.rps / base.rps:.2f}  p99 {load.p99_ms:6.1f} ms"
            + (f"  {load.errors} not 2xx" if load.errors else "")
            + extra
        )

    print(
        f"load: wrk, concurrency {CONCURRENCY} ({INBOUND_CONCURRENCY} for inbound); bounded at {args.count} "
        f"requests and {args.seconds:g} s per line"
    )
    print(f"{'bare Quart/hypercorn endpoint:':33} {base.rps:8.0f} req/s  (baseline)     p99 {base.p99_ms:6.1f} ms")
    line("Messages.json create:", create)
    line("create with --state (journal):", durable, f"  ({durable.rps / create.rps:.2f} of the create without it)")
    line(f"list, PageSize 50, {stored_before:6d} stored:", list_small)
    line(f"list, PageSize 50, {stored_after:6d} stored:", list_large)
    line("inbound deliveries to a sink:", inbound_load, f"  ({delivered} delivered)")


if __name__ == "__main__":
    main()
