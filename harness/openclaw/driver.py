"""Driver for the real OpenClaw gateway with the official @openclaw/sms plugin, fully offline.

The shape that works (docs/openclaw-offline.md): a fresh state directory per
session, the plugin installed the official way before the proxy block is
written, a config with the emulator as CONNECT proxy (Twilio's hosts) and as
the model provider (the scripted agent), and the CA trusted through
NODE_EXTRA_CA_CERTS. The gateway is started once and reused: channel config
changes are hot-reloaded; only a different environment restarts it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from emulator.client import EmulatorClient
from harness import redaction
from harness.cache import cache_home
from harness.drivers.base import (
    CliResult,
    DriverError,
    ProcessDriver,
    Setup,
    Unsupported,
    clean_env,
    emulator_proxy,
    run_cli,
)
from harness.drivers.process import GatewayProcess, free_port
from harness.drivers.verbs import GuideCli
from harness.openclaw.install import DEFAULT_SMS_PLUGIN, Installation

FAKE_CLOCK = Path(__file__).with_name("fake-clock.cjs")
CLI_TIMEOUT = 120.0
START_TIMEOUT = 180.0  # 10–30 s on a quiet machine; over 90 s on 2 cores at a load of 18
RELOAD_TIMEOUT = 20.0
PLUGIN_INSTALL_TIMEOUT = 180.0  # 60 s timed out three times running on 2 cores at a load of 12
PLUGIN_INSTALL_TRIES = 3
APPLIED = re.compile(r"config hot reload applied \(([^)\n]*)\)")
ROUTE = "Registered SMS webhook route"
PENDING_DELIVERIES = (
    "SELECT id FROM delivery_queue_entries WHERE channel = 'sms' AND status NOT IN ('completed', 'failed')"
)
ROUTE_WAIT = 3.0  # a reload that leaves the channel without a route (disabled, unconfigured) logs none
# After channels start; "[gateway] ready" follows only when every channel started.
STARTED = ("[gateway] ready", "[gateway] startup outcomes:")


PLUGIN_MARKER = ".sms-harness-plugin"


def compile_cache() -> str:
    """Node's module compile cache for every OpenClaw process, kept in the harness cache across runs.

    OpenClaw's own advice for slow CLI calls (docs/vps.md, "Startup tuning"): without it each
    worker's first CLI calls and gateway start compile OpenClaw's modules again (a cold `pairing
    list` measured 8.5 s of CPU, warm 5.8 s). It changes no behaviour a scenario can see.
    """
    return str(cache_home() / "node-compile-cache")


def applied_at(text: str, prefix: str) -> int:
    """Where the last logged hot reload that changed a key under `prefix` (any, if "") ends, or -1.

    Other reloads must not count: the first pairing approval writes `commands.ownerAllowFrom`,
    and that reload can land just after the next scenario wrote its channel config, before
    OpenClaw has even seen the new credentials.
    """
    end = -1
    for match in APPLIED.finditer(text):
        if not prefix or any(key == prefix or key.startswith(prefix + ".") for key in match.group(1).split(", ")):
            end = match.end()
    return end


def patch_prefix(patch: dict[str, Any]) -> str:
    """The config path a patch changes, as OpenClaw names keys in its reload line ("channels.sms")."""
    keys: list[str] = []
    node: Any = patch
    while isinstance(node, dict) and len(node) == 1 and len(keys) < 2:
        key, node = next(iter(node.items()))
        keys.append(key)
    return ".".join(keys)


def install_plugin(openclaw: str, installation: Installation, state_dir: Path, workdir: Path, version: str) -> None:
    """`openclaw plugins install @openclaw/sms@VERSION` into a state directory, the official way.

    Run before the proxy block exists in the config (else it retries an unreachable host), in a
    plain environment: with NODE_EXTRA_CA_CERTS (and sometimes the other run-time variables) the
    download stalled at "Downloading @openclaw/sms…" (openclaw 2026.9.6); a stall is retried.
    """
    home, tmp = workdir / "home", workdir / "tmp"
    for path in (state_dir, home, tmp):
        path.mkdir(parents=True, exist_ok=True)
    env = clean_env(
        {
            "PATH": installation.path_env(),
            "HOME": str(home),
            "TMPDIR": str(tmp),
            "OPENCLAW_STATE_DIR": str(state_dir),
            "OPENCLAW_CONFIG_PATH": str(state_dir / "openclaw.json"),
            "OPENCLAW_NO_AUTO_UPDATE": "1",
            "NO_COLOR": "1",
            "NODE_COMPILE_CACHE": compile_cache(),
        }
    )
    argv = [openclaw, "plugins", "install", f"@openclaw/sms@{version}"]
    for attempt in range(PLUGIN_INSTALL_TRIES):
        # a stalled attempt may have recorded the plugin before it was stopped: a retry replaces that install
        result = run_cli([*argv, "--force"] if attempt else argv, env, timeout=PLUGIN_INSTALL_TIMEOUT)
        if result.code != 124:
            break
    if not result.ok:
        raise DriverError(f"installing @openclaw/sms@{version} failed: {result.summary()}\n{result.describe()}")
    (state_dir / PLUGIN_MARKER).write_text(version)


def plugin_installed(state_dir: Path, version: str) -> bool:
    marker = state_dir / PLUGIN_MARKER
    return marker.exists() and marker.read_text() == version


class OpenClawDriver(GuideCli, ProcessDriver):
    name = "openclaw"
    quiet_seconds = 8.0  # its agent answers 2-5 s after the webhook, more on a busy machine
    reply_timeout = 30.0  # replies come 1-5 s after the webhook; a divergence that never replies waits this long

    def __init__(
        self,
        workdir: Path,
        emulator: EmulatorClient,
        installation: Installation,
        sms_plugin_version: str = DEFAULT_SMS_PLUGIN,
        openclaw_bin: Path | None = None,
        state_dir: Path | None = None,
    ) -> None:
        """`state_dir`: one prepared ahead (the plugin already installed), as --isolate does."""
        self.workdir, self.emu, self.installation = workdir, emulator, installation
        self.plugin_version = sms_plugin_version
        self.openclaw = str(openclaw_bin or installation.openclaw)
        self.state_dir, self.home, self.tmp = state_dir or workdir / "state", workdir / "home", workdir / "tmp"
        for path in (self.state_dir, self.home, self.tmp):
            path.mkdir(parents=True, exist_ok=True)
        self.config_path = self.state_dir / "openclaw.json"
        self.clock_file = workdir / "clock-offset-ms"
        self.clock_file.write_text("0")
        self.token = secrets.token_hex(16)
        redaction.register(self.token)  # the gateway's own auth token stays out of reports too
        self.port = free_port()
        self.local_url = f"http://127.0.0.1:{self.port}"
        self.proxy_url, self.ca_path = emulator_proxy(emulator, workdir, self.name)
        self.process: GatewayProcess | None = None
        self._channel: dict[str, Any] | None = None
        self._plugin_ready = plugin_installed(self.state_dir, sms_plugin_version)
        self._turns_after = 0
        self._stale_deliveries: set[str] = set()  # pending deliveries older than the scenario
        self.timings: dict[str, Any] = {
            "plugin_install": 0.0,
            "gateway_starts": 0.0,
            "starts": 0,
            "reloads": 0,
            "reload_seconds": 0.0,
            "cli": [],
        }

    # -- environment and commands ---------------------------------------------------------------

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return clean_env(
            {
                "PATH": self.installation.path_env(),
                "HOME": str(self.home),
                "TMPDIR": str(self.tmp),
                "OPENCLAW_STATE_DIR": str(self.state_dir),
                "OPENCLAW_CONFIG_PATH": str(self.config_path),
                "OPENCLAW_GATEWAY_TOKEN": self.token,
                "NODE_EXTRA_CA_CERTS": str(self.ca_path),
                "OPENCLAW_DISABLE_BONJOUR": "1",
                "OPENCLAW_NO_RESPAWN": "1",
                "OPENCLAW_NO_AUTO_UPDATE": "1",
                "NO_COLOR": "1",
                "SMS_HARNESS_CLOCK_FILE": str(self.clock_file),
                "NODE_OPTIONS": f"--require {FAKE_CLOCK}",
                "NODE_COMPILE_CACHE": compile_cache(),
                **extra,
            }
        )

    def cli(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        result = run_cli([self.openclaw, *args], env or self._env or self.env({}), timeout=CLI_TIMEOUT)
        self.timings["cli"].append(round(result.seconds, 3))  # bench/suite_time.py reports count and median
        return result

    # -- configuration ------------------------------------------------------------------------------

    def install_plugin(self) -> None:
        if self._plugin_ready:
            return
        started = time.monotonic()
        try:
            install_plugin(self.openclaw, self.installation, self.state_dir, self.workdir, self.plugin_version)
        finally:
            self.timings["plugin_install"] += time.monotonic() - started
        self._plugin_ready = True

    def write_config(self, channel: dict[str, Any]) -> None:
        config = json.loads(self.config_path.read_text()) if self.config_path.exists() else {}
        config.setdefault("plugins", {})["allow"] = ["sms"]
        config["gateway"] = {
            "mode": "local",
            "port": self.port,
            "bind": "loopback",
            "auth": {"mode": "token", "token": self.token},
        }
        config["models"] = {
            "mode": "merge",
            "catalogRefresh": {"enabled": False},
            "providers": {
                "fake": {
                    "baseUrl": f"{self.emu.base_url}/v1",
                    "apiKey": "x",
                    "api": "openai-completions",
                    "models": [
                        {
                            "id": "fake-model",
                            "name": "Fake",
                            "reasoning": False,
                            "input": ["text"],
                            "contextWindow": 128000,
                            "maxTokens": 4096,
                            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                        }
                    ],
                }
            },
        }
        config["agents"] = {"defaults": {"model": {"primary": "fake/fake-model"}}}
        config["proxy"] = {"proxyUrl": self.proxy_url}
        config["update"] = {"checkOnStart": False}
        config["logging"] = {"file": str(self.workdir / "openclaw-file.log")}  # not /tmp/openclaw
        config["channels"] = {"sms": channel}
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2))
        os.replace(tmp, self.config_path)

    # -- lifecycle ----------------------------------------------------------------------------------

    def apply(self, setup: Setup, twilio_base: str) -> None:
        self.install_plugin()
        env = self.env(setup.env)
        if self.running_with(env, setup.fresh):
            if setup.channel != self._channel:
                offset = self.process.log_size() if self.process else 0
                self.write_config(setup.channel)
                self._channel = setup.channel
                if not self._wait_reload(offset, "channels.sms"):
                    # Nothing said it reloaded (some keys need a restart): restart to be sure.
                    self.apply(Setup(setup.channel, setup.env, fresh=True), twilio_base)
            return
        self.stop()
        self.write_config(setup.channel)
        self._channel, self._env = setup.channel, env
        started = time.monotonic()
        log_path = self.workdir / "gateway.log"
        offset = log_path.stat().st_size if log_path.exists() else 0  # earlier starts append to it
        self.process = GatewayProcess(
            [self.openclaw, "gateway", "run"],
            env,
            log_path,
            "/healthz",  # live; /readyz stays 503 when a channel fails to start, which scenarios test
            START_TIMEOUT,
            port=self.port,
        )
        self._wait_channel(started, offset)
        self.timings["gateway_starts"] += time.monotonic() - started
        self.timings["starts"] += 1

    def stop(self) -> None:
        super().stop()
        self._record_clean_stop()

    def _record_clean_stop(self) -> None:
        """Record the SIGTERM stop as the clean stop it was.

        With a managed proxy configured, openclaw 2026.9.6's proxy SIGTERM handler exits the
        process (143) before the gateway records its clean stop, so every stop counts as an
        unclean boot; after three in five minutes its crash-loop breaker suppresses channel
        auto-start and the SMS channel never comes up again.
        """
        database = self.state_dir / "state" / "openclaw.sqlite"
        if not database.exists():
            return
        with (
            contextlib.closing(sqlite3.connect(database, timeout=10)) as db,
            db,
            contextlib.suppress(sqlite3.OperationalError),  # another version without that table
        ):
            db.execute(
                "UPDATE gateway_boot_lifecycle SET completed_at_ms = ?, outcome = 'clean_stop', "
                "reason = 'stop (SIGTERM)' WHERE completed_at_ms IS NULL",
                (int(time.time() * 1000),),
            )

    def _wait_reload(self, offset: int, prefix: str) -> bool:
        """True once OpenClaw logged the hot reload of `prefix` and re-registered its routes."""
        started = time.monotonic()
        try:
            return self._reloaded(offset, prefix)
        finally:
            self.timings["reloads"] += 1
            self.timings["reload_seconds"] += time.monotonic() - started

    def _reloaded(self, offset: int, prefix: str) -> bool:
        deadline = time.monotonic() + RELOAD_TIMEOUT
        applied_seen: float | None = None
        while time.monotonic() < deadline and self.process:
            text = self.process.log_text(offset)
            end = applied_at(text, prefix)
            if end >= 0:
                applied_seen = applied_seen or time.monotonic()
                if ROUTE in text[end:] or time.monotonic() - applied_seen > ROUTE_WAIT:
                    return True  # the plugin logs the route once it is registered
            time.sleep(0.05)
        return False

    def _wait_channel(self, started: float, offset: int) -> None:
        """Started when the channels have started, or failed to (which some scenarios are about)."""
        deadline = started + START_TIMEOUT
        while time.monotonic() < deadline and self.process:
            text = self.process.log_text(offset)
            if any(marker in text for marker in STARTED):
                return
            time.sleep(0.2)
        raise DriverError(
            f"OpenClaw did not report ready within {START_TIMEOUT:.0f}s; log tail:\n"
            f"{self.process.log_text(offset)[-3000:] if self.process else ''}"
        )

    def reset(self) -> None:
        """Clock back to now, and no pending SMS pairing requests left from earlier scenarios.

        OpenClaw keeps at most three pending requests per channel and silently creates no more
        (no reply, no log line), so scenarios would starve each other without this. The clock is
        not moved a rate-limit window ahead as the reference's is: a jump of a minute loses
        OpenClaw's database maintenance lease, and the gateway then refuses to start (exit 78,
        "agent database maintenance lease … was lost"). At OpenClaw's pace a scenario sends far
        fewer than the 300 requests a minute a client may, and the scenarios that exhaust a limit
        do it on a webhook path of their own (limits are kept per path).
        """
        self.clock_file.write_text("0")
        database = self.state_dir / "state" / "openclaw.sqlite"
        if database.exists():
            with contextlib.closing(sqlite3.connect(database, timeout=10)) as db, db:
                db.execute("DELETE FROM channel_pairing_requests WHERE channel_key = 'sms'")
                # OpenClaw keeps retrying a send that can never go (e.g. a refused MMS file): not this scenario's
                self._stale_deliveries = {r[0] for r in db.execute(PENDING_DELIVERIES)}
        self.mark_log()
        self._turns_after = self.emu.cursor()

    # -- the guide's CLI ------------------------------------------------------------------------------

    def config_patch(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult:
        """As the guide's command, then wait until OpenClaw says it hot-reloaded the change."""
        offset = self.process.log_size() if self.process else 0
        result = super().config_patch(patch, dry_run)
        return result if dry_run else self._config_written(result, offset, patch_prefix(patch))

    def channels_add(self, flags: list[str]) -> CliResult:
        """As the operator types it, then wait until OpenClaw says it hot-reloaded the channel."""
        offset = self.process.log_size() if self.process else 0
        return self._config_written(super().channels_add(flags), offset, "channels.sms")

    def _config_written(self, result: CliResult, offset: int, prefix: str) -> CliResult:
        """After a CLI call that wrote the config: the channel it now holds, once the running gateway
        logged (after `offset`) the hot reload of `prefix`."""
        if result.ok and self.process:
            self._channel = json.loads(self.config_path.read_text()).get("channels", {}).get("sms")
            self._wait_reload(offset, prefix)
        return result

    def pairing_approve(self, code: str, notify: bool = False) -> CliResult:
        """As the guide's command; the first approval also makes the sender command owner.

        That writes `commands.ownerAllowFrom` and OpenClaw restarts the SMS channel for it, so
        wait for that reload: a text sent during the restart would meet no route.
        """
        offset = self.process.log_size() if self.process else 0
        result = super().pairing_approve(code, notify)
        if result.ok and "Command owner configured" in result.stdout + result.stderr and self.process:
            self._wait_reload(offset, "commands")
        return result

    # -- observation and control -----------------------------------------------------------------------

    def settled(self, message_sid: str) -> bool | None:
        """OpenClaw's durable ingress queue has finished with the message and no delivery is queued.

        The event completes once the agent turn is adopted, before its reply is sent, so the harness
        trusts this only when no agent turn started (see waits.quiet).
        """
        database = self.state_dir / "state" / "openclaw.sqlite"
        if not database.exists():
            return False
        try:
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
                row = db.execute(
                    "SELECT status FROM channel_ingress_events WHERE channel_id = 'sms' AND event_id = ?",
                    (message_sid,),
                ).fetchone()
                queued = {r[0] for r in db.execute(PENDING_DELIVERIES)}
        except sqlite3.Error:
            return None  # another OpenClaw whose tables differ: the quiet window decides
        return row is not None and row[0] in ("completed", "failed") and not queued - self._stale_deliveries

    def first_action(self) -> None:
        """OpenClaw's agent may call the model once more after its reply went out (seen once in
        a run: the next scenario, which expected no turn, counted it during its hot reload)."""
        self._turns_after = self.emu.cursor()

    def agent_turns(self) -> int:
        """Agent turns = requests to the scripted model since the scenario's first action."""
        return len(self.emu.http.get("/_emulator/model_requests", params={"after": self._turns_after}).json())

    def advance_clock(self, seconds: float) -> None:
        """Through the Node preload: Date runs ahead for the gateway and every CLI call."""
        self.clock_file.write_text(str(int(float(self.clock_file.read_text() or 0) + seconds * 1000)))
        time.sleep(0.3)  # the preload re-reads the file at most every 100 ms

    def rate_limits(self) -> dict[str, int]:
        # The published plugin's constants (@openclaw/sms@2026.9.4); the CLI does not print them.
        if self.plugin_version != DEFAULT_SMS_PLUGIN:
            raise Unsupported(f"rate limits are known for @openclaw/sms@{DEFAULT_SMS_PLUGIN} only")
        return {
            "perSenderPerMinute": 30,
            "perAccountRoutePerMinute": 300,
            "invalidPerClientPerMinute": 300,
            "deliveryCallbacksPerMinute": 3000,
        }
