"""The control API, persistence across restarts, and the `sms-harness emulator` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from emulator.client import EmulatorClient, EmulatorError, WaitTimeout
from emulator.models import Backend
from emulator.server import EmulatorServer, build_backend
from tests.processes import sms_harness


def test_health_openapi_and_unknown_endpoint(emu: EmulatorClient) -> None:
    assert emu.health()["status"] == "ok"
    spec = emu.http.get("/_emulator/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    served = {"/_emulator/inbound", "/_emulator/wait", "/_emulator/faults", "/_emulator/provision"}
    assert served <= set(spec["paths"])
    missing = emu.http.get("/_emulator/nope")
    assert missing.status_code == 404 and missing.json()["code"] is None


def test_provision_spec_and_bad_input(emu: EmulatorClient) -> None:
    created = emu.http.post(
        "/_emulator/provision",
        json={
            "accounts": [
                {
                    "trial": True,
                    "verified_caller_ids": ["+15550001111"],
                    "numbers": [{"phone_number": "+15551110001"}],
                    "services": [{"numbers": ["+15551110001"], "inbound_request_url": "https://gw.test/s"}],
                }
            ],
            "routes": [{"public": "https://gw.test", "local": "http://127.0.0.1:9"}],
        },
    ).json()
    account = created["accounts"][0]
    assert account["account"]["sid"].startswith("AC") and len(account["account"]["auth_token"]) == 32
    assert account["services"][0]["phone_numbers"] == ["+15551110001"]
    assert "[redacted]" in str(emu.state()["accounts"])
    for bad, needle in [
        ({"accounts": [{"sidd": "x"}]}, "unknown key(s) sidd"),
        ({"accounts": [{"sid": "AC123"}]}, "32 lowercase hex"),
        ({"accounts": [{"numbers": [{"phone_number": "555"}]}]}, "E.164"),
        ({"routes": [{"public": "gw.test", "local": "x"}]}, "absolute"),
    ]:
        response = emu.http.post("/_emulator/provision", json=bad)
        assert response.status_code == 400 and needle in response.json()["message"], response.text
    assert (
        emu.http.post(
            "/_emulator/provision", content=b"[1,2]", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )


def test_inbound_bad_input(emu: EmulatorClient) -> None:
    with pytest.raises(EmulatorError, match="not a provisioned number"):
        emu.send_inbound("+15557654321", "+15550009999", "x")
    with pytest.raises(EmulatorError, match=r"E\.164"):
        emu.send_inbound("hello", "+15550009999", "x")


def test_wait_returns_match_or_408_with_what_was_seen(emu: EmulatorClient) -> None:
    account = emu.create_account(numbers=[{"phone_number": "+15551110002"}])
    after = emu.cursor()
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        http.post(
            f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json",
            data={"To": "+15550001111", "From": "+15551110002", "Body": "the quick brown fox"},
        )
    found = emu.wait(after=after, contains={"body": "brown"}, timeout=5)
    assert found["to"] == "+15550001111"
    with pytest.raises(WaitTimeout) as caught:
        emu.wait(after=after, match={"to": "+15559999999"}, timeout=0.3)
    assert caught.value.status == 408
    assert any(m["body"] == "the quick brown fox" for m in caught.value.seen)
    with pytest.raises(EmulatorError, match="timeout"):
        emu.wait(timeout=1e6)


def test_faults_listed_removed_and_validated(emu: EmulatorClient) -> None:
    fault = emu.add_fault("webhook_slow", {"delay_ms": 1}, times=None)
    assert [f["id"] for f in emu.faults()] == [fault["id"]]
    emu.remove_fault(fault["id"])
    assert emu.faults() == []
    emu.add_fault("rest_latency", {"delay_ms": 1}, times=None)
    emu.add_fault("webhook_slow", {"delay_ms": 1}, times=3)
    assert len(emu.faults()) == 2
    emu.clear_faults()
    assert emu.faults() == []
    for kind, params, needle in [
        ("nope", {}, "unknown fault kind"),
        ("signature", {}, "variant"),
        ("rest_error", {}, "params.status"),
    ]:
        with pytest.raises(EmulatorError, match=needle):
            emu.add_fault(kind, params)
    with pytest.raises(EmulatorError, match="no active fault"):
        emu.remove_fault("FT9999")


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with EmulatorServer(Backend(seed=5), state=state) as server, EmulatorClient(server.url) as client:
        account = client.create_account(numbers=[{"phone_number": "+15551110003"}])
        with httpx.Client(auth=(account.sid, account.auth_token)) as http:
            http.post(
                f"{server.url}/2010-04-01/Accounts/{account.sid}/Messages.json",
                data={"To": "+15550001111", "From": "+15551110003", "Body": "remember me"},
            )
        client.wait(match={"status": "delivered"}, timeout=5)
        client.add_fault("webhook_slow", {"delay_ms": 5}, times=None)
        seq_before = client.cursor()
    with EmulatorServer(build_backend(state=state), state=state) as server, EmulatorClient(server.url) as client:
        assert client.cursor() == seq_before
        assert [m["body"] for m in client.messages()] == ["remember me"]
        assert len(client.calls()) == 1 and client.faults()[0]["kind"] == "webhook_slow"
        with httpx.Client(auth=(account.sid, account.auth_token)) as http:  # the token still works
            assert http.get(f"{server.url}/2010-04-01/Accounts/{account.sid}/Messages.json").status_code == 200
    assert account.auth_token in state.read_text()  # the state file keeps tokens: it is not output
    assert state.stat().st_mode & 0o777 == 0o600  # so only its owner may read it


def test_config_file_provisions(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(
        'seed = 9\n[[accounts]]\nsid = "AC' + "a" * 32 + '"\nauth_token = "' + "b" * 32 + '"\n'
        '[[accounts.numbers]]\nphone_number = "+15551110004"\n'
        "[settings]\nstatus_pace_ms = 5\n"
    )
    backend = build_backend(config=config)
    assert backend.seed == 9 and backend.settings["status_pace_ms"] == 5
    assert [n.phone_number for n in backend.numbers.values()] == ["+15551110004"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["emulator", "--config", "/does/not/exist.toml"], "does not exist"),
        (["emulator", "--host", "0.0.0.0"], "not loopback"),
        (["emulator", "--port", "99999"], "port 99999 is not a port"),
        (["emulator", "--state", "/proc/none/s.json"], "--state /proc/none/s.json: cannot write in /proc/none"),
        (["run", "--report", "/proc/none"], "--report /proc/none: cannot write in /proc/none"),
        (["devphone", "--workdir", "/proc/none"], "--workdir /proc/none: cannot write in /proc/none"),
        (["run", "--mutant", "nope"], "--mutant nope: no such mutant; known: signature_skipped"),
        (["run", "--mutant", "no_chunking", "--gateway", "openclaw"], "run --mutant runs a mutant of the reference"),
    ],
)
def test_cli_user_mistakes_are_one_line(args: list[str], needle: str) -> None:
    result = sms_harness(*args, timeout=10)
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_run_against_one_mutant_of_the_reference_fails_where_it_should(tmp_path: Path) -> None:
    result = sms_harness("run", "--mutant", "signature_skipped", "--feature", "signatures", "--report", str(tmp_path))
    assert result.returncode == 1, result.stdout[-2000:]
    assert "FAILED Webhook signatures — A signature that does not match is refused with 403" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    tampered = next(s for s in report["scenarios"] if s.get("example") == "wrong_token")
    assert tampered["outcome"] == "failed"
    assert [outcome for *_, outcome in tampered["steps"]] == [*["passed"] * 6, "failed", "not run", "not run"]
    assert tampered["steps"][6][1] == 'the webhook answers 403 with body "Invalid signature"'
    assert '"authToken": "[redacted]"' in tampered["channel"] and '"dmPolicy": "open"' in tampered["channel"]
    svg = tampered["sequence"]
    assert svg.startswith("<svg") and "Twilio (emulator)" in svg and "POST /webhooks/sms" in svg and ">200 (" in svg
    page = (tmp_path / "report.html").read_text()
    assert page.count("-- emulator transcript --") == tampered["transcript"].count("-- emulator transcript --") * len(
        [s for s in report["scenarios"] if s["outcome"] == "failed"]
    ), "each failure shows its transcript once"


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "emulator", "--seed", "3", "--state", str(tmp_path / "s.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_emulator/health", timeout=5).json()["seed"] == 3
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    assert (tmp_path / "s.json").exists()
    assert os.path.getsize(tmp_path / "s.json") > 0


@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        ({"kind": "rest_error", "params": {"status": 400, "code": "abc"}}, "params.code must be an integer"),
        ({"kind": "rest_error", "params": {"status": 99}}, "params.status must be an integer from 400 to 599"),
        ({"kind": "rest_error", "params": {"status": 200}}, "params.status must be an integer from 400 to 599"),
        ({"kind": "rest_error", "params": {"status": 500, "method": "BREW"}}, "params.method must be a string, one of"),
        ({"kind": "message_outcome", "params": {"status": "failed", "error_code": "x"}}, "params.error_code"),
        ({"kind": "webhook_slow", "params": {"delay_ms": 10**9}}, "params.delay_ms must be an integer from 0 to 60000"),
        ({"kind": "webhook_slow", "params": {"delay": 5}}, "unknown params.delay (its params: delay_ms)"),
        ({"kind": "duplicate_delivery", "params": {"copies": True}}, "params.copies must be an integer"),
        ({"kind": "signature", "params": "wrong_token"}, "params must be an object"),
        ({"kind": "status_out_of_order", "times": 0}, "times must be a positive integer"),
        ({"kind": "status_out_of_order", "account_sid": 5}, "account_sid must be a string"),
    ],
)
def test_a_fault_that_would_break_later_calls_is_refused_naming_the_field(
    emu: EmulatorClient, fault: dict, needle: str
) -> None:
    answer = emu.http.post("/_emulator/faults", json=fault)
    assert answer.status_code == 400 and needle in answer.json()["message"], answer.text
    assert emu.faults() == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe garbage", "must be UTF-8 JSON"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"[1, 2]", "must be a JSON object"),
        (b"{not json", "must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(emu: EmulatorClient, content: bytes, needle: str) -> None:
    answer = emu.http.post("/_emulator/accounts", content=content, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and needle in answer.json()["message"], answer.text


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"trial": "false"}, "account.trial must be true or false"),
        ({"friendly_name": 5}, "account.friendly_name must be a string"),
        ({"verified_caller_ids": ["+15551230001", 7]}, "account.verified_caller_ids must be a list of strings"),
        ({"numbers": [{"phone_number": "+15551230001", "sms_url": ["x"]}]}, "numbers[0].sms_url must be a string"),
        ({"services": [{"numbers": [1]}]}, "services[0].numbers must be a list of strings"),
    ],
)
def test_provisioning_values_of_the_wrong_type_are_refused(emu: EmulatorClient, spec: dict, needle: str) -> None:
    answer = emu.http.post("/_emulator/provision", json={"accounts": [spec]})
    assert answer.status_code == 400 and needle.removeprefix("account") in answer.json()["message"], answer.text
    assert emu.http.get("/_emulator/accounts").json() == []


def twilio_error(code: int, message: str, status: int) -> dict[str, object]:
    """Twilio's error body, written out in full."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def test_a_wrong_method_on_a_rest_route_is_twilios_405_after_the_credentials(
    emulator_server: EmulatorServer, emu: EmulatorClient
) -> None:
    account = emu.create_account(numbers=[{"phone_number": "+15551230001"}])
    url = f"{emulator_server.url}/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json"
    with httpx.Client(trust_env=False) as http:
        allowed = http.delete(url, auth=(account.sid, account.auth_token))
        refused = http.delete(url, auth=(account.sid, "wrong"))
        anonymous = http.put(url, data={"To": "x"})
    assert allowed.status_code == 405
    assert allowed.json() == twilio_error(20004, "Method not allowed", 405)
    assert refused.status_code == anonymous.status_code == 401
    assert refused.json()["code"] == 20003 and "Basic" in refused.headers["www-authenticate"]


def test_the_control_api_answers_loopback_host_names_only(emulator_server: EmulatorServer) -> None:
    with httpx.Client(base_url=emulator_server.url, trust_env=False) as http:
        rebound = http.post("/_emulator/reset", json={}, headers={"Host": "attacker.example"})
        assert rebound.status_code == 403 and "loopback host names only" in rebound.json()["message"]
        for host in ("localhost", "127.0.0.1:8", "[::1]:9"):
            assert http.get("/_emulator/state", headers={"Host": host}).status_code == 200, host


def test_control_api_writes_must_be_json(emu: EmulatorClient) -> None:
    """A web page can POST text/plain or a form cross-site without asking; it cannot send JSON."""
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}, {}):
        answer = emu.http.post("/_emulator/reset", content=b"{}", headers=headers)
        assert answer.status_code == 415 and "application/json" in answer.json()["message"], headers
    assert emu.http.post("/_emulator/reset", json={}).status_code == 200


def test_a_control_token_is_required_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorServer(Backend(seed=3), control_token="s3cret") as server:
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            assert http.get("/_emulator/health").status_code == 200  # says nothing about the state
            refused = http.get("/_emulator/state", headers={"Authorization": "Bearer wrong"})
            assert refused.status_code == 401 and "Bearer" in refused.json()["message"]
            assert http.post("/_emulator/reset", json={}).status_code == 401
        with EmulatorClient(server.url, token="s3cret") as client:
            assert client.state()["accounts"] == []
        monkeypatch.setenv("SMS_EMULATOR_TOKEN", "s3cret")
        with EmulatorClient(server.url) as client:
            client.reset()


def test_a_refused_request_leaves_its_connection_usable(emulator_server: EmulatorServer) -> None:
    """Refusals read the body first: an unread one made the next request on the connection fail."""
    with httpx.Client(base_url=emulator_server.url, trust_env=False) as http:
        for _ in range(40):
            assert http.post("/_emulator/provision", content=b"x" * 100_000).status_code == 415
            assert http.get("/_emulator/health").status_code == 200
            assert (
                http.request(
                    "DELETE", "/2010-04-01/Accounts/AC0/IncomingPhoneNumbers.json", content=b"x" * 100_000
                ).status_code
                == 401
            )
            assert http.get("/_emulator/health").status_code == 200


def test_a_body_over_8_mib_is_twilios_20413(emulator_server: EmulatorServer, emu: EmulatorClient) -> None:
    account = emu.create_account(numbers=[{"phone_number": "+15551230001"}])
    url = f"{emulator_server.url}/2010-04-01/Accounts/{account.sid}/Messages.json"
    with httpx.Client(trust_env=False, timeout=30) as http:
        answer = http.post(url, auth=(account.sid, account.auth_token), data={"Body": "x" * (8 * 1024 * 1024 + 1)})
    assert answer.status_code == 413
    assert answer.json() == twilio_error(20413, "Request Entity Too Large", 413)


def test_the_openapi_description_lists_exactly_the_control_routes() -> None:
    """Every control route is described, and nothing described is missing from the app."""
    import re

    from emulator.app import create_app
    from emulator.control.openapi import OPENAPI

    served = set()
    for rule in create_app(Backend(seed=1)).url_map.iter_rules():
        if not rule.rule.startswith("/_emulator"):
            continue
        paths = [rule.rule]
        choice = re.search(r"<any\(([^)]*)\):\w+>", rule.rule)
        if choice:  # one path per choice of an any() converter
            paths = [rule.rule.replace(choice.group(0), c.strip()) for c in choice.group(1).split(",")]
        for path in paths:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
            served |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, ops in OPENAPI["paths"].items() for method in ops}
    assert served - described == set(), "served but not described"
    assert described - served == set(), "described but not served"


def test_records_are_capped_oldest_first_with_a_count(emulator_server: EmulatorServer, emu: EmulatorClient) -> None:
    account = emu.create_account(numbers=[{"phone_number": "+15551230001"}])
    emu.http.put("/_emulator/settings", json={"max_records": 3}).raise_for_status()
    try:
        with httpx.Client(base_url=emulator_server.url, auth=(account.sid, account.auth_token)) as http:
            for _ in range(5):
                http.get(f"/2010-04-01/Accounts/{account.sid}/Messages.json")
        calls = emu.calls()
        assert len(calls) == 3 and calls == sorted(calls, key=lambda c: c["seq"])
        assert emu.state()["dropped"] == {"calls": 2}
    finally:
        emu.http.put("/_emulator/settings", json={"max_records": 100_000})
