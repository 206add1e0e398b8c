"""What `sms-harness run` checks once, before any scenario, so a mistake costs one line, not a run.

A bad gateway TOML used to fail every scenario with the same cause (3,181 lines), an unreachable
emulator ended in a traceback, and a gateway that never starts waited 30 s per scenario. Here
each is found once: the TOML is read and its keys checked, the emulator answers its health
check, and a gateway the harness starts itself is started once and stopped again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from harness.drivers.base import DriverError, Setup

START_TIMEOUT = 30.0


class PreflightError(Exception):
    """Why the run cannot start; the first line is the cause, the rest (a log tail) is evidence."""


def check_emulator(url: str) -> None:
    try:
        answer = httpx.get(f"{url.rstrip('/')}/_emulator/health", timeout=3.0, trust_env=False)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"--emulator-url {url}: cannot reach the emulator ({exc.__class__.__name__}: {exc})"
        ) from None
    if answer.status_code != 200:
        raise PreflightError(
            f"--emulator-url {url}: /_emulator/health answered {answer.status_code}, not 200: is it the emulator?"
        )


def check_external(config: Path, emulator_url: str | None) -> None:
    """The TOML parses and names what the driver needs; a gateway it starts does start, once."""
    from harness.drivers.external import ExternalDriver

    with tempfile.TemporaryDirectory(prefix="sms-harness-preflight-") as workdir:
        try:
            driver = ExternalDriver.from_file(config, Path(workdir))
        except DriverError as exc:
            raise PreflightError(str(exc)) from None
        if not driver.spec.get("start"):
            check_running(config, driver.local_url)
            return
        try:
            driver.start_only(Setup(), emulator_url or "http://127.0.0.1:9")
        except DriverError as exc:
            cause, _, tail = str(exc).partition("\n")
            raise PreflightError(f"{config}: the gateway does not start: {cause}\n{tail}".rstrip()) from None
        finally:
            driver.stop()


def check_running(config: Path, url: str) -> None:
    """An attached gateway (base_url, no start) must answer HTTP at all; any status will do."""
    try:
        httpx.get(url, timeout=3.0, trust_env=False)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"{config}: no gateway answers at base_url {url} ({exc.__class__.__name__}); is it running?"
        ) from None


def check(gateway: str, gateway_config: str | None, emulator_url: str | None) -> None:
    if emulator_url:
        check_emulator(emulator_url)
    if gateway == "external" and gateway_config:
        check_external(Path(gateway_config), emulator_url)
