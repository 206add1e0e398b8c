"""Which webhooks Twilio makes, and when: inbound messages (with their fallback and TwiML
replies), outbound lifecycles with their status callbacks, and fetching outbound media.

A webhook goes one way through (`Dispatcher.deliver`): its form (forms.py) → `outgoing.build` →
`outgoing.sign` (signature and faults) → `Transport.send` → judged here → `Backend.record`. Nothing
below calls back up. Failures are logged on the message as Twilio does (11200/11205/11210, 11750,
12300).
"""

from __future__ import annotations

import asyncio
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from emulator import forms, media, outgoing
from emulator.errors import (
    DELIVERY_ERRORS,
    HTTP_RETRIEVAL_FAILURE,
    INVALID_CONTENT_TYPE,
    MEDIA_TOO_LARGE,
    TWIML_TOO_LARGE,
    WEBHOOK_ERROR_MESSAGES,
)
from emulator.models import Backend
from emulator.models.accounts import Account
from emulator.models.messages import Message
from emulator.models.numbers import PhoneNumber
from emulator.recorder import Attempt, Delivery
from emulator.transport import Answer, Fetched, Transport, fetch

FETCH_HEADERS = {"User-Agent": outgoing.USER_AGENT, "Accept": "*/*"}  # Twilio fetching an outbound MediaUrl
TWIML_MAX_BYTES = 64 * 1024  # a larger answer is 11750
TWIML_TYPES = {"text/xml", "application/xml", "text/html", "text/plain", ""}  # else 12300


class Dispatcher:
    """Decides which webhooks a message causes and drives outbound message lifecycles, which
    whoever made the message starts (`start`): the REST create, a TwiML reply, a restart (`resume`)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.transport = Transport()
        self.tasks: set[asyncio.Task[Any]] = set()

    def resume(self) -> None:
        """After a restart: start again every outbound lifecycle that was under way."""
        for message in self.backend.under_way():
            self.start(message)

    async def close(self, timeout: float = 5.0) -> None:
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        await self.transport.close()

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- inbound ---------------------------------------------------------------------------

    async def deliver_inbound(self, message: Message, number: PhoneNumber, url: str, method: str) -> list[Delivery]:
        """Post the inbound message to its webhook (several times under a duplicate fault)."""
        account = self.backend.accounts[message.account_sid]
        form = self.inbound_form(message, number)
        numbers = (number.phone_number, message.from_)
        duplicate = self.backend.faults.take("duplicate_delivery", account_sid=account.sid, numbers=numbers)
        copies = int(duplicate.params.get("copies", 2)) if duplicate else 1
        token = str(uuid.uuid4())
        deliveries = []
        also = [duplicate.describe()] if duplicate else []
        for _ in range(max(1, copies)):
            deliveries.append(await self.deliver("inbound", message, account, url, method, form, numbers, token, also))
        failed = next((d for d in deliveries if d.outcome == "failed"), None)
        answered = deliveries[0]
        if failed:
            self.backend.webhook_failed(message, failed.error_code or HTTP_RETRIEVAL_FAILURE)
            fallback = self.backend.fallback(number)
            if fallback:  # the primary's error stays logged; the fallback's TwiML is the answer
                answered = await self.deliver("inbound_fallback", message, account, *fallback, form, numbers, token)
                deliveries.append(answered)
        if answered.outcome == "delivered":
            for reply in twiml_messages(answered):
                self.start(
                    self.backend.new_message(
                        account.sid,
                        number.phone_number,
                        message.from_ or "",
                        reply,
                        "outbound-reply",
                        "queued",
                        service_sid=message.messaging_service_sid,
                    )
                )
        return deliveries

    def inbound_form(self, message: Message, number: PhoneNumber) -> forms.Form:
        """The form Twilio posts for an inbound SMS or MMS to this number."""
        return forms.inbound(
            sid=message.sid,
            account_sid=message.account_sid,
            from_=message.from_ or "",
            to=message.to,
            body=message.body,
            num_segments=message.num_segments,
            service_sid=message.messaging_service_sid,
            here=number.locality,
            there=forms.handset_locality(self.backend.seed, message.from_ or ""),
            media=[
                (self.backend.media[sid].content_type, message.media_urls[i])
                for i, sid in enumerate(message.media_sids)
            ],
        )

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
        also: list[str] | None = None,
    ) -> Delivery:
        """One webhook, one way through: build, sign (and tamper), carry, judge, record. Its seq is
        taken as it starts, so it stands before whatever the gateway does while answering it.
        `also`: faults to show on it that were applied above it (a duplicate delivery)."""
        seq = self.backend.next_seq()
        built = outgoing.build(
            url=url,
            method=method,
            form=form,
            token=token,
            read_timeout_ms=int(self.backend.settings["webhook_timeout_ms"]),
            route=self.backend.route,
        )
        signed = outgoing.sign(
            built,
            auth_token=account.auth_token,
            shared_key=self.backend.signer(numbers[0]),  # the Twilio number the webhook is about
            faults=self.backend.faults,
            scope={"account_sid": account.sid, "numbers": numbers},
        )
        if signed.delay_s:
            await asyncio.sleep(signed.delay_s)
        carried = await self.transport.send(signed.outgoing)
        unusable = twiml_problem(carried.answer) if carried.answer and kind.startswith("inbound") else None
        if unusable:
            carried.attempts[-1].error = "unusable_answer"
            carried.outcome, carried.error_code = "failed", unusable
        return self.backend.record(
            "deliveries",
            seq=seq,
            kind=kind,
            message_sid=message.sid,
            account_sid=account.sid,
            url=url,
            method=signed.outgoing.method,
            form=[[k, v] for k, v in signed.form],
            headers=dict(signed.outgoing.headers),
            faults=[f.describe() for f in signed.faults] + (also or []),
            attempts=carried.attempts,
            outcome=carried.outcome,
            error_code=carried.error_code,
        )

    # -- outbound lifecycle and status callbacks ------------------------------------------------

    def start(self, message: Message) -> None:
        """Run an outbound message's lifecycle in the background: whoever made the message starts it."""
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
            seq = self.backend.next_seq()
            target = self.backend.route(url)
            attempt = Attempt(time.time(), target)
            started = time.monotonic()
            got = await fetch(self.transport, target, FETCH_HEADERS, media.MAX_FILE_BYTES)
            code = self._fetched(message, url, got, attempt)
            attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
            self.backend.record(
                "deliveries",
                seq=seq,
                kind="media_fetch",
                message_sid=message.sid,
                account_sid=account.sid,
                url=url,
                method="GET",
                form=[],
                headers=dict(FETCH_HEADERS),
                attempts=[attempt],
                outcome="failed" if code else "delivered",
                error_code=code,
            )
            if code:
                return code
        return None

    def _fetched(self, message: Message, url: str, got: Fetched, attempt: Attempt) -> int | None:
        """Twilio's error code for a fetched file it cannot send, or None once the file is kept."""
        attempt.status, attempt.headers, attempt.error = got.status, got.headers, got.error
        if got.error:
            return MEDIA_TOO_LARGE if got.error == "too large" else HTTP_RETRIEVAL_FAILURE
        attempt.body = f"[{len(got.content)} bytes]"
        if not 200 <= (got.status or 0) < 300:
            attempt.error = "http"
            return HTTP_RETRIEVAL_FAILURE
        kind = media.mime_type(got.headers.get("content-type", ""))
        if not media.accepted(kind):
            attempt.error = f"content type {kind or 'missing'}"
            return INVALID_CONTENT_TYPE
        self.backend.add_media(message, kind, got.content, source=url)
        return None

    async def _callbacks(self, message: Message, account: Account, statuses: list[str], out_of_order: bool) -> None:
        if not message.status_callback:
            return
        if out_of_order:
            statuses = list(reversed(statuses))
        for status in statuses:
            code = message.error_code if status in ("failed", "undelivered") else None
            form = forms.status(
                sid=message.sid,
                account_sid=message.account_sid,
                from_=message.from_ or "",
                to=message.to,
                status=status,
                service_sid=message.messaging_service_sid,
                error_code=code,
            )
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


def twiml_problem(answer: Answer) -> int | None:
    """11750 for an answer over 64 kB, 12300 for a body that is not TwiML by its Content-Type."""
    if len(answer.content) > TWIML_MAX_BYTES:
        return TWIML_TOO_LARGE
    if answer.content.strip() and media.mime_type(answer.headers.get("content-type", "")) not in TWIML_TYPES:
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
