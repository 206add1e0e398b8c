"""Harness pieces: the imsg sender (with a fake imsg), redaction, CLI results, the report, the run command."""

from __future__ import annotations

import itertools
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from harness import redaction
from harness.drivers.base import CliResult, DriverError, run_cli
from harness.openclaw.driver import applied_at, compile_cache, patch_prefix
from harness.report import render_html, summarize, summary_table, totals
from harness.runner import print_summary
from harness.senders import ImsgSender
from tests.processes import sms_harness

FAKE_IMSG = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_IMSG_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
mode = os.environ.get("FAKE_IMSG_MODE", "ok")
if mode == "fail":
    print("Messages is not signed in", file=sys.stderr)
    sys.exit(3)
print("not json" if mode == "garbage" else json.dumps({"status": "sent", "guid": "ABC-123"}))
"""


@pytest.fixture
def fake_imsg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    exe = tmp_path / "imsg"
    exe.write_text(FAKE_IMSG)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_IMSG_LOG", str(tmp_path / "calls.log"))
    return tmp_path


def test_imsg_command_line_and_json(fake_imsg: Path) -> None:
    result = ImsgSender().send("", "+15551234567", "reply exactly SMS pong")
    assert result["message"] == {"status": "sent", "guid": "ABC-123"}
    calls = [json.loads(line) for line in (fake_imsg / "calls.log").read_text().splitlines()]
    assert calls == [["send", "--to", "+15551234567", "--service", "sms", "--text", "reply exactly SMS pong", "--json"]]


@pytest.mark.parametrize(
    ("mode", "needle"), [("fail", "exit 3: Messages is not signed in"), ("garbage", "printed no JSON")]
)
def test_imsg_failures_are_explained(fake_imsg: Path, monkeypatch: pytest.MonkeyPatch, mode: str, needle: str) -> None:
    monkeypatch.setenv("FAKE_IMSG_MODE", mode)
    with pytest.raises(AssertionError, match=needle):
        ImsgSender().send("", "+15551234567", "hi")


def test_imsg_availability_reasons(fake_imsg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SMS_HARNESS_IMSG_ANY_OS", raising=False)
    if sys.platform != "darwin":
        assert "macOS" in (ImsgSender.availability() or "")
    monkeypatch.setenv("SMS_HARNESS_IMSG_ANY_OS", "1")
    assert "TWILIO_ACCOUNT_SID" in (ImsgSender.availability() or "")
    assert "not on PATH" in (ImsgSender.availability("no-such-imsg") or "")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        monkeypatch.setenv(name, "x" * 10)
    assert ImsgSender.availability() is None


def test_redaction_and_cli_results() -> None:
    redaction.register("tok-0123456789")
    result = CliResult(["gw", "--token", "tok-0123456789"], 1, "said tok-0123456789", "", 0.1)
    assert "tok-0123456789" not in result.describe() and "[redacted]" in result.describe()
    assert CliResult(["x"], 0, 'log line\n{"a": 1}\n', "", 0).json() == {"a": 1}
    with pytest.raises(DriverError, match="expected JSON"):
        CliResult(["x"], 0, "nothing", "", 0).json()


def test_run_cli_never_hangs_and_reports_missing_commands() -> None:
    slow = run_cli([sys.executable, "-c", "import time; time.sleep(10)"], os.environ, timeout=0.5)
    assert slow.code == 124 and "timed out" in slow.stderr
    missing = run_cli(["/no/such/command"], os.environ)
    assert missing.code == 127 and "not found" in missing.stderr


def test_report_summary_and_html(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = [
        {
            "feature": "Pairing",
            "feature_file": "pairing.feature",
            "scenario": "ok",
            "tags": ["guide"],
            "outcome": "passed",
            "duration": 0.5,
            "message": "",
            "transcript": "",
            "gateway_log": "",
        },
        {
            "feature": "Pairing",
            "feature_file": "pairing.feature",
            "scenario": "bad <b>",
            "tags": [],
            "outcome": "failed",
            "duration": 1.0,
            "message": "expected: x\nseen: y",
            "transcript": "#1 REST",
            "gateway_log": "log",
            "traceback": "tb",
        },
        {
            "feature": "Webhook",
            "feature_file": "webhook.feature",
            "scenario": "skip",
            "tags": [],
            "outcome": "skipped",
            "duration": 0.0,
            "message": "needs macOS",
            "transcript": "",
            "gateway_log": "",
        },
        {
            "feature": "Webhook",
            "feature_file": "webhook.feature",
            "scenario": "differs",
            "tags": [],
            "outcome": "divergence",
            "duration": 1.0,
            "message": "OpenClaw divergence: the guide says A; OpenClaw B",
            "transcript": "",
            "gateway_log": "",
        },
    ]
    data = {
        "gateway": "reference",
        "mutant": None,
        "faker_seed": 1,
        "started": "now",
        "seconds": 2,
        "totals": totals(scenarios),
        "features": summarize(scenarios),
        "scenarios": scenarios,
    }
    assert data["totals"] == {"passed": 1, "failed": 1, "skipped": 1, "divergence": 1, "na": 0}
    table = summary_table(data)
    assert "Pairing" in table and table.splitlines()[-1].split() == ["total", "1", "1", "1", "1", "0"]
    page = render_html(data)
    assert "bad &lt;b&gt;" in page and "expected: x" in page and "#1 REST" in page and "needs macOS" in page
    assert "the guide says A; OpenClaw B" in page
    assert page.index("FAILED") < page.index("PASSED")  # failures first
    print_summary(data, Path("report"))
    printed = capsys.readouterr().out
    assert "DIVERGENCE Webhook — differs\n    OpenClaw divergence: the guide says A; OpenClaw B" in printed
    assert "SKIPPED Webhook — skip\n    needs macOS" in printed  # skip reasons on the terminal too
    assert "FAILED Pairing — bad <b>" in printed


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--gateway", "external"], "needs --gateway-config"),
        (["run", "--gateway", "external", "--gateway-config", "/nope.toml"], "does not exist"),
        (["run", "-n", "-1"], "-n must be"),
        (["selfcheck", "--mutant", "no_such_mutant"], "unknown mutant"),
        (["run", "--isolate", "--emulator-url", "http://127.0.0.1:9"], "drop --emulator-url"),
        (["run", "--feature", "nope"], "no features/nope.feature"),
        (["run", "--gateway", "openclaw", "--openclaw-version", "2026.9.6,latest"], "expected versions such as"),
        (["selfcheck", "--gateway", "openclaw", "--openclaw-version", "2026.9.5,2026.9.6"], "takes one"),
        (["selfcheck", "--gateway", "openclaw", "--mutant", "no_such_mutant"], "unknown mutant"),
        (["run", "--sms-plugin-from", "/nope"], "goes with --gateway openclaw"),
        (["run", "--gateway", "openclaw", "--sms-plugin-from", "/nope"], "does not exist"),
    ],
)
def test_run_command_mistakes_are_one_line(args: list[str], needle: str) -> None:
    result = sms_harness(*args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_run_with_nothing_matching_fails(tmp_path: Path) -> None:
    result = sms_harness("run", "-k", "no_scenario_has_this_name", "--report", str(tmp_path))
    assert result.returncode == 1 and "no scenario matched" in result.stderr


@pytest.mark.slow
def test_run_writes_the_report(tmp_path: Path) -> None:
    result = sms_harness("run", "-k", "first_message_from_an_unknown", "--report", str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:]
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["totals"]["passed"] == 1 and data["features"][0]["feature"].startswith("Pairing")
    assert (tmp_path / "junit.xml").exists() and "<html lang=en>" in (tmp_path / "report.html").read_text()
    assert "Pairing (the default dmPolicy)" in result.stdout


@pytest.mark.slow
def test_selfcheck_prints_which_scenario_killed_each_mutant(tmp_path: Path) -> None:
    result = sms_harness(
        "selfcheck", "--feature", "webhook", "--mutant", "no_413", "--mutant", "get_accepted", "--report", str(tmp_path)
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "unmutated: PASS" in result.stdout
    verdicts = {m["name"]: m for m in json.loads((tmp_path / "selfcheck.json").read_text())["mutants"]}
    assert verdicts["no_413"]["killed_by"] == "The webhook endpoint — A body over 32 KiB is refused with 413"
    assert verdicts["get_accepted"]["killed_by"].startswith("The webhook endpoint — Only POST is accepted [")
    assert all(m["verdict"] == "killed" for m in verdicts.values())


@pytest.mark.slow
def test_selfcheck_fails_when_a_mutant_survives(tmp_path: Path) -> None:
    # the probe feature cannot see a webhook that accepts GET
    result = sms_harness("selfcheck", "--feature", "probe", "--mutant", "get_accepted", "--report", str(tmp_path))
    assert result.returncode == 1, result.stdout[-3000:]
    assert "selfcheck FAILED: not killed: get_accepted" in result.stdout


def test_clean_env_is_stable_across_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.drivers.base import clean_env

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "inherited")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "one")
    first = clean_env({"SMS_TEXT_CHUNK_LIMIT": "300"})
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "two")
    assert clean_env({"SMS_TEXT_CHUNK_LIMIT": "300"}) == first  # no restart between scenarios
    assert "TWILIO_AUTH_TOKEN" not in first and first["SMS_TEXT_CHUNK_LIMIT"] == "300"


def test_openclaw_reload_wait_counts_only_reloads_of_the_patched_keys() -> None:
    """The CI failure of session 2: a `commands` reload must not pass for the channel's reload."""
    log = (
        "[reload] config hot reload applied (commands)\n"
        "[sms] Registered SMS webhook route /webhooks/sms for account default\n"
        "[sms] webhook rejected invalid Twilio signature\n"
    )
    assert applied_at(log, "channels.sms") == -1
    assert applied_at(log, "commands") == log.index("\n")
    later = log + "[reload] config hot reload applied (channels.sms.accountSid, channels.sms.authToken)\n"
    assert applied_at(later, "channels.sms") == len(later) - 1
    assert applied_at("[reload] config hot reload applied (channels.smsx)", "channels.sms") == -1
    assert patch_prefix({"channels": {"sms": {"dmPolicy": "open", "allowFrom": []}}}) == "channels.sms"
    assert patch_prefix({"channels": {"sms": {"accounts": {"sales": {}}}}}) == "channels.sms"
    assert patch_prefix({"commands": {"x": 1}, "channels": {}}) == ""
    assert applied_at(log, "") == log.index("\n")


def test_openclaw_compiles_its_modules_once_into_the_harness_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Node's compile cache lives beside the cache entries, not in a worker's temporary folder (cold every run)."""
    monkeypatch.setenv("SMS_HARNESS_CACHE", str(tmp_path / "cache"))
    assert compile_cache() == str(tmp_path / "cache" / "node-compile-cache")


@pytest.mark.slow
def test_relative_paths_are_the_callers(tmp_path: Path) -> None:
    """`--report here` writes into the caller's folder, not the project's."""
    result = sms_harness("run", "-k", "first_message_from_an_unknown", "--report", "here", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "here" / "report.json").exists()


def test_the_sequence_diagram_orders_the_exchange_as_it_happened() -> None:
    from harness import sequence

    records = {
        "messages": [
            {"seq": 1, "direction": "inbound", "body": "hi", "num_media": "0", "status": "received"},
            {"seq": 5, "direction": "outbound-api", "body": "Echo: hi", "num_media": "0", "status": "delivered"},
        ],
        "deliveries": [
            {
                "seq": 2,
                "kind": "inbound",
                "method": "POST",
                "url": "https://gw.test/webhooks/sms#rc=1",
                "form": [["Body", "hi"]],
                "outcome": "failed",
                "error_code": 11200,
                "attempts": [{"status": 403, "error": "http", "latency_ms": 12.4}],
            }
        ],
        "calls": [
            {
                "seq": 6,
                "method": "POST",
                "path": "/2010-04-01/Accounts/AC1/Messages.json",
                "status": 201,
                "response": {"sid": "SM1"},
                "duration_ms": 1.2,
            }
        ],
        "model_requests": [{"seq": 4, "user_text": "hi", "reply": "Echo: hi"}],
    }
    arrows = sequence.arrows(records)
    assert [(a.source, a.target, a.label, a.ok) for a in arrows] == [
        (0, 1, "SMS “hi”", True),
        (1, 2, "POST /webhooks/sms", True),
        (2, 1, "403 (12 ms) → Twilio error 11200", False),
        (2, 3, "turn: “hi”", True),
        (3, 2, "“Echo: hi”", True),
        (2, 1, "POST Messages.json", True),
        (1, 2, "201 (1 ms)", True),
        (1, 0, "SMS “Echo: hi” [delivered]", True),
    ]
    drawing = sequence.svg(arrows)
    assert drawing.count("<line") == 4 + len(arrows) and "&lt;" not in "".join(a.label for a in arrows)


def test_one_table_feeds_the_command_line_the_plugin_and_the_runner(tmp_path: Path) -> None:
    from dataclasses import fields

    from harness import cli, options
    from harness.cli.suite import suite_options
    from harness.runner import RunOptions, pytest_argv

    assert {o.name for o in options.OPTIONS} - {f.name for f in fields(RunOptions)} == {"quiet_seconds"}
    args = cli.parser().parse_args(
        [
            "run",
            "--tags",
            "guide",
            "--feature",
            "pairing",
            "--feature",
            "mms",
            "-n",
            "2",
            "-k",
            "code",
            "--report",
            str(tmp_path),
        ]
    )
    argv = pytest_argv(suite_options(args))
    pairs = list(itertools.pairwise(argv))
    for pair in [("-m", "guide"), ("--sms-feature", "pairing"), ("--sms-feature", "mms"), ("-n", "2"), ("-k", "code")]:
        assert pair in pairs, (pair, argv)
    assert ("--sms-report", str(tmp_path)) in pairs and ("--gateway", "reference") in pairs
    assert "--gateway-config" not in argv and "--shard" not in argv, "options not given are not passed"
