"""Fixtures for unit and HTTP tests: a real emulator on loopback, a real webhook sink."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser
from twilio.rest import Client

from emulator.client import EmulatorClient, Provisioned
from emulator.models import Backend
from emulator.server import EmulatorServer
from tests.sink import Sink


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Backend(seed=1234)) as server:
        yield server


@pytest.fixture
def emu(emulator_server: EmulatorServer) -> Iterator[EmulatorClient]:
    client = EmulatorClient(emulator_server.url)
    client.reset()
    yield client
    client.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as s:
        yield s


@pytest.fixture
def account(emu: EmulatorClient, sink: Sink) -> Provisioned:
    return emu.create_account(numbers=[{"phone_number": "+15551230001", "sms_url": f"{sink.url}/webhooks/sms"}])


@pytest.fixture
def rest(emulator_server: EmulatorServer, account: Provisioned) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as `account`, rooted at its /Accounts/{sid} path."""
    with httpx.Client(
        base_url=f"{emulator_server.url}/2010-04-01/Accounts/{account.sid}",
        auth=(account.sid, account.auth_token),
        trust_env=False,
        timeout=10,
    ) as client:
        yield client


@pytest.fixture
def twilio(emulator_server: EmulatorServer, account: Provisioned) -> Client:
    """The official twilio client, pointed at the emulator."""
    client = Client(account.sid, account.auth_token)
    client.api.base_url = emulator_server.url
    client.messaging.base_url = emulator_server.url
    return client


@pytest.fixture
def sink_url(sink: Sink) -> str:
    return sink.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium under Playwright, for the tests of pages a person looks at."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
