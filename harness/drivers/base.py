"""The one interface the harness talks to every gateway through.

Scenarios never know which gateway runs: they call these methods, and a
driver that cannot do something raises `Unsupported` with the reason, which
the harness turns into a skip.
"""

from __future__ import annotations

import abc
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import children
from harness.redaction import redact

if TYPE_CHECKING:
    from emulator.client import EmulatorClient
    from harness.drivers.process import GatewayProcess

CLI_TIMEOUT = 60.0


class Unsupported(Exception):
    """This gateway cannot do what the step asks; the scenario is skipped with this reason."""


# What a gateway may be unable to express; a driver names those it lacks, and a scenario that needs
# one is "not applicable" to it: reported as such, with the capability, never passed or skipped.
CAPABILITIES = {
    "accounts": "several Twilio accounts in one channel (channels.sms.accounts)",
    "webhook_path": "a webhook path of the operator's choosing (webhookPath)",
    "chunk_limit": "a configurable chunk size (textChunkLimit)",
    "messaging_service": "sending through a Messaging Service",
    "automation_send": "an agent-initiated delivery to a default target (defaultTo)",
    "disabled_channel": "a channel switched off in its config (enabled: false)",
    "disabled_policy": 'dmPolicy "disabled"',
    "config_patch": "the channel changed through `config patch`",
    "channels_add": "the channel set up through `channels add --channel sms` and its flags",
    "probe": "`channels capabilities` and `channels status --probe`",
    "mms": "pictures and files, in and out",
    "status_callbacks": "Twilio's status callbacks, asked for and recorded",
    "pairing_list": "`pairing list` that shows each pending code as the sender got it",
    "pairing_notify": "`pairing approve --notify`",
    "clock": "a way to move the gateway's clock",
    "rate_limits": "webhook request limits of its own, which it states (429 and 503 past them)",
    "env_config": "OpenClaw's environment variables and SecretRefs for the channel",
    # behaviours another gateway has and OpenClaw's channel has not (Hermes Agent's, first)
    "pairing_rate_limit": "one pairing reply per sender per window, whatever the sender sends",
    "pairing_lockout": "approvals locked for a while after repeated wrong codes",
    "plain_text_retry": "a reply Twilio refuses, sent once more as plain text",
    "webhook_url_required": "no start at all without the public webhook URL while signatures are checked",
}
# Capabilities OpenClaw's channel (and so the reference, which models it) does not have.
NOT_OPENCLAW = frozenset({"pairing_rate_limit", "pairing_lockout", "plain_text_retry", "webhook_url_required"})
# Tags of whole areas and the capability each needs: such a scenario is not applicable before any set-up.
TAG_NEEDS = {
    "mms": "mms",
    "multi_account": "accounts",
    "messaging_service": "messaging_service",
    "setup": "config_patch",
    "probe": "probe",
    "env": "env_config",
    "status_callbacks": "status_callbacks",
    "rate_limits": "rate_limits",
    **{capability: capability for capability in NOT_OPENCLAW},
}


class NotApplicable(Unsupported):
    """The gateway lacks a capability the scenario needs: "not applicable", with the capability."""

    def __init__(self, gateway: str, capability: str, what: str) -> None:
        self.capability = capability
        super().__init__(
            f"not applicable to {gateway}: needs {capability} ({CAPABILITIES[capability]}); {what} has no equivalent"
        )


@dataclass(frozen=True)
class Profile:
    """A gateway's exact values where they differ from OpenClaw's by design, each with its source.

    The scenarios speak OpenClaw's values; a matcher asks the profile for this gateway's. A value
    left at its default is OpenClaw's.
    """

    webhook_path: tuple[str, str] = ("/webhooks/sms", "the guide: the default webhookPath")
    #: (status or None for any, the specification's answer body or content type, this gateway's, source)
    answers: tuple[tuple[int | None, str, str, str], ...] = ()
    #: (the specification's words, this gateway's, source); {phone} and {code} stand for a number and a code
    phrases: tuple[tuple[str, str, str], ...] = ()
    #: the words a pairing reply carries ({phone}: the sender's number, {code}: its code), and their source
    pairing_reply: tuple[tuple[str, ...], str] = (
        ("{phone}", "openclaw pairing approve sms {code}"),
        "the guide: the pairing reply",
    )
    #: what a sender gets when the pending pairing requests are full (None: nothing), and its source
    pairing_busy: tuple[str | None, str] = (None, "the guide: at most 3 pending requests, the others get no reply")
    #: (the agent's answer, the messages the phone gets, source) where this gateway renders it otherwise
    renders: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    #: the largest webhook body it accepts, in bytes, and its source
    body_limit: tuple[int, str] = (32 * 1024, "the guide: bodies over 32 KiB get 413")
    #: (header, the specification's value, this gateway's or None for no such header, source)
    headers: tuple[tuple[str, str, str | None, str], ...] = ()

    def answer(self, spec: str | None, status: int | None = None) -> str | None:
        """This gateway's body (or content type) for the one the specification names."""
        return next((mine for code, theirs, mine, _ in self.answers if theirs == spec and code in (None, status)), spec)

    def phrase(self, spec: str) -> str:
        """This gateway's words for the specification's (a number or a code in them carried over)."""
        for theirs, mine, _ in self.phrases:
            pattern = (
                re.escape(theirs).replace(r"\{phone\}", r"(?P<phone>\+?\d+)").replace(r"\{code\}", r"(?P<code>\w+)")
            )
            found = re.fullmatch(pattern, spec)
            if found:
                return mine.format(**found.groupdict())
        return spec

    def rendering(self, answer: str, messages: list[str]) -> list[str]:
        """The messages a phone gets for this answer from the agent."""
        return next((list(mine) for theirs, mine, _ in self.renders if theirs == answer), messages)

    def header(self, name: str, spec: str) -> str | None:
        """This gateway's value of an answer's header (None: it sends none)."""
        return next((mine for n, theirs, mine, _ in self.headers if (n, theirs) == (name, spec)), spec)


class DriverError(Exception):
    """The gateway could not be started or driven; the message says what was expected and seen."""


@dataclass
class CliResult:
    """One CLI call: what ran, how it ended, what it printed (secrets redacted)."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.code == 0

    def json(self) -> Any:
        """The JSON document in stdout (some CLIs print log lines before it)."""
        text = self.stdout.strip()
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if start < 0:
            raise DriverError(f"expected JSON from `{self.command}`, got: {self.stdout[:500]!r}")
        try:
            return json.loads(text[start:])
        except ValueError as exc:
            raise DriverError(f"`{self.command}` printed invalid JSON ({exc}): {self.stdout[:500]!r}") from None

    @property
    def command(self) -> str:
        return redact(shlex.join(self.argv))

    def summary(self) -> str:
        """One line: the command, its exit code and the last thing it said."""
        said = [line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        return f"`{self.command}` exit {self.code}: {redact(said[-1]) if said else 'no output'}"

    def describe(self) -> str:
        return (
            f"$ {self.command}\nexit {self.code} after {self.seconds:.1f}s\n"
            f"stdout: {redact(self.stdout.strip())[:2000]}\nstderr: {redact(self.stderr.strip())[:2000]}"
        )


def run_cli(
    argv: Sequence[str], env: Mapping[str, str], timeout: float = CLI_TIMEOUT, cwd: str | None = None
) -> CliResult:
    """Run a CLI with a timeout; a hang becomes a failed result, never a hung suite."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv),
            env=children.marked(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        return CliResult(
            list(argv),
            124,
            _text(exc.stdout),
            _text(exc.stderr) + f"\n(timed out after {timeout}s)",
            time.monotonic() - started,
        )
    except FileNotFoundError:
        return CliResult(list(argv), 127, "", f"{argv[0]}: command not found", time.monotonic() - started)
    return CliResult(list(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


@dataclass
class PairingEntry:
    sender: str
    code: str
    account_id: str | None = None


def pairing_entries(data: Any) -> list[PairingEntry]:
    """`pairing list sms --json` as OpenClaw prints it ({"requests": [{"id", "code", "meta": {"accountId"}}]})."""
    rows = data.get("requests", []) if isinstance(data, dict) else data
    return [
        PairingEntry(
            str(r.get("id") or r.get("sender")),
            str(r["code"]),
            (r.get("meta") or {}).get("accountId") or r.get("accountId"),
        )
        for r in rows
    ]


def probe_view(data: dict[str, Any]) -> dict[str, Any]:
    """`channels status --channel sms --probe --json` (OpenClaw's shape), the first account's probe flattened."""
    accounts = (data.get("channelAccounts") or {}).get("sms") or []
    probe = (accounts[0].get("probe") if accounts else None) or {}
    return {
        "probe": {"ok": probe.get("ok"), "error": probe.get("error")},
        "webhook": probe.get("webhook") or {},
        "recentInbound": probe.get("recentInbound"),
        "recentOutbound": probe.get("recentOutbound"),
        "hints": probe.get("hints") or [],
        "accounts": accounts,
    }


@dataclass
class Setup:
    """What a scenario wants running: the channel config and the gateway's environment."""

    channel: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    fresh: bool = False  # restart even if nothing changed (clears in-memory limits and replay memory)


class GatewayDriver(abc.ABC):
    """Start/attach, configure, and drive one gateway through its CLI and HTTP."""

    name: str = "gateway"
    #: its exact values where they differ from OpenClaw's by design, and the capabilities it lacks
    profile: Profile = Profile()
    lacks: frozenset[str] = NOT_OPENCLAW
    #: numbers the gateway texts on its own, outside any conversation (an operator's home channel):
    #: what goes there is no scenario's traffic
    own_numbers: frozenset[str] = frozenset()
    #: the gateway's local base URL, where a tunnel would deliver the public URL
    local_url: str = ""
    #: how long to wait for a message that must not come, and at most for one that must
    quiet_seconds: float = 1.0
    reply_timeout: float = 15.0
    #: after the last expected message, how long no further one must come (all chunks are in)
    settle_seconds: float = 0.5

    # -- lifecycle ----------------------------------------------------------------------------
    @abc.abstractmethod
    def apply(self, setup: Setup, twilio_base: str) -> None:
        """Make the gateway run with this channel config and environment (restart only when needed)."""

    #: the gateway process this driver started, if any
    process: GatewayProcess | None = None

    def stop(self) -> None:
        """Stop every process this driver started."""
        if self.process:
            self.process.stop()
            self.process = None

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget pairing requests, approvals, recorded statuses, clock moves: a clean slate per scenario."""

    # -- the guide's CLI -----------------------------------------------------------------------
    @abc.abstractmethod
    def config_patch(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult: ...

    def channels_add(self, flags: list[str]) -> CliResult:
        """`channels add --channel sms FLAGS`: the channel's setup flags (`--dm-policy open`, …) written
        into its config, as OpenClaw's setup adapter writes them."""
        raise NotApplicable(self.name, "channels_add", "channels add")

    @abc.abstractmethod
    def pairing_list(self) -> tuple[CliResult, list[PairingEntry]]: ...

    @abc.abstractmethod
    def pairing_approve(self, code: str, notify: bool = False) -> CliResult:
        """`pairing approve sms CODE [--notify]`: with --notify the sender is texted that access was approved."""

    @abc.abstractmethod
    def message_send(
        self,
        target: str | None,
        message: str,
        channel: str | None = "sms",
        account: str | None = None,
        media: str | None = None,
    ) -> CliResult:
        """`message send`; `media` is a local file to attach (an MMS)."""

    @abc.abstractmethod
    def automation_send(self, message: str, target: str | None = None) -> CliResult:
        """An agent-initiated delivery: to `target` when given (the run's delivery override), else to
        defaultTo."""

    @abc.abstractmethod
    def capabilities(self) -> CliResult: ...

    @abc.abstractmethod
    def status_probe(self) -> tuple[CliResult, dict[str, Any]]: ...

    # -- observation and control -----------------------------------------------------------------
    @abc.abstractmethod
    def logs(self) -> str:
        """The gateway's log output so far (for reports; secrets are redacted by the caller)."""

    def settled(self, message_sid: str) -> bool | None:
        """Whether the gateway is done with this inbound message (answered, dispatch and replies
        finished); None when the gateway cannot tell, and "nothing arrives" waits its quiet window."""
        return None

    @abc.abstractmethod
    def agent_turns(self) -> int:
        """How many agent turns have run since the last reset (or the scenario's first action)."""

    def first_action(self) -> None:
        """The scenario acts for the first time: a gateway whose turns can outlive a scenario counts
        its agent turns from here (a turn of the last scenario may land during this one's set-up)."""
        return None  # the others count from reset

    def advance_clock(self, seconds: float) -> None:
        raise NotApplicable(self.name, "clock", "moving the clock")

    def rate_limits(self) -> dict[str, int]:
        raise NotApplicable(self.name, "rate_limits", "a webhook rate limit")


class ProcessDriver(GatewayDriver):
    """A gateway the harness runs as a process: restarted only when its environment changes (or a
    scenario asks for a fresh one), its log read from where the scenario began, and its config
    patches written to a file for its CLI. The reference, external and OpenClaw drivers share it."""

    workdir: Path
    _env: dict[str, str] | None = None
    _log_offset = 0

    def running_with(self, env: dict[str, str], fresh: bool = False) -> bool:
        """Whether the running process already has this environment (then a restart is not needed)."""
        return bool(self.process and self.process.alive and env == self._env and not fresh)

    def mark_log(self) -> None:
        """The scenario's log starts here."""
        self._log_offset = self.process.log_size() if self.process else 0

    def logs(self) -> str:
        return self.process.log_text(self._log_offset) if self.process else ""

    def patch_file(self, patch: dict[str, Any]) -> Path:
        path = self.workdir / "patch.json5"
        path.write_text(json.dumps(patch), encoding="utf-8")
        return path


def emulator_proxy(emulator: EmulatorClient, workdir: Path, gateway: str) -> tuple[str, Path]:
    """The emulator's CONNECT proxy for a real gateway that calls the real Twilio's hosts: its URL,
    and the run's CA written where the gateway can be told to trust it."""
    proxy = emulator.http.get("/_emulator/proxy")
    if proxy.status_code != 200:
        raise DriverError(f"the {gateway} driver needs the emulator's CONNECT proxy (start it with a proxy port)")
    ca_path = workdir / "emulator-ca.pem"
    ca_path.write_text(proxy.json()["ca_pem"])
    return proxy.json()["proxy_url"], ca_path


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """A child environment without inherited Twilio/SMS settings, so only the scenario's apply.

    pytest's own variables are left out too: PYTEST_CURRENT_TEST changes with every scenario and
    would make every scenario look like a new environment (a needless gateway restart).
    """
    skip = ("TWILIO_", "SMS_", "REFCLAW_", "PYTEST_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(skip)}, **extra}
