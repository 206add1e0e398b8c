"""The plugin's fixtures: the Twilio emulator and the gateway under test (one each per pytest
process), the pooled accounts, the emulator emptied for plain tests, the handset that texts, and
each scenario's `World` and its forged requests.
"""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faker import Faker

from emulator.client import EmulatorClient
from emulator.models import Backend
from emulator.server import EmulatorServer
from harness.accounts import AccountPool
from harness.cache import ProvisionError
from harness.drivers.base import GatewayDriver
from harness.forged import Forged
from harness.senders import EmulatorHandset, ImsgSender, Sender
from harness.verdicts import STEP_TIMES
from harness.world import World


@pytest.fixture(scope="session")
def sms_emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorClient]:
    """The Twilio emulator: this process's own, or the one given by --emulator-url."""
    url = request.config.getoption("--emulator-url")
    if url:
        with EmulatorClient(url) as client:
            client.health()
            yield client
        return
    proxy = request.config.getoption("--gateway") in ("openclaw", "hermes")  # they reach "Twilio" through it
    with (
        EmulatorServer(Backend(seed=request.config.getoption("--faker-seed")), proxy=proxy) as server,
        EmulatorClient(server.url) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def sms_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sms_emulator: EmulatorClient
) -> Iterator[GatewayDriver]:
    """The gateway under test, started lazily by the first scenario and reused."""
    kind = request.config.getoption("--gateway")
    workdir = tmp_path_factory.mktemp(f"gateway-{kind}")
    driver: GatewayDriver
    if kind == "external":
        from harness.drivers.external import ExternalDriver

        path = request.config.getoption("--gateway-config")
        if not path:
            raise pytest.UsageError("--gateway external needs --gateway-config FILE")
        driver = ExternalDriver.from_file(Path(path), workdir)
    elif kind == "openclaw":
        driver = openclaw_driver(request.config, workdir, sms_emulator)
    elif kind == "hermes":
        from harness.hermes import install
        from harness.hermes.driver import HermesDriver

        version = request.config.getoption("--hermes-version") or install.DEFAULT_HERMES
        root = request.config.getoption("--hermes-root")
        try:  # the controller provisioned before the workers started: here it is only verified
            hermes = install.Hermes(Path(root), version) if root else install.install(version)
        except ProvisionError as exc:
            raise pytest.UsageError(str(exc)) from None
        driver = HermesDriver(workdir, sms_emulator, hermes)
    else:
        from harness.drivers.reference import ReferenceDriver

        driver = ReferenceDriver(workdir, request.config.getoption("--mutant"))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a terminated run still stops its gateway
    try:
        yield driver
    finally:
        signal.signal(signal.SIGTERM, previous)
        driver.stop()
    own = resource.getrusage(resource.RUSAGE_SELF)  # this worker's pytest and emulator, not the gateway's
    timings = dict(
        getattr(driver, "timings", {}),
        steps=request.config.stash.get(STEP_TIMES, {}),
        harness_cpu=own.ru_utime + own.ru_stime,
    )
    report_dir = request.config.getoption("--sms-report")
    if report_dir:  # read by bench/suite_time.py and bench/openclaw_time.py
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        (Path(report_dir) / f"gateway-timings-{worker_id(request.config)}.json").write_text(json.dumps(timings))


def worker_id(config: pytest.Config) -> str:
    """`main`, or the xdist worker's id (gw0, gw1, …)."""
    return getattr(config, "workerinput", {}).get("workerid", "main")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def openclaw_driver(config: pytest.Config, workdir: Path, emulator: EmulatorClient) -> GatewayDriver:
    from harness.openclaw import install
    from harness.openclaw.driver import OpenClawDriver

    binary = config.getoption("--openclaw-bin")
    version = config.getoption("--openclaw-version") or install.DEFAULT_OPENCLAW
    started = time.monotonic()
    try:  # the controller provisioned before the workers started: here it is only verified
        installation = install.installation(version) if binary else install.install(version)
    except ProvisionError as exc:
        raise pytest.UsageError(str(exc)) from None
    plugin = config.getoption("--sms-plugin-version") or install.DEFAULT_SMS_PLUGIN
    prepared = config.getoption("--openclaw-state")
    state = Path(prepared) / worker_id(config) if prepared else None
    driver = OpenClawDriver(workdir, emulator, installation, plugin, Path(binary) if binary else None, state)
    driver.timings["provisioning"] = time.monotonic() - started
    return driver


@pytest.fixture(scope="session")
def sms_accounts(sms_emulator: EmulatorClient) -> AccountPool:
    """Twilio accounts shared by scenarios that leave them clean (fewer gateway reloads)."""
    return AccountPool(sms_emulator)


@pytest.fixture
def sms_twilio(
    request: pytest.FixtureRequest, sms_emulator: EmulatorClient, sms_accounts: AccountPool
) -> EmulatorClient:
    """The emulator, emptied before this test (accounts, numbers, messages, records, faults): for
    plain pytest tests that provision their own accounts. Mark a test `sms_keep_state` to keep what
    earlier tests left. Scenarios use `world`, which shares accounts between them instead."""
    if not request.node.get_closest_marker("sms_keep_state"):
        sms_emulator.reset()
        sms_accounts.free.clear()  # the pooled accounts went with the reset
    return sms_emulator


@pytest.fixture
def sms_sender(request: pytest.FixtureRequest, sms_emulator: EmulatorClient) -> Sender:
    if request.config.getoption("--sender") == "imsg":
        reason = ImsgSender.availability()
        if reason:
            pytest.skip(f"--sender imsg: {reason}")
        return ImsgSender()
    return EmulatorHandset(sms_emulator)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    sms_emulator: EmulatorClient,
    sms_gateway: GatewayDriver,
    sms_sender: Sender,
    sms_accounts: AccountPool,
) -> Iterator[World]:
    """One scenario's world, with data seeded from --faker-seed and the scenario's id (reproducible)."""
    fake = Faker("en_US")
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()
    fake.seed_instance(f"{request.config.getoption('--faker-seed')}:{digest}")
    sms_gateway.reset()
    world = World(
        sms_emulator, sms_gateway, sms_sender, fake, sms_accounts, request.config.getoption("--quiet-seconds")
    )
    request.node._sms_world = world
    yield world
    world.close()


@pytest.fixture
def forged(world: World) -> Forged:
    """The scenario's requests sent straight to the gateway's webhook (`world.forged`)."""
    return world.forged
