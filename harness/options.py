"""The run's options, once: the pytest plugin's flags, `sms-harness run`'s flags, and how the runner
passes one to the other all come from this table, so a new option cannot be half added."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.hermes.install import DEFAULT_HERMES
from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN

if TYPE_CHECKING:
    import pytest

DEFAULT_SEED = 20261124


@dataclass(frozen=True)
class Option:
    """One option: its RunOptions field, its flag on the command line, its flag in pytest (the
    plugin's own, or pytest's: -k, -m, -n), and what it means."""

    name: str
    help: str
    cli: str | None = None
    pytest: str | None = None
    plugin: bool = True  # the harness's pytest plugin defines `pytest` (False: pytest or xdist does)
    default: Any = None
    choices: tuple[str, ...] | None = None
    kind: Callable[[str], Any] = str
    repeat: bool = False
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option(
        "gateway",
        "gateway under test (default: the embedded reference gateway)",
        "--gateway",
        "--gateway",
        default="reference",
        choices=("reference", "openclaw", "hermes", "external"),
    ),
    Option(
        "hermes_version",
        f"for --gateway hermes: the hermes-agent version (default {DEFAULT_HERMES})",
        "--hermes-version",
        "--hermes-version",
    ),
    Option(
        "gateway_config",
        "for --gateway external: TOML with its base URL and CLI commands",
        "--gateway-config",
        "--gateway-config",
    ),
    Option(
        "openclaw_version",
        f"for --gateway openclaw: the openclaw version (default {DEFAULT_OPENCLAW}); A,B,C runs a version matrix",
        "--openclaw-version",
        "--openclaw-version",
    ),
    Option(
        "sms_plugin_version",
        f"for --gateway openclaw: the @openclaw/sms version (default {DEFAULT_SMS_PLUGIN}); X,Y runs a version matrix",
        "--sms-plugin-version",
        "--sms-plugin-version",
    ),
    Option(
        "openclaw_bin",
        "for --gateway openclaw: an openclaw executable you built or installed",
        "--openclaw-bin",
        "--openclaw-bin",
    ),
    Option(
        "openclaw_state",
        "directory of state directories prepared ahead, one per worker (main, gw0, …), plugin installed",
        pytest="--openclaw-state",
    ),
    Option(
        "hermes_root",
        "a private copy of Hermes's venv to run instead of the cached one (selfcheck's mutants)",
        pytest="--hermes-root",
    ),
    Option(
        "divergences",
        "a TOML list of the gateway's known divergences, each pinned to its step and observation "
        "(default: the built-in list of --gateway openclaw or hermes, none otherwise)",
        "--divergences",
        "--divergences",
    ),
    Option("mutant", "reference gateway only: run with this deliberate defect (refclaw/mutants.py)", pytest="--mutant"),
    Option("report", "write report.json, report.html and junit.xml to this directory", pytest="--sms-report"),
    Option("keyword", "only scenarios matching this pytest -k expression (names)", "-k", "-k", plugin=False),
    Option(
        "tags",
        'only scenarios whose tags match this expression, e.g. "signature or pairing", "guide and not mms"',
        "--tags",
        "-m",
        plugin=False,
    ),
    Option(
        "features",
        "only the scenarios of features/NAME.feature (repeatable)",
        "--feature",
        "--sms-feature",
        repeat=True,
        metavar="NAME",
    ),
    Option(
        "workers",
        "parallel workers (each with its own emulator and gateway)",
        "-n",
        "-n",
        plugin=False,
        default=0,
        kind=int,
    ),
    Option(
        "faker_seed",
        "seed for generated numbers and data",
        "--faker-seed",
        "--faker-seed",
        default=DEFAULT_SEED,
        kind=int,
    ),
    Option("emulator_url", "use an emulator that is already running", "--emulator-url", "--emulator-url"),
    Option("sender", "who plays the phone", "--sender", "--sender", default="emulator", choices=("emulator", "imsg")),
    Option("shard", "K/N: run only the K-th of N deterministic parts (see merge)", "--shard", "--shard"),
    Option(
        "quiet_seconds",
        "how long 'gets no reply' waits for a message that must not come",
        pytest="--quiet-seconds",
        default=1.0,
        kind=float,
    ),
)


def add_to_pytest(group: pytest.OptionGroup) -> None:
    """The plugin's flags."""
    for option in OPTIONS:
        if option.pytest and option.plugin:
            group.addoption(
                option.pytest,
                default=[] if option.repeat else option.default,
                help=option.help,
                choices=list(option.choices) if option.choices else None,
                type=option.kind if option.kind is not str else None,
                action="append" if option.repeat else "store",
            )


def add_to_cli(parser: argparse.ArgumentParser, types: dict[str, Callable[[str], Any]] | None = None) -> None:
    """`sms-harness run`'s (and selfcheck's) flags; `types` validates some beyond their kind."""
    for option in OPTIONS:
        if option.cli:
            parser.add_argument(
                option.cli,
                dest=option.name,
                default=option.default,
                help=option.help,
                choices=option.choices,
                type=(types or {}).get(option.name, option.kind),
                action="append" if option.repeat else "store",
                metavar=option.metavar,
            )


def pytest_flags(values: dict[str, Any]) -> list[str]:
    """The pytest arguments for a run's values (RunOptions as a dict); None and empty are left out."""
    argv: list[str] = []
    for option in OPTIONS:
        value = values.get(option.name)
        if option.pytest is None or value is None or value == [] or (option.name == "workers" and not value):
            continue
        for item in value if option.repeat else [value]:
            argv += [option.pytest, str(item)]
    return argv
