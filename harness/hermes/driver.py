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
import shutil
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
from harness.drivers.process import GatewayProcess, free_port
from harness.hermes.install import Hermes

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
    "PYTHONPATH",  # ours (a mutation run's tree copy) is not Hermes's
    "PYTHONHOME",
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
RENDERER = "hermes-agent 0.19.0 gateway/platforms/helpers.py strip_markdown, the SMS adapter's format_message"
PAIRING = "hermes-agent 0.19.0 gateway/run.py, its pairing replies"
PROFILE = Profile(
    webhook_path=(WEBHOOK_PATH, f"{ADAPTER}: the one route it registers"),
    answers=(
        (None, "<Response></Response>", EMPTY_TWIML, f"{ADAPTER}: its answer to every webhook it handles"),
        (None, "Invalid signature", EMPTY_TWIML, f"{ADAPTER}: a refused signature gets the same empty TwiML, with 403"),
        (
            None,
            "Payload too large",
            EMPTY_TWIML,
            f"{ADAPTER}: a body over its limit gets the same empty TwiML, with 413",
        ),
        (405, "Method not allowed", "405: Method Not Allowed", "aiohttp's own answer to a method the route lacks"),
        (
            405,
            "text/xml; charset=utf-8",
            "text/plain; charset=utf-8",
            "aiohttp's own answer to a method the route lacks",
        ),
        (None, "text/xml", "application/xml", f"{ADAPTER}: its Content-Type"),
        (None, "text/xml; charset=utf-8", "application/xml; charset=utf-8", f"{ADAPTER}: its Content-Type"),
    ),
    phrases=(
        ("Approved sms sender {phone}", "Approved! User {phone}", "hermes-agent 0.19.0 hermes_cli/pairing.py approve"),
        ("empty allowFrom", "No env user allowlists configured", "hermes-agent 0.19.0 gateway/run.py, at start"),
    ),
    pairing_reply=(("hermes pairing approve sms {code}",), f"{PAIRING}: the code and the command, no phone number"),
    pairing_busy=("Too many pairing requests right now~ Please try again later!", f"{PAIRING}: 3 pending at most"),
    renders=(
        ("**bold**, _italic_, ~~struck~~ and ***both***", ("bold, italic, ~~struck~~ and both",), RENDERER),
        (
            "See ![the logo](https://ex.com/logo.png) above",
            ("See  above", "the logo\nhttps://ex.com/logo.png"),
            RENDERER,
        ),
        # what it leaves as written: one message, the answer itself
        *(
            (answer, (answer,), RENDERER)
            for answer in (
                "Opening hours\n=============\nWe open at 9.",  # setext heading
                "- milk\n- eggs\n* bread",  # bullets
                "- fruit\n  - apple\n    - green\n- bread",  # nested list
                "3. wake up\n7. text the bot\n9. read the reply",  # ordered list, not renumbered
                "- one\n\n- two",  # loose list
                "| Name | Role |\n|------|------|\n| Ada | admin |\n| Bo | user |",  # table
                "| Day | Open | Close |\n|---|---|---|\n| Mon | 9 | 17 |\n| Sun | | closed |",  # empty cell
                "| Name |\n|------|\n| Ada |\n| Bo |",  # one-column table
                "Read [the guide][g].\n\n[g]: https://docs.example.com/sms",  # reference link
                "Tom &amp; Jerry &lt;3 &copy; 2026",  # entities
                "Run:\n\n    openclaw channels status\n\nDone.",  # indented code
                "> quoted line\n> second line\n\nafter the quote",  # blockquote
                "line one\r\nline two\rline three",  # crlf and cr
                "above\n\n---\n\nbelow",  # rule
            )
        ),
    ),
    body_limit=(64 * 1024, f"{ADAPTER}: _TWILIO_WEBHOOK_MAX_BODY_BYTES"),
    headers=(
        ("x-openclaw-delivery-accepted", "durable", None, f"{ADAPTER}: answers before dispatching, no such header"),
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
            "config_patch",
            "probe",
            "mms",
            "status_callbacks",
            "pairing_list",
            "rate_limits",
            "env_config",
        }
    )
    own_numbers = frozenset({HOME_CHANNEL})  # its start, restart and shutdown notices go there
    # its first turn after a start begins within about 3 s on an idle machine; at a load of 15, after 6 s
    quiet_seconds = 8.0
    reply_timeout = 30.0

    def __init__(self, workdir: Path, emulator: EmulatorClient, hermes: Hermes) -> None:
        self.workdir, self.emu, self.hermes = workdir, emulator, hermes
        self.home = workdir / "hermes-home"
        self.port = free_port()
        self.local_url = f"http://127.0.0.1:{self.port}"
        self.proxy_url, self.ca_path = emulator_proxy(emulator, workdir, self.name)
        self.process: GatewayProcess | None = None
        self._turns_after = 0
        self._platform: dict[str, Any] = {}
        self.timings: dict[str, Any] = {"gateway_starts": 0.0, "starts": 0, "cli": []}

    # -- lifecycle ---------------------------------------------------------------------------------

    def environment(self, setup: Setup) -> dict[str, str]:
        """The scenario's channel as Hermes's variables; what it cannot express is not applicable."""
        channel = setup.channel
        for key, capability in UNEXPRESSIBLE.items():
            if key in channel and not (key == "enabled" and channel[key] is True):
                raise NotApplicable(self.name, capability, f"channels.sms.{key}")
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
        env.update(self.access(channel))
        inherited = {k: v for k, v in clean_env({}).items() if not k.upper().startswith(FOREIGN)}
        return {**inherited, **env, **setup.env}

    @staticmethod
    def access(channel: dict[str, Any]) -> dict[str, str]:
        """dmPolicy and allowFrom as Hermes's variables ("disabled": none, so nobody is let in)."""
        policy = channel.get("dmPolicy", "pairing")
        allow = [str(a).removeprefix("sms:") for a in channel.get("allowFrom", [])]
        if policy == "disabled":
            return {}
        if "*" in allow:  # "open" without "*" opens no door: only the listed numbers get in
            return {"SMS_ALLOW_ALL_USERS": "true"}
        if allow and policy != "pairing":
            return {"SMS_ALLOWED_USERS": ",".join(allow)}
        return {}

    @staticmethod
    def platform_config(channel: dict[str, Any]) -> dict[str, Any]:
        """config.yaml's `sms` block: Hermes answers an unlisted sender with a pairing code unless
        told to ignore them, which "allowlist" (even with no one listed), "open" and "disabled" mean."""
        if channel.get("dmPolicy", "pairing") in ("allowlist", "open", "disabled"):
            return {"sms": {"unauthorized_dm_behavior": "ignore"}}
        return {}

    def apply(self, setup: Setup, twilio_base: str) -> None:
        env, platform = self.environment(setup), self.platform_config(setup.channel)
        if self.running_with(env, setup.fresh) and platform == self._platform:
            return
        self.stop()
        # a new home each start: a restarted Hermes resumes the turns the last one left running
        # ("the previous turn was interrupted"), which would land in the next scenario
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        model = {
            "provider": "custom",
            "base_url": f"{twilio_base}/v1",
            "default": "fake-model",
            "api_key": "sk-sms-harness",  # Hermes treats a key under 4 characters as none
            "context_length": 131072,  # at least 64K, and given, so no model metadata is fetched
        }
        # JSON is YAML: config.yaml as JSON keeps Hermes's own YAML loader the only parser involved
        (self.home / "config.yaml").write_text(json.dumps({"model": model, **CONFIG, **platform}, indent=2))
        self._env, self._platform = env, platform
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

    def advance_clock(self, seconds: float) -> None:
        """Hermes's pairing store keeps every moment it compares with now in its files (a code's
        creation, a sender's last request, the end of a lockout) and re-reads them on every check:
        making each of them `seconds` older is the clock moving forward, for pairing."""
        pairing = self.home / "platforms" / "pairing"
        for path in sorted(pairing.glob("*.json")) if pairing.is_dir() else []:
            data = json.loads(path.read_text() or "{}")
            if path.name == "_rate_limits.json":  # "_failures:sms" is a count; every other value a moment
                data = {k: v if k.startswith("_failures:") else v - seconds for k, v in data.items()}
            else:
                for entry in data.values():
                    if isinstance(entry, dict) and isinstance(entry.get("created_at"), int | float):
                        entry["created_at"] -= seconds
            path.write_text(json.dumps(data))

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
        """`hermes pairing list`: a table per kind; a pending row is platform, a hash of the code, user."""
        result = self.cli("pairing", "list")
        entries, pending = [], False
        for line in result.stdout.splitlines():
            if line.strip().startswith(("Pending Pairing Requests", "Approved Users")):
                pending = line.strip().startswith("Pending")
            cells = line.split()
            if pending and len(cells) >= 3 and cells[0] == "sms":
                entries.append(PairingEntry(cells[2], cells[1]))
        return result, entries

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

    def automation_send(self, message: str, target: str | None = None) -> CliResult:
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
