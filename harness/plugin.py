"""The pytest plugin's entry point: its options, the suite's tags, the step definitions loaded, a real
gateway provisioned once and the report registered; its other parts registered with it.

Registered through the `pytest11` entry point (and from the root conftest.py for a checkout that is
not installed). Its parts, each a pytest plugin of its own, loaded through `pytest_plugins`:
`collection.py` (which scenarios run, and how), `fixtures.py` (the emulator, the gateway, the
world), `verdicts.py` (each step's outcome and each scenario's verdict). Each pytest process (each
xdist worker) gets its own emulator and gateway on free loopback ports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import gateways, options
from harness.cache import ProvisionError

# verdicts before fixtures, which imports it (a module imported first cannot be rewritten by pytest)
pytest_plugins = ["harness.collection", "harness.verdicts", "harness.fixtures"]

# Tags used in features/ become markers; registering them keeps --strict-markers happy.
TAGS = {
    "guide": "promised by the user guide",
    "observed": "a fact observed in the published plugin",
    "pairing": "pairing area",
    "allowlist": "allowlist/open/disabled area",
    "signature": "signature area",
    "webhook": "webhook endpoint area",
    "replies": "markdown and chunking area",
    "multi_account": "multi-account area",
    "messaging_service": "Messaging Service area",
    "env": "env and SecretRef area",
    "setup": "config patch area",
    "outbound": "outbound send area",
    "probe": "capabilities and probe area",
    "delivery": "replays, status, limits",
    "plain_text": "the exact plain text and chunks a reply arrives as",
    "inbound_forms": "which inbound forms are dispatched",
    "mms": "pictures and files in and out",
    "imsg": "macOS imsg flow",
    "real_twilio": "needs a real Twilio number",
    "troubleshooting": "troubleshooting",
    "status_callbacks": "needs Twilio's status callbacks (a capability)",
    "rate_limits": "needs webhook rate limits of the gateway's own (a capability)",
    "pairing_rate_limit": "needs a per-sender pairing rate limit (a capability)",
    "pairing_lockout": "needs an approval lockout (a capability)",
    "plain_text_retry": "needs the plain-text retry of a refused reply (a capability)",
    "webhook_url_required": "needs a refusal to start without a webhook URL (a capability)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_to_pytest(parser.getgroup("sms-harness", "SMS channel conformance harness"))


def pytest_configure(config: pytest.Config) -> None:
    from harness import layout

    for name in layout.step_modules():  # our step library, wherever pytest runs (a no-op if conftest has it)
        config.pluginmanager.import_plugin(name)
    for tag, doc in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {doc}")
    config.addinivalue_line("markers", "sms_keep_state: sms_twilio keeps the emulator's state from earlier tests")
    controller = not hasattr(config, "workerinput")
    if controller:
        provision(config)
    report_dir = config.getoption("--sms-report", None)
    if report_dir and controller:
        from harness.report import ReportWriter

        config.pluginmanager.register(ReportWriter(Path(report_dir), config), "sms-harness-report")


def provision(config: pytest.Config) -> None:
    """A real gateway, before any xdist worker starts: one install (or one cheap check), so workers only verify."""
    try:
        gateways.provision(
            config.getoption("--gateway", None),
            config.getoption("--openclaw-version"),
            config.getoption("--openclaw-bin"),
            config.getoption("--hermes-version"),
        )
    except ProvisionError as exc:
        raise pytest.UsageError(str(exc)) from None
