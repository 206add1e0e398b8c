"""The package as a user gets it: a wheel in a fresh venv, used from a folder outside the checkout.

Slow (a venv and its dependencies, about a minute with pip's cache warm), and the only way to
prove that `pip install` brings the features, the steps and the plugin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT

USER_FEATURE = """\
Feature: My gateway's own rule
  Scenario: A signed text gets the agent's answer
    Given a Twilio account with an SMS number
    And the SMS channel is configured as in the guide with dmPolicy "open"
    And the channel's allowFrom is ["*"]
    And the gateway is running
    When phone "A" texts "reply exactly mine too"
    Then the webhook answers 200 with an empty TwiML response
    And phone "A" gets the reply "mine too"
"""


PLAIN_TESTS = """\
import httpx
import pytest

ACCOUNT = "AC" + "a" * 32


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_an_empty_emulator(sms_twilio, attempt):
    account = sms_twilio.create_account(sid=ACCOUNT, numbers=[{"phone_number": "+15551230000"}])
    sms_twilio.send_inbound("+15557654321", "+15551230000", "hi")
    listed = httpx.get(
        f"{sms_twilio.base_url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json", auth=(ACCOUNT, account.auth_token)
    ).json()
    assert [m["body"] for m in listed["messages"]] == ["hi"]
"""


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.mark.slow
def test_the_wheel_runs_our_features_and_a_users_own_from_any_folder(tmp_path: Path) -> None:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)], tmp_path)
    wheel = next((tmp_path / "dist").glob("sms_harness-*.whl"))
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")], tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path)

    work = tmp_path / "mygw"
    shutil.copytree(ROOT / "examples" / "tinygw", work)
    # our features, against examples/tinygw (a gateway of its own, described by a TOML file), with
    # paths relative to this folder
    run(
        [
            str(bin_dir / "sms-harness"),
            "run",
            "--gateway",
            "external",
            "--gateway-config",
            "tinygw.toml",
            "--feature",
            "signatures",
            "--tags",
            "guide",
            "--report",
            "rep",
        ],
        work,
    )
    report = json.loads((work / "rep" / "report.json").read_text())
    outcomes = {s["outcome"] for s in report["scenarios"]}
    assert len(report["scenarios"]) >= 10 and outcomes == {"passed"}, report["features"]
    assert all("guide" in s["tags"] for s in report["scenarios"]), "--tags guide kept only the guide's scenarios"
    assert str(ROOT) not in (work / "rep" / "report.json").read_text(), "the installed run used the checkout"

    # a feature of the user's own, bound with plain pytest-bdd, using our steps and fixtures
    (work / "features").mkdir()
    (work / "features" / "mine.feature").write_text(USER_FEATURE)
    (work / "test_mine.py").write_text('from pytest_bdd import scenarios\n\nscenarios("features/mine.feature")\n')
    result = run([str(bin_dir / "python"), "-m", "pytest", "-q", "test_mine.py", "-p", "no:cacheprovider"], work)
    assert "1 passed" in result.stdout, result.stdout

    # plain pytest tests with our fixtures: the same account twice, as the emulator is emptied per test
    (work / "test_plain.py").write_text(PLAIN_TESTS)
    result = run([str(bin_dir / "python"), "-m", "pytest", "-q", "test_plain.py", "-p", "no:cacheprovider"], work)
    assert "2 passed" in result.stdout, result.stdout


def test_the_github_actions_example_runs_a_command_line_we_accept() -> None:
    """The workflow's `sms-harness run` line parses with our own parser, flag for flag."""
    import re
    import shlex

    from harness.cli import parser

    text = (ROOT / "examples" / "github-actions.yml").read_text()
    folded = re.search(r"run: >\n((?:\s{10}.+\n)+)", text)
    assert folded, "the workflow has no folded `run: >` block"
    words = shlex.split(" ".join(line.strip() for line in folded.group(1).splitlines()))
    assert words[:2] == ["sms-harness", "run"], words
    args = parser().parse_args(words[1:])
    assert (args.gateway, args.gateway_config, args.tags) == ("external", "sms-gateway.toml", "guide and not mms")
    for kept in ("sms-report/report.html", "sms-report/junit.xml"):
        assert kept in text, f"the workflow does not keep {kept}"
