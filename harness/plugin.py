"""The pytest plugin: command-line options and fixtures for the conformance suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sms-harness", "SMS channel conformance harness")
    group.addoption(
        "--gateway",
        default="reference",
        choices=["reference", "openclaw", "external"],
        help="gateway under test (default: the embedded reference gateway)",
    )
    group.addoption("--gateway-config", default=None, help="for --gateway external: TOML with base URL and CLI")
    group.addoption("--sender", default="emulator", choices=["emulator", "imsg"], help="who plays the phone")
    group.addoption("--emulator-url", default=None, help="use an emulator that is already running")
    group.addoption("--faker-seed", type=int, default=20261124, help="seed for generated data")
