"""Driver for Hermes Agent's SMS platform (PyPI `hermes-agent[sms]`), fully offline.

Hermes is configured by its environment and `$HERMES_HOME/config.yaml`, not by a channels.sms
block: the driver translates the scenario's channel into TWILIO_* and SMS_* variables and refuses,
as not applicable, what Hermes cannot express (several accounts, another webhook path, a chunk
limit, a Messaging Service, MMS, …). Each worker has its own HERMES_HOME and port. Its model is the
emulator's scripted one; its Twilio calls go to the fixed https://api.twilio.com through the
emulator's CONNECT proxy (HTTPS_PROXY, with the run's CA as SSL_CERT_FILE), and NO_PROXY keeps the
model's loopback calls direct (Hermes would send them through HTTPS_PROXY too). The switches that
keep it on loopback: no tirith download, no lazy pip installs, a context length so no model
metadata is fetched. A channel change restarts it (a start takes 2-4 s).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from emulator.client import EmulatorClient
from harness import redaction
from harness.drivers.base import (
    CliResult,
    NotApplicable,
    PairingEntry,
    ProcessDriver,
    Profile,
    Setup,
    clean_env,
    emulator_proxy,
    run_cli,
)
from harness.drivers.process import GatewayProcess
from harness.hermes.install import Hermes
from harness.openclaw.driver import free_port

WEBHOOK_PATH = "/webhooks/twilio"  # fixed in Hermes's SMS adapter
HOME_CHANNEL = "+15005550006"  # a number no scenario texts: Hermes notices about its home channel go there
START_TIMEOUT = 60.0
# the user's own settings Hermes would read from the environment: its access lists, its home, other
# model providers (a fallback that would leave loopback), proxies in either case
FOREIGN = (
    "GATEWAY_",
    "HERMES_",
    "OPENROUTER_",
    "OPENAI_",
    "ANTHROPIC_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
)
PAIRING_FILES = ("sms-pending.json", "sms-approved.json", "_rate_limits.json")
# channels.sms keys Hermes has nothing for, and the capability each would need
UNEXPRESSIBLE = {
    "accounts": "accounts",
    "webhookPath": "webhook_path",
    "textChunkLimit": "chunk_limit",
    "messagingServiceSid": "messaging_service",
    "defaultTo": "automation_send",
    "enabled": "disabled_channel",
}
CONFIG = {
    "security": {"tirith_enabled": False, "allow_lazy_installs": False},
    "gateway": {"delivery_ledger": False},  # a reply that failed is not sent again at the next start
    "approvals": {"destructive_slash_confirm": False},
}

ADAPTER = "hermes-agent 0.19.0 plugins/platforms/sms/adapter.py _handle_webhook"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PROFILE = Profile(
    webhook_path=(WEBHOOK_PATH, f"{ADAPTER}: the one route it registers"),
    answers=(
        ("<Response></Response>", EMPTY_TWIML, f"{ADAPTER}: its answer to every webhook it handles"),
        ("Invalid signature", EMPTY_TWIML, f"{ADAPTER}: a refused signature gets the same empty TwiML, with 403"),
        ("text/xml", "application/xml", f"{ADAPTER}: its Content-Type"),
        ("text/xml; charset=utf-8", "application/xml; charset=utf-8", f"{ADAPTER}: its Content-Type"),
    ),
)


class HermesDriver(ProcessDriver):
    name = "hermes"
    profile = PROFILE
    lacks = frozenset(
        {
            "accounts",
            "webhook_path",
            "chunk_limit",
            "messaging_service",
            "automation_send",
            "disabled_channel",
            "disabled_policy",
            "config_patch",
            "probe",
            "mms",
            "status_callbacks",
            "pairing_list",
            "clock",
            "env_config",
        }
    )
    quiet_seconds = 4.0  # its first turn answers in about 3 s, later ones in under 1 s
    reply_timeout = 30.0

    def __init__(self, workdir: Path, emulator: EmulatorClient, hermes: Hermes) -> None:
        self.workdir, self.emu, self.hermes = workdir, emulator, hermes
        self.home = workdir / "hermes-home"
        self.port = free_port()
        self.local_url = f"http://127.0.0.1:{self.port}"
        self.proxy_url, self.ca_path = emulator_proxy(emulator, workdir, self.name)
        self.process: GatewayProcess | None = None
        self._turns_after = 0
        self.timings: dict[str, Any] = {"gateway_starts": 0.0, "starts": 0, "cli": []}

    # -- lifecycle ---------------------------------------------------------------------------------

    def environment(self, setup: Setup) -> dict[str, str]:
        """The scenario's channel as Hermes's variables; what it cannot express is not applicable."""
        channel = setup.channel
        for key, capability in UNEXPRESSIBLE.items():
            if key in channel and not (key == "enabled" and channel[key] is True):
                raise NotApplicable(self.name, capability, f"channels.sms.{key}")
        policy = channel.get("dmPolicy", "pairing")
        env = {
            "HERMES_HOME": str(self.home),
            "HOME": str(self.workdir),
            "TWILIO_ACCOUNT_SID": str(channel.get("accountSid", "")),
            "TWILIO_AUTH_TOKEN": str(channel.get("authToken", "")),
            "TWILIO_PHONE_NUMBER": str(channel.get("fromNumber", "")),
            "SMS_WEBHOOK_HOST": "127.0.0.1",
            "SMS_WEBHOOK_PORT": str(self.port),
            "SMS_HOME_CHANNEL": HOME_CHANNEL,
            "HTTPS_PROXY": self.proxy_url,
            "NO_PROXY": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.ca_path),
        }
        if channel.get("dangerouslyDisableSignatureValidation") is True:
            env["SMS_INSECURE_NO_SIGNATURE"] = "true"  # Hermes honours it only without a webhook URL
        elif channel.get("publicWebhookUrl"):
            env["SMS_WEBHOOK_URL"] = str(channel["publicWebhookUrl"])
        allow = [str(a).removeprefix("sms:") for a in channel.get("allowFrom", [])]
        if policy == "disabled":
            raise NotApplicable(self.name, "disabled_policy", 'dmPolicy "disabled"')
        if policy == "open" or "*" in allow:
            env["SMS_ALLOW_ALL_USERS"] = "true"
        elif policy == "allowlist" or (allow and policy != "pairing"):
            env["SMS_ALLOWED_USERS"] = ",".join(allow)
        inherited = {k: v for k, v in clean_env({}).items() if not k.upper().startswith(FOREIGN)}
        return {**inherited, **env, **setup.env}

    def apply(self, setup: Setup, twilio_base: str) -> None:
        env = self.environment(setup)
        if self.running_with(env, setup.fresh):
            return
        self.stop()
        self.home.mkdir(parents=True, exist_ok=True)
        model = {
            "provider": "custom",
            "base_url": f"{twilio_base}/v1",
            "default": "fake-model",
            "api_key": "sk-sms-harness",  # Hermes treats a key under 4 characters as none
            "context_length": 131072,  # at least 64K, and given, so no model metadata is fetched
        }
        # JSON is YAML: config.yaml as JSON keeps Hermes's own YAML loader the only parser involved
        (self.home / "config.yaml").write_text(json.dumps({"model": model, **CONFIG}, indent=2))
        self._env = env
        started = time.monotonic()
        self.process = GatewayProcess(
            self.hermes.argv("gateway", "run"), env, self.workdir / "gateway.log", "/health", START_TIMEOUT, self.port
        )
        self.timings["gateway_starts"] += time.monotonic() - started
        self.timings["starts"] += 1

    def reset(self) -> None:
        """No pairing requests, approvals or rate-limit marks left from earlier scenarios (Hermes
        re-reads these files on every check, so no restart is needed)."""
        pairing = self.home / "platforms" / "pairing"
        if pairing.is_dir():
            for name in PAIRING_FILES:
                (pairing / name).write_text("{}")
        self.mark_log()
        self._turns_after = self.emu.cursor()

    # -- the CLI -------------------------------------------------------------------------------------

    def cli(self, *args: str) -> CliResult:
        env = self._env or clean_env({"HERMES_HOME": str(self.home), "HOME": str(self.workdir)})
        result = run_cli(self.hermes.argv(*args), env)
        self.timings["cli"].append(round(result.seconds, 3))
        return result

    def pairing_approve(self, code: str, notify: bool = False) -> CliResult:
        """`hermes pairing approve sms CODE`: it exits 0 even when it refuses, so its words decide."""
        if notify:
            raise NotApplicable(self.name, "pairing_notify", "pairing approve --notify")
        result = self.cli("pairing", "approve", "sms", code)
        if result.ok and "Approved!" not in result.stdout:
            return CliResult(result.argv, 1, result.stdout, result.stderr, result.seconds)
        return result

    def pairing_list(self) -> tuple[CliResult, list[PairingEntry]]:
        raise NotApplicable(self.name, "pairing_list", "`hermes pairing list` shows a hash of each code, not the code")

    def message_send(
        self,
        target: str | None,
        message: str,
        channel: str | None = "sms",
        account: str | None = None,
        media: str | None = None,
    ) -> CliResult:
        """`hermes send --to sms:NUMBER TEXT`; Hermes has no --channel or --account of its own."""
        if media:
            raise NotApplicable(self.name, "mms", "message send --media")
        if account:
            raise NotApplicable(self.name, "accounts", "message send --account")
        to = target if target and target.startswith("sms:") else f"sms:{target or ''}"
        return self.cli("send", "--to", to, message)

    def automation_send(self, message: str) -> CliResult:
        raise NotApplicable(self.name, "automation_send", "an agent-initiated delivery to defaultTo")

    def config_patch(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult:
        raise NotApplicable(self.name, "config_patch", "config patch")

    def capabilities(self) -> CliResult:
        raise NotApplicable(self.name, "probe", "channels capabilities")

    def status_probe(self) -> tuple[CliResult, dict[str, Any]]:
        raise NotApplicable(self.name, "probe", "channels status --probe")

    # -- observation ---------------------------------------------------------------------------------

    def first_action(self) -> None:
        self._turns_after = self.emu.cursor()

    def agent_turns(self) -> int:
        """Agent turns = streamed requests with tools to the scripted model (not Hermes's title calls)."""
        records = self.emu.http.get("/_emulator/model_requests", params={"after": self._turns_after}).json()
        return sum(1 for r in records if r.get("tools"))

    def logs(self) -> str:
        return redaction.redact(super().logs())
