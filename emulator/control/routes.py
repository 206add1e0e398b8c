"""The control API's routes under /_emulator/ and its guard: each route reads its input through its
schema (schemas.py), calls the model or the dispatcher, and answers with a view (views.py).

JSON in, JSON out; a mistake, or what the model refuses, is a Twilio-shaped error with `code: null`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from emulator import explain, media, provision
from emulator.control import query, schemas, views
from emulator.control.guard import guard
from emulator.control.notifier import Notifier
from emulator.control.openapi import OPENAPI
from emulator.errors import ControlError, ModelError
from emulator.faults import KINDS, SIGNATURE_VARIANTS
from emulator.models import Backend
from emulator.proxy import TWILIO_HOSTS

control = Blueprint("control", __name__, url_prefix="/_emulator")

control.before_request(guard)


def backend() -> Backend:
    return current_app.config["BACKEND"]


def created(view: Any) -> Response:
    response = jsonify(view)
    response.status_code = 201
    return response


@control.errorhandler(ModelError)
async def refused(exc: ModelError) -> Response:
    """What the model refuses (a Twilio rule or the emulator's own), in the control API's error shape:
    the one place a model error meets this API."""
    response = jsonify(ControlError(exc.message, exc.status).to_json())
    response.status_code = exc.status
    return response


# -- health, state, reset, settings --------------------------------------------------------------


@control.get("/health")
async def health() -> Response:
    state = backend()
    return jsonify({"status": "ok", "seq": state.seq, "seed": state.seed})


@control.get("/proxy")
async def proxy_info() -> Response:
    """Where the Twilio CONNECT proxy listens and the CA its clients must trust (404 when not running)."""
    proxy = current_app.config.get("PROXY")
    if proxy is None:
        raise ControlError("the CONNECT proxy is not running (start the emulator with a proxy port)", 404)
    host, port = proxy.sock.getsockname()[:2]
    return jsonify(
        {
            "proxy_url": f"http://{host}:{port}",
            "hosts": list(TWILIO_HOSTS),
            "ca_pem": proxy.authority.ca.cert_pem.bytes().decode(),
        }
    )


@control.get("/openapi.json")
async def openapi() -> Response:
    return jsonify(OPENAPI)


@control.post("/reset")
async def reset() -> Response:
    """Forget everything, or with {"keep_accounts": true} only messages, records and faults."""
    keep = (await schemas.read(schemas.RESET, "reset")).get("keep_accounts", False)
    if keep:
        backend().clear_records()
    else:
        backend().reset()
    return jsonify({"status": "reset", "seq": backend().seq, "kept_accounts": keep})


@control.get("/events")
async def events() -> Response:
    """Server-sent events: `changed` with the state's seq whenever anything moves (bursts coalesce
    over a tenth of a second), a comment every 15 s to keep the connection open."""
    notifier: Notifier = current_app.config["NOTIFIER"]
    state = backend()  # the stream runs outside the request's app context

    async def stream() -> Any:
        seen = -1
        while True:
            if notifier.count != seen:
                seen = notifier.count
                yield f"event: changed\ndata: {json.dumps({'seq': state.seq})}\n\n".encode()
                await asyncio.sleep(0.1)
                continue
            try:
                await notifier.wait(15)
            except TimeoutError:
                yield b": keep-alive\n\n"

    response = Response(stream(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.timeout = None  # a stream, not a request that should finish
    return response


@control.get("/explain")
async def explanations() -> Response:
    """Twilio's error codes in plain words, with what to check: the dev phone's glossary."""
    codes = {str(number): item.to_json() for number, item in explain.CODES.items()}
    return jsonify(
        {
            "codes": codes | {"403": explain.REFUSED.to_json()},
            "faults": {"kinds": KINDS, "variants": SIGNATURE_VARIANTS},
        }
    )


@control.route("/settings", methods=["GET", "PUT"])
async def settings() -> Response:
    if request.method == "PUT":
        backend().update_settings(await schemas.read(provision.SETTINGS, "settings"))
    return jsonify(backend().settings)


@control.get("/state")
async def state() -> Response:
    """Everything, tokens redacted: what a report attaches."""
    return jsonify(views.state_view(backend()))


# -- provisioning ---------------------------------------------------------------------------------


@control.post("/provision")
async def provision_all() -> Response:
    made = provision.create(backend(), await schemas.read(provision.SPEC, "spec"))
    return created(
        {
            "accounts": [views.provisioned_view(backend(), c) for c in made["accounts"]],
            "routes": [asdict(r) for r in made["routes"]],
        }
    )


@control.post("/accounts")
async def create_account() -> Response:
    account = await schemas.read(provision.ACCOUNT, "account")
    made = provision.create(backend(), {"accounts": [account]})["accounts"][0]
    return created(views.provisioned_view(backend(), made))


@control.get("/accounts")
async def list_accounts() -> Response:
    return jsonify([views.account_view(a) for a in backend().accounts.values()])


@control.post("/accounts/<sid>/numbers")
async def add_number(sid: str) -> Response:
    number = backend().add_number(sid, **await schemas.read(provision.NUMBER, "number"))
    return created(views.number_view(number, reveal=True))


@control.post("/accounts/<sid>/services")
async def add_service(sid: str) -> Response:
    service = backend().add_service(sid, **await schemas.read(provision.SERVICE, "service"))
    return created(views.service_view(backend(), service))


@control.post("/numbers/<sid>")
async def update_number(sid: str) -> Response:
    """Change a number's webhook settings as the console would (no credentials: this is the
    control API); the model checks them as it checks a REST update."""
    state = backend()
    number = state.numbers.get(sid)
    if number is None:
        raise ControlError(f"no number {sid}", 404)
    changes = await schemas.read(schemas.NUMBER_UPDATE, "number")
    if "webhook_signing" in changes:
        state.sign_with_shared_key(number, changes.pop("webhook_signing"))
    state.update_number(number, **changes)
    return jsonify(views.number_view(number, reveal=True))


@control.post("/services/<sid>")
async def update_service(sid: str) -> Response:
    """Change a Messaging Service's webhook settings as the console would."""
    state = backend()
    service = state.services.get(sid)
    if service is None:
        raise ControlError(f"no Messaging Service {sid}", 404)
    state.update_service(service, **await schemas.read(schemas.SERVICE_UPDATE, "service"))
    return jsonify(views.service_view(state, service))


@control.route("/routes", methods=["GET", "POST"])
async def routes() -> Response:
    if request.method == "POST":
        route = await schemas.read(provision.ROUTE, "route")
        backend().add_route(route.get("public", ""), route.get("local", ""))
    return jsonify([asdict(r) for r in backend().routes])


# -- the handset --------------------------------------------------------------------------------


@control.post("/inbound")
async def inbound() -> Response:
    """A handset texts a number or Messaging Service; answers once the webhook exchange is over."""
    data = await schemas.read(schemas.INBOUND, "inbound")
    handset = data["from"]
    files = handset_files(data.get("media", []), f"{handset}:{backend().seq}")
    message, number, url, method = backend().receive(handset, data["to"], data.get("body", ""), files)
    deliveries = await current_app.config["DISPATCHER"].deliver_inbound(message, number, url, method)
    return created({"message": views.message_view(backend(), message), "deliveries": [asdict(d) for d in deliveries]})


def handset_files(items: list[dict[str, Any]], seed: str) -> list[tuple[str, bytes]]:
    """The files of an MMS: each {"content_type", "size"} (sample bytes) or {"content_type", "data"} (base64)."""
    files = []
    for i, item in enumerate(items):
        kind = item.get("content_type")
        if kind is None or "/" not in kind:
            raise ControlError(f"media[{i}].content_type must be a MIME type such as image/png")
        try:
            if "data" in item:
                content = media.decode(item["data"])
            elif "size" in item:
                content = media.sample_file(kind, item["size"], f"{seed}:{i}")
            else:
                raise ValueError("give 'size' (an integer) or 'data' (base64)")
        except ValueError as exc:
            raise ControlError(f"media[{i}]: {exc}") from None
        if not content or len(content) > media.MAX_FILE_BYTES:
            raise ControlError(f"media[{i}] must hold 1 to {media.MAX_FILE_BYTES} bytes")
        files.append((kind, content))
    return files


# -- inspection and waiting -----------------------------------------------------------------------


@control.get(f"/<any({', '.join(schemas.COLLECTIONS)}):collection>")
async def listing(collection: str) -> Response:
    cursor, match = schemas.read_query(schemas.AFTER)
    return jsonify(query.select(backend(), collection, cursor.get("after", 0), match))


@control.post("/wait")
async def wait() -> Response:
    """Long poll: the first item of a collection after `after` that matches, or 408 with what was seen."""
    data = await schemas.read(schemas.WAIT, "wait")
    collection, after = data.get("collection", "messages"), data.get("after", 0)
    match, contains, timeout = data.get("match", {}), data.get("contains", {}), data.get("timeout", 10)
    notifier: Notifier = current_app.config["NOTIFIER"]
    found, seen = await query.wait(backend(), notifier, collection, after, match, contains, timeout)
    if found is not None:
        return jsonify(found)
    response = jsonify(
        {
            "code": None,
            "status": 408,
            "more_info": "/_emulator/openapi.json",
            "message": f"no {collection} after seq {after} matching {match} containing {contains} within {timeout}s",
            "seen": seen,
        }
    )
    response.status_code = 408
    return response


# -- faults ---------------------------------------------------------------------------------------


@control.route("/faults", methods=["GET", "POST", "DELETE"])
async def faults() -> Response:
    if request.method == "POST":
        data = await schemas.read(schemas.FAULT, "fault")
        fault = backend().add_fault(
            data["kind"],
            data.get("params", {}),
            account_sid=data.get("account_sid"),
            phone_number=data.get("phone_number"),
            times=data.get("times", 1),
        )
        return created(fault.to_json())
    if request.method == "DELETE":
        backend().clear_faults()
    return jsonify([f.to_json() for f in backend().faults.faults])


@control.delete("/faults/<fault_id>")
async def remove_fault(fault_id: str) -> Response:
    backend().remove_fault(fault_id)
    return jsonify({"removed": fault_id})
