"""With -n, the scenarios that set the gateway's environment run one after another on one worker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import layout, scheduling

ROOT = Path(__file__).resolve().parent.parent

FEATURE = """Feature: f
  Background:
    Given a Twilio account with an SMS number

  Scenario: Plain
    Given the gateway is running

  Scenario: From the environment
    Given the environment has TWILIO_PHONE_NUMBER "<number>"

  Scenario Outline: Outline from the environment
    Given the environment has SMS_TEXT_CHUNK_LIMIT "<n>"

    Examples:
      | n  |
      | 10 |
"""


def test_the_scenarios_that_set_the_environment_are_found_by_their_steps(tmp_path: Path) -> None:
    (tmp_path / "f.feature").write_text(FEATURE)
    assert scheduling.environment_tests(tmp_path) == {"test_from_the_environment", "test_outline_from_the_environment"}


def test_one_work_unit_holds_them_and_every_other_scenario_is_its_own(tmp_path: Path) -> None:
    (tmp_path / "f.feature").write_text(FEATURE)
    grouped = scheduling.environment_tests(tmp_path)
    unit = scheduling.work_unit
    assert unit("scenarios/test_features.py::test_from_the_environment", grouped) == scheduling.ENVIRONMENT_GROUP
    assert (
        unit("scenarios/test_features.py::test_outline_from_the_environment[10]", grouped)
        == scheduling.ENVIRONMENT_GROUP
    )
    assert unit("scenarios/test_features.py::test_plain", grouped) == "scenarios/test_features.py::test_plain"


def test_the_suite_has_such_scenarios() -> None:
    """Else the grouping would silently do nothing (the env feature's scenarios are named as pytest-bdd names them)."""
    names = scheduling.environment_tests(layout.features_dir())
    assert len(names) >= 7 and "test_twilio_sms_from_is_accepted_as_the_sender" in names


@pytest.mark.slow
def test_with_two_workers_they_all_run_on_one(tmp_path: Path) -> None:
    """Through pytest -n 2 against the reference gateway: every env scenario reports from the same worker."""
    pytest_args = ["scenarios", "-p", "no:cacheprovider", "-n", "2", "-v", "--basetemp", str(tmp_path)]
    features = ["--sms-feature", "env_config", "--sms-feature", "messaging_service"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, *features],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    ran = re.findall(r"^\[(gw\d)\] \[[ \d]+%\] PASSED \S+::(test_\w+)", run.stdout, re.M)
    grouped = scheduling.environment_tests(layout.features_dir())
    workers = {worker for worker, name in ran if name in grouped}
    assert len([name for _, name in ran if name in grouped]) >= 7, run.stdout[-3000:]
    assert len(workers) == 1, f"env scenarios ran on {sorted(workers)}:\n" + "\n".join(f"{w} {n}" for w, n in ran)
