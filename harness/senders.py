"""Who plays the phone: the emulator's handset (default) or a Mac's Messages app through `imsg`."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from typing import Any, Protocol

from emulator.client import EmulatorClient
from harness.drivers.base import Unsupported

REAL_TWILIO_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER")


class Sender(Protocol):
    def send(self, from_: str, to: str, body: str, media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Text `to` from phone `from_` (an MMS when `media` lists files); returns what is known of the exchange."""


class EmulatorHandset:
    """The emulator builds, signs and delivers the inbound webhook as Twilio does."""

    def __init__(self, emu: EmulatorClient) -> None:
        self.emu = emu

    def send(self, from_: str, to: str, body: str, media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return self.emu.send_inbound(from_, to, body, media)


class ImsgSender:
    """`imsg send --to N --service sms --text T --json` from a Mac with carrier SMS, to a real Twilio number."""

    def __init__(self, executable: str = "imsg", timeout: float = 60.0) -> None:
        self.executable, self.timeout = executable, timeout

    @staticmethod
    def availability(executable: str = "imsg") -> str | None:
        """None when usable, else the reason it is not."""
        if platform.system() != "Darwin" and not os.environ.get("SMS_HARNESS_IMSG_ANY_OS"):
            return "the imsg sender needs macOS (Messages with carrier SMS)"
        if shutil.which(executable) is None:
            return f"{executable} is not on PATH"
        missing = [name for name in REAL_TWILIO_ENV if not os.environ.get(name)]
        if missing:
            return f"real Twilio credentials are not in the environment ({', '.join(missing)})"
        return None

    def command(self, to: str, body: str) -> list[str]:
        return [self.executable, "send", "--to", to, "--service", "sms", "--text", body, "--json"]

    def send(self, from_: str, to: str, body: str, media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if media:
            raise Unsupported("the imsg sender sends text only; MMS scenarios need the emulator's handset")
        try:
            proc = subprocess.run(
                self.command(to, body), capture_output=True, text=True, timeout=self.timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(f"imsg send did not finish within {self.timeout:g}s") from None
        if proc.returncode != 0:
            raise AssertionError(f"imsg send failed with exit {proc.returncode}: {proc.stderr.strip()[:500]}")
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"imsg send printed no JSON: {proc.stdout.strip()[:500]!r}") from None
        if not isinstance(result, dict):
            raise AssertionError(f"imsg send printed {type(result).__name__}, expected a JSON object")
        return {"message": result, "deliveries": []}
