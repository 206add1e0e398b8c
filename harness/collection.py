"""Which scenarios run, and how, decided at collection: --feature and --shard keep their part; `imsg`
scenarios and those of an area the gateway cannot express skip before any set-up; a real gateway's
scenarios get a longer timeout and its listed divergences; with -n, the xdist scheduler that keeps
a configuration's scenarios together.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from harness import gateways
from harness.senders import ImsgSender

REAL_GATEWAY_SCENARIO_TIMEOUT = 600


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--feature and --shard keep their part; scenarios this machine cannot run skip before any set-up;
    with a real gateway, its listed divergences are attached to their scenarios (judged after each call)."""
    if config.getoption("--sms-feature"):
        keep_features(config, items, set(config.getoption("--sms-feature")))
    if config.getoption("--shard"):
        from harness import shards

        try:
            kept = shards.keep([item.nodeid for item in items], shards.parse(config.getoption("--shard")))
        except shards.ShardError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in kept])
        items[:] = [item for item in items if item.nodeid in kept]
    skip_what_cannot_run(config, items)
    gateway = config.getoption("--gateway")
    if gateway in ("openclaw", "hermes"):
        for item in items:  # the first scenario starts the gateway; CLI calls take seconds each
            item.add_marker(pytest.mark.timeout(REAL_GATEWAY_SCENARIO_TIMEOUT))
    mark_not_applicable(items, gateways.driver_class(gateway).lacks)
    attach_divergences(config, items, gateway)


def mark_not_applicable(items: list[pytest.Item], lacks: frozenset[str]) -> None:
    """A scenario of an area the gateway cannot express is not applicable, before any set-up."""
    from harness.drivers.base import CAPABILITIES, TAG_NEEDS

    for item in items:
        missing = sorted({TAG_NEEDS[m.name] for m in item.iter_markers() if m.name in TAG_NEEDS} & lacks)
        if missing:
            why = "; ".join(f"{c} ({CAPABILITIES[c]})" for c in missing)
            item.add_marker(pytest.mark.skip(reason=f"not applicable: needs {why}"))
            item.user_properties.append(("not_applicable", f"not applicable: needs {why}"))
            describe(item)


def attach_divergences(config: pytest.Config, items: list[pytest.Item], gateway: str) -> None:
    """The gateway's known divergences (--divergences, or OpenClaw's own list), each on its scenarios."""
    from harness import divergences
    from harness.hermes import DIVERGENCES as HERMES_DIVERGENCES
    from harness.hermes.install import DEFAULT_HERMES
    from harness.openclaw import DIVERGENCES
    from harness.openclaw.install import DEFAULT_OPENCLAW

    given = config.getoption("--divergences")
    own = {"openclaw": DIVERGENCES, "hermes": HERMES_DIVERGENCES}
    path = Path(given) if given else own.get(gateway)
    if path is None:
        return
    if not path.is_file():
        raise pytest.UsageError(f"--divergences {path}: no such file")
    versions = {
        "openclaw": config.getoption("--openclaw-version") or DEFAULT_OPENCLAW,
        "hermes": config.getoption("--hermes-version") or DEFAULT_HERMES,
    }
    version = versions.get(gateway, "")
    divergences.attach(items, divergences.load(path, gateway), version)


def skip_what_cannot_run(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The Mac's `imsg` scenarios skip, with the reason, before any gateway or provisioning step."""
    reason = (
        "needs --sender imsg (a Mac that sends carrier SMS through Messages, and a real Twilio number)"
        if config.getoption("--sender") != "imsg"
        else ImsgSender.availability()
    )
    if reason:
        for item in items:
            if item.get_closest_marker("imsg"):
                item.add_marker(pytest.mark.skip(reason=f"imsg: {reason}"))
                describe(item)


def describe(item: pytest.Item) -> None:
    """The report's names for a scenario that will not reach pytest-bdd's hooks (skipped before set-up)."""
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is not None:
        item.user_properties.append(("feature", template.feature.name))
        item.user_properties.append(("feature_file", os.path.basename(template.feature.filename)))
        item.user_properties.append(("scenario", template.name))
        item.user_properties.append(("tags", sorted(set(template.tags) | set(template.feature.tags))))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With -n (xdist's `load`), scenarios sharing a configuration run back to back, restarts on one worker."""
    if config.getvalue("dist") != "load":
        return None
    from harness import layout, scheduling

    return scheduling.ConfigurationScheduling(config, log, scheduling.scenarios(layout.features_dir()))


def keep_features(config: pytest.Config, items: list[pytest.Item], wanted: set[str]) -> None:
    """Deselect the scenarios of other feature files; an unknown name is a usage error."""
    files = {item: feature_file(item) for item in items}
    unknown = wanted - set(files.values())
    if unknown:
        known = ", ".join(sorted({name for name in files.values() if name}))
        raise pytest.UsageError(f"--sms-feature {', '.join(sorted(unknown))}: no such feature (known: {known})")
    config.hook.pytest_deselected(items=[item for item in items if files[item] not in wanted])
    items[:] = [item for item in items if files[item] in wanted]


def feature_file(item: pytest.Item) -> str:
    """The stem of the .feature file a pytest-bdd test item was generated from ("" for other tests)."""
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    return Path(template.feature.filename).stem if template else ""
