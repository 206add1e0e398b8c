"""No input breaks the emulator: a bounded, seeded fuzz of malformed requests must never get a 5xx.

Each request is random but reproducible (seeded): control-API bodies of the wrong JSON types,
nested too deep, not UTF-8 or not JSON at all; fault parameters of every kind with wrong types
and out-of-range values (each accepted fault is then exercised by a REST call and a handset
text, so a fault that would break later calls shows up); REST calls with odd methods, missing or
wrong credentials and malformed forms. Every REST-side error must be Twilio's error shape.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator.client import EmulatorClient
from emulator.faults import KINDS
from emulator.models import Backend
from emulator.server import EmulatorServer
from tests.sink import Sink

REQUESTS = 1500
SECONDS = 90.0
NUMBER = "+15551230001"
ODD_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    99,
    200,
    10**12,
    1.5,
    "",
    "abc",
    "99",
    "+1555",
    "\u0000",
    "é" * 300,
    [],
    [1, 2],
    {},
    {"a": {"b": []}},
]


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Backend(seed=99)) as server:
        yield server


def odd(rng: random.Random) -> Any:
    return rng.choice(ODD_VALUES)


def odd_object(rng: random.Random, keys: list[str]) -> dict[str, Any]:
    return {key: odd(rng) for key in rng.sample(keys, rng.randint(0, len(keys)))}


def raw_body(rng: random.Random) -> tuple[bytes, str]:
    """A body that is not a JSON object, with a content type that may or may not claim it is."""
    content_type = rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded", ""])
    body = rng.choice(
        [
            b"\xff\xfe\x00garbage",
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b"not json",
            b"null",
            b"[1, 2]",
            b'"a string"',
            b"1e999999",
            b"{" + b'"k": 1,' * 10 + b"}",
        ]
    )
    return body, content_type


def fault_body(rng: random.Random, account: str) -> dict[str, Any]:
    params_keys = [
        "variant",
        "status",
        "code",
        "error_code",
        "delay_ms",
        "timeout_ms",
        "copies",
        "path_contains",
        "method",
        "body_contains",
    ]
    body: dict[str, Any] = {"kind": rng.choice([*KINDS, "nope", 5, None]), "params": odd_object(rng, params_keys)}
    if rng.random() < 0.3:
        body["params"] = odd(rng)
    if rng.random() < 0.5:
        body["times"] = odd(rng)
    if rng.random() < 0.5:
        body["account_sid"] = rng.choice([account, odd(rng)])
    if rng.random() < 0.3:
        body["phone_number"] = odd(rng)
    return body


def test_no_input_gets_a_5xx(fuzz_server: EmulatorServer) -> None:
    rng = random.Random(20261127)
    problems: list[str] = []
    started = time.monotonic()
    with (
        Sink() as sink,
        EmulatorClient(fuzz_server.url) as emu,
        httpx.Client(base_url=fuzz_server.url, timeout=10, trust_env=False) as http,
    ):
        account = emu.create_account(numbers=[{"phone_number": NUMBER, "sms_url": f"{sink.url}/webhooks/sms"}])
        auth = (account.sid, account.auth_token)
        base = f"/2010-04-01/Accounts/{account.sid}"

        def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
            """The answer; a dropped connection or a hang is a 599 whose text says which."""
            try:
                return http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                return httpx.Response(599, text=f"{type(exc).__name__}: {exc}", request=httpx.Request(method, url))

        def check(response: httpx.Response, what: str) -> None:
            if response.status_code >= 500:
                problems.append(f"{what} -> {response.status_code} {response.text[:300]!r}")
            elif response.status_code >= 400 and response.request.url.path.startswith("/v1/chat"):
                try:  # the scripted model answers as an OpenAI-compatible server
                    ok = response.json()["error"]["type"] == "invalid_request_error"
                except (ValueError, KeyError, TypeError):
                    ok = False
                if not ok:
                    problems.append(f"{what} -> {response.status_code}, not OpenAI's error: {response.text[:200]!r}")
            elif response.status_code >= 400 and not response.request.url.path.startswith("/_emulator"):
                try:
                    shape = response.json()
                    ok = (
                        {"code", "message", "more_info", "status"} <= set(shape)
                        and shape["status"] == response.status_code
                        and isinstance(shape["code"], int)
                    )
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(
                        f"{what} -> {response.status_code}, not Twilio's error shape: {response.text[:200]!r}"
                    )

        def normal_traffic(label: str) -> None:
            """What every fault must leave answerable."""
            check(send("GET", f"{base}/Messages.json", auth=auth), f"{label}: list")
            check(
                send(
                    "POST",
                    f"{base}/Messages.json",
                    auth=auth,
                    data={"To": "+15557654321", "From": NUMBER, "Body": "hi"},
                ),
                f"{label}: create",
            )
            check(
                send("POST", "/_emulator/inbound", json={"from": "+15557654321", "to": NUMBER, "body": "x"}),
                f"{label}: inbound",
            )

        for i in range(REQUESTS):
            if time.monotonic() - started > SECONDS:
                break
            choice = rng.random()
            if choice < 0.3:  # faults with odd parameters, then traffic through them
                body = fault_body(rng, account.sid)
                response = send("POST", "/_emulator/faults", json=body)
                check(response, f"#{i} POST /_emulator/faults {json.dumps(body)[:200]}")
                if response.status_code == 201:
                    normal_traffic(f"#{i} after fault {json.dumps(body)[:200]}")
                send("DELETE", "/_emulator/faults")
            elif choice < 0.38:  # the scripted model, with what a broken client could send it
                if rng.random() < 0.4:
                    content, content_type = raw_body(rng)
                    response = send(
                        "POST", "/v1/chat/completions", content=content, headers={"content-type": "application/json"}
                    )
                    what = f"#{i} POST /v1/chat/completions raw {content[:40]!r}"
                else:
                    data = odd_object(rng, ["model", "messages", "stream", "tools", "temperature"])
                    if rng.random() < 0.6:
                        data["messages"] = [
                            rng.choice([odd(rng), {"role": odd(rng), "content": odd(rng)}])
                            for _ in range(rng.randint(0, 3))
                        ]
                    response = send("POST", "/v1/chat/completions", json=data)
                    what = f"#{i} POST /v1/chat/completions {json.dumps(data)[:200]}"
                check(response, what)
            elif choice < 0.55:  # control endpoints with wrong types or broken bodies
                path = rng.choice(
                    [
                        "/accounts",
                        "/provision",
                        "/inbound",
                        "/wait",
                        "/routes",
                        "/faults",
                        f"/accounts/{account.sid}/numbers",
                        f"/accounts/{account.sid}/services",
                        "/settings",
                    ]
                )
                method = "PUT" if path == "/settings" else "POST"
                if rng.random() < 0.5:
                    content, content_type = raw_body(rng)
                    headers = {"content-type": content_type} if content_type else {}
                    response = send(method, f"/_emulator{path}", content=content, headers=headers)
                    what = f"#{i} {method} /_emulator{path} raw {content[:40]!r} ({content_type})"
                else:
                    keys = [
                        "from",
                        "to",
                        "body",
                        "media",
                        "after",
                        "match",
                        "contains",
                        "collection",
                        "public",
                        "local",
                        "accounts",
                        "numbers",
                        "services",
                        "phone_number",
                        "sms_url",
                        "sms_method",
                        "friendly_name",
                        "trial",
                        "sid",
                        "auth_token",
                        "inbound_request_url",
                        "media_redirect",
                        "kind",
                        "params",
                    ]
                    data = odd_object(rng, keys)
                    if path == "/wait":
                        data["timeout"] = rng.choice([0, "1", -1, 10**9])
                    response = send(method, f"/_emulator{path}", json=data)
                    what = f"#{i} {method} /_emulator{path} {json.dumps(data)[:200]}"
                check(response, what)
                if (path == "/accounts" and response.status_code == 201) or path == "/provision":
                    emu.reset()
                    account = emu.create_account(
                        numbers=[{"phone_number": NUMBER, "sms_url": f"{sink.url}/webhooks/sms"}]
                    )
                    auth, base = (account.sid, account.auth_token), f"/2010-04-01/Accounts/{account.sid}"
            else:  # REST with odd methods, credentials and forms
                path = rng.choice(
                    [
                        f"{base}/Messages.json",
                        f"{base}.json",
                        f"{base}/IncomingPhoneNumbers.json",
                        f"{base}/Messages/SM00000000000000000000000000000000.json",
                        "/v1/Services/MG0",
                        f"{base}/Messages/SM0/Media.json",
                        "/2010-04-01/Accounts/ACnope/Messages.json",
                    ]
                )
                method = rng.choice(["GET", "POST", "DELETE", "PUT", "PATCH"])
                who = rng.choice([auth, None, (account.sid, "wrong"), ("", "")])
                form = {
                    k: str(odd(rng))
                    for k in rng.sample(
                        [
                            "To",
                            "From",
                            "Body",
                            "PageSize",
                            "Page",
                            "PageToken",
                            "MediaUrl",
                            "StatusCallback",
                            "MessagingServiceSid",
                            "SmsUrl",
                            "SmsMethod",
                        ],
                        rng.randint(0, 5),
                    )
                }
                content = rng.choice([None, b"To=%ff%fe&Body=\xff"])
                response = send(
                    method,
                    path,
                    auth=who,
                    data=None if content else form,
                    content=content,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                check(response, f"#{i} {method} {path} auth={'ok' if who == auth else who} {form or content!r}")
        normal_traffic("after the fuzz")
    assert not problems, f"{len(problems)} answers broke the rules, the first ten:\n" + "\n".join(problems[:10])
