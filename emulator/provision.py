"""Provisioning from one declarative spec: used by the config file and the control API.

Spec shape (TOML or JSON)::

    seed = 7
    [settings]            # status_pace_ms, webhook_timeout_ms, media_redirect
    [[accounts]]          # sid, auth_token, friendly_name, trial, verified_caller_ids
      [[accounts.numbers]]   # phone_number, sms_url, sms_method, voice_url, capabilities
      [[accounts.services]]  # inbound_request_url, inbound_method, use_inbound_webhook_on_number, numbers
    [[routes]]            # public, local
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from emulator.errors import ControlError
from emulator.models import Backend

ACCOUNT_KEYS = {"sid", "auth_token", "friendly_name", "trial", "verified_caller_ids"}
NUMBER_KEYS = {"sid", "phone_number", "sms_url", "sms_method", "voice_url", "friendly_name", "capabilities"}
SERVICE_KEYS = {
    "sid",
    "friendly_name",
    "inbound_request_url",
    "inbound_method",
    "use_inbound_webhook_on_number",
    "numbers",
    "status_callback",
}
SETTINGS_KEYS = {"status_pace_ms", "webhook_timeout_ms", "media_redirect"}
# media_redirect: true (Twilio's way) answers a Media file with a redirect to mms.twiliocdn.com;
# false serves the file at api.twilio.com itself, to test a gateway's media handling past the redirect.
FLAGS = {"media_redirect"}


def only(spec: dict[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    """Refuse unknown keys by name, so a typo in a config is one clear line."""
    if not isinstance(spec, dict):
        raise ControlError(f"{where} must be an object")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ControlError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return spec


def apply_settings(backend: Backend, settings: dict[str, Any]) -> None:
    for key, value in only(settings, SETTINGS_KEYS, "settings").items():
        if key in FLAGS:
            if not isinstance(value, bool):
                raise ControlError(f"settings.{key} must be true or false")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(f"settings.{key} must be a non-negative integer (milliseconds)")
        backend.settings[key] = value
    backend.changed()


def provision(backend: Backend, spec: dict[str, Any]) -> dict[str, Any]:
    """Create what the spec describes; answer with what was created (tokens included)."""
    spec = only(spec, {"seed", "settings", "accounts", "routes"}, "spec")
    apply_settings(backend, spec.get("settings", {}))
    created: dict[str, Any] = {"accounts": [], "routes": []}
    for i, raw in enumerate(spec.get("accounts", [])):
        where = f"accounts[{i}]"
        raw = only(raw, ACCOUNT_KEYS | {"numbers", "services"}, where)
        account = backend.create_account(**{k: v for k, v in raw.items() if k in ACCOUNT_KEYS})
        numbers = [
            backend.add_number(account.sid, **only(n, NUMBER_KEYS, f"{where}.numbers[{j}]"))
            for j, n in enumerate(raw.get("numbers", []))
        ]
        services = [
            backend.add_service(account.sid, **only(s, SERVICE_KEYS, f"{where}.services[{j}]"))
            for j, s in enumerate(raw.get("services", []))
        ]
        created["accounts"].append({"account": account, "numbers": numbers, "services": services})
    for i, raw in enumerate(spec.get("routes", [])):
        raw = only(raw, {"public", "local"}, f"routes[{i}]")
        created["routes"].append(backend.add_route(raw.get("public", ""), raw.get("local", "")))
    return created


def load_config(path: Path) -> dict[str, Any]:
    """Read an accounts.toml; errors name the file and the problem in one line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ControlError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ControlError(f"config file {path} is not valid TOML: {exc}") from None
