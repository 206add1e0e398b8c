"""Emulator throughput against a bare Quart/hypercorn endpoint measured in the same run.

Prints Messages.json creates/s at concurrency 32, list pages/s (PageSize 50, once after the
creates and again with --stored more messages in the account: a page should cost the same), and
inbound deliveries/s to a trivial sink, each with the baseline's requests/s and the ratio. Servers run in their own
processes; every loop is bounded in count and in time; all traffic stays on loopback.

    python bench/emulator_throughput.py [--count N] [--seconds S] [--stored N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bounded_load, process
from emulator.client import EmulatorClient, Provisioned

CONCURRENCY = 32
P99: dict[str, float] = {}  # the last measurement's 99th-percentile latency per URL, in ms (client side)


async def rate(
    url: str,
    count: int,
    seconds: float,
    method: str = "POST",
    auth: tuple[str, str] | None = None,
    data: dict[str, str] | None = None,
    json_body: object = None,
    expect: int = 200,
) -> float:
    clients = [
        httpx.AsyncClient(limits=httpx.Limits(max_connections=1), trust_env=False, timeout=30)
        for _ in range(CONCURRENCY)
    ]

    latencies: list[float] = []

    async def one(worker: int) -> None:
        started = time.perf_counter()
        response = await clients[worker].request(method, url, auth=auth, data=data, json=json_body)
        latencies.append(time.perf_counter() - started)
        if response.status_code != expect:
            raise SystemExit(f"unexpected {response.status_code} from {url}: {response.text[:200]}")

    try:
        done, elapsed = await bounded_load(one, count, CONCURRENCY, seconds)
    finally:
        for client in clients:
            await client.aclose()
    P99[url] = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    return done / elapsed


def creates(server: str, account: Provisioned, count: int, seconds: float) -> float:
    """Messages.json creates/s for the account (number +15551000001)."""
    return asyncio.run(
        rate(
            f"{server}/2010-04-01/Accounts/{account.sid}/Messages.json",
            count,
            seconds,
            auth=(account.sid, account.auth_token),
            data={"To": "+15557654321", "From": "+15551000001", "Body": "b"},
            expect=201,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="requests per measurement (bound)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time per measurement (bound)")
    parser.add_argument("--stored", type=int, default=10000, help="messages added before the second list measurement")
    args = parser.parse_args()

    with (
        process("-m", "bench.common") as baseline,
        process("-m", "bench.common", "--body", "<Response/>") as sink,
        process("-m", "harness.cli", "emulator", "--seed", "1", "--quiet", "--empty") as server,
        EmulatorClient(server) as control,
    ):
        account = control.create_account(numbers=[{"phone_number": "+15551000001", "sms_url": sink + "/"}])
        baseline_url = baseline + "/"
        base_rps = asyncio.run(rate(baseline_url, args.count, args.seconds))
        create_rps = creates(server, account, args.count, args.seconds)
        create_p99 = P99[f"{server}/2010-04-01/Accounts/{account.sid}/Messages.json"]
        auth = (account.sid, account.auth_token)
        listing = f"{server}/2010-04-01/Accounts/{account.sid}/Messages.json?PageSize=50"
        list_small = asyncio.run(rate(listing, args.count, args.seconds, method="GET", auth=auth))
        stored_before = len(control.messages())
        creates(server, account, args.stored, args.seconds * 3)
        stored_after = len(control.messages())
        list_large = asyncio.run(rate(listing, args.count, args.seconds, method="GET", auth=auth))
        inbound_rps = asyncio.run(
            rate(
                f"{server}/_emulator/inbound",
                args.count // 2,
                args.seconds,
                json_body={"from": "+15557654321", "to": "+15551000001", "body": "hi"},
                expect=201,
            )
        )
        delivered = len(control.deliveries(outcome="delivered"))
    with (
        tempfile.TemporaryDirectory() as folder,
        process(
            "-m", "harness.cli", "emulator", "--seed", "1", "--quiet", "--empty", "--state", f"{folder}/s.json"
        ) as kept,
        EmulatorClient(kept) as kept_control,
    ):
        durable = kept_control.create_account(numbers=[{"phone_number": "+15551000001"}])
        durable_rps = creates(kept, durable, args.count, args.seconds)

    print(f"bare Quart/hypercorn endpoint:   {base_rps:8.0f} req/s  (baseline, concurrency {CONCURRENCY})")
    print(
        f"Messages.json create:            {create_rps:8.0f} req/s  ratio {create_rps / base_rps:.2f}"
        f"  p99 {create_p99:.0f} ms (bare endpoint p99 {P99[baseline_url]:.0f} ms)"
    )
    print(
        f"create with --state (journal):   {durable_rps:8.0f} req/s  ratio {durable_rps / base_rps:.2f}"
        f"  ({durable_rps / create_rps:.2f} of the create without it: the journal's cost)"
    )
    print(f"list, PageSize 50, {stored_before:6d} stored: {list_small:8.0f} req/s  ratio {list_small / base_rps:.2f}")
    print(f"list, PageSize 50, {stored_after:6d} stored: {list_large:8.0f} req/s  ratio {list_large / base_rps:.2f}")
    print(
        f"inbound deliveries to a sink:    {inbound_rps:8.0f} /s     ratio {inbound_rps / base_rps:.2f}"
        f"  ({delivered} delivered)"
    )


if __name__ == "__main__":
    main()
