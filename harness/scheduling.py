"""How `-n N` hands scenarios to workers: so that a real gateway reloads and restarts as little as the
scenarios allow, and the longest work starts first.

A real gateway's work between scenarios is work no scenario observes: OpenClaw hot-reloads its
channel (about 0.7 s of CPU and 2 s of wall time) whenever the next scenario's `channels.sms` differs
from the last one's, and takes a new environment only by restarting (about 13 s of CPU). xdist's
`load` deals scenarios out one at a time in file order, so two scenarios that follow each other on a
worker rarely share a configuration. Here the controller reads the feature files itself and plans:

- every scenario's *set-up* (the steps before its first When or Then, background included, less
  the steps that only shape what Twilio does) is its key: scenarios with the same set-up give the
  gateway the same configuration (the account pool hands the next one the same account), so they
  run one after another, and one reload serves them all;
- the scenarios that restart the gateway anyway (an environment of their own, a fresh start) form
  one unit, handed out first: each environment's scenarios together, the fresh starts last (so
  that one of their restarts takes the worker out of the last environment). Spread over the
  workers, each would restart a gateway twice: into its case and out of it;
- units are handed out longest first (by a coarse estimate from their steps), so no worker waits
  at the end on the other's long unit; a unit longer than its share (a 2N-th of the whole for N
  workers) is cut into parts that fit it.

Within a unit, scenarios that leave their account changed (a number's webhook, a service, the
clock) come last: the next scenario cannot have that account, so it would reload anyway.

xdist's own `loadgroup` would do the grouping from an `xdist_group` mark, but xdist 3.8 renames the
test ids to carry the group, which pytest 9.2 no longer allows (its node ids are derived), so the
mark is silently ignored (pytest-dev/pytest-xdist#1386, open). The controller knows a scenario by the
test name pytest-bdd derives from its name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features
from pytest_bdd.scenario import get_python_name_generator
from xdist.scheduler import LoadScopeScheduling

ENVIRONMENT_STEP = "the environment has "
FRESH_STEPS = ("the gateway is running fresh", "the gateway refuses to start")  # a start of their own
RESTARTS = "scenarios that restart the gateway"
# Set-up steps that change only what the emulator does, never the gateway's configuration or account.
TWILIO_ONLY = ("Twilio ", "the next webhook", "the tunnel ", "the agent takes ", "the imsg ")
# Steps after which the account is not handed to the next scenario (World.dirty): by their start, and
# the clock's step ("5 minutes pass on the gateway's clock") by its end.
DIRTYING = ("a Messaging Service ", "the Twilio number's webhook is ", "the Twilio number signs ")
CLOCK_STEP = "on the gateway's clock"
# Seconds a step costs on OpenClaw, roughly (for the order only): a CLI call, a wait for nothing, a start.
STEP_SECONDS, CLI_SECONDS, QUIET_SECONDS, START_SECONDS = 0.5, 4.0, 2.0, 15.0
START_STEPS = ("the gateway is started again", *FRESH_STEPS)
PLACEHOLDER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Scenario:
    """What the plan needs to know of a scenario (an outline's examples share it)."""

    key: tuple[str, ...]  # the set-up that decides the gateway's configuration
    environment: tuple[str, ...]  # its "the environment has …" steps (empty: none)
    fresh: bool  # it starts the gateway afresh whatever runs
    dirties: bool  # leaves its account changed, so the next scenario gets another
    seconds: float  # the estimate
    per_example: bool  # an outline whose set-up uses its examples' values: each example its own key

    @property
    def restarts(self) -> bool:
        """The gateway restarts for it in any order: an environment of its own, or a fresh start."""
        return bool(self.environment) or self.fresh


def step_seconds(text: str) -> float:
    """The estimate of one step."""
    if text.startswith("the operator "):
        return STEP_SECONDS + CLI_SECONDS
    if "gets no reply" in text or "no agent turn" in text:
        return STEP_SECONDS + QUIET_SECONDS
    if text.startswith(START_STEPS):
        return STEP_SECONDS + START_SECONDS
    return STEP_SECONDS


def describe(steps: Iterable[tuple[str, str]], params: Iterable[str] = ()) -> Scenario:
    """A scenario from its steps as (type, text) pairs, background first; `params`: an outline's columns."""
    steps = list(steps)
    setup: list[str] = []
    for kind, text in steps:
        if kind != "given":
            break
        setup.append(text)
    texts = [text for _, text in steps]
    environment = tuple(text for text in setup if text.startswith(ENVIRONMENT_STEP))
    key = tuple(text for text in setup if not text.startswith(TWILIO_ONLY))
    columns = set(params)
    return Scenario(
        key=key,
        environment=environment,
        fresh=any(text.startswith(FRESH_STEPS) for text in texts),
        dirties=any(text.startswith(DIRTYING) or text.endswith(CLOCK_STEP) for text in texts),
        seconds=sum(map(step_seconds, texts)) + (START_SECONDS if environment else 0.0),
        per_example=any(name in columns for text in key for name in PLACEHOLDER.findall(text)),
    )


def scenarios(features: Path) -> dict[str, Scenario]:
    """Every scenario of the feature files, by the test function name pytest-bdd gives it."""
    found = {}
    for feature in get_features([str(features)]):
        for name, template in feature.scenarios.items():
            params = [p for examples in template.examples or [] for p in examples.example_params]
            steps = [(step.type, step.name) for step in template.steps]
            found[next(iter(get_python_name_generator(name)))] = describe(steps, params)
    return found


def environment_tests(features: Path) -> frozenset[str]:
    """The test function names of the scenarios (outlines included) that set the gateway's environment."""
    return frozenset(name for name, scenario in scenarios(features).items() if scenario.environment)


def function_name(nodeid: str) -> str:
    """`scenarios/test_features.py::test_x[a-b]` is `test_x`."""
    return nodeid.rpartition("::")[2].partition("[")[0]


def plan(nodeids: list[str], known: dict[str, Scenario], workers: int) -> dict[str, list[str]]:
    """The work units, in the order they are handed out, each its node ids in the order they run.

    A node id whose scenario is not in `known` (not a feature scenario) is a unit of its own, last.
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    restarts: list[str] = []
    alone: list[str] = []
    for nodeid in nodeids:
        scenario = known.get(function_name(nodeid))
        if scenario is None:
            alone.append(nodeid)
        elif scenario.restarts:
            restarts.append(nodeid)
        else:
            groups.setdefault(scenario.key + ((nodeid,) if scenario.per_example else ()), []).append(nodeid)

    def seconds(ids: list[str]) -> float:
        return sum(known[function_name(nodeid)].seconds for nodeid in ids)

    def restart_order(nodeid: str) -> tuple[bool, tuple[str, ...], bool]:
        """Each environment's scenarios together, the fresh starts last (one of them leaves the environment)."""
        scenario = known[function_name(nodeid)]
        return scenario.fresh, scenario.environment, scenario.dirties

    share = seconds([n for n in nodeids if function_name(n) in known]) / (2 * workers) if workers > 1 else 0.0
    units: list[list[str]] = []
    for ids in groups.values():
        ids = sorted(ids, key=lambda nodeid: known[function_name(nodeid)].dirties)  # stable: file order otherwise
        parts = min(len(ids), math.ceil(seconds(ids) / share)) if share else 1
        size = math.ceil(len(ids) / parts)
        units += [ids[start : start + size] for start in range(0, len(ids), size)]
    units.sort(key=lambda ids: -seconds(ids))
    first = {RESTARTS: sorted(restarts, key=restart_order)} if restarts else {}
    return first | {f"{ids[0]} and {len(ids) - 1} more": ids for ids in units} | {n: [n] for n in alone}


class ConfigurationScheduling(LoadScopeScheduling):
    """xdist's load-scope scheduler with the units and their order from `plan`."""

    def __init__(self, config: pytest.Config, log: object, known: dict[str, Scenario]) -> None:
        super().__init__(config, log)
        self.known = known
        self.unit_of: dict[str, str] = {}

    def _split_scope(self, nodeid: str) -> str:
        return self.unit_of.get(nodeid, nodeid)

    def schedule(self) -> None:
        """As LoadScopeScheduling.schedule, with the work queue made by `plan`."""
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        for unit, nodeids in plan(self.collection, self.known, len(self.nodes)).items():
            self.workqueue[unit] = dict.fromkeys(nodeids, False)
            self.unit_of.update(dict.fromkeys(nodeids, unit))
        for _ in range(len(self.nodes) - len(self.workqueue)):  # more workers than work
            unused, _assigned = self.assigned_work.popitem()
            unused.shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()
