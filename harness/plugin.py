"""The pytest plugin: options, fixtures and reporting for the SMS conformance suite.

Registered through the `pytest11` entry point (and from the root conftest.py
for a checkout that is not installed). Each pytest process (each xdist
worker) gets its own emulator and gateway on free loopback ports.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from pytest_bdd.scenario import scenario_wrapper_template_registry

from emulator.client import EmulatorClient
from emulator.models import Backend
from emulator.server import EmulatorServer
from harness import gateways, options, redaction, sequence, transcript
from harness.accounts import AccountPool
from harness.cache import ProvisionError
from harness.divergences import KEY as DIVERGENCE
from harness.drivers.base import GatewayDriver, NotApplicable, Unsupported
from harness.senders import EmulatorHandset, ImsgSender, Sender
from harness.world import World

REAL_GATEWAY_SCENARIO_TIMEOUT = 600

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


# -- fixtures ---------------------------------------------------------------------------------


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


# -- where the time goes: each step definition's count and seconds ---------------------------

STEP_TIMES = pytest.StashKey[dict[str, list[float]]]()
STEP_STARTED = pytest.StashKey[float]()


STEPS = pytest.StashKey[list[list[str]]]()  # the scenario's steps: [keyword, text, outcome]


def pytest_bdd_before_step(request: pytest.FixtureRequest, step_func: Any, **_: Any) -> None:
    request.node.stash[STEP_STARTED] = time.monotonic()
    _step_outcome(request, "running")


def pytest_bdd_after_step(request: pytest.FixtureRequest, step_func: Any, **_: Any) -> None:
    _count_step(request, step_func)
    _step_outcome(request, "passed")


def pytest_bdd_step_error(request: pytest.FixtureRequest, step_func: Any, exception: Exception, **_: Any) -> None:
    _count_step(request, step_func)
    _step_outcome(request, "skipped" if isinstance(exception, Unsupported | pytest.skip.Exception) else "failed")


def judge_divergence(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> str | None:
    """A listed divergence is expected only at its own step with its own observation: the report
    becomes the divergence, or a failure; returns why it is a failure (None otherwise)."""
    divergence = item.stash.get(DIVERGENCE, None)
    if divergence is None or report.skipped:
        return None
    # a step ended by pytest.fail or a timeout never reaches pytest_bdd_step_error: it stays "running"
    failed = next((s[1] for s in item.stash.get(STEPS, []) if s[2] in ("failed", "running")), None)
    message = str(call.excinfo.value) if call.excinfo is not None else ""
    why = divergence.judge(report.passed, failed, message)
    if why is None:
        report.outcome, report.wasxfail = "skipped", divergence.reason  # type: ignore[attr-defined]
        return None
    report.outcome = "failed"  # why first, then what failed (its expected and seen), then the entry
    seen = f"{report.longreprtext}\n\n" if report.longrepr else ""
    report.longrepr = f"{why}\n{seen}{divergence.reason}"  # type: ignore[assignment]
    return why


def _step_outcome(request: pytest.FixtureRequest, outcome: str) -> None:
    """The first step not yet done takes `outcome` (steps run in order, so that is the current one)."""
    for step in request.node.stash.get(STEPS, []):
        if step[2] in ("not run", "running"):
            step[2] = outcome
            return


def _count_step(request: pytest.FixtureRequest, step_func: Any) -> None:
    started = request.node.stash.get(STEP_STARTED, None)
    if started is None:
        return
    times = request.config.stash.setdefault(STEP_TIMES, {})
    entry = times.setdefault(getattr(step_func, "__name__", str(step_func)), [0, 0.0])
    entry[0] += 1
    entry[1] = round(entry[1] + time.monotonic() - started, 3)


# -- reporting hooks --------------------------------------------------------------------------


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    props = request.node.user_properties
    props.append(("feature", feature.name))
    props.append(("feature_file", os.path.basename(feature.filename)))
    props.append(("scenario", scenario.name))
    example = getattr(getattr(request.node, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
    if example:  # an outline's example: its "id" column, else its values
        props.append(("example", example.get("id") or " · ".join(map(str, example.values()))))
    props.append(("tags", sorted(set(scenario.tags) | set(feature.tags))))
    steps = [[step.keyword, step.name, "not run"] for step in scenario.steps]
    request.node.stash[STEPS] = steps
    props.append(("steps", steps))  # the same list: its outcomes are filled in as the steps run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(Unsupported):
        if call.excinfo.errisinstance(NotApplicable):
            report.user_properties.append(("not_applicable", str(call.excinfo.value)))
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
        return
    why = judge_divergence(item, call, report) if call.when == "call" else None
    world: World | None = getattr(item, "_sms_world", None)
    if world is not None and call.when == "call" and world.started:
        report.user_properties.append(("channel", transcript.channel(world)))
    diverged = getattr(report, "wasxfail", None) is not None
    if world is not None and (report.failed or diverged) and call.when == "call":
        try:
            records = transcript.records(world)
        except Exception:  # the emulator itself may be what broke: the transcript says so
            records = None
        shown = transcript.text(world, recorded=records)
        gateway_log = redaction.redact(world.driver.logs()[-20000:])
        if records is not None:
            report.user_properties.append(("sequence", redaction.redact(sequence.svg(sequence.arrows(records)))))
        if report.failed:
            report.sections.append(("emulator transcript", shown))
            report.sections.append(("gateway log", gateway_log))
        report.user_properties.append(("transcript", shown))
        report.user_properties.append(("gateway_log", gateway_log))
    if report.failed and call.excinfo is not None:
        report.user_properties.append(("failure", redaction.redact(call.excinfo.exconly())))
    if why is not None:  # after the plain failure, so the report shows why it is no divergence
        seen = f"{call.excinfo.exconly()}\n\n" if call.excinfo is not None else ""
        report.user_properties.append(("failure", redaction.redact(f"{why}\n{seen}{item.stash[DIVERGENCE].reason}")))
    if report.longrepr is not None and report.failed:
        report.longrepr = redaction.redact(str(report.longrepr))  # type: ignore[assignment]
