"""OpenAPI 3.1 description of the control API, served at /_emulator/openapi.json: each route's
request schema is the very one the route checks its input with (schemas.py, provision.py)."""

from __future__ import annotations

from typing import Any

from emulator import provision
from emulator.control import schemas
from emulator.faults import KINDS, SIGNATURE_VARIANTS

OBJ: dict[str, Any] = {"type": "object"}
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


SID = {"in": "path", "name": "sid", "required": True, "schema": {"type": "string"}}

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
                schemas.RESET,
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
        "/_emulator/numbers/{sid}": {
            "post": op("Change a number's webhook settings (as the console would)", schemas.NUMBER_UPDATE, params=[SID])
        },
        "/_emulator/services/{sid}": {
            "post": op(
                "Change a Messaging Service's webhook settings (as the console would)",
                schemas.SERVICE_UPDATE,
                params=[SID],
            )
        },
        "/_emulator/settings": {
            "get": op("Current settings"),
            "put": op("Change settings", provision.SETTINGS),
        },
        "/_emulator/state": {"get": op("Accounts, numbers, services, routes, opt-outs, faults (tokens redacted)")},
        "/_emulator/provision": {
            "post": op(
                "Provision accounts with numbers and services, and routes, from one spec",
                provision.SPEC,
                "201",
            )
        },
        "/_emulator/accounts": {
            "get": op("Accounts (tokens redacted)"),
            "post": op("Create an account (answer holds its auth token)", provision.ACCOUNT, "201"),
        },
        "/_emulator/accounts/{sid}/numbers": {"post": op("Add a phone number", provision.NUMBER, "201", [SID])},
        "/_emulator/accounts/{sid}/services": {"post": op("Add a Messaging Service", provision.SERVICE, "201", [SID])},
        "/_emulator/routes": {
            "get": op("Public URL routes"),
            "post": op("Map a public URL prefix to a local one (what a tunnel does)", provision.ROUTE),
        },
        "/_emulator/inbound": {
            "post": op(
                "A handset texts a number or Messaging Service; answers with the message and its deliveries",
                schemas.INBOUND,
                "201",
            )
        },
        "/_emulator/messages": {
            "get": op("Every message, any account; query params filter by field", params=schemas.AFTER)
        },
        "/_emulator/calls": {"get": op("Every REST call recorded", params=schemas.AFTER)},
        "/_emulator/deliveries": {"get": op("Every webhook delivery with its attempts", params=schemas.AFTER)},
        "/_emulator/connects": {"get": op("Every CONNECT the proxy saw, allowed or refused", params=schemas.AFTER)},
        "/_emulator/model_requests": {
            "get": op("Every request to the scripted model (/v1/chat/completions)", params=schemas.AFTER)
        },
        "/_emulator/proxy": {"get": op("The CONNECT proxy's URL and the CA certificate to trust (404 without one)")},
        "/_emulator/openapi.json": {"get": op("This description")},
        "/_emulator/wait": {
            "post": op(
                "Long poll for the first item after `after` matching `match` (equality) and `contains` (substring); "
                "408 with what was seen on timeout",
                schemas.WAIT,
            )
        },
        "/_emulator/faults": {
            "get": op("Active faults"),
            "delete": op("Remove every fault"),
            "post": op(
                "Inject a fault: "
                + "; ".join(f"{k}: {v}" for k, v in KINDS.items())
                + f". Signature variants: {', '.join(SIGNATURE_VARIANTS)}",
                schemas.FAULT,
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
