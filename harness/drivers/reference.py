"""Driver for the embedded reference gateway (`refclaw`), optionally with one mutant applied."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from harness.drivers.base import (
    CliResult,
    ProcessDriver,
    Setup,
    clean_env,
    run_cli,
)
from harness.drivers.process import GatewayProcess
from harness.drivers.verbs import GuideCli

STATE_FILES = ("pairing/sms.json", "sms-delivery.jsonl", "agent-turns.json", "ingress-settled.log")
CLOCK_FILE = "clock.json"
# The plugin's rate limits count per client per fixed minute, and every scenario's requests come from
# loopback: at each reset the reference's clock moves past a window, so at its pace one scenario's
# requests never spend the next one's budget (time only ever moves forward). OpenClaw's clock is
# not moved so (see OpenClawDriver.reset).
RATE_WINDOW_SECONDS = 61


class ReferenceDriver(GuideCli, ProcessDriver):
    name = "reference"
    settle_seconds = 0.2  # it sends a reply's chunks back to back, within milliseconds
    capabilities_flags = ("--json",)

    def __init__(self, workdir: Path, mutant: str | None = None) -> None:
        self.workdir = workdir
        self.mutant = mutant
        self.state_dir = workdir / "state"
        self.config_path = workdir / "refclaw.json5"
        self.process: GatewayProcess | None = None

    # -- commands ------------------------------------------------------------------------------

    def base_argv(self) -> list[str]:
        if self.mutant:
            return [sys.executable, "-m", "refclaw.mutants", self.mutant, "--"]
        return [sys.executable, "-m", "refclaw.cli"]

    def cli(self, *args: str) -> CliResult:
        if self._env is None:
            raise RuntimeError("apply() a setup before calling the gateway's CLI")
        return run_cli([*self.base_argv(), *args], self._env)

    # -- lifecycle -----------------------------------------------------------------------------

    def apply(self, setup: Setup, twilio_base: str) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"channels": {"sms": setup.channel}}, indent=2), encoding="utf-8")
        os.replace(tmp, self.config_path)
        env = clean_env(
            {
                "REFCLAW_STATE_DIR": str(self.state_dir),
                "REFCLAW_CONFIG_PATH": str(self.config_path),
                "REFCLAW_TWILIO_API_BASE": twilio_base,
                "REFCLAW_TWILIO_MESSAGING_BASE": twilio_base,
                "REFCLAW_MODEL_URL": f"{twilio_base}/v1",  # the emulator's scripted model, as OpenClaw's
                "PYTHONUNBUFFERED": "1",
                **setup.env,
            }
        )
        if self.running_with(env, setup.fresh):
            self.process.wait_ready()  # the gateway hot-reloads the config file when asked /readyz
            return
        self.stop()
        self._env = env
        self.process = GatewayProcess([*self.base_argv(), "gateway", "--port", "0"], env, self.workdir / "gateway.log")
        self.local_url = self.process.url

    def reset(self) -> None:
        for name in STATE_FILES:
            (self.state_dir / name).unlink(missing_ok=True)
        clock = self.state_dir / CLOCK_FILE
        offset = json.loads(clock.read_text()).get("offset_seconds", 0) if clock.exists() else 0
        self.state_dir.mkdir(parents=True, exist_ok=True)
        clock.write_text(json.dumps({"offset_seconds": offset + RATE_WINDOW_SECONDS}))
        self.mark_log()

    # -- the guide's CLI -----------------------------------------------------------------------

    # -- observation and control -----------------------------------------------------------------

    def settled(self, message_sid: str) -> bool:
        path = self.state_dir / "ingress-settled.log"
        return path.exists() and message_sid in path.read_text().split()

    def agent_turns(self) -> int:
        path = self.state_dir / "agent-turns.json"
        return len(json.loads(path.read_text()).get("turns", [])) if path.exists() else 0

    def advance_clock(self, seconds: float) -> None:
        result = self.cli("clock", "advance", str(seconds))
        if not result.ok:
            raise AssertionError(f"moving the reference gateway's clock failed:\n{result.describe()}")

    def rate_limits(self) -> dict[str, int]:
        return self.capabilities().json()["rateLimits"]
