"""How `-n N` hands scenarios to workers: as xdist's `load` does, except that the scenarios which
run their gateway with environment variables of their own go to one worker, one after another.

A real gateway takes a new environment only by restarting (about 15 s for OpenClaw on 2 cores,
and its first agent turn after a start is slower again). Spread over the workers, every such
scenario restarts the gateway twice: into its environment, and out of it for the next scenario.
Run together, each restarts it once, and the last one once more.

xdist's own `loadgroup` would do this from an `xdist_group` mark, but xdist 3.8 renames the test
ids to carry the group, which pytest 9.2 no longer allows (its node ids are derived), so the mark
is silently ignored (pytest-dev/pytest-xdist#1386, open). The controller here reads the feature
files itself instead: it knows a scenario by the test name pytest-bdd derives from its name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd.feature import get_features
from pytest_bdd.scenario import get_python_name_generator
from xdist.scheduler import LoadScopeScheduling

ENVIRONMENT_STEP = "the environment has "
ENVIRONMENT_GROUP = "scenarios with an environment of their own"


def environment_tests(features: Path) -> frozenset[str]:
    """The test function names of the scenarios (outlines included) that set the gateway's environment."""
    names = set()
    for feature in get_features([str(features)]):
        for name, template in feature.scenarios.items():
            if any(step.name.startswith(ENVIRONMENT_STEP) for step in template.steps):
                names.add(next(iter(get_python_name_generator(name))))
    return frozenset(names)


def work_unit(nodeid: str, grouped: frozenset[str]) -> str:
    """The group for a grouped scenario (`scenarios/test_features.py::test_x[a-b]` is `test_x`), else itself."""
    return ENVIRONMENT_GROUP if nodeid.rpartition("::")[2].partition("[")[0] in grouped else nodeid


class EnvironmentGrouping(LoadScopeScheduling):
    """Every scenario is a work unit of its own, except those that set the environment: one unit."""

    def __init__(self, config: pytest.Config, log: object, grouped: frozenset[str]) -> None:
        super().__init__(config, log)
        self.grouped = grouped

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid, self.grouped)
