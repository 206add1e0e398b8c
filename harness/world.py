"""One scenario's world: Twilio accounts in the emulator, phones, the gateway's setup, expectations.

Step definitions call these methods and nothing else. Every expectation waits
with a timeout and, when it fails, says what was expected, what was seen, and
shows the emulator's record of the exchange (tokens redacted).
"""

from __future__ import annotations

import json
import mimetypes
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from faker import Faker

from emulator import media
from emulator.client import EmulatorClient, Provisioned, WaitTimeout
from harness import redaction
from harness.accounts import AccountPool, Shape
from harness.channel_config import guide_block
from harness.drivers.base import CliResult, DriverError, GatewayDriver, NotApplicable, PairingEntry, Setup, Unsupported
from harness.forged import PUBLIC_BASE, ForgedRequests
from harness.matchers import Expectations, _short
from harness.senders import Sender

MAX_LOAD = 5000  # the most requests one scenario sends (the delivery-callback limit is 3000 a minute)
REPEAT = re.compile(r"<(\d+) x ([^<>\s]+)>")  # <N x text> in a Gherkin value: text N times over
MEDIA_FILE = re.compile(r"/Messages/\w+/Media/ME\w+$")
CDN_FILE = re.compile(r"^/AC\w+/ME\w+$")  # a short-lived mms.twiliocdn.com link (whatever Host it came in on)


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


class World(ForgedRequests, Expectations):
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
        self.dirty = False  # a changed number or service, or a moved clock: the accounts are not reused
        self.faults: set[str] = set()  # the faults this scenario injected (close removes those still active)
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
        self.has_acted = False
        self.asked: str | None = None  # what the last action asked the agent to answer (ask_agent)
        self.last_cli: CliResult | None = None
        self.last_inbound: dict[str, Any] | None = None
        self.last_http: httpx.Response | None = None
        self.started = False
        self.last_probe: dict[str, Any] | None = None
        self.chunks: list[dict[str, Any]] = []
        self.sent_forms: list[dict[str, str]] = []
        self.answers: list[tuple[int, str]] = []  # every answer to the last load (post_many)
        self.file_sent = b""  # the file the operator last attached
        self.file_sent_type = ""  # and its content type
        self.hosted_id = ""  # the id in the URL the gateway hosts that file at, once a step has read it
        self.changed_settings: dict[str, Any] = {}  # emulator settings to put back when the scenario ends

    # -- Twilio side -------------------------------------------------------------------------

    def twilio_setting(self, **values: Any) -> None:
        """Change how the emulator behaves for this scenario only (see close)."""
        before = self.emu.settings()
        for key in values:
            self.changed_settings.setdefault(key, before.get(key))
        self.emu.settings(**values)

    def close(self) -> None:
        """Put back the emulator settings the scenario changed, remove the faults it left active, and
        give back its accounts unless it changed their numbers or services.

        A scenario that ends on the webhook's answer may leave an agent turn running: its reply
        would land in the next scenario that takes these accounts, so that ends first."""
        if self.admitted and not self.dirty:
            self.wait_quiet()
        if self.changed_settings:
            self.emu.settings(**self.changed_settings)
        for fault in self.emu.faults() if self.faults else []:  # most scenarios inject none: no request
            if fault["id"] in self.faults:
                self.emu.remove_fault(fault["id"])
        if not self.dirty:
            for shape, made in self.taken:
                self.pool.give_back(shape, made, self.start_seq)

    @property
    def default_path(self) -> str:
        """The webhook path the gateway serves unless told otherwise."""
        return self.driver.profile.webhook_path[0]

    def add_account(
        self,
        name: str = "main",
        *,
        path: str | None = None,
        trial: bool = False,
        verified: tuple[str, ...] = (),
        number: bool = True,
        sms_method: str = "POST",
    ) -> TwilioAccount:
        path = path or self.default_path
        shape = Shape(PUBLIC_BASE + path, sms_method, trial, verified, number)
        made = self.pool.take(shape, self.fake.numerify("+1555%######"))
        self.taken.append((shape, made))
        redaction.register(made.auth_token)
        account = TwilioAccount(name, made.sid, made.auth_token, made.numbers[0] if made.numbers else None, path)
        self.accounts[name] = account
        return account

    def add_fault(self, kind: str, params: dict[str, Any] | None = None, **scope: Any) -> None:
        """Inject an emulator fault for this scenario only (close removes it if it is still active)."""
        self.faults.add(self.emu.add_fault(kind, params, **scope)["id"])

    def fail_media(self, status: int, times: int | None = None) -> None:
        """Twilio answers requests for the account's Media files with an error (`times` of them, or all)."""
        params = {"status": status, "code": 20404 if status == 404 else 20500, "path_contains": "/Media/ME"}
        self.add_fault("rest_error", params, account_sid=self.account().sid, times=times)

    def fail_sends(self, status: int, times: int | None = None, page: str | None = None) -> None:
        """Twilio refuses the account's Messages.json creates (`times` of them, or all): with its JSON
        error (21610), or with an error `page` of its edge instead."""
        params: dict[str, Any] = {"status": status, "path_contains": "/Messages.json", "method": "POST"}
        params.update({"page": page} if page is not None else {"code": 21610})
        self.add_fault("rest_error", params, account_sid=self.account().sid, times=times)

    def account(self, name: str = "main") -> TwilioAccount:
        if name not in self.accounts:
            raise AssertionError(f"the scenario has no Twilio account {name!r} (has: {', '.join(self.accounts)})")
        return self.accounts[name]

    def add_service(
        self, name: str, account: str = "main", *, use_number_webhook: bool = False, method: str = "POST"
    ) -> str:
        self.dirty = True
        acct = self.account(account)
        service = self.emu.add_service(
            acct.sid,
            inbound_request_url=acct.public_url,
            inbound_method=method,
            use_inbound_webhook_on_number=use_number_webhook,
            numbers=[acct.number] if acct.number else [],
        )
        acct.services[name] = service["sid"]
        return service["sid"]

    def set_number_webhook(self, url: str, method: str = "POST", account: str = "main") -> None:
        self.dirty = True
        acct = self.account(account)
        number = next(n for n in self.emu.state()["numbers"] if n["phone_number"] == acct.number)
        with self.emu.twilio(acct.sid, acct.token) as http:
            response = http.post(number["uri"], data={"SmsUrl": url, "SmsMethod": method})
        if response.status_code != 200:
            raise AssertionError(f"updating the number's webhook failed: {response.status_code} {response.text}")

    def sign_with_shared_key(self, algorithm: str, account: str = "main") -> None:
        """The number's webhooks are signed with a new SharedKey (Twilio's Webhook Settings), not the token."""
        self.dirty = True
        acct = self.account(account)
        number = next(n for n in self.emu.state()["numbers"] if n["phone_number"] == acct.number)
        self.emu.update_number(number["sid"], webhook_signing=algorithm)

    # -- the gateway's setup -------------------------------------------------------------------

    def full_channel(self, account: str = "main", **overrides: Any) -> dict[str, Any]:
        """A complete channels.sms block for a Twilio account, as the guide's example."""
        acct = self.account(account)
        block = guide_block(acct.sid, acct.token, acct.public_url, acct.number)
        if acct.path != self.default_path:
            block["webhookPath"] = acct.path
        block.update(overrides)
        return block

    def expand(self, value: Any) -> Any:
        """Placeholders in Gherkin values: <account sid>, <auth token>, <number>, <public url>, <service X>,
        <phone X> and its other spellings <phone X digits> (no +) and <phone X dashed> (+1 (555) 123-4567),
        and <N x text> (text N times over)."""
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if not isinstance(value, str) or "<" not in value:
            return value
        out = REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), value)
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
            self.apply(fresh)
        except DriverError as exc:
            self.fail("the gateway to start with the scenario's configuration", str(exc))
        self.emu.add_route(PUBLIC_BASE, self.driver.local_url)
        self.started = True

    def apply(self, fresh: bool) -> None:
        """The driver runs the gateway with the scenario's channel and environment, placeholders expanded."""
        self.driver.apply(Setup(self.expand(self.channel), self.expand(self.env), fresh), self.emu.base_url)

    def expect_start_refused(self, says: str) -> None:
        """Started with the scenario's configuration, the gateway does not come up, and says why."""
        wanted = f"the gateway to refuse to start, saying {says!r}"
        try:
            self.apply(fresh=True)
        except DriverError as exc:
            if says.lower() not in str(exc).lower():
                self.fail(wanted, str(exc))
            return
        self.fail(wanted, f"it started and serves {self.driver.local_url}")

    def own_path(self, account: str = "main") -> None:
        """Move the account to a webhook path no earlier scenario used.

        Rate limits are kept per webhook path (and client or sender), so the scenario meets
        untouched limits and leaves the next scenario's path untouched too, with no restart.
        """
        acct = self.account(account)
        if "webhook_path" in self.driver.lacks:
            return  # one fixed path: the gateway's limits are its own business, not the path's
        if not acct.path.startswith(f"{self.default_path}-"):
            acct.path = f"{self.default_path}-{self.fake.hexify('^' * 8)}"
            self.set_number_webhook(acct.public_url, account=account)
        self.channel["webhookPath"] = acct.path
        if self.channel.get("publicWebhookUrl") == PUBLIC_BASE + self.default_path:
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
        self.file_sent, self.file_sent_type = media.sample_file(kind, size, f"{target}:{caption}"), kind
        self.act()
        with tempfile.TemporaryDirectory(prefix="sms-harness-media-") as folder:  # the gateway copies it on send
            path = Path(folder) / f"attachment{mimetypes.guess_extension(kind) or '.bin'}"
            path.write_bytes(self.file_sent)
            return self.run(self.driver.message_send(self.expand(target), caption, "sms", media=str(path)))

    def send_unreadable_file(self, target: str, caption: str, what: str) -> CliResult:
        """The operator sends, with a caption, a path that is not a file it can read: "a file that does
        not exist" (in a folder that exists) or "a folder"."""
        self.act()
        with tempfile.TemporaryDirectory(prefix="sms-harness-media-") as folder:
            path = Path(folder) / "report.pdf"
            if what == "a folder":
                path.mkdir()
            elif what != "a file that does not exist":
                raise AssertionError(f"no such path to send: {what!r}")
            return self.run(self.driver.message_send(self.expand(target), caption, "sms", media=str(path)))

    def run(self, result: CliResult) -> CliResult:
        """Remember a CLI call (for the next check and the transcript)."""
        self.last_cli = result
        return result

    # -- the operator's commands, through the gateway's CLI -----------------------------------------

    def approve(self, code: str, notify: bool = False) -> CliResult:
        return self.run(self.driver.pairing_approve(code, notify=notify))

    def approve_wrong(self, code: str, times: int) -> None:
        """The operator types a code that was never given, `times` times (at most 10); each is refused."""
        if not 0 < times <= 10:  # each try is a CLI call of a second or more
            raise AssertionError(f"{times} tries is outside what a scenario will make (1..10)")
        for _ in range(times):
            result = self.approve(code)
            if result.ok:
                self.fail(f"the code {code}, never given, to be refused", result.describe())

    def patch_config(self, patch: dict[str, Any], dry_run: bool = False) -> CliResult:
        return self.run(self.driver.config_patch(patch, dry_run=dry_run))

    def send_message(self, target: str | None, text: str, channel: str | None = "sms") -> CliResult:
        return self.run(self.driver.message_send(target, text, channel))

    def automation_send(self, text: str) -> CliResult:
        return self.run(self.driver.automation_send(text))

    def capabilities(self) -> CliResult:
        return self.run(self.driver.capabilities())

    def advance_clock(self, seconds: float) -> None:
        """The gateway's clock runs ahead for the rest of the scenario. What the gateway records about
        the scenario's accounts meanwhile is dated in the future (OpenClaw's probe then reports that
        as the most recent outbound status for good), so the accounts are not reused."""
        self.dirty = True
        self.driver.advance_clock(seconds)

    def act(self) -> None:
        """An action starts here: replies are looked for after this point, quiet windows run from it."""
        if not self.has_acted:
            self.has_acted = True
            self.driver.first_action()
        self.mark = self.emu.cursor()
        self.acted_at = time.monotonic()
        self.admitted = []
        self.answered = 0
        self.turns_before = None
        self.asked = None

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

    def ask_agent(self, phone: str, answer: str) -> dict[str, Any]:
        """The phone asks the scripted agent to answer exactly `answer` (any text, carried as JSON)."""
        sent = self.text(phone, "reply verbatim " + json.dumps(answer))
        self.asked = answer
        return sent

    # -- load --------------------------------------------------------------------------------------

    def limit(self, name: str) -> int:
        limits = self.driver.rate_limits()
        if name not in limits:
            raise NotApplicable(self.driver.name, "rate_limits", f"its {name} rate limit")
        value = int(limits[name])
        if not 0 < value <= MAX_LOAD:  # every load loop is bounded
            raise AssertionError(f"rate limit {name}={value} is outside what a scenario will send (1..{MAX_LOAD})")
        return value

    # -- expectations --------------------------------------------------------------------------------

    def outbound(self, phone: str | None = None, after: int | None = None) -> list[dict[str, Any]]:
        """Messages the gateway sent (to that phone) in this scenario, or since `after`; not its own notices."""
        match = {"direction": "outbound-api"}
        if phone is not None:
            match["to"] = self.phone(phone)
        sent = self.emu.messages(after=self.start_seq if after is None else after, **match)
        return [m for m in sent if m.get("to") not in self.driver.own_numbers]

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

    def last_reply(self, phone: str) -> dict[str, Any]:
        """The newest message the gateway sent the phone in this scenario, waited for if none came yet."""
        sent = self.outbound(phone)
        return sent[-1] if sent else self.wait_reply(phone)

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

    def sent_requests(self) -> list[dict[str, Any]]:
        """Messages.json create calls the gateway made in this scenario (not its own notices)."""
        return [
            c
            for c in self.emu.calls(after=self.start_seq, method="POST")
            if c["path"].endswith("/Messages.json") and dict(c["form"]).get("To") not in self.driver.own_numbers
        ]

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

    # -- MMS -----------------------------------------------------------------------------------

    def media_requests(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Since the last action: requests for Media files at api.twilio.com, and at Twilio's CDN."""
        calls = self.emu.calls(after=self.mark)
        files = [c for c in calls if c["method"] == "GET" and MEDIA_FILE.search(c["path"])]
        cdn = [c for c in calls if CDN_FILE.match(c["path"])]
        return files, cdn

    def wait_turn(self) -> None:
        """Until the agent has been asked since the last action (or the reply timeout passed)."""
        deadline = time.monotonic() + self.reply_timeout
        while not self.emu.model_requests(after=self.mark) and time.monotonic() < deadline:
            time.sleep(0.1)

    def probe(self) -> dict[str, Any]:
        result, data = self.driver.status_probe()
        self.run(result)
        if not result.ok:
            self.fail("`channels status --channel sms --probe --json` to succeed", result.describe())
        self.last_probe = data
        return data

    def fail(self, expected: str, seen: str) -> None:
        raise AssertionError(redaction.redact(f"expected: {expected}\nseen: {seen}\n\n{self.transcript(brief=True)}"))

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
        return redaction.redact("\n".join(lines))

    def applied_channel(self) -> str:
        """The channel config the gateway last ran with, as JSON, secrets redacted (for the report)."""
        shown = {"channels.sms": self.expand(self.channel), **({"env": self.expand(self.env)} if self.env else {})}
        return redaction.redact(json.dumps(shown, indent=2, ensure_ascii=False))


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
