"""One scenario's world: its Twilio accounts in the emulator, phones, the gateway's setup, the
actions its steps take, and the bookkeeping of the last action (its mark, what the gateway
admitted) that the waits read.

Checks live apart: `expect.py` composes `waits.py`, `seen.py` and `match/`, and fails through
`World.fail`, which adds the emulator's record of the exchange (tokens redacted).
"""

from __future__ import annotations

import json
import mimetypes
import shlex
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

from faker import Faker

from emulator import media
from emulator.client import EmulatorClient, Provisioned
from harness import gherkin, redaction, transcript, waits
from harness.accounts import AccountPool, Shape, TwilioAccount
from harness.channel_config import guide_block
from harness.drivers.base import CliResult, DriverError, GatewayDriver, NotApplicable, PairingEntry, Setup, Unsupported
from harness.forged import PUBLIC_BASE, Forged
from harness.senders import Sender

MAX_LOAD = 5000  # the most requests one scenario sends (the delivery-callback limit is 3000 a minute)


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
        self.started = False
        self.last_probe: dict[str, Any] | None = None
        self.chunks: list[dict[str, Any]] = []
        self.file_sent = b""  # the file the operator last attached
        self.file_sent_type = ""  # and its content type
        self.changed_settings: dict[str, Any] = {}  # emulator settings to put back when the scenario ends
        self.forged = Forged(self)  # requests sent straight to the webhook, and their answers

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
            waits.quiet(self)
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

    def fail_sends(
        self, status: int, times: int | None = None, page: str | None = None, holding: str | None = None
    ) -> None:
        """Twilio refuses the account's Messages.json creates (`times` of them, or all; only those whose
        Body holds `holding`, if given): with its JSON error (21610), or with an error `page` of its edge."""
        params: dict[str, Any] = {"status": status, "path_contains": "/Messages.json", "method": "POST"}
        params.update({"page": page} if page is not None else {"code": 21610})
        params.update({"body_contains": holding} if holding is not None else {})
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
        number = self.number_record(acct)
        with self.emu.twilio(acct.sid, acct.token) as http:
            response = http.post(number["uri"], data={"SmsUrl": url, "SmsMethod": method})
        if response.status_code != 200:
            raise AssertionError(f"updating the number's webhook failed: {response.status_code} {response.text}")

    def sign_with_shared_key(self, algorithm: str, account: str = "main") -> None:
        """The number's webhooks are signed with a new SharedKey (Twilio's Webhook Settings), not the token."""
        self.dirty = True
        self.emu.update_number(self.number_record(self.account(account))["sid"], webhook_signing=algorithm)

    def number_record(self, acct: TwilioAccount) -> dict[str, Any]:
        """The emulator's record of the account's number (its sid and REST uri)."""
        return next(n for n in self.emu.state()["numbers"] if n["phone_number"] == acct.number)

    # -- the gateway's setup -------------------------------------------------------------------

    def full_channel(self, account: str = "main", **overrides: Any) -> dict[str, Any]:
        """A complete channels.sms block for a Twilio account, as the guide's example."""
        acct = self.account(account)
        block = guide_block(acct.sid, acct.token, acct.public_url, acct.number)
        if acct.path != self.default_path:
            block["webhookPath"] = acct.path
        block.update(overrides)
        return block

    def accounts_channel(self, names: tuple[str, ...], **overrides: Any) -> dict[str, Any]:
        """A channels.sms block with one account block per named account, each as the guide's on that
        account's own webhook path."""
        accounts = {
            name: self.full_channel(name, **overrides) | {"webhookPath": self.account(name).path} for name in names
        }
        return {"enabled": True, "accounts": accounts}

    def expand(self, value: Any) -> Any:
        """The Gherkin value with the scenario's placeholders filled in (`gherkin.expand`)."""
        return gherkin.expand(value, self.accounts, self.phone)

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

    def configure_accounts(self, **keys: Any) -> None:
        """Set these keys in every account block of channels.sms; a running gateway gets the new config."""
        for block in self.channel["accounts"].values():
            block.update(keys)
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

    def add_channel(self, flags: str) -> CliResult:
        """`channels add --channel sms` with these flags, as the operator would type them (placeholders expanded)."""
        return self.run(self.driver.channels_add(shlex.split(self.expand(flags))))

    def send_message(self, target: str | None, text: str, channel: str | None = "sms") -> CliResult:
        """The operator sends a text (a new action)."""
        self.act()
        return self.run(self.driver.message_send(target, text, channel))

    def automation_send(self, text: str, target: str | None = None) -> CliResult:
        """An automation delivers a text, to `target` or else to the default target (a new action)."""
        self.act()
        return self.run(self.driver.automation_send(text, target))

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

    # -- the operator's view: pairing list, probe -----------------------------------------------------

    def pairing_entries(self) -> list[PairingEntry]:
        result, entries = self.driver.pairing_list()
        self.run(result)
        if not result.ok:
            self.fail("`pairing list sms` to succeed", result.describe())
        return entries

    def probe(self) -> dict[str, Any]:
        result, data = self.driver.status_probe()
        self.run(result)
        if not result.ok:
            self.fail("`channels status --channel sms --probe --json` to succeed", result.describe())
        self.last_probe = data
        return data

    def needs_listed_codes(self) -> None:
        """A step that reads a code from `pairing list` needs a gateway that shows codes there."""
        if "pairing_list" in self.driver.lacks:
            raise NotApplicable(self.driver.name, "pairing_list", "a pending code read from `pairing list`")

    def approve_newest(self) -> CliResult:
        """The operator approves the newest request `pairing list` shows."""
        self.needs_listed_codes()
        entries = self.pairing_entries()
        if not entries:
            self.fail("a pending pairing request to approve", "none")
        return self.approve(entries[-1].code)

    def fail(self, expected: str, seen: str) -> NoReturn:
        """The scenario fails: what was expected, what was seen, and the emulator's record of the exchange."""
        brief = transcript.text(self, brief=True)
        raise AssertionError(redaction.redact(f"expected: {expected}\nseen: {seen}\n\n{brief}"))
