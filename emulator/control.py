"""The emulator's own API under /_emulator/: drive the handset, provision, inspect, wait, inject faults.

JSON in, JSON out; mistakes get a Twilio-shaped error with `code: null`.
Auth tokens appear only in the answer to the call that created them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, Response, current_app, jsonify, request

from emulator import explain, media, render
from emulator.errors import ControlError, ModelError
from emulator.faults import KINDS, SIGNATURE_VARIANTS
from emulator.models import Backend
from emulator.models.messages import MAX_MEDIA, Media, Message
from emulator.openapi import OPENAPI
from emulator.provision import (
    KEY_TYPES,
    NUMBER_KEYS,
    NUMBER_SETTINGS,
    SERVICE_KEYS,
    SERVICE_SETTINGS,
    SERVICE_TYPES,
    apply_settings,
    only,
    provision,
)
from emulator.proxy import TWILIO_HOSTS
from emulator.recorder import CallRecord, Delivery

control = Blueprint("control", __name__, url_prefix="/_emulator")
MAX_WAIT_SECONDS = 120.0


class Notifier:
    """Wakes long polls and event streams whenever the backend changes; `count` says how often it has."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.count = 0

    def notify(self) -> None:
        self.count += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        await asyncio.wait_for(self._event.wait(), timeout)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
OPEN_PATHS = {"/_emulator/health", "/_emulator/openapi.json"}  # say nothing about the state
PAGE_PREFIX = "/_emulator/phone/"  # the dev phone's static files: the data it reads needs the token
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def backend() -> Backend:
    return current_app.config["BACKEND"]


@control.before_request
async def guard() -> None:
    """Only this machine's own programs may drive the emulator.

    The Host must be a loopback name (a DNS-rebound page carries its own host name); writes must
    be JSON (a web page cannot POST that cross-site without a CORS preflight, which is never
    granted); and with --control-token every call but health needs `Authorization: Bearer TOKEN`.
    """
    if urlsplit(f"//{request.host}").hostname not in LOOPBACK_HOSTS:  # lower-cased, port and [] gone
        raise ControlError(f"the control API answers loopback host names only, not Host {request.host!r}", 403)
    token = current_app.config.get("CONTROL_TOKEN")
    if token and request.path not in OPEN_PATHS and not request.path.startswith(PAGE_PREFIX):
        given = request.headers.get("Authorization", "")
        if not given and request.path == "/_emulator/events" and "token" in request.args:
            given = f"Bearer {request.args['token']}"  # a browser's EventSource cannot send headers
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ControlError("the control API needs Authorization: Bearer <the --control-token>", 401)
    if request.method in WRITES and request.mimetype != "application/json":
        raise ControlError("control API writes take Content-Type: application/json", 415)


async def body() -> dict[str, Any]:
    """The request's JSON object ({} for an empty body); anything else is a 400 that says why."""
    raw = await request.get_data(as_text=False)
    if not raw.strip():
        return {}
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
    return data


@control.errorhandler(ModelError)
async def refused(exc: ModelError) -> Response:
    """What the model refuses (a Twilio rule or the emulator's own), in the control API's error shape:
    the one place a model error meets this API."""
    response = jsonify(ControlError(exc.message, exc.status).to_json())
    response.status_code = exc.status
    return response


# -- renderings -------------------------------------------------------------------------------


def message_view(message: Message) -> dict[str, Any]:
    return dict(
        render.message_json(message),
        seq=message.seq,
        media_urls=message.media_urls,
        media=[media_view(backend().media[sid]) for sid in message.media_sids if sid in backend().media],
        status_callback=message.status_callback,
        status_history=message.status_history,
    )


def media_view(item: Media) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "content_type": item.content_type,
        "size": len(item.content),
        "sha256": item.sha256,
        "source": item.source,
    }


def account_view(account: Any, reveal: bool = False) -> dict[str, Any]:
    return {
        "sid": account.sid,
        "auth_token": account.auth_token if reveal else render.REDACTED,
        "friendly_name": account.friendly_name,
        "trial": account.trial,
        "verified_caller_ids": account.verified_caller_ids,
    }


def number_view(number: Any, reveal: bool = False) -> dict[str, Any]:
    """Twilio's view of the number, plus what only the emulator knows: its SharedKey, whose secret
    (like an auth token) is shown only in the answer that made it or provisioned the number."""
    key = number.shared_key
    if key and not reveal:
        key = dict(key, secret=render.REDACTED)
    return dict(render.number_json(number), messaging_service_sid=number.messaging_service_sid, webhook_signing=key)


def service_view(service: Any) -> dict[str, Any]:
    view = render.service_json(service)
    view["phone_numbers"] = [n.phone_number for n in backend().service_numbers(service.sid)]
    return view


def delivery_view(item: Delivery) -> dict[str, Any]:
    return dict(asdict(item), explanation=explain.delivery(item))


COLLECTIONS = {
    "messages": (lambda b: list(b.messages.values()), message_view),
    "calls": (lambda b: b.records["calls"], CallRecord.view),
    "deliveries": (lambda b: b.records["deliveries"], delivery_view),
    "connects": (lambda b: b.records["connects"], asdict),
    "model_requests": (lambda b: b.records["model_requests"], asdict),
}


def select(
    collection: str, after: int = 0, match: dict[str, Any] | None = None, contains: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    if collection not in COLLECTIONS:
        raise ControlError(f"unknown collection {collection!r}; one of: {', '.join(COLLECTIONS)}")
    items, view = COLLECTIONS[collection]
    found = []
    for item in items(backend()):
        if item.seq <= after:
            continue
        shown = view(item)
        if all(shown.get(k) == v for k, v in (match or {}).items()) and all(
            str(sub) in str(shown.get(k) or "") for k, sub in (contains or {}).items()
        ):
            found.append(shown)
    return found


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
    keep = (await body()).get("keep_accounts", False)
    if not isinstance(keep, bool):
        raise ControlError("keep_accounts must be true or false")
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
        apply_settings(backend(), await body())
    return jsonify(backend().settings)


@control.get("/state")
async def state() -> Response:
    """Everything, tokens redacted: what a report attaches."""
    b = backend()
    return jsonify(
        {
            "seq": b.seq,
            "accounts": [account_view(a) for a in b.accounts.values()],
            "numbers": [number_view(n) for n in b.numbers.values()],
            "services": [service_view(s) for s in b.services.values()],
            "routes": [asdict(r) for r in b.routes],
            "optouts": sorted(list(o) for o in b.optouts),
            "faults": [f.to_json() for f in b.faults.faults],
            "settings": b.settings,
            "dropped": b.records.dropped,  # records the max_records cap let go, per list
        }
    )


# -- provisioning ---------------------------------------------------------------------------------


@control.post("/provision")
async def provision_all() -> Response:
    created = provision(backend(), await body())
    response = jsonify(
        {
            "accounts": [
                {
                    "account": account_view(c["account"], reveal=True),
                    "numbers": [number_view(n, reveal=True) for n in c["numbers"]],
                    "services": [service_view(s) for s in c["services"]],
                }
                for c in created["accounts"]
            ],
            "routes": [asdict(r) for r in created["routes"]],
        }
    )
    response.status_code = 201
    return response


@control.post("/accounts")
async def create_account() -> Response:
    data = await body()
    created = provision(backend(), {"accounts": [data]})["accounts"][0]
    response = jsonify(
        {
            "account": account_view(created["account"], reveal=True),
            "numbers": [number_view(n, reveal=True) for n in created["numbers"]],
            "services": [service_view(s) for s in created["services"]],
        }
    )
    response.status_code = 201
    return response


@control.get("/accounts")
async def list_accounts() -> Response:
    return jsonify([account_view(a) for a in backend().accounts.values()])


@control.post("/accounts/<sid>/numbers")
async def add_number(sid: str) -> Response:
    number = backend().add_number(sid, **only(await body(), NUMBER_KEYS, "number"))
    response = jsonify(number_view(number, reveal=True))
    response.status_code = 201
    return response


@control.post("/accounts/<sid>/services")
async def add_service(sid: str) -> Response:
    service = backend().add_service(sid, **only(await body(), SERVICE_KEYS, "service", SERVICE_TYPES))
    response = jsonify(service_view(service))
    response.status_code = 201
    return response


@control.post("/<any(numbers, services):kind>/<sid>")
async def update_settings(kind: str, sid: str) -> Response:
    """Change a number's or a Messaging Service's webhook settings as the console would (no
    credentials: this is the control API); the model checks them as it checks a REST update."""
    state = backend()
    found = (state.numbers if kind == "numbers" else state.services).get(sid)
    if found is None:
        raise ControlError(f"no {'number' if kind == 'numbers' else 'Messaging Service'} {sid}", 404)
    names = NUMBER_SETTINGS if kind == "numbers" else SERVICE_SETTINGS
    data = await body()
    if kind == "numbers" and isinstance(data, dict) and "webhook_signing" in data:
        algorithm = data.pop("webhook_signing")
        if algorithm is not None and not isinstance(algorithm, str):
            raise ControlError("number.webhook_signing must be a string or null")
        state.sign_with_shared_key(found, algorithm)
    changes = only(data, set(names), kind.removesuffix("s"), {**KEY_TYPES, "fallback_url": (str,)})
    if kind == "numbers":
        state.update_number(found, **changes)
    else:
        state.update_service(found, **changes)
    return jsonify(number_view(found, reveal=True) if kind == "numbers" else service_view(found))


@control.route("/routes", methods=["GET", "POST"])
async def routes() -> Response:
    if request.method == "POST":
        data = await body()
        backend().add_route(str(data.get("public", "")), str(data.get("local", "")))
    return jsonify([asdict(r) for r in backend().routes])


# -- the handset --------------------------------------------------------------------------------


@control.post("/inbound")
async def inbound() -> Response:
    """A handset texts a number or Messaging Service; answers once the webhook exchange is over."""
    data = await body()
    handset, to = data.get("from"), data.get("to")
    if not isinstance(handset, str) or not isinstance(to, str):
        raise ControlError("inbound needs 'from' (the handset, E.164) and 'to' (a number or MG sid)")
    text = data.get("body", "")
    if not isinstance(text, str):
        raise ControlError("'body' must be a string")
    files = handset_files(data.get("media", []), f"{handset}:{backend().seq}")
    message, number, url, method = backend().receive(handset, to, text, files)
    dispatcher = current_app.config["DISPATCHER"]
    deliveries = await dispatcher.deliver_inbound(message, number, url, method)
    response = jsonify({"message": message_view(message), "deliveries": [asdict(d) for d in deliveries]})
    response.status_code = 201
    return response


def handset_files(items: Any, seed: str) -> list[tuple[str, bytes]]:
    """The files of an MMS: each {"content_type", "size"} (sample bytes) or {"content_type", "data"} (base64)."""
    if not isinstance(items, list) or len(items) > MAX_MEDIA:
        raise ControlError(f"'media' must be a list of at most {MAX_MEDIA} files")
    files = []
    for i, item in enumerate(items):
        kind = item.get("content_type") if isinstance(item, dict) else None
        if not isinstance(kind, str) or "/" not in kind:
            raise ControlError(f"media[{i}].content_type must be a MIME type such as image/png")
        try:
            if "data" in item:
                content = media.decode(item["data"]) if isinstance(item["data"], str) else b""
            elif isinstance(item.get("size"), int) and not isinstance(item.get("size"), bool):
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


@control.get("/<any(messages, calls, deliveries, connects, model_requests):collection>")
async def listing(collection: str) -> Response:
    args = request.args
    try:
        after = int(args.get("after", 0))
    except ValueError:
        raise ControlError("after must be an integer sequence number") from None
    match = {k: v for k, v in args.items() if k != "after"}
    return jsonify(select(collection, after, match))


@control.post("/wait")
async def wait() -> Response:
    """Long poll: the first item of a collection after `after` that matches, or 408 with what was seen."""
    data = await body()
    collection = str(data.get("collection", "messages"))
    after = data.get("after", 0)
    match, contains = data.get("match", {}), data.get("contains", {})
    timeout = data.get("timeout", 10)
    if not isinstance(after, int) or not isinstance(match, dict) or not isinstance(contains, dict):
        raise ControlError("wait takes after (int), match (object), contains (object), timeout (seconds)")
    if not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_WAIT_SECONDS:
        raise ControlError(f"timeout must be a number of seconds from 0 to {MAX_WAIT_SECONDS:g}")
    notifier: Notifier = current_app.config["NOTIFIER"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(timeout)
    while True:
        found = select(collection, after, match, contains)
        if found:
            return jsonify(found[0])
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            await notifier.wait(left)
        except TimeoutError:
            continue
    seen = select(collection, after)
    response = jsonify(
        {
            "code": None,
            "status": 408,
            "more_info": "/_emulator/openapi.json",
            "message": f"no {collection} after seq {after} matching {match} containing {contains} within {timeout}s",
            "seen": seen[-20:],
        }
    )
    response.status_code = 408
    return response


# -- faults ---------------------------------------------------------------------------------------


@control.route("/faults", methods=["GET", "POST", "DELETE"])
async def faults() -> Response:
    book = backend().faults
    if request.method == "POST":
        data = await body()
        fault = backend().add_fault(
            data.get("kind", ""),
            data.get("params", {}),
            account_sid=data.get("account_sid"),
            phone_number=data.get("phone_number"),
            times=data.get("times", 1),
        )
        response = jsonify(fault.to_json())
        response.status_code = 201
        return response
    if request.method == "DELETE":
        backend().clear_faults()
    return jsonify([f.to_json() for f in book.faults])


@control.delete("/faults/<fault_id>")
async def remove_fault(fault_id: str) -> Response:
    backend().remove_fault(fault_id)
    return jsonify({"removed": fault_id})
