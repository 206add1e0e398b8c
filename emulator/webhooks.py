"""Webhooks Twilio makes: inbound messages and status callbacks, signed and delivered.

Deliveries honour Twilio's connection overrides (`#ct=..&rt=..&tt=..&rc=..&rp=..`
in the URL fragment), log 11200/11205/11210 on the message when they fail,
and apply webhook faults. Traffic only ever goes to loopback: a URL whose
host (after public-URL routing) is not loopback fails as a bad host name
without any connection being attempted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from emulator import media, signing
from emulator.errors import (
    BAD_HOST_NAME,
    CONNECTION_FAILURE,
    DELIVERY_ERRORS,
    HTTP_RETRIEVAL_FAILURE,
    INVALID_CONTENT_TYPE,
    MEDIA_TOO_LARGE,
    TWIML_TOO_LARGE,
    WEBHOOK_ERROR_MESSAGES,
)
from emulator.faults import Fault
from emulator.models import Account, Attempt, Backend, Delivery, Message, PhoneNumber

USER_AGENT = "TwilioProxy/1.1"
FETCH_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*"}  # Twilio fetching an outbound MediaUrl
MAX_RECORDED_BODY = 64 * 1024
TWIML_MAX_BYTES = 64 * 1024  # a larger answer is 11750
TWIML_TYPES = {"text/xml", "application/xml", "text/html", "text/plain", ""}  # else 12300
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass
class Overrides:
    """Twilio connection overrides; defaults are Twilio's own."""

    connect_ms: int = 5000
    read_ms: int = 15000
    total_ms: int = 15000
    retries: int = 1
    policy: set[str] = field(default_factory=lambda: {"ct", "rt"})

    @classmethod
    def from_url(cls, url: str, read_default_ms: int) -> Overrides:
        found = parse_qs(urlsplit(url).fragment)
        result = cls(read_ms=read_default_ms, total_ms=read_default_ms)

        def number(key: str, default: int, low: int, high: int) -> int:
            try:
                return max(low, min(high, int(found[key][0])))
            except (KeyError, ValueError):
                return default

        result.connect_ms = number("ct", result.connect_ms, 100, 10000)
        result.read_ms = number("rt", result.read_ms, 100, 15000)
        result.total_ms = number("tt", max(result.total_ms, result.read_ms), 100, 15000)
        result.retries = number("rc", result.retries, 0, 5)
        if "rp" in found:
            result.policy = {p.strip() for p in found["rp"][0].split(",") if p.strip()}
        return result

    def retry_on(self, failure: str) -> bool:
        return "all" in self.policy or failure in self.policy


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tamper_url(url: str, variant: str) -> str:
    """The URL a misconfigured proxy or gateway would sign over instead of the real one."""
    parts = urlsplit(url)
    default_port = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    # Port variants always change the URL: with no port, "added" writes the default
    # one out; with a port, it is swapped for the default (or stripped if it is the default).
    if variant in ("port_added", "port_stripped"):
        if parts.port is None:
            netloc = f"{host}:{default_port}"
        elif variant == "port_stripped" or parts.port == default_port:
            netloc = host
        else:
            netloc = f"{host}:{default_port}"
        return urlunsplit(parts._replace(netloc=netloc))
    if variant == "other_scheme":
        return urlunsplit(parts._replace(scheme="http" if parts.scheme == "https" else "https"))
    if variant == "other_host":
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"internal-proxy.invalid{port}"))
    if variant == "query_dropped":
        return urlunsplit(parts._replace(query=""))
    return url


class Dispatcher:
    """Delivers webhooks for one Backend and drives outbound message lifecycles."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.clients: list[httpx.AsyncClient] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self._turn = 0

    async def open(self, pool: int = 16) -> None:
        # Several small clients, not one big pool: httpx serialises many concurrent
        # requests on one pool (bench/emulator_throughput.py showed a 4x loss).
        self.clients = [
            httpx.AsyncClient(follow_redirects=False, trust_env=False, limits=httpx.Limits(max_connections=8))
            for _ in range(pool)
        ]

    @property
    def client(self) -> httpx.AsyncClient:
        if not self.clients:
            raise RuntimeError("dispatcher not opened")
        self._turn = (self._turn + 1) % len(self.clients)
        return self.clients[self._turn]

    async def close(self, timeout: float = 5.0) -> None:
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        for client in self.clients:
            await client.aclose()

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- inbound ---------------------------------------------------------------------------

    async def deliver_inbound(self, message: Message, number: PhoneNumber, url: str, method: str) -> list[Delivery]:
        """Post the inbound message to its webhook (several times under a duplicate fault)."""
        account = self.backend.accounts[message.account_sid]
        form = self.backend.inbound_form(message, number)
        numbers = (number.phone_number, message.from_)
        duplicate = self.backend.faults.take("duplicate_delivery", account_sid=account.sid, numbers=numbers)
        copies = int(duplicate.params.get("copies", 2)) if duplicate else 1
        token = str(uuid.uuid4())
        deliveries = []
        for _ in range(max(1, copies)):
            delivery = await self.deliver("inbound", message, account, url, method, form, numbers, token)
            if duplicate:
                delivery.faults.append(duplicate.describe())
            deliveries.append(delivery)
        failed = next((d for d in deliveries if d.outcome == "failed"), None)
        answered = deliveries[0]
        if failed:
            code = failed.error_code or HTTP_RETRIEVAL_FAILURE
            message.error_code, message.error_message = code, WEBHOOK_ERROR_MESSAGES[code]
            self.backend.kept(message)
            self.backend.changed()
            fallback = self.backend.fallback(number)
            if fallback:  # the primary's error stays logged; the fallback's TwiML is the answer
                answered = await self.deliver("inbound_fallback", message, account, *fallback, form, numbers, token)
                deliveries.append(answered)
        if answered.outcome == "delivered":
            for reply in twiml_messages(answered):
                out = self.backend.new_message(
                    account.sid,
                    number.phone_number,
                    message.from_ or "",
                    reply,
                    "outbound-reply",
                    "queued",
                    service_sid=message.messaging_service_sid,
                )
                self.start_lifecycle(out)
        return deliveries

    # -- one webhook -------------------------------------------------------------------------

    async def deliver(
        self,
        kind: str,
        message: Message,
        account: Account,
        url: str,
        method: str,
        form: list[tuple[str, str]],
        numbers: tuple[str | None, ...],
        token: str,
    ) -> Delivery:
        faults = self.backend.faults
        overrides = Overrides.from_url(url, int(self.backend.settings["webhook_timeout_ms"]))
        public = signing.strip_fragment(url)
        method = method.upper()
        applied: list[Fault] = []
        if method == "GET":
            request_url = public + ("&" if urlsplit(public).query else "?") + urlencode(form)
            sign_url, sign_params, body_form = request_url, [], None
        else:
            request_url, sign_url, sign_params, body_form = public, public, form, list(form)
        tamper = faults.take("signature", account_sid=account.sid, numbers=numbers)
        auth_token = account.auth_token
        if tamper:
            applied.append(tamper)
            variant = tamper.params["variant"]
            sign_url = tamper_url(sign_url, variant)
            if variant == "wrong_token":
                auth_token = self.backend.fake.hexify("^" * 32)
        signature = signing.sign(auth_token, sign_url, sign_params)
        if tamper and tamper.params["variant"] == "param_changed" and body_form:
            body_form = [(k, v + " (altered)" if k == "Body" else v) for k, v in body_form]
        headers = {
            "User-Agent": USER_AGENT,
            "I-Twilio-Idempotency-Token": token,
            "X-Home-Region": "us1",
            "Accept": "*/*",
            "X-Twilio-Signature": signature,
        }
        if body_form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if tamper and tamper.params["variant"] == "header_missing":
            del headers["X-Twilio-Signature"]
        delivery = self.backend.new_delivery(
            kind=kind,
            message_sid=message.sid,
            account_sid=account.sid,
            url=url,
            method=method,
            form=[[k, v] for k, v in (body_form if body_form is not None else form)],
            headers=dict(headers),
        )
        target = self.backend.route(request_url)
        for name in ("webhook_unreachable", "webhook_slow", "webhook_timeout"):
            fault = faults.take(name, account_sid=account.sid, numbers=numbers)
            if fault:
                applied.append(fault)
        delivery.faults = [f.describe() for f in applied]
        kinds = {f.kind for f in applied}
        if "webhook_unreachable" in kinds:
            parts = urlsplit(target)
            target = urlunsplit(parts._replace(scheme="http", netloc=f"127.0.0.1:{closed_port()}"))
        for fault in applied:
            if fault.kind == "webhook_slow":
                await asyncio.sleep(float(fault.params.get("delay_ms", 1000)) / 1000)
            if fault.kind == "webhook_timeout":
                overrides.read_ms = overrides.total_ms = int(fault.params.get("timeout_ms", 200))
        await self._attempts(delivery, target, method, headers, body_form, overrides)
        self.backend.changed()
        self.backend.finished(delivery)
        return delivery

    async def _attempts(
        self,
        delivery: Delivery,
        target: str,
        method: str,
        headers: dict[str, str],
        body_form: list[tuple[str, str]] | None,
        overrides: Overrides,
    ) -> None:
        host = urlsplit(target).hostname or ""
        if not is_loopback(host):
            delivery.attempts.append(Attempt(time.time(), target, error="bad_host"))
            delivery.outcome, delivery.error_code = "failed", BAD_HOST_NAME
            return
        timeout = httpx.Timeout(
            connect=overrides.connect_ms / 1000,
            read=overrides.read_ms / 1000,
            write=overrides.read_ms / 1000,
            pool=overrides.connect_ms / 1000,
        )
        deadline = time.monotonic() + overrides.total_ms / 1000  # tt bounds every attempt together
        for _ in range(1 + overrides.retries):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            attempt = Attempt(time.time(), target)
            delivery.attempts.append(attempt)
            started = time.monotonic()
            failure: str | None = None
            try:
                response = await asyncio.wait_for(
                    self.client.request(
                        method,
                        target,
                        headers=headers,
                        timeout=timeout,
                        content=urlencode(body_form) if body_form is not None else None,
                    ),
                    left,
                )
                attempt.status = response.status_code
                attempt.headers = dict(response.headers)
                attempt.body = response.text[:MAX_RECORDED_BODY]
                if 200 <= response.status_code < 300:
                    attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
                    unusable = twiml_problem(response) if delivery.kind.startswith("inbound") else None
                    if unusable:  # reached, but Twilio cannot use the answer: logged, never retried
                        attempt.error = "unusable_answer"
                        delivery.outcome, delivery.error_code = "failed", unusable
                        return
                    delivery.outcome, delivery.error_code = "delivered", None
                    return
                failure = "4xx" if response.status_code < 500 else "5xx"
                attempt.error, delivery.error_code = "http", HTTP_RETRIEVAL_FAILURE
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure, attempt.error = "ct", f"connect: {exc.__class__.__name__}"
                delivery.error_code = CONNECTION_FAILURE
            except (TimeoutError, httpx.TimeoutException):
                failure, attempt.error, delivery.error_code = "rt", "timeout", HTTP_RETRIEVAL_FAILURE
            except httpx.HTTPError as exc:
                failure, attempt.error = "rt", f"transport: {exc.__class__.__name__}"
                delivery.error_code = HTTP_RETRIEVAL_FAILURE
            attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
            if not overrides.retry_on(failure):
                break
        delivery.outcome = "failed"

    # -- outbound lifecycle and status callbacks ------------------------------------------------

    def start_lifecycle(self, message: Message) -> None:
        self.spawn(self.lifecycle(message))

    async def lifecycle(self, message: Message) -> None:
        """accepted → queued → sending → sent → delivered (or failed/undelivered by fault)."""
        state = self.backend
        pace = float(state.settings.get("status_pace_ms", 0)) / 1000
        account = state.accounts[message.account_sid]
        outcome = state.faults.take("message_outcome", account_sid=account.sid, numbers=(message.from_, message.to))
        callbacks: list[str] = []
        if message.status == "scheduled" and message.send_at is not None:
            await asyncio.sleep(max(0.0, message.send_at - time.time()))
            if message.status != "scheduled":  # canceled meanwhile
                return
            state.set_status(message, "accepted")
        if message.status == "accepted":
            state.choose_sender(message)
            await asyncio.sleep(pace)
            if not message.from_:
                state.set_status(message, "failed", 21703, "The Messaging Service has no phone numbers")
                callbacks.append("failed")
                return await self._callbacks(message, account, callbacks, out_of_order=False)
            state.set_status(message, "queued")
        # Twilio sends no callback for a message's initial status (queued, or accepted with a service)
        failure = await self.fetch_media(message, account) if message.media_urls else None
        if failure:
            state.set_status(message, "failed", failure, WEBHOOK_ERROR_MESSAGES[failure])
            return await self._callbacks(message, account, [*callbacks, "failed"], out_of_order=False)
        if outcome and outcome.params["status"] == "failed":
            steps: list[str] = ["failed"]
        else:
            steps = ["sending", "sent", outcome.params["status"] if outcome else "delivered"]
        reached = {status for status, _ in message.status_history}  # after a restart: carry on, not over
        steps = [status for status in steps if status not in reached]
        for status in steps:
            await asyncio.sleep(pace)
            final = status in ("failed", "undelivered")
            code = int(outcome.params.get("error_code", 30003)) if final and outcome else None
            state.set_status(
                message,
                status,
                code,
                outcome.params.get("error_message", DELIVERY_ERRORS.get(code or 0, "Unknown error")) if code else None,
            )
            if status != "sending":
                callbacks.append(status)
        out_of_order = (
            state.faults.take("status_out_of_order", account_sid=account.sid, numbers=(message.from_, message.to))
            is not None
        )
        await self._callbacks(message, account, callbacks, out_of_order)

    async def fetch_media(self, message: Message, account: Account) -> int | None:
        """Twilio fetches every MediaUrl before sending; the error code of the first that fails, if one does."""
        for url in message.media_urls:
            delivery = self.backend.new_delivery(
                kind="media_fetch",
                message_sid=message.sid,
                account_sid=account.sid,
                url=url,
                method="GET",
                form=[],
                headers=dict(FETCH_HEADERS),
            )
            target = self.backend.route(url)
            attempt = Attempt(time.time(), target)
            delivery.attempts.append(attempt)
            started = time.monotonic()
            code = await self._fetch_one(message, url, target, attempt)
            attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
            delivery.outcome, delivery.error_code = ("failed", code) if code else ("delivered", None)
            self.backend.changed()
            self.backend.finished(delivery)
            if code:
                return code
        return None

    async def _fetch_one(self, message: Message, url: str, target: str, attempt: Attempt) -> int | None:
        if not is_loopback(urlsplit(target).hostname or ""):
            attempt.error = "bad_host"
            return HTTP_RETRIEVAL_FAILURE
        try:
            async with self.client.stream("GET", target, headers=FETCH_HEADERS, timeout=15.0) as response:
                attempt.status, attempt.headers = response.status_code, dict(response.headers)
                content = bytearray()
                async for piece in response.aiter_bytes():
                    content += piece
                    if len(content) > media.MAX_FILE_BYTES:
                        attempt.error = "too large"
                        return MEDIA_TOO_LARGE
        except httpx.HTTPError as exc:
            attempt.error = f"transport: {exc.__class__.__name__}"
            return HTTP_RETRIEVAL_FAILURE
        attempt.body = f"[{len(content)} bytes]"
        if not 200 <= response.status_code < 300:
            attempt.error = "http"
            return HTTP_RETRIEVAL_FAILURE
        kind = media.mime_type(response.headers.get("content-type", ""))
        if not media.accepted(kind):
            attempt.error = f"content type {kind or 'missing'}"
            return INVALID_CONTENT_TYPE
        self.backend.add_media(message, kind, bytes(content), source=url)
        return None

    async def _callbacks(self, message: Message, account: Account, statuses: list[str], out_of_order: bool) -> None:
        if not message.status_callback:
            return
        if out_of_order:
            statuses = list(reversed(statuses))
        for status in statuses:
            code = message.error_code if status in ("failed", "undelivered") else None
            form = Backend.status_form(message, status, code)
            await self.deliver(
                "status_callback",
                message,
                account,
                message.status_callback,
                "POST",
                form,
                (message.from_, message.to),
                str(uuid.uuid4()),
            )


def twiml_problem(response: httpx.Response) -> int | None:
    """11750 for an answer over 64 kB, 12300 for a body that is not TwiML by its Content-Type."""
    if len(response.content) > TWIML_MAX_BYTES:
        return TWIML_TOO_LARGE
    if response.content.strip() and media.mime_type(response.headers.get("content-type", "")) not in TWIML_TYPES:
        return INVALID_CONTENT_TYPE
    return None


def twiml_messages(delivery: Delivery) -> list[str]:
    """Bodies of <Message> verbs in a 2xx TwiML answer (Twilio sends them as replies)."""
    body = delivery.attempts[-1].body.strip() if delivery.attempts else ""
    if not body.startswith("<"):
        return []
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    found = []
    for element in root.iter("Message"):
        text = (element.findtext("Body") or element.text or "").strip()
        if text:
            found.append(text)
    return found
