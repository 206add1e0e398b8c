"""The guide's CLI verbs as `openclaw` spells them, for every gateway whose CLI speaks them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.drivers.base import CliResult, PairingEntry, pairing_entries, probe_view


class GuideCli:
    """Mixin: `config patch`, `pairing list|approve`, `message send`, `agent --deliver`, `channels …`.

    The class using it provides `cli(*args)` and `patch_file(patch)` (a ProcessDriver).
    """

    cli: Callable[..., CliResult]
    patch_file: Callable[[dict[str, Any]], Path]
    #: extra flags for `channels capabilities` (the reference prints JSON with --json)
    capabilities_flags: tuple[str, ...] = ()

    def config_patch(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult:
        path = self.patch_file(patch)
        return self.cli("config", "patch", "--file", str(path), *(["--dry-run"] if dry_run else []))

    def channels_add(self, flags: list[str]) -> CliResult:
        return self.cli("channels", "add", "--channel", "sms", *flags)

    def pairing_list(self) -> tuple[CliResult, list[PairingEntry]]:
        result = self.cli("pairing", "list", "sms", "--json")
        return result, pairing_entries(result.json()) if result.ok else []

    def pairing_approve(self, code: str, notify: bool = False) -> CliResult:
        return self.cli("pairing", "approve", "sms", code, *(["--notify"] if notify else []))

    def message_send(
        self,
        target: str | None,
        message: str,
        channel: str | None = "sms",
        account: str | None = None,
        media: str | None = None,
    ) -> CliResult:
        args = ["message", "send", "--message", message, "--json"]
        args += ["--channel", channel] if channel else []
        args += ["--target", target] if target else []
        args += ["--account", account] if account else []
        args += ["--media", media] if media else []
        return self.cli(*args)

    def automation_send(self, message: str, target: str | None = None) -> CliResult:
        override = ["--reply-to", target] if target is not None else []
        return self.cli("agent", "--channel", "sms", "--message", message, "--deliver", *override, "--json")

    def capabilities(self) -> CliResult:
        return self.cli("channels", "capabilities", "--channel", "sms", *self.capabilities_flags)

    def status_probe(self) -> tuple[CliResult, dict[str, Any]]:
        result = self.cli("channels", "status", "--channel", "sms", "--probe", "--json")
        return result, probe_view(result.json()) if result.ok else {}
