"""The emulator as a person starts it in a terminal: a ready account, one line per exchange,
failures explained in words, and the dev phone's command refusing mistakes in one line."""

from __future__ import annotations

import re

import httpx
import pytest

from emulator import explain
from emulator.recorder import Attempt, Delivery
from tests.processes import Background, sms_harness


def test_the_plain_emulator_starts_with_the_readmes_number_and_logs_each_exchange() -> None:
    out = Background("-m", "harness.cli", "emulator", "--port", "0")
    try:
        url = out.wait_for("http://127.0.0.1:")
        # docs/using.md's first curl line, as written: the handset texts the ready number
        answer = httpx.post(
            f"{url}/_emulator/inbound",
            json={"from": "+15557654321", "to": "+15551234567", "body": "hello"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        delivery = answer.json()["deliveries"][0]
        banner = next(line for line in out.errors if line.startswith("Account AC"))
        sid, token = re.match(r"Account (AC\w+), auth token (\w+), number \+15551234567", banner).groups()
        listed = httpx.get(f"{url}/2010-04-01/Accounts/{sid}/Messages.json", auth=(sid, token), timeout=5)
        assert listed.status_code == 200
        wrong = httpx.get(f"{url}/2010-04-01/Accounts/{sid}/Messages.json", auth=(sid, "x" * 32), timeout=5)
        assert wrong.status_code == 401
    finally:
        assert out.stop() == 0
    lines = [
        re.sub(r"\(\d+ ms\)", "(N ms)", line.split(" ", 1)[1])
        for line in out.errors
        if re.match(r"\d\d:\d\d:\d\d ", line)
    ]
    # nothing listens on OpenClaw's default port here, so the webhook fails, and says so in words
    assert delivery["error_code"] in (11205, 11200), delivery
    assert lines[0].startswith("WEBHOOK inbound POST http://127.0.0.1:18789/webhooks/sms -> FAILED 112"), lines
    assert lines[1:] == [
        f"REST    GET /2010-04-01/Accounts/{sid}/Messages.json -> 200 (N ms)",
        f"REST    GET /2010-04-01/Accounts/{sid}/Messages.json -> 401 code 20003 (auth invalid) (N ms)",
    ], lines
    assert all(token not in line for line in lines)


def test_a_refused_delivery_is_explained_as_a_signature_problem_with_the_url_to_sign() -> None:
    refused = Delivery(
        1, "inbound", "SM1", "AC1", "https://gw.test/webhooks/sms#rc=2", "POST", [], {}, outcome="failed"
    )
    refused.attempts.append(Attempt(0.0, "http://127.0.0.1:9/webhooks/sms", status=403, error="http"))
    refused.error_code = 11200
    why = explain.delivery(refused)
    assert why is not None and why["title"] == "The gateway refused the webhook"
    assert why["signed_url"] == "https://gw.test/webhooks/sms"  # no fragment: Twilio never signs it
    assert why["tried"] == [
        {"url": "http://127.0.0.1:9/webhooks/sms", "status": 403, "error": "http", "latency_ms": 0.0}
    ]
    refused.attempts[0].status, refused.attempts[0].error = None, "connect: ConnectError"
    refused.error_code = 11205
    assert explain.delivery(refused)["title"] == "HTTP connection failure"
    refused.outcome = "delivered"
    assert explain.delivery(refused) is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--gateway-url", "http://10.0.0.5:18789"], "is not on loopback"),
        (["--gateway-url", "gateway:18789"], "is not an absolute http(s) URL"),
        (["--public-url", "ftp://x/y"], "is not an absolute http(s) URL"),
        (["--port", "99999"], "--port 99999 is not a port"),
        (["--config", "/does/not/exist.toml"], "--config /does/not/exist.toml does not exist"),
    ],
)
def test_devphone_mistakes_are_one_line(args: list[str], needle: str, tmp_path) -> None:
    result = sms_harness("devphone", "--workdir", str(tmp_path), *args, timeout=30)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
