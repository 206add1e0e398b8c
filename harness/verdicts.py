"""Each scenario's record and verdict, through pytest-bdd's and pytest's report hooks: its names, tags
and steps, each step's outcome and time; then `Unsupported` made a skip (`NotApplicable`: not
applicable), a listed divergence judged against its step and observation, and a failure given its
evidence (the emulator's transcript, the gateway log, the sequence diagram), tokens redacted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness import redaction, sequence, transcript
from harness.divergences import KEY as DIVERGENCE
from harness.drivers.base import NotApplicable, Unsupported
from harness.world import World

# -- where the time goes: each step definition's count and seconds ---------------------------

STEP_TIMES = pytest.StashKey[dict[str, list[float]]]()
STEP_STARTED = pytest.StashKey[float]()


STEPS = pytest.StashKey[list[list[str]]]()  # the scenario's steps: [keyword, text, outcome]


def pytest_bdd_before_step(request: pytest.FixtureRequest, step_func: Any, **_: Any) -> None:
    request.node.stash[STEP_STARTED] = time.monotonic()
    _step_outcome(request, "running")


def pytest_bdd_after_step(request: pytest.FixtureRequest, step_func: Any, **_: Any) -> None:
    _count_step(request, step_func)
    _step_outcome(request, "passed")


def pytest_bdd_step_error(request: pytest.FixtureRequest, step_func: Any, exception: Exception, **_: Any) -> None:
    _count_step(request, step_func)
    _step_outcome(request, "skipped" if isinstance(exception, Unsupported | pytest.skip.Exception) else "failed")


def judge_divergence(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> str | None:
    """A listed divergence is expected only at its own step with its own observation: the report
    becomes the divergence, or a failure; returns why it is a failure (None otherwise)."""
    divergence = item.stash.get(DIVERGENCE, None)
    if divergence is None or report.skipped:
        return None
    # a step ended by pytest.fail or a timeout never reaches pytest_bdd_step_error: it stays "running"
    failed = next((s[1] for s in item.stash.get(STEPS, []) if s[2] in ("failed", "running")), None)
    message = str(call.excinfo.value) if call.excinfo is not None else ""
    why = divergence.judge(report.passed, failed, message)
    if why is None:
        report.outcome, report.wasxfail = "skipped", divergence.reason  # type: ignore[attr-defined]
        return None
    report.outcome = "failed"  # why first, then what failed (its expected and seen), then the entry
    seen = f"{report.longreprtext}\n\n" if report.longrepr else ""
    report.longrepr = f"{why}\n{seen}{divergence.reason}"  # type: ignore[assignment]
    return why


def _step_outcome(request: pytest.FixtureRequest, outcome: str) -> None:
    """The first step not yet done takes `outcome` (steps run in order, so that is the current one)."""
    for step in request.node.stash.get(STEPS, []):
        if step[2] in ("not run", "running"):
            step[2] = outcome
            return


def _count_step(request: pytest.FixtureRequest, step_func: Any) -> None:
    started = request.node.stash.get(STEP_STARTED, None)
    if started is None:
        return
    times = request.config.stash.setdefault(STEP_TIMES, {})
    entry = times.setdefault(getattr(step_func, "__name__", str(step_func)), [0, 0.0])
    entry[0] += 1
    entry[1] = round(entry[1] + time.monotonic() - started, 3)


# -- reporting hooks --------------------------------------------------------------------------


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    props = request.node.user_properties
    props.append(("feature", feature.name))
    props.append(("feature_file", os.path.basename(feature.filename)))
    props.append(("scenario", scenario.name))
    example = getattr(getattr(request.node, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
    if example:  # an outline's example: its "id" column, else its values
        props.append(("example", example.get("id") or " · ".join(map(str, example.values()))))
    props.append(("tags", sorted(set(scenario.tags) | set(feature.tags))))
    steps = [[step.keyword, step.name, "not run"] for step in scenario.steps]
    request.node.stash[STEPS] = steps
    props.append(("steps", steps))  # the same list: its outcomes are filled in as the steps run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(Unsupported):
        if call.excinfo.errisinstance(NotApplicable):
            report.user_properties.append(("not_applicable", str(call.excinfo.value)))
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
        return
    why = judge_divergence(item, call, report) if call.when == "call" else None
    world: World | None = getattr(item, "_sms_world", None)
    if world is not None and call.when == "call" and world.started:
        report.user_properties.append(("channel", transcript.channel(world)))
    diverged = getattr(report, "wasxfail", None) is not None
    if world is not None and (report.failed or diverged) and call.when == "call":
        try:
            records = transcript.records(world)
        except Exception:  # the emulator itself may be what broke: the transcript says so
            records = None
        shown = transcript.text(world, recorded=records)
        gateway_log = redaction.redact(world.driver.logs()[-20000:])
        if records is not None:
            report.user_properties.append(("sequence", redaction.redact(sequence.svg(sequence.arrows(records)))))
        if report.failed:
            report.sections.append(("emulator transcript", shown))
            report.sections.append(("gateway log", gateway_log))
        report.user_properties.append(("transcript", shown))
        report.user_properties.append(("gateway_log", gateway_log))
    if report.failed and call.excinfo is not None:
        report.user_properties.append(("failure", redaction.redact(call.excinfo.exconly())))
    if why is not None:  # after the plain failure, so the report shows why it is no divergence
        seen = f"{call.excinfo.exconly()}\n\n" if call.excinfo is not None else ""
        report.user_properties.append(("failure", redaction.redact(f"{why}\n{seen}{item.stash[DIVERGENCE].reason}")))
    if report.longrepr is not None and report.failed:
        report.longrepr = redaction.redact(str(report.longrepr))  # type: ignore[assignment]
