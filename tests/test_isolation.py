"""--isolate: inside the namespace only loopback works, and a run there passes and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import isolation
from harness.cache import cache_home
from harness.hermes.install import DEFAULT_HERMES

PROBE = """
import socket, sys
server = socket.create_server(("127.0.0.1", 0))
port = server.getsockname()[1]
socket.create_connection(("127.0.0.1", port), timeout=2).close()
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
except OSError as exc:
    print("outside refused:", exc.__class__.__name__)
else:
    sys.exit("reached an address outside the namespace")
"""


@pytest.fixture(scope="module")
def namespaces() -> None:
    try:
        isolation.check()
    except isolation.IsolationError as exc:
        pytest.skip(str(exc))


def test_the_namespace_has_loopback_and_nothing_else(namespaces: None) -> None:
    result = subprocess.run(isolation.wrap([sys.executable, "-c", PROBE]), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "outside refused" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("gateway", ["reference", "hermes"])
def test_an_isolated_run_passes_and_reports(namespaces: None, tmp_path: Path, gateway: str) -> None:
    """Hermes too: its model, its Twilio calls and its start-up reach nothing but loopback."""
    if gateway == "hermes" and not (cache_home() / "hermes" / DEFAULT_HERMES).is_dir():
        pytest.skip("Hermes is not provisioned here (make conformance-hermes provisions it)")
    argv = [sys.executable, "-m", "harness.cli", "run", "--gateway", gateway, "--isolate"]
    argv += ["-k", "first_message_from_an_unknown", "--report", str(tmp_path)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert json.loads((tmp_path / "report.json").read_text())["totals"]["passed"] == 1
