"""One schema per control route that takes input: each route reads its request through `read` or
`read_query` with its schema, and openapi.py publishes the same schemas.

The provisioning schemas (an account, a number, a service, a route, the settings, the whole spec)
are provision.py's, shared with the config file.
"""

from __future__ import annotations

import json
from typing import Any

from quart import request

from emulator import provision
from emulator.errors import ControlError
from emulator.faults import KINDS
from emulator.models.messages import MAX_MEDIA
from emulator.recorder import KINDS as RECORDS
from emulator.schema import Schema, array, obj, pick, validate

MAX_WAIT_SECONDS = 120.0
COLLECTIONS = ("messages", *RECORDS)  # what /wait and the listings read

RESET = obj(keep_accounts="boolean")
# What the console changes of a number or a service (and the dev phone, through this API).
NUMBER_UPDATE = pick(
    provision.NUMBER,
    "sms_url",
    "sms_method",
    "sms_fallback_url",
    "sms_fallback_method",
    "friendly_name",
    webhook_signing={"type": ["string", "null"]},  # null: sign with the account's auth token again
)
SERVICE_UPDATE = pick(
    provision.SERVICE,
    "inbound_request_url",
    "inbound_method",
    "use_inbound_webhook_on_number",
    "sticky_sender",
    "area_code_geomatch",
    "friendly_name",
    fallback_url="string",
)
INBOUND = obj(
    required=("from", "to"),
    **{
        "from": "string",  # the handset, E.164
        "to": "string",  # a number, or a Messaging Service's MG sid
        "body": "string",
        "media": array(obj(content_type="string", size="integer", data="string"), maxItems=MAX_MEDIA),
    },
)
WAIT = obj(
    collection={"enum": list(COLLECTIONS)},
    after="integer",
    match="object",
    contains="object",
    timeout={"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS},
)
FAULT = obj(
    required=("kind",),
    kind={"enum": list(KINDS)},
    params="object",  # each kind's own parameters: faults.PARAMS
    account_sid={"type": ["string", "null"]},
    phone_number={"type": ["string", "null"]},
    times={"type": ["integer", "null"], "minimum": 1},  # null: until removed
)
AFTER = [{"in": "query", "name": "after", "schema": {"type": "integer"}}]  # a listing's cursor


async def read(schema: Schema, where: str) -> dict[str, Any]:
    """The request's JSON object ({} for an empty body), checked against `schema`; anything else
    is a 400 that says why."""
    raw = await request.get_data(as_text=False)
    if not raw.strip():
        return validate(schema, {}, where)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ControlError("request body must be UTF-8 JSON") from None
    except RecursionError:
        raise ControlError("request body is nested too deeply") from None
    except ValueError:
        raise ControlError("request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ControlError("request body must be a JSON object")
    return validate(schema, data, where)


def read_query(params: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The declared query parameters (integers: a listing's `after`), and the rest of the query (its filters)."""
    declared, rest = {}, {}
    names = {p["name"] for p in params}
    for key, value in request.args.items():
        if key not in names:
            rest[key] = value
            continue
        try:
            declared[key] = int(value)
        except ValueError:
            raise ControlError(f"{key} must be an integer") from None
    return declared, rest
