"""Twilio's REST API over the model (`models/`): auth, parsing, recording, faults.

The one module that reads and writes Twilio's wire names: a form's `To`, `SmsUrl` or `StickySender`
becomes the model's Python value here, and the model's objects become Twilio's JSON (render.py).
Every request is recorded (form, auth result, response) without the auth token; REST faults
(errors, latency) are applied here, before the model runs.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any

from quart import Blueprint, Response, abort, current_app, request

from emulator import media, render
from emulator.errors import TwilioError
from emulator.faults import Fault
from emulator.models import Backend
from emulator.models.accounts import Account
from emulator.models.messages import Message, NewestFirst
from emulator.proxy import TWILIO_HOSTS

rest = Blueprint("rest", __name__)

Handler = Callable[..., Awaitable[tuple[Any, int]]]


def backend() -> Backend:
    return current_app.config["BACKEND"]


BASIC_CHALLENGE = 'Basic realm="Twilio API"'  # what a 401 asks for


def basic_credentials() -> tuple[str | None, str | None]:
    """The request's HTTP Basic username and password (None, None without Basic auth)."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None, None
    return auth.username, auth.password


def twilio_endpoint(handler: Handler) -> Callable[..., Awaitable[Response]]:
    """Authenticate, apply REST faults, render errors the Twilio way, record the call."""

    @wraps(handler)
    async def wrapper(**path: str) -> Response:
        started = time.monotonic()
        state = backend()
        form = await request.form
        username, password = basic_credentials()
        auth_result = "missing" if username is None else "invalid"
        account_sid = username if username in state.accounts else None
        try:
            account = state.authenticate(path.get("AccountSid"), username, password)
            auth_result = "ok"
            error = await _rest_faults(state, account.sid, form) if state.faults else None
            if error and "page" in error.params:  # an HTML error page, as Twilio's edge answers when it is down
                body, status = Response(error.params["page"], content_type="text/html"), int(error.params["status"])
            elif error:
                raise TwilioError(
                    int(error.params.get("code", 20500)), int(error.params["status"]), error.params.get("message")
                )
            else:
                body, status = await handler(account, form, **path)
        except TwilioError as exc:
            body, status = exc.to_json(), exc.status
        text = None
        if isinstance(body, Response):  # a media file, or its redirect
            response = body
            body = (
                {"location": body.headers["Location"]}
                if "Location" in body.headers
                else {"bytes": len(await body.get_data())}
            )
        elif body is not None:
            text = body if isinstance(body, PageText) else _json_text(body)  # serialised once, for both
            response = Response(text, content_type="application/json")
        else:
            response = Response("", status=status)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        kept = body.kept if isinstance(body, PageText) else _redact(body)
        state.record(
            "calls",
            at=time.time(),
            method=request.method,
            host=request.host,
            path=request.path,
            query=tuple(request.args.items(multi=True)),
            form=tuple(form.items(multi=True)),
            account_sid=account_sid,
            auth=auth_result,
            status=status,
            response=text if kept is body else _json_text(kept),
            duration_ms=round((time.monotonic() - started) * 1000, 3),
        )
        return response

    return wrapper


async def _rest_faults(state: Backend, account_sid: str, form: Any) -> Fault | None:
    """Wait out a REST latency fault of this request, and take its REST error fault (None if none):
    faults are scoped by account and by the numbers the request names."""
    numbers = tuple(
        form.getlist("From")
        + form.getlist("To")
        + request.args.getlist("PhoneNumber")
        + request.args.getlist("To")
        + request.args.getlist("From")
    )
    latency = state.faults.take("rest_latency", account_sid=account_sid, numbers=numbers)
    if latency:
        await asyncio.sleep(float(latency.params.get("delay_ms", 0)) / 1000)
    return state.faults.take(
        "rest_error",
        account_sid=account_sid,
        numbers=numbers,
        predicate=lambda f: _fault_matches_request(f.params, form.getlist("Body")),
    )


def _fault_matches_request(params: dict[str, Any], bodies: list[str]) -> bool:
    method = params.get("method")
    fragment = params.get("path_contains")
    text = params.get("body_contains")
    return (
        (not method or method.upper() == request.method)
        and (not fragment or fragment in request.path)
        and (not text or any(text in body for body in bodies))
    )


def _redact(body: Any) -> Any:
    """What the call log keeps of an answer: no token, and a page of a list as its items' SIDs (a
    page of 50 messages is about 80 KB; kept whole, every list call grew the log by that much).
    The answer itself when there is nothing to take out."""
    if not isinstance(body, dict):
        return body
    pages = [
        k for k, v in body.items() if isinstance(v, list) and v and all(isinstance(i, dict) and "sid" in i for i in v)
    ]
    if "auth_token" not in body and not pages:
        return body
    kept = dict(body, auth_token=render.REDACTED) if "auth_token" in body else dict(body)
    for key in pages:
        kept[key] = [item["sid"] for item in body[key]]
    return kept


def _json_text(value: Any) -> str | None:
    return json.dumps(value, separators=(",", ":")) if value is not None else None


# Twilio's update parameters by the model's names; a method is checked here, in Twilio's words.
NUMBER_PARAMS = {
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "FriendlyName": "friendly_name",
}
SERVICE_PARAMS = {
    "InboundRequestUrl": "inbound_request_url",
    "InboundMethod": "inbound_method",
    "FallbackUrl": "fallback_url",
    "StatusCallback": "status_callback",
    "FriendlyName": "friendly_name",
}
SERVICE_FLAGS = {
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
    "StickySender": "sticky_sender",
    "AreaCodeGeomatch": "area_code_geomatch",
}


def _changes(form: Any, params: dict[str, str], flags: dict[str, str] | None = None) -> dict[str, Any]:
    """An update's form as the model's keyword arguments: only what it gives, flags as booleans."""
    changes: dict[str, Any] = {}
    for param, name in params.items():
        if param in form:
            value = form[param].upper() if name.endswith("method") else form[param]
            if name.endswith("method") and value not in ("GET", "POST"):
                raise TwilioError(20001, message=f"{param} must be GET or POST")
            changes[name] = value
    for param, name in (flags or {}).items():
        if param in form:
            changes[name] = form[param].lower() == "true"
    return changes


def _paging(default: int = 50) -> tuple[int, int]:
    try:
        size = int(request.args.get("PageSize", default))
        number = int(request.args.get("Page", 0))
    except ValueError:
        raise TwilioError(20001, message="PageSize and Page must be integers") from None
    if not 1 <= size <= 1000 or number < 0:
        raise TwilioError(20001, message="PageSize must be between 1 and 1000 and Page not negative")
    return size, number


def _list(key: str, items: Sequence[Any], to_json: Callable[[Any], dict[str, Any]], filters: dict[str, str]) -> dict:
    """One page. With a PageToken (PA + the previous page's last sid) the page starts right after that
    item, so what was created between two fetches is neither repeated nor skipped; a token that names
    no item of this list is a 400, as Twilio's."""
    size, number = _paging()
    token = request.args.get("PageToken")
    first = number * size
    if token is not None:
        if isinstance(items, NewestFirst):  # found by the message's seq, not by a scan
            named = backend().messages.get(token.removeprefix("PA"))
            at = items.position(named) if named else None
        else:
            at = next((i for i, item in enumerate(items) if f"PA{item.sid}" == token), None)
        if at is None:
            raise TwilioError(20001, message=f"Invalid PageToken: {token}")
        first = at + 1
    chunk = items[first : first + size]
    more = first + len(chunk) < len(items)
    last = chunk[-1].sid if chunk else None
    if to_json is render.message_json:  # the hot list: each message's JSON text is cached, the page spliced
        envelope = render.page(key, request.path, chunk, filters, size, number, more, last)
        return PageText(envelope, key, [_message_text(m) for m in chunk])
    return render.page(key, request.path, [to_json(i) for i in chunk], filters, size, number, more, last)


class PageText(str):
    """A page already serialised, and `kept`, what the call log holds of it (its items' SIDs)."""

    kept: dict[str, Any]

    def __new__(cls, envelope: dict[str, Any], key: str, texts: list[str]) -> PageText:
        items = envelope[key]
        envelope[key] = []
        text = _json_text(envelope) or ""
        spliced = text.replace(f'"{key}":[]', f'"{key}":[' + ",".join(texts) + "]", 1)
        page = super().__new__(cls, spliced)
        page.kept = dict(envelope, **{key: [item.sid for item in items]})
        return page


RENDERED_MAX = 4096  # the newest pages are what clients list; a bound keeps memory per message flat


def _message_text(message: Message) -> str:
    """A message's JSON, rendered again only after it changed (its revision moved). The cache is
    the app's, and an entry is valid for that very message object (a reset makes new ones)."""
    rendered: collections.OrderedDict[str, tuple[Message, int, str]] = current_app.config.setdefault(
        "RENDERED", collections.OrderedDict()
    )
    cached = rendered.get(message.sid)
    if cached and cached[0] is message and cached[1] == message.revision:
        rendered.move_to_end(message.sid)
        return cached[2]
    text = _json_text(render.message_json(message)) or ""
    rendered[message.sid] = (message, message.revision, text)
    if len(rendered) > RENDERED_MAX:
        rendered.popitem(last=False)
    return text


# -- Accounts -------------------------------------------------------------------------


@rest.route("/2010-04-01/Accounts/<AccountSid>.json", methods=["GET"])
@twilio_endpoint
async def fetch_account(account: Account, form: Any, AccountSid: str) -> tuple[Any, int]:
    return render.account_json(account, reveal_token=True), 200


# -- Messages -------------------------------------------------------------------------


@rest.route("/2010-04-01/Accounts/<AccountSid>/Messages.json", methods=["POST"])
@twilio_endpoint
async def create_message(account: Account, form: Any, AccountSid: str) -> tuple[Any, int]:
    first = form.to_dict()  # a repeated field counts by its first value, as Twilio's does (and a plain
    # dict answers a missing name without the exception a form's `get` raises and catches inside)
    message = backend().create_message(
        account,
        to=first.get("To", "").strip(),
        from_=first.get("From", "").strip() or None,
        body=first.get("Body", ""),
        media_urls=form.getlist("MediaUrl"),
        messaging_service_sid=first.get("MessagingServiceSid", "").strip() or None,
        status_callback=first.get("StatusCallback") or None,
        schedule_type=first.get("ScheduleType"),
        send_at=first.get("SendAt"),
    )
    current_app.config["DISPATCHER"].start(message)
    return render.message_json(message), int(backend().settings.get("send_status", 201))


@rest.route("/2010-04-01/Accounts/<AccountSid>/Messages.json", methods=["GET"])
@twilio_endpoint
async def list_messages(account: Account, form: Any, AccountSid: str) -> tuple[Any, int]:
    args = request.args
    filters = {k: args[k] for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if k in args}
    found = backend().list_messages(
        account,
        to=args.get("To"),
        from_=args.get("From"),
        sent_on=args.get("DateSent"),
        sent_before=args.get("DateSent<"),
        sent_after=args.get("DateSent>"),
    )
    return _list("messages", found, render.message_json, filters), 200


@rest.route("/2010-04-01/Accounts/<AccountSid>/Messages/<MessageSid>.json", methods=["GET", "POST", "DELETE"])
@twilio_endpoint
async def one_message(account: Account, form: Any, AccountSid: str, MessageSid: str) -> tuple[Any, int]:
    state = backend()
    message = state.message(account, MessageSid, request.path)
    if request.method == "DELETE":
        state.delete_message(message)
        return None, 204
    if request.method == "POST" and "Body" in form:
        state.redact(message, form["Body"])
    if request.method == "POST" and form.get("Status") == "canceled":
        state.cancel(message)
    return render.message_json(message), 200


# -- Media (a Message's files) ----------------------------------------------------------------


MEDIA = "/2010-04-01/Accounts/<AccountSid>/Messages/<MessageSid>/Media"


@rest.route(f"{MEDIA}.json", methods=["GET"])
@twilio_endpoint
async def list_media(account: Account, form: Any, AccountSid: str, MessageSid: str) -> tuple[Any, int]:
    return _list("media_list", backend().media_of(account, MessageSid, request.path), render.media_json, {}), 200


@rest.route(f"{MEDIA}/<MediaSid>.json", methods=["GET", "DELETE"])
@twilio_endpoint
async def one_media(account: Account, form: Any, AccountSid: str, MessageSid: str, MediaSid: str) -> tuple[Any, int]:
    item = backend().media_item(account, MessageSid, MediaSid, request.path)
    if request.method == "DELETE":
        backend().delete_media(item)
        return None, 204
    return render.media_json(item), 200


@rest.route(f"{MEDIA}/<MediaSid>", methods=["GET"])
@twilio_endpoint
async def media_file(account: Account, form: Any, AccountSid: str, MessageSid: str, MediaSid: str) -> tuple[Any, int]:
    """The file itself: behind Basic auth, answered with a redirect to a short-lived CDN link
    (or, with the media_redirect setting off, served here)."""
    item = backend().media_item(account, MessageSid, MediaSid, request.path)
    if not backend().settings.get("media_redirect", True):
        return Response(item.content, content_type=item.content_type), 200
    location = media.cdn_link(backend().cdn_key, item.account_sid, item.sid)
    return Response("", headers={"Location": location}), backend().settings.get("media_redirect_status", 307)


@rest.route("/<AccountSid>/<MediaSid>", methods=["GET", "HEAD"])
async def cdn_file(AccountSid: str, MediaSid: str) -> Response:
    """mms.twiliocdn.com: the file, for a genuine unexpired link; Twilio's CDN answers 403 otherwise."""
    if not (AccountSid.startswith("AC") and MediaSid.startswith("ME")):
        abort(404)  # not a CDN path: the app's 404 (a control endpoint or a Twilio resource) answers
    state = backend()
    item = state.media.get(MediaSid)
    args = request.args
    valid = (
        item is not None
        and item.account_sid == AccountSid
        and media.cdn_media(state.cdn_key, MediaSid, args.get("Expires", ""), args.get("Signature", ""))
    )
    if valid and item:
        response = Response(item.content, content_type=item.content_type)
    else:
        response = Response("<Error><Code>AccessDenied</Code></Error>", status=403, content_type="application/xml")
    state.record(
        "calls",
        at=time.time(),
        method=request.method,
        host=request.host,
        path=request.path,
        query=tuple(args.items(multi=True)),
        form=(),
        account_sid=AccountSid if item else None,
        auth="signed link" if valid else "invalid",
        status=response.status_code,
        response=_json_text({"bytes": len(item.content)}) if valid and item else None,
        duration_ms=0.0,
    )
    return response


# -- IncomingPhoneNumbers ---------------------------------------------------------------


@rest.route("/2010-04-01/Accounts/<AccountSid>/IncomingPhoneNumbers.json", methods=["GET"])
@twilio_endpoint
async def list_numbers(account: Account, form: Any, AccountSid: str) -> tuple[Any, int]:
    wanted = request.args.get("PhoneNumber")
    found = backend().list_numbers(account, phone_number=wanted)
    filters = {"PhoneNumber": wanted} if wanted is not None else {}
    return _list("incoming_phone_numbers", found, render.number_json, filters), 200


@rest.route("/2010-04-01/Accounts/<AccountSid>/IncomingPhoneNumbers/<NumberSid>.json", methods=["GET", "POST"])
@twilio_endpoint
async def one_number(account: Account, form: Any, AccountSid: str, NumberSid: str) -> tuple[Any, int]:
    number = backend().number(account, NumberSid, request.path)
    if request.method == "POST":
        backend().update_number(number, **_changes(form, NUMBER_PARAMS))
    return render.number_json(number), 200


# -- Messaging v1 (host-independent: messaging.twilio.com's paths) ---------------------------


@rest.route("/v1/Services", methods=["GET"])
@twilio_endpoint
async def list_services(account: Account, form: Any) -> tuple[Any, int]:
    """The account's Messaging Services, oldest first, in the v1 envelope."""
    size, number = _paging()
    services = backend().list_services(account)
    chunk = services[number * size : (number + 1) * size]
    # Twilio's own host when reached as Twilio (through the proxy), else the emulator's: clients follow it
    host = request.host.split(":")[0]
    base = f"https://{host}" if host in TWILIO_HOSTS else request.host_url.rstrip("/")
    url = f"{base}/v1/Services"
    return render.v1_page("services", url, [render.service_json(s) for s in chunk], size, number, len(services)), 200


@rest.route("/v1/Services/<ServiceSid>", methods=["GET", "POST"])
@twilio_endpoint
async def one_service(account: Account, form: Any, ServiceSid: str) -> tuple[Any, int]:
    service = backend().service(account, ServiceSid, request.path)
    if request.method == "POST":
        backend().update_service(service, **_changes(form, SERVICE_PARAMS, SERVICE_FLAGS))
    return render.service_json(service), 200
