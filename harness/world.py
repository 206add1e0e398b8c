"""One scenario's world: Twilio accounts in the emulator, phones, the gateway's setup, expectations.

Step definitions call these methods and nothing else. Every expectation waits
with a timeout and, when it fails, says what was expected, what was seen, and
shows the emulator's record of the exchange (tokens redacted).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from faker import Faker

from emulator import media, signing
from emulator.client import EmulatorClient, Provisioned, WaitTimeout
from harness import secrets
from harness.accounts import AccountPool, Shape
from harness.drivers.base import CliResult, DriverError, GatewayDriver, PairingEntry, Setup, Unsupported
from harness.senders import Sender

PUBLIC_BASE = "https://gateway.example.test"
MAX_LOAD = 5000  # the most requests one scenario sends (the delivery-callback limit is 3000 a minute)
DEFAULT_PATH = "/webhooks/sms"
MEDIA_FILE = re.compile(r"/Messages/\w+/Media/ME\w+$")
CDN_FILE = re.compile(r"^/AC\w+/ME\w+$")  # a short-lived mms.twiliocdn.com link (whatever Host it came in on)
# OpenClaw lists a turn's attachments as "[media attached 1/2: <path> (<type>)]" ("[media attached: …]" for one)
ATTACHMENT = re.compile(r"\[media attached(?: \d+/\d+)?: [^\n]*? \(([^()\n]+)\)\]")


@dataclass
class TwilioAccount:
    name: str
    sid: str
    token: str
    number: str | None
    path: str
    services: dict[str, str] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return PUBLIC_BASE + self.path


class World:
    """Everything one scenario set up and observed."""

    def __init__(
        self,
        emu: EmulatorClient,
        driver: GatewayDriver,
        sender: Sender,
        fake: Faker,
        pool: AccountPool,
        quiet_seconds: float = 1.0,
    ) -> None:
        self.emu, self.driver, self.sender, self.fake, self.pool = emu, driver, sender, fake, pool
        self.taken: list[tuple[Shape, Provisioned]] = []  # accounts from the pool, given back by close()
        self.dirty = False  # a fault or a changed number/service: the accounts are not reused
        # How long a message that must not come is waited for, and one that must: the gateway's pace.
        self.quiet_seconds = max(quiet_seconds, driver.quiet_seconds)
        self.reply_timeout = driver.reply_timeout
        self.accounts: dict[str, TwilioAccount] = {}
        self.phones: dict[str, str] = {}
        self.channel: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.start_seq = emu.cursor()
        self.mark = self.start_seq
        self.acted_at = time.monotonic()
        self.admitted: list[str] = []  # inbound messages the gateway accepted since the last action
        self.answered = 0  # requests to the webhook since the last action, whatever their answer
        self.turns_before: int | None = None  # agent turns when the first of them went in
        self.last_cli: CliResult | None = None
        self.last_inbound: dict[str, Any] | None = None
        self.last_http: httpx.Response | None = None
        self.pairing_code: str | None = None
        self.pairing_codes: dict[str, str] = {}
        self.started = False
        self.last_probe: dict[str, Any] | None = None
        self.chunks: list[dict[str, Any]] = []
        self.sent_forms: list[dict[str, str]] = []
        self.file_sent = b""  # the file the operator last attached
        self.changed_settings: dict[str, Any] = {}  # emulator settings to put back when the scenario ends

    # -- Twilio side -------------------------------------------------------------------------

    def twilio_setting(self, **values: Any) -> None:
        """Change how the emulator behaves for this scenario only (see close)."""
        before = self.emu.settings()
        for key in values:
            self.changed_settings.setdefault(key, before.get(key))
        self.emu.settings(**values)

    def close(self) -> None:
        """Put back the emulator settings the scenario changed, and its accounts if it left them clean."""
        if self.changed_settings:
            self.emu.settings(**self.changed_settings)
        if not self.dirty:
            for shape, made in self.taken:
                self.pool.give_back(shape, made, self.start_seq)

    def add_account(
        self,
        name: str = "main",
        *,
        path: str = DEFAULT_PATH,
        trial: bool = False,
        verified: tuple[str, ...] = (),
        number: bool = True,
        sms_method: str = "POST",
    ) -> TwilioAccount:
        shape = Shape(PUBLIC_BASE + path, sms_method, trial, verified, number)
        made = self.pool.take(shape, self.fake.numerify("+1555%######"))
        self.taken.append((shape, made))
        secrets.register(made.auth_token)
        account = TwilioAccount(name, made.sid, made.auth_token, made.numbers[0] if made.numbers else None, path)
        self.accounts[name] = account
        return account

    def add_fault(self, kind: str, params: dict[str, Any] | None = None, **scope: Any) -> None:
        """Inject an emulator fault; the scenario's accounts are not reused after it."""
        self.dirty = True
        self.emu.add_fault(kind, params, **scope)

    def account(self, name: str = "main") -> TwilioAccount:
        if name not in self.accounts:
            raise AssertionError(f"the scenario has no Twilio account {name!r} (has: {', '.join(self.accounts)})")
        return self.accounts[name]

    def add_service(self, name: str, account: str = "main", *, use_number_webhook: bool = False) -> str:
        self.dirty = True
        acct = self.account(account)
        service = self.emu.add_service(
            acct.sid,
            inbound_request_url=acct.public_url,
            use_inbound_webhook_on_number=use_number_webhook,
            numbers=[acct.number] if acct.number else [],
        )
        acct.services[name] = service["sid"]
        return service["sid"]

    def set_number_webhook(self, url: str, method: str = "POST", account: str = "main") -> None:
        self.dirty = True
        acct = self.account(account)
        number = next(n for n in self.emu.state()["numbers"] if n["phone_number"] == acct.number)
        with httpx.Client(auth=(acct.sid, acct.token), trust_env=False, timeout=10) as http:
            response = http.post(f"{self.emu.base_url}{number['uri']}", data={"SmsUrl": url, "SmsMethod": method})
        if response.status_code != 200:
            raise AssertionError(f"updating the number's webhook failed: {response.status_code} {response.text}")

    # -- the gateway's setup -------------------------------------------------------------------

    def full_channel(self, account: str = "main", **overrides: Any) -> dict[str, Any]:
        """A complete channels.sms block for a Twilio account, as the guide's example."""
        acct = self.account(account)
        block: dict[str, Any] = {
            "enabled": True,
            "accountSid": acct.sid,
            "authToken": acct.token,
            "publicWebhookUrl": acct.public_url,
            "dmPolicy": "pairing",
        }
        if acct.number:
            block["fromNumber"] = acct.number
        if acct.path != DEFAULT_PATH:
            block["webhookPath"] = acct.path
        block.update(overrides)
        return block

    def expand(self, value: Any) -> Any:
        """Placeholders in Gherkin values: <account sid>, <auth token>, <number>, <public url>, <service X>,
        <phone X> and its other spellings <phone X digits> (no +) and <phone X dashed> (+1 (555) 123-4567)."""
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if not isinstance(value, str) or "<" not in value:
            return value
        out = value
        for name, acct in self.accounts.items():
            suffix = "" if name == "main" else f" {name}"
            out = (
                out.replace(f"<account sid{suffix}>", acct.sid)
                .replace(f"<auth token{suffix}>", acct.token)
                .replace(f"<number{suffix}>", acct.number or "")
                .replace(f"<public url{suffix}>", acct.public_url)
            )
            for service, sid in acct.services.items():
                out = out.replace(f"<service {service}>", sid)
        while "<phone " in out:
            start = out.index("<phone ")
            end = out.index(">", start)
            name, _, spelling = out[start + 7 : end].partition(" ")
            out = out[:start] + spell(self.phone(name), spelling) + out[end + 1 :]
        return out

    def start(self, fresh: bool = False) -> None:
        """Run the gateway with the scenario's channel config and environment.

        With signature validation off every request counts toward the per-client limit of the
        path (300 a minute; the emulator's status callbacks too), so such a scenario gets a path
        of its own rather than the crowded default one.
        """
        if self.channel.get("dangerouslyDisableSignatureValidation") is True and "main" in self.accounts:
            self.own_path()
        try:
            self.driver.apply(Setup(self.expand(self.channel), self.expand(self.env), fresh), self.emu.base_url)
        except DriverError as exc:
            self.fail("the gateway to start with the scenario's configuration", str(exc))
        self.emu.add_route(PUBLIC_BASE, self.driver.local_url)
        self.started = True

    def own_path(self, account: str = "main") -> None:
        """Move the account to a webhook path no earlier scenario used.

        Rate limits are kept per webhook path (and client or sender), so the scenario meets
        untouched limits and leaves the next scenario's path untouched too, with no restart.
        """
        acct = self.account(account)
        if not acct.path.startswith(f"{DEFAULT_PATH}-"):
            acct.path = f"{DEFAULT_PATH}-{self.fake.hexify('^' * 8)}"
            self.set_number_webhook(acct.public_url, account=account)
        self.channel["webhookPath"] = acct.path
        if self.channel.get("publicWebhookUrl") == PUBLIC_BASE + DEFAULT_PATH:
            self.channel["publicWebhookUrl"] = acct.public_url

    def set_channel(self, block: dict[str, Any]) -> None:
        """Replace channels.sms; a running gateway gets the new config."""
        self.channel = block
        if self.started:
            self.start()

    def configure(self, **keys: Any) -> None:
        """Change channels.sms keys (None removes one); a running gateway gets the new config."""
        for key, value in keys.items():
            if value is None:
                self.channel.pop(key, None)
            else:
                self.channel[key] = value
        if self.started:
            self.start()

    def send_file(self, target: str, caption: str, spec: dict[str, Any]) -> CliResult:
        """The operator sends a local file (made to `spec`: content_type, size) with a caption."""
        kind, size = str(spec["content_type"]), int(spec["size"])
        self.file_sent = media.sample_file(kind, size, f"{target}:{caption}")
        self.act()
        with tempfile.TemporaryDirectory(prefix="sms-harness-media-") as folder:  # the gateway copies it on send
            path = Path(folder) / f"attachment{mimetypes.guess_extension(kind) or '.bin'}"
            path.write_bytes(self.file_sent)
            return self.run(self.driver.message_send(self.expand(target), caption, "sms", media=str(path)))

    def run(self, result: CliResult) -> CliResult:
        """Remember a CLI call (for the next check and the transcript)."""
        self.last_cli = result
        return result

    def act(self) -> None:
        """An action starts here: replies are looked for after this point, quiet windows run from it."""
        self.mark = self.emu.cursor()
        self.acted_at = time.monotonic()
        self.admitted = []
        self.answered = 0
        self.turns_before = None

    def wait_quiet(self) -> None:
        """Until nothing more can come of the last action.

        That is when every request of the action was refused (or was a status callback) and no
        agent turn started, or when the gateway says it is done with every message the action got
        admitted and either no agent turn started since or every turn that did has been answered
        (then the driver's settle time); else when the quiet window after the action has passed.
        """
        deadline = self.acted_at + self.quiet_seconds
        counted = self.turns_before is not None and self.turns_before >= 0
        if counted and self.answered and not self.admitted and self.driver.agent_turns() == self.turns_before:
            time.sleep(self.driver.settle_seconds)  # every request was refused or was a callback: none can lead on
            return
        if (
            counted
            and self.admitted
            and self._all_settled(deadline)
            and (self.driver.agent_turns() == self.turns_before or self._turns_answered(deadline))
        ):
            time.sleep(self.driver.settle_seconds)
            return
        time.sleep(max(0.0, deadline - time.monotonic()))

    def _turns_answered(self, deadline: float) -> bool:
        """Every agent turn since the action has its reply, and nothing moves for a settle time.

        A turn's reply goes out after the model answers: once an outbound message is newer than
        the newest model request, the gateway says it is done with the action's messages (its
        queue is empty), and neither the turns nor the outbound messages move for the driver's
        settle time, the turn is over.
        """
        while time.monotonic() < deadline:
            asked = self.emu.model_requests(after=self.mark)
            sent = self.outbound(after=self.mark)
            if asked and sent and max(m["seq"] for m in sent) > max(r["seq"] for r in asked):
                time.sleep(self.driver.settle_seconds)
                still = (len(self.emu.model_requests(after=self.mark)), len(self.outbound(after=self.mark)))
                if still == (len(asked), len(sent)) and self._all_settled(deadline):
                    return True
            else:
                time.sleep(0.1)
        return False

    def _all_settled(self, deadline: float) -> bool:
        waiting = list(self.admitted)
        while True:
            answers = [self.driver.settled(sid) for sid in waiting]
            if None in answers:
                return False  # the gateway cannot tell: the quiet window decides
            waiting = [sid for sid, done in zip(waiting, answers, strict=True) if not done]
            if not waiting:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def admit(self, sid: str | None, status: int | None) -> None:
        """A message the gateway answered 200 is one to wait for; a refused one never reaches the agent."""
        self.answered += 1
        if sid and status == 200:
            self.admitted.append(sid)

    def before_inbound(self) -> None:
        """Counts agent turns before a message goes in, so a quiet wait can tell whether one started."""
        if self.turns_before is None:
            try:
                self.turns_before = self.driver.agent_turns()
            except Unsupported:
                self.turns_before = -1  # a gateway that cannot count turns waits its quiet window

    # -- phones ----------------------------------------------------------------------------------

    def phone(self, name: str) -> str:
        if name not in self.phones:
            self.phones[name] = self.fake.numerify("+1555%######")
        return self.phones[name]

    def text(
        self,
        phone: str,
        body: str,
        to: str | None = None,
        account: str = "main",
        media: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The phone texts the number (or a Messaging Service), with files for an MMS: the webhook exchange, done."""
        self.act()
        target = to or self.account(account).number
        if target is None:
            raise AssertionError(f"account {account!r} has no number to text")
        self.before_inbound()
        self.last_inbound = self.sender.send(self.phone(phone), target, body, media)
        message = self.last_inbound.get("message") or {}
        for delivery in self.last_inbound.get("deliveries") or []:
            self.admit(message.get("sid"), (delivery.get("attempts") or [{}])[-1].get("status"))
        return self.last_inbound

    def post_inbound_with(self, phone: str, body: str, field_name: str, value: str | None) -> httpx.Response:
        """A signed inbound form from the phone with one field set (or removed, for null)."""
        form = self.inbound_form(phone, body)
        if value is None:
            form.pop(field_name, None)
        else:
            form[field_name] = self.expand(value)
        return self.post_webhook(form)

    def ask_agent(self, phone: str, answer: str) -> dict[str, Any]:
        """The phone asks the scripted agent to answer exactly `answer` (any text, carried as JSON)."""
        return self.text(phone, "reply verbatim " + json.dumps(answer))

    # -- direct HTTP to the gateway (what a proxy or an attacker could send) -------------------------

    def post_webhook(
        self,
        form: dict[str, str],
        *,
        account: str = "main",
        method: str = "POST",
        signed: bool = True,
        query: str = "",
        extra_bytes: int = 0,
        signer: str | None = None,
        path: str | None = None,
        http: httpx.Client | None = None,
        repeat: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send a form straight to the gateway, signed over the public URL as Twilio would sign it.

        `http`: a client to reuse (a load of requests); without one, this request is a new action.
        """
        acct = self.account(account)
        pairs = list(form.items()) + ([repeat] if repeat else [])  # a key sent twice, as a form may
        if extra_bytes:
            pairs.append(("Padding", "x" * extra_bytes))
        route = path or acct.path
        url = PUBLIC_BASE + route + (f"?{query}" if query else "")
        token = self.account(signer).token if signer else acct.token
        headers = {"X-Twilio-Signature": signing.sign(token, url, pairs if method == "POST" else [])} if signed else {}
        body = urlencode(pairs)
        local = self.driver.local_url + route + (f"?{query}" if query else "")
        request = {
            "content": body if method != "GET" else None,
            "headers": {**headers, "Content-Type": "application/x-www-form-urlencoded"},
        }
        if http is None:
            self.act()
        self.before_inbound()
        with contextlib.nullcontext(http) if http else httpx.Client(trust_env=False, timeout=15) as client:
            self.last_http = client.request(method, local, **request)
        sid = form.get("MessageSid") or form.get("SmsSid") or form.get("SmsMessageSid")
        self.admit(sid if "MessageStatus" not in form else None, self.last_http.status_code)
        return self.last_http

    def status_form(self, status: str, account_sid: str | None = None, sid: str | None = None) -> dict[str, str]:
        acct = self.account()
        sid = sid or "SM" + self.fake.hexify("^" * 32)
        return {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": account_sid or acct.sid,
            "From": acct.number or "",
            "To": self.phone("A"),
            "ApiVersion": "2010-04-01",
        }

    def limit(self, name: str) -> int:
        limits = self.driver.rate_limits()
        if name not in limits:
            raise Unsupported(f"the {self.driver.name} gateway does not say its {name} rate limit")
        value = int(limits[name])
        if not 0 < value <= MAX_LOAD:  # every load loop is bounded
            raise AssertionError(f"rate limit {name}={value} is outside what a scenario will send (1..{MAX_LOAD})")
        return value

    def post_many(self, forms: list[dict[str, str]], *, signed: bool = True) -> None:
        """Post forms one after another over one connection; `last_http` is the last answer."""
        self.act()
        with httpx.Client(trust_env=False, timeout=15) as http:
            for form in forms:
                self.post_webhook(form, signed=signed, http=http)
        self.sent_forms = forms

    def inbound_form(self, phone: str, body: str = "hi", account: str = "main", **extra: str) -> dict[str, str]:
        acct = self.account(account)
        sid = "SM" + self.fake.hexify("^" * 32)
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": acct.sid,
            "From": self.phone(phone),
            "To": acct.number or "",
            "Body": body,
            "NumMedia": "0",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        form.update(extra)
        return form

    # -- expectations --------------------------------------------------------------------------------

    def outbound(self, phone: str | None = None, after: int | None = None) -> list[dict[str, Any]]:
        match = {"direction": "outbound-api"}
        if phone is not None:
            match["to"] = self.phone(phone)
        return self.emu.messages(after=self.start_seq if after is None else after, **match)

    def wait_reply(self, phone: str, exactly: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        timeout = timeout or self.reply_timeout
        match = {"to": self.phone(phone), "direction": "outbound-api"}
        if exactly is not None:
            match["body"] = exactly
        try:
            return self.emu.wait(after=self.mark, match=match, timeout=timeout)
        except WaitTimeout as exc:
            want = f"a message to phone {phone} ({self.phone(phone)})" + (
                f" reading {exactly!r}" if exactly is not None else ""
            )
            seen = _short([m for m in exc.seen if m.get("direction") == "outbound-api"])
            self.fail(f"{want} within {timeout:g}s", seen or "no outbound message at all")
            raise

    def wait_replies(self, phone: str, count: int, timeout: float | None = None) -> list[dict[str, Any]]:
        timeout = timeout or self.reply_timeout
        deadline = time.monotonic() + timeout
        while True:
            got = self.outbound(phone, after=self.mark)
            if len(got) >= count and self._settled(phone, len(got)):
                return sorted(got, key=lambda m: m["seq"])
            if time.monotonic() > deadline:
                self.fail(f"{count} messages to phone {phone} within {timeout:g}s", _short(got))
            time.sleep(0.1)

    def _settled(self, phone: str, count: int) -> bool:
        """No further message arrives for a short while (all chunks are in)."""
        time.sleep(self.driver.settle_seconds)
        return len(self.outbound(phone, after=self.mark)) == count

    def expect_messages(self, phone: str, bodies: list[str]) -> None:
        """Exactly these SMS bodies reach the phone, in this order, and no more."""
        got = self.wait_replies(phone, len(bodies))
        seen = [m["body"] for m in got]
        if seen != bodies:
            self.fail(
                f"{len(bodies)} message(s) to phone {phone}, in order: {json.dumps(bodies, ensure_ascii=False)}",
                f"{len(seen)} message(s): {json.dumps(seen, ensure_ascii=False)}",
            )

    def expect_pairing_reply(self, phone: str) -> str:
        reply = self.wait_reply(phone)
        code = pairing_code(reply["body"])
        if code is None:
            self.fail("a pairing reply with an 8-character code of capital letters and digits", reply["body"])
        self.pairing_code = self.pairing_codes[phone] = code
        return code

    def expect_no_reply(self, phone: str, containing: str = "") -> None:
        """Nothing (or nothing containing the text) reaches the phone within the quiet window."""
        self.wait_quiet()
        got = [m for m in self.outbound(phone, after=self.start_seq) if containing in (m.get("body") or "")]
        if got:
            what = f"containing {containing!r} " if containing else ""
            self.fail(f"no message {what}to phone {phone} within {self.quiet_seconds:g}s", _short(got))

    def sent_requests(self) -> list[dict[str, Any]]:
        """Messages.json create calls the gateway made in this scenario."""
        return [c for c in self.emu.calls(after=self.start_seq, method="POST") if c["path"].endswith("/Messages.json")]

    def pairing_entries(self) -> list[PairingEntry]:
        result, entries = self.driver.pairing_list()
        self.last_cli = result
        if not result.ok:
            self.fail("`pairing list sms` to succeed", result.describe())
        return entries

    def delivery(self) -> dict[str, Any]:
        if not self.last_inbound or not self.last_inbound.get("deliveries"):
            self.fail("a webhook delivery for the last text", json.dumps(self.last_inbound)[:500])
        return self.last_inbound["deliveries"][-1]

    # -- checks the steps call ---------------------------------------------------------------------

    def expect_webhook_answer(self, status: int, body: str, content_type: str | None = None) -> None:
        attempt = self.delivery()["attempts"][-1]
        seen = (attempt.get("status"), (attempt.get("body") or "").strip())
        if seen != (status, body):
            self.fail(
                f"the webhook to answer {status} {body!r}", f"{seen[0]} {seen[1]!r} (error: {attempt.get('error')})"
            )
        got_type = {k.lower(): v for k, v in attempt.get("headers", {}).items()}.get("content-type", "")
        if content_type and content_type not in got_type:
            self.fail(f"Content-Type {content_type}", got_type or "none")

    def expect_http_answer(self, status: int, body: str | None, content_type: str | None = None) -> None:
        if self.last_http is None:
            self.fail("a request to the webhook", "none was sent")
        response = self.last_http
        seen_type = response.headers.get("content-type", "")
        if (
            response.status_code != status
            or (body is not None and response.text.strip() != body)
            or (
                content_type is not None and seen_type.replace(" ", "").lower() != content_type.replace(" ", "").lower()
            )
        ):
            self.fail(
                f"HTTP {status}"
                + (f" with body {body!r}" if body is not None else "")
                + (f" as {content_type}" if content_type else ""),
                f"HTTP {response.status_code} with body {response.text.strip()[:300]!r} as {seen_type or 'no type'}",
            )

    def expect_http_header(self, name: str, value: str) -> None:
        if self.last_http is None:
            self.fail("a request to the webhook", "none was sent")
        seen = self.last_http.headers.get(name)
        if seen != value:
            self.fail(
                f"the answer's header {name}: {value}", f"{name}: {seen}" if seen is not None else "no such header"
            )

    def expect_all_deliveries(self, status: int) -> None:
        deliveries = (self.last_inbound or {}).get("deliveries", [])
        seen = [d["attempts"][-1].get("status") for d in deliveries]
        if len(seen) < 2 or any(s != status for s in seen):
            self.fail(f"at least 2 deliveries, each answered {status}", str(seen))

    def expect_inbound_error(self, code: int) -> None:
        sid = (self.last_inbound or {}).get("message", {}).get("sid")
        listed = self.emu.messages(sid=sid) if sid else []
        seen = listed[0]["error_code"] if listed else None
        if seen != code:
            self.fail(f"Twilio error {code} logged on inbound message {sid}", f"error_code {seen}")

    def expect_exactly(self, phone: str, count: int) -> None:
        """`count` arrive within the reply timeout (a slow agent is not a missing reply), then no more."""
        deadline = time.monotonic() + self.reply_timeout
        while len(self.outbound(phone, after=self.mark)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        self.wait_quiet()
        got = self.outbound(phone, after=self.mark)
        if len(got) != count:
            self.fail(f"exactly {count} message(s) to phone {phone}", f"{len(got)}: {_short(got)}")

    def expect_pairing_text(self, phone: str) -> None:
        reply = self.wait_reply(phone)
        body, code = reply["body"], self.pairing_codes.get(phone)
        wanted = [self.phone(phone), f"openclaw pairing approve sms {code}"]
        missing = [w for w in wanted if w not in body]
        if missing:
            self.fail(f"the pairing reply to contain {missing}", body)

    def expect_chunks(self, phone: str, limit: int, least: int = 1) -> list[dict[str, Any]]:
        got = self.wait_replies(phone, least)
        deadline = time.monotonic() + self.reply_timeout
        while LONG_LANDMARKS_TAIL not in _joined(got) and time.monotonic() < deadline:
            time.sleep(0.2)
            got = sorted(self.outbound(phone, after=self.mark), key=lambda m: m["seq"])
        too_long = [len(m["body"]) for m in got if len(m["body"]) > limit]
        if too_long or len(got) < least:
            self.fail(
                f"at least {least} message(s) of at most {limit} characters",
                f"{len(got)} message(s) of lengths {[len(m['body']) for m in got]}",
            )
        self.chunks = got
        return got

    def expect_lengths(self, phone: str, lengths: list[int]) -> None:
        """Exactly these message lengths, in this order, and together the text that was asked for."""
        got = self.wait_replies(phone, len(lengths))
        seen = [len(m["body"]) for m in got]
        if seen != lengths or "".join(m["body"] for m in got) != unbreakable(sum(lengths)):
            self.fail(f"messages of {lengths} characters that join into the requested text", f"{seen}: {_short(got)}")

    def expect_chunks_read_as(self, markdown: str) -> None:
        joined = _joined(self.chunks)
        position = 0
        for landmark in long_landmarks(markdown):
            found = joined.find(_squash(landmark), position)
            if found < 0:
                self.fail(
                    f"the chunks, in order, to contain {landmark!r} after position {position}",
                    joined[max(0, position - 200) : position + 400],
                )
            position = found + len(_squash(landmark))

    def expect_absent_in_messages(self, phone: str, tokens: list[str]) -> None:
        for message in self.outbound(phone, after=self.mark):
            present = [t for t in tokens if t in message["body"]]
            if present:
                self.fail(f"no {present} in messages to phone {phone}", message["body"][:600])

    def expect_in_joined_chunks(self, text: str) -> None:
        if _squash(text) not in _joined(self.chunks):
            self.fail(f"{text!r} in the reply", _joined(self.chunks)[:800])

    def expect_sent_from(self, phone: str, account: str) -> None:
        acct = self.account(account)
        requests = [c for c in self.sent_requests() if dict(c["form"]).get("To") == self.phone(phone)]
        if not requests:
            self.fail(f"a Messages.json request to phone {phone}", "none")
        for call in requests:
            form = dict(call["form"])
            seen = (call["account_sid"], call["auth"], form.get("From"), call["path"])
            wanted = (acct.sid, "ok", acct.number, f"/2010-04-01/Accounts/{acct.sid}/Messages.json")
            if seen != wanted:
                self.fail(f"sent as account {acct.sid} (auth ok) from {acct.number}", str(seen))

    def expect_request_param(self, name: str, value: str | None) -> None:
        requests = self.sent_requests()
        if not requests:
            self.fail("a Messages.json request", "none")
        for call in requests:
            seen = dict(call["form"]).get(name)
            if seen != value:
                self.fail(f"{name}={value!r} on every Messages.json request", f"{name}={seen!r}")

    def expect_no_send_request(self) -> None:
        requests = self.sent_requests()
        if requests:
            self.fail("no Messages.json request", f"{len(requests)} request(s)")

    def expect_pairing_listed(self, phone: str, code: str | None) -> None:
        entries = self.pairing_entries()
        if not any(e.sender == self.phone(phone) and (code is None or e.code == code) for e in entries):
            self.fail(
                f"phone {phone} ({self.phone(phone)}) with code {code} in `pairing list sms`",
                str([(e.sender, e.code) for e in entries]),
            )

    def expect_pairing_not_listed(self, phone: str) -> None:
        entries = self.pairing_entries()
        if any(e.sender == self.phone(phone) for e in entries):
            self.fail(f"phone {phone} absent from `pairing list sms`", str([(e.sender, e.code) for e in entries]))

    def expect_cli(self, ok: bool, says: str | None = None, one_line: bool = False) -> None:
        result = self.last_cli
        if result is None:
            self.fail("a CLI call", "none was made")
        output = result.stdout + result.stderr
        if result.ok != ok or (says is not None and says.lower() not in output.lower()):
            self.fail(
                ("the command to succeed" if ok else "the command to fail")
                + (f", mentioning {says!r}" if says else ""),
                result.describe(),
            )
        if one_line and len(result.stderr.strip().splitlines()) != 1:
            self.fail("exactly one line on stderr", result.describe())

    # -- MMS -----------------------------------------------------------------------------------

    def media_requests(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Since the last action: requests for Media files at api.twilio.com, and at Twilio's CDN."""
        calls = self.emu.calls(after=self.mark)
        files = [c for c in calls if c["method"] == "GET" and MEDIA_FILE.search(c["path"])]
        cdn = [c for c in calls if CDN_FILE.match(c["path"])]
        return files, cdn

    def expect_media_requested(self, count: int) -> None:
        """`count` distinct files of the last inbound message asked for, every time with the account's credentials."""
        if not self.admitted:
            self.fail(
                f"{count} files of a message the gateway accepted", "no message was accepted since the last action"
            )
        sid = self.admitted[-1]
        self.wait_turn()  # the plugin fetches a message's files before the agent turn starts
        files, _ = self.media_requests()
        asked = {c["path"] for c in files if f"/Messages/{sid}/Media/" in c["path"]}
        if len(asked) != count or any(c["auth"] != "ok" for c in files):
            self.fail(
                f"{count} of message {sid}'s Media files requested, each with the account's credentials",
                json.dumps([{k: c[k] for k in ("path", "auth", "status")} for c in files], indent=1),
            )

    def expect_media_downloaded_from_cdn(self, count: int) -> None:
        self.wait_turn()
        files, cdn = self.media_requests()
        served = [c for c in cdn if c["status"] == 200]
        if len(served) != count:
            self.fail(
                f"{count} file(s) downloaded from {media.CDN_HOST} after Twilio's redirect",
                json.dumps([{k: c[k] for k in ("host", "path", "status", "response")} for c in files + cdn], indent=1),
            )

    def expect_agent_given(self, files: list[str], text: str) -> None:
        """The agent's newest prompt holds `text` and lists exactly these attachments (by content type)."""
        self.wait_turn()
        prompts = [r["user_text"] for r in self.emu.model_requests(after=self.mark)]
        if not prompts:
            self.fail("an agent turn with the message", "no model request since the message went in")
        prompt = prompts[-1]
        given = ATTACHMENT.findall(prompt)
        if given != files or text not in prompt:
            self.fail(f"the agent given the files {files} and the text {text!r}", f"files {given}; prompt:\n{prompt}")

    def wait_turn(self) -> None:
        """Until the agent has been asked since the last action (or the reply timeout passed)."""
        deadline = time.monotonic() + self.reply_timeout
        while not self.emu.model_requests(after=self.mark) and time.monotonic() < deadline:
            time.sleep(0.1)

    def expect_message_with_file(self, phone: str, body: str, spec: dict[str, Any]) -> None:
        """One message to the phone: `body` as its text and, as its one file, the file the operator attached."""
        message = self.wait_reply(phone, exactly=body)
        digest = hashlib.sha256(self.file_sent).hexdigest()
        want = [{"content_type": spec["content_type"], "size": spec["size"], "sha256": digest}]
        deadline = time.monotonic() + self.reply_timeout
        while True:
            got = [{k: m[k] for k in ("content_type", "size", "sha256")} for m in message.get("media") or []]
            if got == want:
                return
            if time.monotonic() >= deadline:
                self.fail(f"the message {body!r} to phone {phone} with the file {want}", f"files {got}: {message}")
            time.sleep(0.1)
            message = next(m for m in self.emu.messages(after=self.mark) if m["sid"] == message["sid"])

    def post_rcs_with_media(self, phone: str, body: str) -> httpx.Response:
        """A signed RCS form (From and To `rcs:` addresses) carrying one picture: the plugin drops RCS media."""
        form = self.inbound_form(phone, body)
        account = self.account()
        form.update(
            From=f"rcs:{self.phone(phone)}",
            To=f"rcs:{account.number}",
            NumMedia="1",
            MediaContentType0="image/png",
            MediaUrl0=f"{media.API_HOST}/2010-04-01/Accounts/{account.sid}/Messages/{form['MessageSid']}/Media/"
            f"ME{self.fake.hexify('^' * 32)}",
        )
        return self.post_webhook(form)

    def expect_agent_turns(self, count: int) -> None:
        """Exactly `count` once nothing more can come of the last action (a turn can start seconds late)."""
        self.wait_quiet()
        seen = self.driver.agent_turns()
        if seen != count:
            self.fail(f"{count} agent turn(s) within {self.quiet_seconds:g}s", f"{seen}")

    def expect_log(self, *texts: str) -> None:
        """Within the gateway's quiet window: a channel logs its start-up a moment after a reload."""
        deadline = time.monotonic() + self.quiet_seconds
        while True:
            log = self.driver.logs()
            missing = [t for t in texts if t.lower() not in log.lower()]
            if not missing:
                return
            if time.monotonic() >= deadline:
                self.fail(f"the gateway's log to mention {missing}", log[-3000:] or "(empty log)")
            time.sleep(0.2)

    def probe(self) -> dict[str, Any]:
        result, data = self.driver.status_probe()
        self.run(result)
        if not result.ok:
            self.fail("`channels status --channel sms --probe --json` to succeed", result.describe())
        self.last_probe = data
        return data

    def expect_unconfigured(self, text: str) -> None:
        """`channels status`: the first account is not configured and its reason names `text`."""
        data = self.last_probe or self.probe()
        account = (data.get("accounts") or [{}])[0]
        if account.get("configured") is not False or text not in json.dumps(account):
            self.fail(f"an account with configured: false and a reason naming {text!r}", json.dumps(account, indent=2))

    def expect_probe(self, path: str, value: Any, negated: bool = False) -> None:
        data = self.last_probe or self.probe()
        seen: Any = data
        for key in path.split("."):
            seen = seen.get(key) if isinstance(seen, dict) else None
        if (seen == value) == negated:
            self.fail(f"probe {path} {'not ' if negated else ''}{value!r}", json.dumps(data, indent=2)[:2000])

    def expect_probe_mentions(self, path: str, text: str) -> None:
        data = self.last_probe or self.probe()
        if text not in json.dumps(data.get(path)):
            self.fail(f"probe {path} mentioning {text!r}", json.dumps(data, indent=2)[:2000])

    def expect_status_callback_delivered(self, status: str) -> None:
        try:
            self.emu.wait(
                "deliveries",
                after=self.start_seq,
                match={"kind": "status_callback", "outcome": "delivered"},
                contains={"form": f"'MessageStatus', '{status}'"},
                timeout=self.reply_timeout,
            )
        except WaitTimeout as exc:
            self.fail(f"a status callback {status!r} delivered to the gateway", str(exc.seen)[:1000])

    def expect_real_twilio_reply(self, text: str, timeout: float = 120.0) -> None:
        """Only with --sender imsg on a Mac: read real Twilio's message log for the agent's reply."""
        sid, token, number = (os.environ[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"))
        secrets.register(token)
        deadline = time.monotonic() + timeout
        with httpx.Client(auth=(sid, token), timeout=20) as http:
            while time.monotonic() < deadline:
                page = http.get(
                    f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json",
                    params={"From": number, "PageSize": "20"},
                ).json()
                if any(m.get("body") == text for m in page.get("messages", [])):
                    return
                time.sleep(3)
        self.fail(f"a message {text!r} from {number} in Twilio's log within {timeout:g}s", "none")

    def fail(self, expected: str, seen: str) -> None:
        raise AssertionError(secrets.redact(f"expected: {expected}\nseen: {seen}\n\n{self.transcript(brief=True)}"))

    # -- the record for reports -------------------------------------------------------------------------

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """What the emulator recorded since this scenario began: the transcript's and the diagram's source."""
        after = self.start_seq
        return {
            "calls": self.emu.calls(after=after),
            "deliveries": self.emu.deliveries(after=after),
            "messages": self.emu.messages(after=after),
            "model_requests": self.emu.model_requests(after=after),
        }

    def transcript(self, brief: bool = False, records: dict[str, list[dict[str, Any]]] | None = None) -> str:
        """The emulator's record of this scenario: REST calls, webhook deliveries, messages (redacted)."""
        try:
            records = records or self.records()
        except Exception as exc:  # the emulator itself may be what broke
            return f"(emulator record unavailable: {exc})"
        lines = ["-- emulator transcript --"]
        events = sorted(
            [("call", c) for c in records["calls"]]
            + [("delivery", d) for d in records["deliveries"]]
            + [("message", m) for m in records["messages"]],
            key=lambda e: e[1]["seq"],
        )
        for kind, item in events[-40:] if brief else events:
            lines.append(describe_event(kind, item))
        if self.last_cli:
            lines.append("-- last CLI call --\n" + self.last_cli.describe())
        return secrets.redact("\n".join(lines))

    def applied_channel(self) -> str:
        """The channel config the gateway last ran with, as JSON, secrets redacted (for the report)."""
        shown = {"channels.sms": self.expand(self.channel), **({"env": self.expand(self.env)} if self.env else {})}
        return secrets.redact(json.dumps(shown, indent=2, ensure_ascii=False))


def spell(number: str, spelling: str) -> str:
    """A +1… number as people write it: as is, digits only, or dashed with the area code in brackets."""
    if spelling == "digits":
        return number.lstrip("+")
    if spelling == "dashed":
        return f"{number[:2]} ({number[2:5]}) {number[5:8]}-{number[8:]}"
    if spelling:
        raise AssertionError(f"unknown phone spelling {spelling!r} (known: digits, dashed)")
    return number


def json_cell(cell: str) -> Any:
    """An example cell holding JSON (Gherkin has already turned its \\n into newlines)."""
    try:
        return json.loads(cell, strict=False)
    except ValueError as exc:
        raise AssertionError(f"the example cell {cell!r} is not JSON: {exc}") from None


def long_landmarks(markdown: str) -> list[str]:
    """Lines of the long answer that any faithful plain-text rendering keeps, in order."""
    marks = []
    for line in markdown.splitlines():
        heading = re.match(r"#+ (.*)", line)
        if heading:
            marks.append(heading.group(1))
        elif re.match(r"- step \d+\.\d+: [a-z ]+", line):
            marks.append(re.match(r"- (step \d+\.\d+: [a-z ]+)", line).group(1))
    return marks


LONG_LANDMARKS_TAIL = "step 8.3: read the reply"


def unbreakable(length: int) -> str:
    """A text with nowhere to break: digits with no spaces, so order is visible too."""
    return "".join(str(i % 10) for i in range(length))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _joined(messages: list[dict[str, Any]]) -> str:
    return _squash(" ".join(m["body"] for m in sorted(messages, key=lambda m: m["seq"])))


def pairing_code(body: str) -> str | None:
    found = re.search(r"\b([A-Z0-9]{8})\b", body.split("Pairing code:")[-1])
    return found.group(1) if found else None


def describe_event(kind: str, item: dict[str, Any]) -> str:
    if kind == "call":
        form = " ".join(f"{k}={v!r}" for k, v in item["form"])[:300]
        return f"#{item['seq']} REST {item['method']} {item['path']} [{item['auth']}] -> {item['status']} {form}"
    if kind == "delivery":
        attempts = "; ".join(
            f"{a.get('status') or a.get('error')} in {a['latency_ms']:.0f}ms" for a in item["attempts"]
        )
        body = dict(item["form"]).get("Body") or dict(item["form"]).get("MessageStatus", "")
        return (
            f"#{item['seq']} WEBHOOK {item['kind']} {item['method']} {item['url']} body={body!r} "
            f"-> {item['outcome']} ({attempts}){' faults ' + ','.join(item['faults']) if item['faults'] else ''}"
        )
    return (
        f"#{item['seq']} MESSAGE {item['direction']} {item['from']} -> {item['to']} [{item['status']}"
        f"{', error ' + str(item['error_code']) if item['error_code'] else ''}] {item['body'][:160]!r}"
    )


def _short(messages: list[dict[str, Any]]) -> str:
    return "; ".join(f"{m.get('to')}: {str(m.get('body'))[:120]!r}" for m in messages) if messages else ""
