"""Provisioning from one declarative spec: used by the config file and the control API.

Spec shape (TOML or JSON)::

    seed = 7
    [settings]            # status_pace_ms, webhook_timeout_ms, media_redirect, media_redirect_status, max_records
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
from emulator.schema import array, obj, validate

NUMBER = obj(
    sid="string",
    phone_number="string",
    sms_url="string",
    sms_method="string",
    sms_fallback_url="string",
    sms_fallback_method="string",
    voice_url="string",
    friendly_name="string",
    capabilities="object",
    webhook_signing="string",  # HMAC_SHA256 (or HMAC_SHA1): signed with a new SharedKey, not the auth token
)
SERVICE = obj(
    sid="string",
    friendly_name="string",
    inbound_request_url="string",
    inbound_method="string",
    use_inbound_webhook_on_number="boolean",
    sticky_sender="boolean",
    area_code_geomatch="boolean",
    numbers=array("string"),  # E.164 numbers: the account's, or new ones
    status_callback="string",
)
ACCOUNT = obj(
    sid="string",
    auth_token="string",
    friendly_name="string",
    trial="boolean",
    verified_caller_ids=array("string"),
    numbers=array(NUMBER),
    services=array(SERVICE),
)
ROUTE = obj(public="string", local="string")
MILLISECONDS = {"type": "integer", "minimum": 0}
# media_redirect: true (Twilio's way) answers a Media file with a redirect to mms.twiliocdn.com;
# false serves the file at api.twilio.com itself, to test a gateway's media handling past the redirect.
# media_redirect_status: that redirect's status (307 as Twilio's; any other redirect, to test a gateway).
# send_status: the status of Messages.json's answer to a send (201 as Twilio's; 200 or 202 to test a gateway,
# and 300, just past 2xx, a status a gateway must not count as sent though the message exists).
SETTINGS = obj(
    status_pace_ms=MILLISECONDS,
    webhook_timeout_ms=MILLISECONDS,
    media_redirect="boolean",
    media_redirect_status={"enum": [301, 302, 303, 307, 308]},
    send_status={"enum": [200, 201, 202, 300]},
    max_records={"type": "integer", "minimum": 0},
)
SPEC = obj(seed="integer", settings=SETTINGS, accounts=array(ACCOUNT), routes=array(ROUTE))


def provision(backend: Backend, spec: Any) -> dict[str, Any]:
    """Create what the spec describes (checked against SPEC first, so a mistake leaves nothing
    behind); answer with what was created, tokens included."""
    return create(backend, validate(SPEC, spec, "spec"))


def create(backend: Backend, spec: dict[str, Any]) -> dict[str, Any]:
    """Create what a checked spec describes (the control API checks a part of it by its own route)."""
    backend.update_settings(spec.get("settings", {}))
    created: dict[str, Any] = {"accounts": [], "routes": []}
    for given in spec.get("accounts", []):
        numbers, services = given.pop("numbers", []), given.pop("services", [])
        account = backend.create_account(**given)
        created["accounts"].append(
            {
                "account": account,
                "numbers": [backend.add_number(account.sid, **n) for n in numbers],
                "services": [backend.add_service(account.sid, **s) for s in services],
            }
        )
    for route in spec.get("routes", []):
        created["routes"].append(backend.add_route(route.get("public", ""), route.get("local", "")))
    return created


def load_config(path: Path) -> dict[str, Any]:
    """Read an accounts.toml; errors name the file and the problem in one line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ControlError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ControlError(f"config file {path} is not valid TOML: {exc}") from None


STARTER_NUMBER = "+15551234567"  # docs/using.md's curl lines text this number


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
