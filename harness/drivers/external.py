"""Driver for any other gateway, described by a TOML file: its base URL and the command lines of its CLI.

base_url = "http://127.0.0.1:18789"     # where Twilio's webhooks are delivered (what a tunnel reaches)
start = "mygw gateway --port {port}"    # optional: the harness starts (and restarts) the gateway itself;
                                        # it must print its base URL as the first line, or use {port}
                                        # ("{python}" in any command: the harness's own interpreter;
                                        # "{here}": the folder of this TOML file)
ready_path = "/readyz"                  # optional, with start
twilio_base_env = ["MYGW_TWILIO_API_BASE"]  # optional: env names that receive the emulator's URL
log_file = "/var/log/mygw.log"          # optional: shown in reports

[env]                                   # optional: extra environment for the gateway and every command
MYGW_STATE_DIR = "{workdir}/state"
MYGW_MODEL_URL = "{emulator}/v1"        # "{emulator}": the emulator's URL (its scripted model is at /v1)

[commands]                              # tokens "{channel}" and "{target}" expand to flag pairs or nothing
config_patch = "mygw config patch --file {file}"
config_patch_dry_run = "mygw config patch --file {file} --dry-run"
pairing_list = "mygw pairing list sms --json"           # JSON: {"requests": [{"id", "code"}]} or a list
pairing_approve = "mygw pairing approve sms {code}"
pairing_approve_notify = "mygw pairing approve sms {code} --notify"   # optional
message_send = "mygw message send {channel} {target} --message {message} --json"
message_send_media = "mygw message send {channel} {target} --message {message} --media {media} --json"  # optional
automation_send = "mygw agent --channel sms --message {message} --deliver --json"
automation_send_to = "mygw agent --channel sms --message {message} --deliver {target} --json"  # optional
capabilities = "mygw channels capabilities --channel sms"
status_probe = "mygw channels status --channel sms --probe --json"
advance_clock = "mygw clock advance {seconds}"           # optional
agent_turns = "mygw agent turns --count"                 # optional: prints an integer
reset = "mygw pairing reset sms"                         # optional

[rate_limits]                           # optional: perSenderPerMinute, invalidPerClientPerMinute
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

from harness.drivers.base import (
    CliResult,
    DriverError,
    PairingEntry,
    ProcessDriver,
    Setup,
    Unsupported,
    clean_env,
    pairing_entries,
    probe_view,
    run_cli,
)
from harness.drivers.process import GatewayProcess, free_port

REQUIRED = ("config_patch", "pairing_list", "pairing_approve", "message_send", "status_probe")
KNOWN_KEYS = {"base_url", "start", "ready_path", "twilio_base_env", "log_file", "env", "commands", "rate_limits"}


class ExternalDriver(ProcessDriver):
    name = "external"

    def __init__(
        self, spec: dict[str, Any], workdir: Path, source: str = "gateway config", here: Path | None = None
    ) -> None:
        unknown = set(spec) - KNOWN_KEYS
        if unknown:
            raise DriverError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
        self.commands: dict[str, str] = dict(spec.get("commands", {}))
        missing = [c for c in REQUIRED if c not in self.commands]
        if missing:
            raise DriverError(f"{source}: [commands] needs {', '.join(missing)}")
        if not spec.get("base_url") and not spec.get("start"):
            raise DriverError(f"{source}: give base_url (a running gateway) or start (a command)")
        self.spec, self.workdir = spec, workdir
        # what "{python}", "{workdir}" and "{here}" (the TOML's own folder) mean in its commands
        self.places = {"python": sys.executable, "workdir": str(workdir), "here": str(here or Path.cwd())}
        self.local_url = str(spec.get("base_url", "")).rstrip("/")
        self.process: GatewayProcess | None = None
        self._start_failure: tuple[dict[str, str], str] | None = None  # a start that failed, and why

    @classmethod
    def from_file(cls, path: Path, workdir: Path) -> ExternalDriver:
        try:
            spec = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DriverError(f"{path}: cannot read the gateway description ({exc})") from None
        return cls(spec, workdir, str(path), path.resolve().parent)

    # -- commands ------------------------------------------------------------------------------

    def argv(self, name: str, **values: Any) -> list[str]:
        template = self.commands.get(name)
        if template is None:
            raise Unsupported(f"the external gateway's description has no [commands] {name}")
        expanded: list[str] = []
        for token in shlex.split(template):
            if token in ("{channel}", "{target}"):
                value = values.get(token[1:-1])
                expanded += [f"--{token[1:-1]}", str(value)] if value else []
            else:
                expanded.append(token.format(**self.places, **values))
        return expanded

    def cli(self, name: str, **values: Any) -> CliResult:
        return run_cli(self.argv(name, **values), self._env or self.base_env({}, ""))

    def base_env(self, extra: dict[str, str], twilio_base: str) -> dict[str, str]:
        env = {k: str(v).format(**self.places, emulator=twilio_base) for k, v in self.spec.get("env", {}).items()}
        for name in self.spec.get("twilio_base_env", []):
            env[name] = twilio_base
        return clean_env({**env, **extra})

    # -- lifecycle -----------------------------------------------------------------------------

    def apply(self, setup: Setup, twilio_base: str) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = self.base_env(setup.env, twilio_base)
        if self.spec.get("start"):
            if not self.running_with(env, setup.fresh):
                if self._start_failure and self._start_failure[0] == env:  # it will fail the same way
                    raise DriverError(f"(as when it was first started) {self._start_failure[1]}")
                self._restart(env)
        elif setup.env:
            raise Unsupported(
                "this external gateway is attached, not started by the harness, so a scenario "
                "cannot set its environment; add `start` to its description"
            )
        self._env = env
        for patch in ({"channels": {"sms": None}}, {"channels": {"sms": setup.channel}}):
            result = self.config_patch(patch)
            if not result.ok:
                raise DriverError(f"configuring the external gateway failed:\n{result.describe()}")
        if self.process:
            self.process.wait_ready()

    def start_only(self, setup: Setup, twilio_base: str) -> None:
        """Start the gateway as a scenario would, without configuring it: the run's pre-flight check."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._restart(self.base_env(setup.env, twilio_base))

    def _restart(self, env: dict[str, str]) -> None:
        try:
            self._start(env)
        except DriverError as exc:
            self._start_failure = (env, str(exc))
            raise

    def _start(self, env: dict[str, str]) -> None:
        self.stop()
        port = free_port()
        argv = [t.format(port=port, **self.places) for t in shlex.split(self.spec["start"])]
        self._env = env
        self.process = GatewayProcess(
            argv, env, self.workdir / "gateway.log", self.spec.get("ready_path", "/readyz"), port=port
        )
        self.local_url = self.process.url

    def reset(self) -> None:
        if "reset" in self.commands and self._env is not None:
            result = self.cli("reset")
            if not result.ok:
                raise DriverError(f"resetting the external gateway failed:\n{result.describe()}")
        self._log_offset = self._log_size()

    # -- the guide's CLI -----------------------------------------------------------------------

    def config_patch(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult:
        return self.cli("config_patch_dry_run" if dry_run else "config_patch", file=self.patch_file(patch))

    def pairing_list(self) -> tuple[CliResult, list[PairingEntry]]:
        result = self.cli("pairing_list")
        return result, pairing_entries(result.json()) if result.ok else []

    def pairing_approve(self, code: str, notify: bool = False) -> CliResult:
        if notify and "pairing_approve_notify" not in self.spec["commands"]:
            raise Unsupported("the gateway's TOML has no pairing_approve_notify command")
        return self.cli("pairing_approve_notify" if notify else "pairing_approve", code=code)

    def message_send(
        self,
        target: str | None,
        message: str,
        channel: str | None = "sms",
        account: str | None = None,
        media: str | None = None,
    ) -> CliResult:
        if media:
            if "message_send_media" not in self.spec["commands"]:
                raise Unsupported("the gateway's TOML has no message_send_media command")
            return self.cli("message_send_media", target=target, message=message, channel=channel, media=media)
        return self.cli("message_send", target=target, message=message, channel=channel, account=account or "")

    def automation_send(self, message: str, target: str | None = None) -> CliResult:
        if target is not None:
            return self.cli("automation_send_to", message=message, target=target)
        return self.cli("automation_send", message=message)

    def capabilities(self) -> CliResult:
        return self.cli("capabilities")

    def status_probe(self) -> tuple[CliResult, dict[str, Any]]:
        result = self.cli("status_probe")
        return result, probe_view(result.json()) if result.ok else {}

    # -- observation and control -----------------------------------------------------------------

    def _log_path(self) -> Path | None:
        if self.spec.get("log_file"):
            return Path(str(self.spec["log_file"]).format(**self.places))
        return self.process.log_path if self.process else None

    def _log_size(self) -> int:
        path = self._log_path()
        return path.stat().st_size if path and path.exists() else 0

    def logs(self) -> str:
        path = self._log_path()
        if not path or not path.exists():
            return ""
        with open(path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode(errors="replace")

    def agent_turns(self) -> int:
        result = self.cli("agent_turns")
        try:
            return int(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise DriverError(f"agent_turns printed no integer:\n{result.describe()}") from None

    def advance_clock(self, seconds: float) -> None:
        result = self.cli("advance_clock", seconds=seconds)
        if not result.ok:
            raise DriverError(f"moving the external gateway's clock failed:\n{result.describe()}")

    def rate_limits(self) -> dict[str, int]:
        limits = self.spec.get("rate_limits")
        if not limits:
            raise Unsupported("the external gateway's description has no [rate_limits]")
        return {k: int(v) for k, v in limits.items()}
