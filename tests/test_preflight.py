"""`sms-harness run` checks its configuration once, before any scenario: one line and exit 2, or
the gateway's log tail when it does not start; never one failure per scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import sms_harness

COMMANDS = """
[commands]
config_patch = "{python} -m refclaw.cli config patch --file {file}"
pairing_list = "{python} -m refclaw.cli pairing list sms --json"
pairing_approve = "{python} -m refclaw.cli pairing approve sms {code}"
message_send = "{python} -m refclaw.cli message send {channel} {target} --message {message} --json"
status_probe = "{python} -m refclaw.cli channels status --channel sms --probe --json"
"""


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('base_url = "http://127.0.0.1:1\n' + COMMANDS, "cannot read the gateway description (Illegal character"),
        ('base_url = "http://127.0.0.1:1"\nstrat = "x"\n' + COMMANDS, "unknown key(s) strat"),
        ('base_url = "http://127.0.0.1:1"\n[commands]\nconfig_patch = "x"\n', "[commands] needs pairing_list"),
        (COMMANDS, "give base_url (a running gateway) or start (a command)"),
        (
            'base_url = "http://127.0.0.1:9"\n' + COMMANDS,
            "no gateway answers at base_url http://127.0.0.1:9 (ConnectError)",
        ),
    ],
    ids=["syntax", "unknown-key", "missing-commands", "no-gateway", "not-running"],
)
def test_a_bad_gateway_description_is_one_line_before_any_scenario(tmp_path: Path, toml: str, needle: str) -> None:
    (tmp_path / "gw.toml").write_text(toml)
    result = sms_harness("run", "--gateway", "external", "--gateway-config", "gw.toml", "--report", "rep", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "rep" / "report.json").exists(), "no scenario should have run"


def test_a_gateway_that_does_not_start_stops_the_run_with_its_log_tail(tmp_path: Path) -> None:
    (tmp_path / "gw.toml").write_text(
        'start = "{python} -c \\"import sys; sys.stderr.write(chr(98)+chr(111)+chr(111)+chr(109)); sys.exit(3)\\""\n'
        + COMMANDS
    )
    result = sms_harness("run", "--gateway", "external", "--gateway-config", "gw.toml", "--report", "rep", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    first, *tail = result.stderr.strip().splitlines()
    assert first.startswith(f"sms-harness: {tmp_path / 'gw.toml'}: the gateway does not start: gateway"), first
    assert "exited with code 3 while starting" in first and tail == ["boom"], result.stderr
    assert not (tmp_path / "rep" / "report.json").exists(), "no scenario should have run"


def test_an_unreachable_emulator_is_one_line() -> None:
    result = sms_harness("run", "--emulator-url", "http://127.0.0.1:9", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "sms-harness: --emulator-url http://127.0.0.1:9: cannot reach the emulator "
        "(ConnectError: [Errno 111] Connection refused)"
    )
