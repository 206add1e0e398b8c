"""The SMS channel: webhook decisions, access policy, pairing, agent turns and replies.

`Runtime` holds what one gateway process knows (config, reloaded when the
file changes; state directory; limits). `handle_webhook` decides the HTTP
answer exactly as the plugin does and hands back the work to run after it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from emulator import agent_script
from harness.gateways.reference import access, config, signature, text, twilio_api
from harness.gateways.reference.limits import (
    CALLBACKS_PER_MINUTE,
    INVALID_PER_MINUTE,
    ROUTE_PER_MINUTE,
    SENDER_PER_MINUTE,
    Seen,
    Window,
)
from harness.gateways.reference.state import StateDir

log = logging.getLogger("refclaw.sms")
TWIML_EMPTY = "<Response></Response>"
XML = "text/xml; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
MAX_BODY_BYTES = 32 * 1024
BODY_TIMEOUT_SECONDS = 5
CHANNEL_PREFIX = re.compile(r"^(?P<prefix>[a-z][a-z0-9-]*):(?P<rest>.*)$", re.IGNORECASE)
ACCEPTED_PREFIXES = {"sms", "twilio-sms", "rcs"}


@dataclass
class Answer:
    status: int
    body: str = ""
    content_type: str = PLAIN
    work: Callable[[], Awaitable[None]] | None = None


class Runtime:
    """One gateway's config, state and limits."""

    def __init__(self, config_path: Path, state_dir: Path, env: Mapping[str, str]) -> None:
        self.config_path = config_path
        self.state = StateDir(state_dir)
        self.env = dict(env)
        self._stamp: tuple[float, int] | None = None
        self.resolved = config.Resolved([], [], [])
        self.sender_limit = Window(SENDER_PER_MINUTE)
        self.route_limit = Window(ROUTE_PER_MINUTE)
        self.invalid_limit = Window(INVALID_PER_MINUTE)
        self.callback_limit = Window(CALLBACKS_PER_MINUTE)
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
                account.webhook_path,
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
        return next((a for a in self.current().accounts if a.webhook_path == path), None)

    def account(self, account_id: str | None) -> config.Account:
        accounts = self.current().known  # OpenClaw's CLI sends even through an account that did not start
        if not accounts:
            raise config.ConfigError("channels.sms: no SMS account is configured and enabled")
        if account_id is None:
            return next((a for a in accounts if a.id == "default"), accounts[0])
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
    request_url: str,
) -> Answer:
    """The plugin's answer to one request on the account's webhookPath."""
    if method != "POST":
        return Answer(405, "Method Not Allowed")
    if len(body) > MAX_BODY_BYTES:
        return Answer(413, "Payload Too Large")
    now = time.monotonic()
    form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if not signature_ok(account, query, form, headers, request_url):
        if not runtime.invalid_limit.allow(client, now):
            return Answer(429, "Rate limit exceeded")
        log.warning("sms account '%s': rejected a request with an invalid signature", account.id)
        return invalid_signature_answer()
    fields = dict(form)
    sid = fields.get("MessageSid") or fields.get("SmsSid") or fields.get("SmsMessageSid")
    if not sid:
        return Answer(400, "Missing MessageSid")
    if "MessageStatus" in fields:
        if not runtime.callback_limit.allow(account.id, now):
            return Answer(429, "Rate limit exceeded")
        return status_callback(runtime, account, fields)
    if not runtime.seen.first_time(sid):
        log.info("sms account '%s': replayed MessageSid %s ignored", account.id, sid)
        return Answer(200, TWIML_EMPTY, XML)
    sender = normalize_sender(fields.get("From", ""))
    if sender is None:  # as OpenClaw: answered, not dispatched
        log.info("sms account '%s': sender %r is not an SMS number; ignored", account.id, fields.get("From"))
        return Answer(200, TWIML_EMPTY, XML)
    if not runtime.route_limit.allow(account.id, now) or not runtime.sender_limit.allow(f"{account.id}:{sender}", now):
        return Answer(429, "Rate limit exceeded")
    body_text = fields.get("Body", "")
    media = [v for k, v in form if k.startswith("MediaUrl")]

    async def work() -> None:
        await dispatch(runtime, account, sender, body_text, media, fields.get("To", ""))

    return Answer(200, TWIML_EMPTY, XML, work)


def signature_ok(
    account: config.Account, query: str, form: list[tuple[str, str]], headers: Mapping[str, str], request_url: str
) -> bool:
    if account.disable_signature_validation:
        return True
    if not account.auth_token:
        return False
    url = signature.signed_url(account.public_webhook_url or request_url, query)
    return signature.valid(account.auth_token, url, form, headers.get("X-Twilio-Signature"))


def invalid_signature_answer() -> Answer:
    return Answer(403, "Invalid signature", XML)


def normalize_sender(raw: str) -> str | None:
    """`sms:`/`twilio-sms:`/`rcs:` prefixes are stripped; other channel addresses (whatsapp:…) refused."""
    value = raw.strip()
    match = CHANNEL_PREFIX.match(value)
    if match:
        if match.group("prefix").lower() not in ACCEPTED_PREFIXES:
            return None
        value = match.group("rest").strip()
    return value if config.E164.match(value) else None


def status_callback(runtime: Runtime, account: config.Account, fields: dict[str, str]) -> Answer:
    """Delivery status: only from this account, duplicates ignored; always 200."""
    if not status_account_ok(account, fields):
        log.warning("sms account '%s': status callback for another AccountSid ignored", account.id)
    elif not runtime.state.record_status(account.id, fields, runtime.state.now()):
        log.info("sms account '%s': duplicate status callback ignored", account.id)
    else:
        log.info(
            "sms account '%s': message %s is %s", account.id, fields.get("MessageSid"), fields.get("MessageStatus")
        )
    return Answer(200, TWIML_EMPTY, XML)


def status_account_ok(account: config.Account, fields: dict[str, str]) -> bool:
    return fields.get("AccountSid") == account.account_sid


# -- after the 200: access, pairing, the agent, the reply ----------------------------------------


async def dispatch(
    runtime: Runtime, account: config.Account, sender: str, body: str, media: list[str], to: str
) -> None:
    now = runtime.state.now()
    decision = access.decide(account, sender, runtime.state.approved(account.id))
    if decision == access.DENY:
        log.info("sms account '%s': message from %s dropped by dmPolicy %s", account.id, sender, account.dm_policy)
        return
    if decision == access.PAIR:
        request, created = runtime.state.request_pairing(account.id, sender, now)
        if created:
            log.info("sms account '%s': pairing request %s created for %s", account.id, request.code, sender)
            await send_text(account, reply_target(sender, to), access.pairing_reply(sender, request.code), plain=False)
        return
    runtime.state.record_turn(account.id, sender, body, now)
    await send_text(account, reply_target(sender, to), agent_script.reply_for(body))


def reply_target(sender: str, to: str) -> str:
    """Replies go back to whoever wrote."""
    return sender


async def send_text(account: config.Account, to: str, reply: str, plain: bool = True) -> list[str]:
    """Plain text, chunked, sent in order; returns the message sids."""
    body = text.to_plain(reply) if plain else reply
    sids = []
    for piece in text.chunk(body, account.text_chunk_limit):
        try:
            sent = await twilio_api.send_message(account, to, piece)
        except twilio_api.TwilioCallError as exc:
            log.error("sms account '%s': reply to %s not sent: %s", account.id, to, exc)
            return sids
        sids.append(sent.sid)
    return sids
