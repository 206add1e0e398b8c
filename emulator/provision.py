"""Provisioning from one declarative spec: used by the config file and the control API.

Spec shape (TOML or JSON)::

    seed = 7
    [settings]            # status_pace_ms, webhook_timeout_ms, media_redirect, max_records
    [[accounts]]          # sid, auth_token, friendly_name, trial, verified_caller_ids
      [[accounts.numbers]]   # phone_number, sms_url, sms_method, sms_fallback_url, voice_url, capabilities,
                             # webhook_signing
      [[accounts.services]]  # inbound_request_url, inbound_method, use_inbound_webhook_on_number,
                             # sticky_sender, area_code_geomatch, status_callback, numbers
    [[routes]]            # public, local
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from emulator.errors import ControlError
from emulator.models import Backend

ACCOUNT_KEYS = {"sid", "auth_token", "friendly_name", "trial", "verified_caller_ids"}
NUMBER_KEYS = {
    "sid",
    "phone_number",
    "sms_url",
    "sms_method",
    "sms_fallback_url",
    "sms_fallback_method",
    "voice_url",
    "friendly_name",
    "capabilities",
    "webhook_signing",  # HMAC_SHA256 (or HMAC_SHA1): signed with a new SharedKey, not the auth token
}
SERVICE_KEYS = {
    "sid",
    "friendly_name",
    "inbound_request_url",
    "inbound_method",
    "use_inbound_webhook_on_number",
    "sticky_sender",
    "area_code_geomatch",
    "numbers",
    "status_callback",
}
# The webhook settings the dev phone (and the control API) change, by name, as Twilio's form names.
NUMBER_SETTINGS = {
    "sms_url": "SmsUrl",
    "sms_method": "SmsMethod",
    "sms_fallback_url": "SmsFallbackUrl",
    "sms_fallback_method": "SmsFallbackMethod",
    "friendly_name": "FriendlyName",
}
SERVICE_SETTINGS = {
    "inbound_request_url": "InboundRequestUrl",
    "inbound_method": "InboundMethod",
    "fallback_url": "FallbackUrl",
    "use_inbound_webhook_on_number": "UseInboundWebhookOnNumber",
    "sticky_sender": "StickySender",
    "area_code_geomatch": "AreaCodeGeomatch",
    "friendly_name": "FriendlyName",
}

SETTINGS_KEYS = {"status_pace_ms", "webhook_timeout_ms", "media_redirect", "media_redirect_status", "max_records"}
# media_redirect: true (Twilio's way) answers a Media file with a redirect to mms.twiliocdn.com;
# false serves the file at api.twilio.com itself, to test a gateway's media handling past the redirect.
# media_redirect_status: that redirect's status (307 as Twilio's; any other redirect, to test a gateway).
FLAGS = {"media_redirect"}
REDIRECTS = (301, 302, 303, 307, 308)


# What each key's value must be; a list's second element is what its items must be.
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "sid": (str,),
    "auth_token": (str,),
    "friendly_name": (str,),
    "trial": (bool,),
    "verified_caller_ids": (list, str),
    "phone_number": (str,),
    "sms_url": (str,),
    "sms_method": (str,),
    "sms_fallback_url": (str,),
    "sms_fallback_method": (str,),
    "voice_url": (str,),
    "capabilities": (dict,),
    "webhook_signing": (str,),
    "inbound_request_url": (str,),
    "inbound_method": (str,),
    "use_inbound_webhook_on_number": (bool,),
    "sticky_sender": (bool,),
    "area_code_geomatch": (bool,),
    "status_callback": (str,),
    "public": (str,),
    "local": (str,),
    "seed": (int,),
    "settings": (dict,),
    "accounts": (list,),
    "routes": (list,),
    "services": (list,),
}
NAMES = {str: "a string", bool: "true or false", int: "an integer", dict: "an object", list: "a list"}


def only(spec: Any, allowed: set[str], where: str, types: dict[str, tuple[type, ...]] = KEY_TYPES) -> dict[str, Any]:
    """Refuse unknown keys and values of the wrong type by name, so a typo is one clear line.

    A null value means "not given" and is dropped.
    """
    if not isinstance(spec, dict):
        raise ControlError(f"{where} must be an object")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ControlError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    given = {key: value for key, value in spec.items() if value is not None}
    for key, value in given.items():
        kind, *item = types.get(key, (object,))
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if not wrong and item:
            wrong = any(not isinstance(element, item[0]) for element in value)
        if wrong:
            of = f" of {NAMES[item[0]].removeprefix('a ').removeprefix('an ')}s" if item else ""
            raise ControlError(f"{where}.{key} must be {NAMES.get(kind, kind.__name__)}{of}")
    return given


SERVICE_TYPES = {**KEY_TYPES, "numbers": (list, str)}  # a service's numbers are E.164 strings
ACCOUNT_TYPES = {**KEY_TYPES, "numbers": (list,)}  # an account's numbers are objects


def apply_settings(backend: Backend, settings: dict[str, Any]) -> None:
    for key, value in only(settings, SETTINGS_KEYS, "settings").items():
        if key in FLAGS:
            if not isinstance(value, bool):
                raise ControlError(f"settings.{key} must be true or false")
        elif key == "media_redirect_status":
            if value not in REDIRECTS or isinstance(value, bool):
                raise ControlError(f"settings.{key} must be one of {', '.join(map(str, REDIRECTS))}")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(f"settings.{key} must be a non-negative integer (milliseconds)")
        backend.settings[key] = value
    backend.changed()


def provision(backend: Backend, spec: dict[str, Any]) -> dict[str, Any]:
    """Create what the spec describes; answer with what was created (tokens included).

    Every key and type is checked before anything is created, so a mistake leaves nothing behind.
    """
    spec = only(spec, {"seed", "settings", "accounts", "routes"}, "spec")
    accounts = []
    for i, raw in enumerate(spec.get("accounts", [])):
        where = f"accounts[{i}]"
        raw = only(raw, ACCOUNT_KEYS | {"numbers", "services"}, where, ACCOUNT_TYPES)
        numbers = [only(n, NUMBER_KEYS, f"{where}.numbers[{j}]") for j, n in enumerate(raw.get("numbers", []))]
        services = [
            only(s, SERVICE_KEYS, f"{where}.services[{j}]", SERVICE_TYPES)
            for j, s in enumerate(raw.get("services", []))
        ]
        accounts.append(({k: v for k, v in raw.items() if k in ACCOUNT_KEYS}, numbers, services))
    routes = [only(raw, {"public", "local"}, f"routes[{i}]") for i, raw in enumerate(spec.get("routes", []))]
    apply_settings(backend, spec.get("settings", {}))
    created: dict[str, Any] = {"accounts": [], "routes": []}
    for account_spec, numbers, services in accounts:
        account = backend.create_account(**account_spec)
        created["accounts"].append(
            {
                "account": account,
                "numbers": [backend.add_number(account.sid, **n) for n in numbers],
                "services": [backend.add_service(account.sid, **s) for s in services],
            }
        )
    for raw in routes:
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


STARTER_NUMBER = "+15551234567"  # the README's curl lines text this number


def starter(backend: Backend, sms_url: str) -> dict[str, Any]:
    """A ready account, number and Messaging Service (number inside, its own webhook kept), so a
    person can text at once; only ever made for an emulator that has no account yet."""
    return provision(
        backend,
        {
            "accounts": [
                {
                    "friendly_name": "Dev phone account",
                    "numbers": [
                        {"phone_number": STARTER_NUMBER, "sms_url": sms_url, "friendly_name": "Dev phone number"}
                    ],
                    "services": [
                        {
                            "friendly_name": "Dev phone service",
                            "numbers": [STARTER_NUMBER],
                            "inbound_request_url": sms_url,
                            "use_inbound_webhook_on_number": True,
                        }
                    ],
                }
            ]
        },
    )["accounts"][0]
