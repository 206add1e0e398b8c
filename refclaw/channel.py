"""The SMS channel: webhook decisions, access policy, pairing, agent turns and replies.

`Runtime` holds what one gateway process knows (config, reloaded when the
file changes; state directory; limits). `handle_webhook` decides the HTTP
answer exactly as the plugin does and hands back the work to run after it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from refclaw import access, agent, config, delivery, inbound, js, media, numbers, signature, text, twilio_api
from refclaw.limits import (
    CALLBACKS_PER_MINUTE,
    INVALID_PER_MINUTE,
    ROUTE_KEYS,
    ROUTE_PER_MINUTE,
    SENDER_PER_MINUTE,
    FixedWindow,
    Seen,
)
from refclaw.state import StateDir

log = logging.getLogger("refclaw.sms")
TWIML_EMPTY = "<Response></Response>"
XML = "text/xml; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
MAX_BODY_BYTES = 32 * 1024
BODY_TIMEOUT_SECONDS = 5
RATE_LIMITED = "Rate limit exceeded"
ACCEPTED_HEADER = ("x-openclaw-delivery-accepted", "durable")  # on an accepted message or callback


@dataclass
class Answer:
    status: int
    body: str = ""
    content_type: str = PLAIN
    work: Callable[[], Awaitable[None]] | None = None
    accepted: bool = False
    sid: str = ""  # the message this request was about, if any


class Runtime:
    """One gateway's config, state and limits."""

    def __init__(self, config_path: Path, state_dir: Path, env: Mapping[str, str]) -> None:
        self.config_path = config_path
        self.state = StateDir(state_dir)
        self.env = dict(env)
        self._stamp: tuple[float, int] | None = None
        self.resolved = config.Resolved([], [], [])
        self.sender_limit = FixedWindow(SENDER_PER_MINUTE)
        self.route_limit = FixedWindow(ROUTE_PER_MINUTE, ROUTE_KEYS)
        self.invalid_limit = FixedWindow(INVALID_PER_MINUTE)
        self.callback_limit = FixedWindow(CALLBACKS_PER_MINUTE)
        self.seen = Seen()

    def load(self) -> config.Resolved:
        """Read and resolve the config now; raises ConfigError."""
        stamp = self._file_stamp()
        resolved = config.resolve(config.load_file(self.config_path), self.env)
        self.resolved, self._stamp = resolved, stamp
        for warning in resolved.warnings:
            log.warning(warning)
        for error in resolved.errors:
            log.error(error)
        for account in resolved.accounts:
            log.info(
                "sms webhook listening on %s (account %s, dmPolicy %s)",
                account.route,
                account.id,
                account.dm_policy,
            )
        return resolved

    def current(self) -> config.Resolved:
        """The config, reloaded if the file changed (hot reload); a bad edit keeps the last good one."""
        if self._file_stamp() != self._stamp:
            try:
                self.load()
            except config.ConfigError as exc:
                self._stamp = self._file_stamp()
                log.error("config reload refused, keeping the previous config: %s", exc)
        return self.resolved

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            stat = self.config_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime, stat.st_size

    def account_for_path(self, path: str) -> config.Account | None:
        return next((a for a in self.current().accounts if a.route == path), None)

    def account(self, account_id: str | None) -> config.Account:
        accounts = self.current().known  # OpenClaw's CLI sends even through an account that did not start
        if not accounts:
            raise config.ConfigError("channels.sms: no SMS account is configured and enabled")
        account_id = account_id or config.default_id([a.id for a in self.current().all])
        for account in accounts:
            if account.id == account_id:
                return account
        raise config.ConfigError(
            f"channels.sms.accounts.{account_id}: no such account (known: {', '.join(a.id for a in accounts)})"
        )


# -- the webhook ------------------------------------------------------------------------------


def handle_webhook(
    runtime: Runtime,
    account: config.Account,
    method: str,
    query: str,
    body: bytes,
    headers: Mapping[str, str],
    client: str,
) -> Answer:
    """The plugin's answer to one request on the account's webhookPath, its checks in its order."""
    if method != "POST":
        return Answer(405, "Method not allowed", XML)
    now = runtime.state.now()
    client_key = f"{account.id}:{account.webhook_path}:{client}"
    invalid_limited = runtime.invalid_limit.is_limited(client_key, now)  # every request counts, valid ones too
    if len(body) > MAX_BODY_BYTES:
        return Answer(413, "Payload too large", XML)
    form = inbound.parse_form(body)
    fields = inbound.first_values(form)
    unsigned = account.disable_signature_validation
    if not unsigned and not signature_ok(account, query, form, headers):
        if invalid_limited:
            return Answer(429, RATE_LIMITED, XML)
        log.warning("sms account '%s': webhook rejected invalid Twilio signature", account.id)
        return invalid_signature_answer()
    if invalid_limited and unsigned:
        return Answer(429, RATE_LIMITED, XML)
    sid = inbound.message_id(fields)
    answer = decide(runtime, account, fields, sid, client_key, unsigned, now)
    answer.sid = sid
    return answer


def decide(
    runtime: Runtime,
    account: config.Account,
    fields: dict[str, str],
    sid: str,
    client_key: str,
    unsigned: bool,
    now: float,
) -> Answer:
    """After the signature: a callback or a message, its limits, then whether to dispatch it."""
    if is_status_form(fields):
        if unsigned and runtime.sender_limit.is_limited(client_key, now):
            return Answer(429, RATE_LIMITED, XML)
        if not sid:
            return Answer(400, "Missing MessageSid", XML)
        if not callback_from_account(account, fields):
            log.warning("sms account '%s': delivery callback for another AccountSid ignored (%s)", account.id, sid)
            return Answer(200, TWIML_EMPTY, XML)
        if runtime.callback_limit.is_limited(f"{account.id}:{account.webhook_path}", now):
            return Answer(503, "Service unavailable", XML)
        status_callback(runtime, account, fields)
        return Answer(200, TWIML_EMPTY, XML, accepted=True)
    sender = numbers.inbound_sender(fields.get("From", "")) or ""
    dispatch_key = client_key if unsigned else f"{account.id}:{account.webhook_path}:{sender}"
    if runtime.sender_limit.is_limited(dispatch_key, now):
        return Answer(429, RATE_LIMITED, XML)
    if not unsigned and runtime.route_limit.is_limited(f"{account.id}:{account.webhook_path}", now):
        return Answer(429, RATE_LIMITED, XML)
    if not sid:
        return Answer(400, "Missing MessageSid", XML)
    if not runtime.seen.first_time(sid, now):
        log.warning("sms account '%s': webhook ignored replayed message %s", account.id, sid)
        return Answer(200, TWIML_EMPTY, XML, accepted=True)
    message = admitted(account, fields)
    if message is None:
        return Answer(200, TWIML_EMPTY, XML, accepted=True)

    async def work() -> None:
        await dispatch(runtime, account, message)

    return Answer(200, TWIML_EMPTY, XML, work, accepted=True)


def signature_ok(account: config.Account, query: str, form: list[tuple[str, str]], headers: Mapping[str, str]) -> bool:
    url = signature.signed_url(account.public_webhook_url or "", query)
    return signature.valid(account.auth_token or "", url, form, headers.get("X-Twilio-Signature"))


def invalid_signature_answer() -> Answer:
    return Answer(403, "Invalid signature", XML)


def callback_from_account(account: config.Account, fields: dict[str, str]) -> bool:
    return bool(fields.get("AccountSid")) and fields.get("AccountSid") == account.account_sid


def is_status_form(fields: dict[str, str]) -> bool:
    """A delivery status callback: MessageStatus, or an SmsStatus other than received/receiving."""
    return bool(delivery.callback_status(fields))


def admitted(account: config.Account, fields: dict[str, str]) -> inbound.Inbound | None:
    """The message, if the plugin would dispatch it (after its 200); else None, with the reason logged."""
    message = inbound.parse(fields)
    reason = None
    if message is None:
        reason = "SMS ingress payload is invalid."
    elif message.account_sid != account.account_sid:
        reason = "SMS ingress payload has an invalid Twilio account."
    elif message.to.lower().startswith("rcs:"):
        if account.messaging_service_sid and message.service_sid != account.messaging_service_sid:
            reason = "SMS ingress payload has an invalid Twilio Messaging Service."
        message.media, message.unavailable_media = [], 0
    elif account.from_number:
        recipient = numbers.normalize(message.to)
        if not numbers.looks_like(recipient) or recipient != account.from_number:
            reason = "SMS ingress payload has an invalid Twilio recipient."
    elif not message.service_sid or message.service_sid != account.messaging_service_sid:
        reason = "SMS ingress payload has an invalid Twilio Messaging Service."
    if reason:
        log.warning("sms account '%s': message %s not dispatched: %s", account.id, inbound.message_id(fields), reason)
        return None
    return message


def status_callback(runtime: Runtime, account: config.Account, fields: dict[str, str]) -> None:
    """A delivery observation from this account; the same one twice is a duplicate."""
    sid, status = inbound.message_id(fields), delivery.callback_status(fields)
    error = js.trim(fields.get("ErrorCode", ""))
    if runtime.state.record_delivery(account.id, sid, status, error, "callback", runtime.state.now()):
        log.info("sms account '%s': SMS delivery observation %s recorded for message %s", account.id, status, sid)
    else:
        log.info("sms account '%s': SMS delivery callback ignored duplicate for message %s", account.id, sid)


# -- after the 200: access, pairing, the agent, the reply ----------------------------------------


async def dispatch(runtime: Runtime, account: config.Account, message: inbound.Inbound) -> None:
    now, sender = runtime.state.now(), message.sender
    decision = access.decide(account, sender, runtime.state.approved(account.id))
    if decision == access.DENY:
        log.warning(
            "sms account '%s': SMS sender %s is not authorized (dmPolicy %s)", account.id, sender, account.dm_policy
        )
        return
    if decision == access.PAIR:
        request, created = runtime.state.request_pairing(account.id, sender, now)
        if request is not None and created:
            log.info("sms account '%s': SMS pairing request created for %s", account.id, sender)
            await send_text(account, runtime.state, reply_target(message), access.pairing_reply(sender, request.code))
        return
    runtime.state.record_turn(account.id, sender, message.body, now)
    body, files = await media.materialize(account, message, runtime.state.root / "media" / "inbound")
    try:
        reply = await agent.answer("\n".join([*media.attachment_lines(files), body]))
    except agent.AgentError as exc:
        log.error("sms account '%s': agent turn for %s failed: %s", account.id, sender, exc)
        return
    await send_text(account, runtime.state, reply_target(message), reply)


def reply_target(message: inbound.Inbound) -> str:
    """Replies go back to whoever wrote."""
    return message.sender


async def send_text(account: config.Account, state: StateDir, to: str, reply: str) -> list[str]:
    """The reply as the plugin sends it: plain text, chunked, in order; returns the message sids."""
    sids = []
    for piece in text.sms_chunks(reply, account.text_chunk_limit):
        try:
            sent = await twilio_api.send_message(account, to, piece)
        except twilio_api.TwilioCallError as exc:
            log.error("sms account '%s': reply to %s not sent: %s", account.id, to, exc)
            return sids
        sids.append(sent.sid)
        status = delivery.normalize_status(sent.status)
        if status:  # the send response's status counts as an observation too
            state.record_delivery(account.id, sent.sid, status, "", "api-response", state.now())
    return sids
