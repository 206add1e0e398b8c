"""`refclaw` CLI verbs against a real emulator on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from emulator.client import EmulatorClient, Provisioned
from emulator.server import EmulatorServer
from harness.drivers.base import probe_view
from refclaw import cli

NUMBER = "+15551234567"
PUBLIC = "https://gw.example.test/webhooks/sms"


@pytest.fixture
def twilio(emu: EmulatorClient) -> Provisioned:
    return emu.create_account(numbers=[{"phone_number": NUMBER, "sms_url": PUBLIC}])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator_server: EmulatorServer, twilio: Provisioned) -> Path:
    monkeypatch.setenv("REFCLAW_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("REFCLAW_CONFIG_PATH", str(tmp_path / "refclaw.json5"))
    monkeypatch.setenv("REFCLAW_TWILIO_API_BASE", emulator_server.url)
    monkeypatch.setenv("REFCLAW_TWILIO_MESSAGING_BASE", emulator_server.url)
    monkeypatch.setenv("REFCLAW_MODEL_URL", f"{emulator_server.url}/v1")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "TWILIO_SMS_FROM"):
        monkeypatch.delenv(name, raising=False)
    patch(
        tmp_path,
        {
            "channels": {
                "sms": {
                    "enabled": True,
                    "accountSid": twilio.sid,
                    "authToken": twilio.auth_token,
                    "fromNumber": NUMBER,
                    "publicWebhookUrl": PUBLIC,
                }
            }
        },
    )
    return tmp_path


def patch(home: Path, data: dict, *extra: str) -> int:
    path = home / "patch.json5"
    path.write_text(json.dumps(data))
    return cli.main(["config", "patch", "--file", str(path), *extra])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # only this command's output
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_config_patch_dry_run_changes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], twilio: Provisioned
) -> None:
    before = (home / "refclaw.json5").read_text()
    capsys.readouterr()
    assert patch(home, {"channels": {"sms": {"dmPolicy": "allowlist"}}}, "--dry-run") == 0
    out, err = capsys.readouterr()
    assert "Dry run" in out and '"dmPolicy": "allowlist"' in out and twilio.auth_token not in out + err
    assert "empty allowFrom rejects every sender" in err
    assert (home / "refclaw.json5").read_text() == before
    assert patch(home, {"channels": {"sms": {"dmPolicy": "allowlist"}}}) == 0
    assert '"allowlist"' in (home / "refclaw.json5").read_text()


def test_invalid_patch_is_one_line_and_not_written(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (home / "refclaw.json5").read_text()
    capsys.readouterr()
    assert patch(home, {"channels": {"sms": {"dmPolicy": "everyone"}}}) == 1
    _, err = capsys.readouterr()
    assert err.startswith("refclaw: channels.sms.dmPolicy") and len(err.strip().splitlines()) == 1
    assert (home / "refclaw.json5").read_text() == before


def test_message_send_targets(home: Path, capsys: pytest.CaptureFixture[str], emu: EmulatorClient) -> None:
    code, out, _ = run(
        capsys, "message", "send", "--channel", "sms", "--target", "sms:+15557654321", "--message", "hello", "--json"
    )
    assert code == 0
    sent = json.loads(out)
    assert sent["messageId"].startswith("SM") and sent["to"] == "+15557654321"
    assert emu.messages(sid=sent["messageId"])[0]["body"] == "hello"
    assert run(capsys, "message", "send", "--target", "twilio-sms:+15557654321", "--message", "hi")[0] == 0
    for argv, needle in [
        (["--target", "sms:+15557654321"], "ambiguous"),
        ([], "--target is required"),
        (["--channel", "sms", "--target", "sms:12"], "Invalid SMS target: sms:12"),
    ]:
        code, _, err = run(capsys, "message", "send", *argv, "--message", "x")
        assert code == 1 and needle in err and "Traceback" not in err
    long = "".join(str(i % 10) for i in range(1601))  # cut as OpenClaw does, never refused
    code, out, _ = run(
        capsys, "message", "send", "--channel", "sms", "--target", "+15557654321", "--message", long, "--json"
    )
    assert code == 0
    bodies = [emu.messages(sid=sid)[0]["body"] for sid in json.loads(out)["messageIds"]]
    assert [len(b) for b in bodies] == [1500, 101] and "".join(bodies) == long


def test_twilio_errors_surface_in_one_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "message", "send", "--channel", "sms", "--target", "+15005550004", "--message", "x")
    assert code == 1 and "21610" in err


def test_pairing_list_and_approve(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from refclaw.state import StateDir

    state = StateDir(home)
    request, _ = state.request_pairing("default", "+15557654321", state.now())
    code, out, _ = run(capsys, "pairing", "list", "sms", "--json")
    listed = json.loads(out)["requests"]
    assert [(r["id"], r["code"]) for r in listed] == [("+15557654321", request.code)]
    assert run(capsys, "pairing", "approve", "sms", "NOPE2345")[0] == 1
    code, out, _ = run(capsys, "pairing", "approve", "sms", request.code)
    assert code == 0 and out.splitlines() == [
        "Approved sms sender +15557654321.",
        "Command owner configured sms:+15557654321 (commands.ownerAllowFrom was empty).",
    ]
    assert "No pending" in run(capsys, "pairing", "list", "sms")[1]
    second, _ = state.request_pairing("default", "+15557654322", state.now())
    code, out, _ = run(capsys, "pairing", "approve", "sms", second.code)
    assert code == 0 and out.strip() == "Approved sms sender +15557654322."  # the owner stays the first
    conf = json.loads((home / "refclaw.json5").read_text())
    assert conf["commands"] == {"ownerAllowFrom": ["sms:+15557654321"]}


def test_clock_advance_expires_codes(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from refclaw.state import StateDir

    state = StateDir(home)
    request, _ = state.request_pairing("default", "+15557654321", state.now())
    assert run(capsys, "clock", "advance", "3601")[0] == 0
    code, _, err = run(capsys, "pairing", "approve", "sms", request.code)
    assert code == 1 and request.code in err


def probe(capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, _ = run(capsys, "channels", "status", "--channel", "sms", "--probe", "--json")
    assert code == 0
    return probe_view(json.loads(out))


def test_status_probe_states(
    home: Path, capsys: pytest.CaptureFixture[str], twilio: Provisioned, emulator_server: EmulatorServer
) -> None:
    assert probe(capsys)["webhook"]["status"] == "matches"
    auth = (twilio.sid, twilio.auth_token)
    numbers = httpx.get(
        f"{emulator_server.url}/2010-04-01/Accounts/{twilio.sid}/IncomingPhoneNumbers.json", auth=auth
    ).json()["incoming_phone_numbers"]
    number_url = f"{emulator_server.url}/2010-04-01/Accounts/{twilio.sid}/IncomingPhoneNumbers/{numbers[0]['sid']}.json"
    for form, state in [
        ({"SmsMethod": "GET"}, "method-mismatch"),
        ({"SmsMethod": "POST", "SmsUrl": PUBLIC + "/other"}, "url-mismatch"),
        ({"SmsUrl": ""}, "missing"),
    ]:
        httpx.post(number_url, auth=auth, data=form)
        result = probe(capsys)
        assert result["webhook"]["status"] == state and result["probe"]["ok"] is False
        assert (
            "POST" in result["probe"]["error"]
            or "/other" in result["probe"]["error"]
            or "no SMS webhook" in result["probe"]["error"]
        )
    patch(home, {"channels": {"sms": {"fromNumber": "+15550001234"}}})
    assert probe(capsys)["webhook"]["status"] == "number-not-found"


def test_status_probe_turns_11200_into_an_error_and_hint(
    home: Path, capsys: pytest.CaptureFixture[str], emu: EmulatorClient
) -> None:
    result = emu.send_inbound("+15557654321", NUMBER, "hi")  # gw.example.test is not routed: 11210
    assert result["message"]["error_code"] == 11210
    assert probe(capsys)["probe"]["ok"] is True
    with EmulatorServer() as wrong_server:  # a server that answers 404 on the webhook path: non-2xx
        emu.add_route("https://gw.example.test", wrong_server.url)
        assert emu.send_inbound("+15557654321", NUMBER, "hi")["message"]["error_code"] == 11200
    result = probe(capsys)
    assert result["probe"]["ok"] is False and "11200" in result["probe"]["error"]
    assert any("11200" in hint for hint in result["hints"])


def test_capabilities(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "channels", "capabilities", "--channel", "sms", "--json")
    assert code == 0 and json.loads(out)["channel"] == "sms"
    assert run(capsys, "channels", "capabilities", "--channel", "whatsapp")[0] == 1


def test_automation_send_uses_default_to(home: Path, capsys: pytest.CaptureFixture[str], emu: EmulatorClient) -> None:
    before = emu.cursor()
    code, out, err = run(capsys, "agent", "--message", "reply exactly hi", "--deliver")
    assert code == 0 and out.strip() == "hi" and "defaultTo" in err  # as OpenClaw: nothing to deliver to
    assert not emu.calls(after=before)
    patch(home, {"channels": {"sms": {"defaultTo": "+15550009999"}}})
    after = emu.cursor()
    assert run(capsys, "agent", "--message", "reply exactly automated", "--deliver")[0] == 0
    assert emu.wait(after=after, match={"to": "+15550009999", "body": "automated"}, timeout=5)
    for override, to in [("sms:+15557654321", "+15557654321"), ("sms:", "+15550009999")]:  # the prefix alone: defaultTo
        after = emu.cursor()
        argv = ["agent", "--message", f"reply exactly to {override}", "--deliver", "--to", "+15551110000"]
        assert run(capsys, *argv, "--reply-to", override)[0] == 0  # --reply-to overrides --to
        assert emu.wait(after=after, match={"to": to, "body": f"to {override}"}, timeout=5)


def test_gateway_with_invalid_config_exits_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "c.json5").write_text('{channels: {sms: {dmPolicy: "nope"}}}')
    env = {"REFCLAW_STATE_DIR": str(tmp_path), "REFCLAW_CONFIG_PATH": str(tmp_path / "c.json5"), "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "refclaw.cli", "gateway", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "refclaw: channels.sms.dmPolicy" in result.stderr and "Traceback" not in result.stderr
