"""With -n, the scenarios that set the gateway's environment run one after another on one worker."""

from __future__ import annotations

import itertools
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


NODE = "scenarios/test_features.py::"

PLANNED = """Feature: g
  Background:
    Given a Twilio account with an SMS number

  Scenario: Open one
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And Twilio serves media files without redirecting to its CDN
    And the gateway is running
    When phone "A" texts "hi"

  Scenario: Pairing one
    Given the SMS channel is configured as in the guide with dmPolicy "pairing"
    And the gateway is running
    When the operator runs the status probe
    Then phone "A" gets no reply

  Scenario: Open dirty
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the gateway is running
    When 5 minutes pass on the gateway's clock

  Scenario: Open two
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    And the gateway is running
    When phone "A" texts "hi"

  Scenario: Fresh
    Given the gateway is running fresh

  Scenario: Env two
    Given the environment has TWILIO_PHONE_NUMBER "<number>"

  Scenario: Env one
    Given the environment has SMS_TEXT_CHUNK_LIMIT "10"

  Scenario: Env one again
    Given the environment has SMS_TEXT_CHUNK_LIMIT "10"

  Scenario Outline: Limits
    Given the channel's textChunkLimit is <n>
    When phone "A" texts "<text>"

    Examples:
      | n  | text |
      | 10 | a    |
      | 20 | b    |

  Scenario Outline: Texts
    Given the SMS channel is configured as in the guide with dmPolicy "open"
    When phone "A" texts "<text>"

    Examples:
      | text |
      | a    |
      | b    |
"""


def test_a_scenario_is_described_by_its_set_up_less_what_only_twilio_does() -> None:
    steps = [
        ("given", "a Twilio account with an SMS number"),
        ("given", "Twilio serves media files without redirecting to its CDN"),
        ("given", 'the environment has SMS_TEXT_CHUNK_LIMIT "<n>"'),
        ("when", "the operator runs the status probe"),
        ("then", 'phone "A" gets no reply'),
        ("given", 'the Twilio number\'s webhook is "x" with method POST'),
    ]
    scenario = scheduling.describe(steps, ["n"])
    assert scenario.key == ("a Twilio account with an SMS number", 'the environment has SMS_TEXT_CHUNK_LIMIT "<n>"')
    assert scenario.environment == ('the environment has SMS_TEXT_CHUNK_LIMIT "<n>"',)
    assert scenario.restarts and not scenario.fresh and scenario.dirties and scenario.per_example
    one = scheduling.STEP_SECONDS
    assert scenario.seconds == 6 * one + scheduling.CLI_SECONDS + scheduling.QUIET_SECONDS + scheduling.START_SECONDS
    assert not scheduling.describe(steps[:2], ["n"]).per_example
    assert scheduling.describe([("given", "the gateway is running fresh")]).restarts


def planned(tmp_path: Path, workers: int = 2) -> dict[str, list[str]]:
    (tmp_path / "g.feature").write_text(PLANNED)
    names = {
        "Open one": ["test_open_one"],
        "Pairing one": ["test_pairing_one"],
        "Open dirty": ["test_open_dirty"],
        "Open two": ["test_open_two"],
        "Fresh": ["test_fresh"],
        "Env two": ["test_env_two"],
        "Env one": ["test_env_one"],
        "Env one again": ["test_env_one_again"],
        "Limits": ["test_limits[10-a]", "test_limits[20-b]"],
        "Texts": ["test_texts[a]", "test_texts[b]"],
    }
    nodeids = [NODE + test for tests in names.values() for test in tests] + ["tests/test_other.py::test_x"]
    return scheduling.plan(nodeids, scheduling.scenarios(tmp_path), workers)


def test_the_restarts_come_first_on_one_worker_each_environment_together_and_fresh_starts_last(
    tmp_path: Path,
) -> None:
    units = planned(tmp_path)
    name, first = next(iter(units.items()))
    assert name == scheduling.RESTARTS
    assert [n.removeprefix(NODE) for n in first] == ["test_env_one", "test_env_one_again", "test_env_two", "test_fresh"]


def test_scenarios_with_one_set_up_run_back_to_back_the_dirty_one_last(tmp_path: Path) -> None:
    """Open one and Open two differ only in a Twilio-side step: one unit, the clock-moving one after them."""
    units = [[n.removeprefix(NODE) for n in ids] for ids in planned(tmp_path, workers=1).values()]
    assert ["test_open_one", "test_open_two", "test_open_dirty"] in units
    assert ["test_texts[a]", "test_texts[b]"] in units  # the examples' values are not in the set-up
    assert ["test_limits[10-a]"] in units and ["test_limits[20-b]"] in units  # they are: one unit each
    assert units[-1] == ["tests/test_other.py::test_x"]  # not a scenario: a unit of its own, last
    assert sorted(n for ids in units for n in ids) == sorted(
        n.removeprefix(NODE) for ids in planned(tmp_path, workers=1).values() for n in ids
    )


def test_units_go_longest_first_and_a_unit_over_its_share_is_cut(tmp_path: Path) -> None:
    units = planned(tmp_path, workers=1)
    known = scheduling.scenarios(tmp_path)
    rest = list(units.values())[1:-1]
    seconds = [sum(known[scheduling.function_name(n)].seconds for n in ids) for ids in rest]
    assert seconds == sorted(seconds, reverse=True)
    assert ["test_open_one", "test_open_two", "test_open_dirty"] not in [
        [n.removeprefix(NODE) for n in ids] for ids in planned(tmp_path, workers=8).values()
    ]  # with eight workers its share is smaller than the open unit


def test_on_the_suite_the_plan_changes_the_set_up_far_less_often_than_dealing_out_in_file_order() -> None:
    """Counted along each unit as it will run (a change between units counts once, as a reload would),
    against file order dealt to two workers in turn, as xdist's `load` roughly does."""
    known = scheduling.scenarios(layout.features_dir())
    nodeids = [NODE + name for name in known]
    units = scheduling.plan(nodeids, known, workers=2)
    assert sorted(n for ids in units.values() for n in ids) == sorted(nodeids)

    def changes(order: list[str]) -> int:
        keys = [known[scheduling.function_name(n)].key for n in order]
        return sum(a != b for a, b in itertools.pairwise(keys))

    planned_changes = sum(changes(ids) + 1 for ids in units.values())
    dealt = changes(nodeids[0::2]) + changes(nodeids[1::2]) + 2
    assert planned_changes < dealt * 0.75, (planned_changes, dealt)


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
