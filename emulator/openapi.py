"""OpenAPI 3.1 description of the control API, served at /_emulator/openapi.json."""

from __future__ import annotations

from typing import Any

from emulator.faults import KINDS, SIGNATURE_VARIANTS
from emulator.provision import NUMBER_SETTINGS, SERVICE_SETTINGS

OBJ: dict[str, Any] = {"type": "object"}
BOOLEAN_SETTINGS = {"use_inbound_webhook_on_number", "sticky_sender", "area_code_geomatch"}
ERROR = {
    "description": "Twilio-shaped error (code null)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "code": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                    "more_info": {"type": "string"},
                    "status": {"type": "integer"},
                },
            }
        }
    },
}


def op(
    summary: str, request: dict[str, Any] | None = None, ok: str = "200", params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {ok: {"description": "OK", "content": {"application/json": {"schema": OBJ}}}, "400": ERROR},
    }
    if request is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": request}}}
    if params:
        operation["parameters"] = params
    return operation


def props(**kinds: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {k: v if isinstance(v, dict) else {"type": v} for k, v in kinds.items()}}


SID = {"in": "path", "name": "sid", "required": True, "schema": {"type": "string"}}
COLLECTION_QUERY = [{"in": "query", "name": "after", "schema": {"type": "integer"}}]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "sms-harness Twilio emulator control API",
        "version": "1",
        "description": (
            "For this machine's programs: the Host must be a loopback name (else 403), writes must be "
            "Content-Type application/json (else 415), and an emulator started with --control-token wants "
            "Authorization: Bearer TOKEN on every call but health and this description (else 401). "
            "Mistakes are a 400 naming the field."
        ),
    },
    "paths": {
        "/_emulator/health": {"get": op("Liveness and the current sequence number")},
        "/_emulator/reset": {
            "post": op(
                "Forget all state (accounts, messages, records, faults); with keep_accounts only messages, "
                "records, opt-outs and faults",
                props(keep_accounts="boolean"),
            )
        },
        "/_emulator/events": {
            "get": {
                "summary": "Server-sent events: `changed` (data: {seq}) whenever the state moves; with --control-token "
                "a browser passes ?token=TOKEN",
                "responses": {"200": {"description": "text/event-stream"}},
            }
        },
        "/_emulator/explain": {"get": op("Twilio error codes in plain words with checklists; the fault catalogue")},
        "/_emulator/phone/": {
            "get": {"summary": "The dev phone page", "responses": {"200": {"description": "text/html"}}}
        },
        "/_emulator/phone/devphone.js": {
            "get": {"summary": "The dev phone's script", "responses": {"200": {"description": "text/javascript"}}}
        },
        "/_emulator/phone/devphone.css": {
            "get": {"summary": "The dev phone's style sheet", "responses": {"200": {"description": "text/css"}}}
        },
        **{
            f"/_emulator/{kind}/{{sid}}": {
                "post": op(
                    f"Change a {what}'s webhook settings (as the console would)",
                    props(**{name: "boolean" if name in BOOLEAN_SETTINGS else "string" for name in names}),
                    params=[SID],
                )
            }
            for kind, what, names in (
                ("numbers", "number", {**NUMBER_SETTINGS, "webhook_signing": "HMAC_SHA256, HMAC_SHA1 or null"}),
                ("services", "Messaging Service", SERVICE_SETTINGS),
            )
        },
        "/_emulator/settings": {
            "get": op("Current settings"),
            "put": op(
                "Change settings",
                props(
                    status_pace_ms="integer",
                    webhook_timeout_ms="integer",
                    media_redirect="boolean",
                    media_redirect_status="integer",
                    max_records="integer",
                ),
            ),
        },
        "/_emulator/state": {"get": op("Accounts, numbers, services, routes, opt-outs, faults (tokens redacted)")},
        "/_emulator/provision": {
            "post": op(
                "Provision accounts with numbers and services, and routes, from one spec",
                props(accounts={"type": "array"}, routes={"type": "array"}, settings=OBJ),
                "201",
            )
        },
        "/_emulator/accounts": {
            "get": op("Accounts (tokens redacted)"),
            "post": op(
                "Create an account (answer holds its auth token)",
                props(
                    sid="string",
                    auth_token="string",
                    friendly_name="string",
                    trial="boolean",
                    verified_caller_ids={"type": "array"},
                    numbers={"type": "array"},
                    services={"type": "array"},
                ),
                "201",
            ),
        },
        "/_emulator/accounts/{sid}/numbers": {
            "post": op(
                "Add a phone number",
                props(
                    phone_number="string", sms_url="string", sms_method="string", voice_url="string", capabilities=OBJ
                ),
                "201",
                [SID],
            )
        },
        "/_emulator/accounts/{sid}/services": {
            "post": op(
                "Add a Messaging Service",
                props(
                    friendly_name="string",
                    inbound_request_url="string",
                    inbound_method="string",
                    use_inbound_webhook_on_number="boolean",
                    sticky_sender="boolean",
                    area_code_geomatch="boolean",
                    numbers={"type": "array"},
                ),
                "201",
                [SID],
            )
        },
        "/_emulator/routes": {
            "get": op("Public URL routes"),
            "post": op(
                "Map a public URL prefix to a local one (what a tunnel does)", props(public="string", local="string")
            ),
        },
        "/_emulator/inbound": {
            "post": op(
                "A handset texts a number or Messaging Service; answers with the message and its deliveries",
                props(
                    **{
                        "from": "string",
                        "to": "string",
                        "body": "string",
                        "media": {
                            "type": "array",
                            "maxItems": 10,
                            "items": props(content_type="string", size="integer", data="string"),
                        },
                    }
                ),
                "201",
            )
        },
        "/_emulator/messages": {
            "get": op("Every message, any account; query params filter by field", params=COLLECTION_QUERY)
        },
        "/_emulator/calls": {"get": op("Every REST call recorded", params=COLLECTION_QUERY)},
        "/_emulator/deliveries": {"get": op("Every webhook delivery with its attempts", params=COLLECTION_QUERY)},
        "/_emulator/connects": {"get": op("Every CONNECT the proxy saw, allowed or refused", params=COLLECTION_QUERY)},
        "/_emulator/model_requests": {
            "get": op("Every request to the scripted model (/v1/chat/completions)", params=COLLECTION_QUERY)
        },
        "/_emulator/proxy": {"get": op("The CONNECT proxy's URL and the CA certificate to trust (404 without one)")},
        "/_emulator/openapi.json": {"get": op("This description")},
        "/_emulator/wait": {
            "post": op(
                "Long poll for the first item after `after` matching `match` (equality) and `contains` (substring); "
                "408 with what was seen on timeout",
                props(
                    collection={"enum": ["messages", "calls", "deliveries"]},
                    after="integer",
                    match=OBJ,
                    contains=OBJ,
                    timeout="number",
                ),
            )
        },
        "/_emulator/faults": {
            "get": op("Active faults"),
            "delete": op("Remove every fault"),
            "post": op(
                "Inject a fault: "
                + "; ".join(f"{k}: {v}" for k, v in KINDS.items())
                + f". Signature variants: {', '.join(SIGNATURE_VARIANTS)}",
                props(
                    kind={"enum": list(KINDS)},
                    params=OBJ,
                    account_sid="string",
                    phone_number="string",
                    times={"type": ["integer", "null"]},
                ),
                "201",
            ),
        },
        "/_emulator/faults/{fault_id}": {
            "delete": op(
                "Remove one fault",
                params=[{"in": "path", "name": "fault_id", "required": True, "schema": {"type": "string"}}],
            )
        },
    },
}
