"""Twilio's state: accounts, phone numbers, Messaging Services, messages.

Pure and synchronous, with no HTTP in it (the `moto` split): `responses.py`
renders it as Twilio's REST API and `control.py` as the emulator's own API.
The Backend also holds the `Recorder` (recorder.py: what the emulator saw), so
one snapshot holds the whole run, and starts every outbound lifecycle through
`on_outbound` (the dispatcher in webhooks.py runs it).
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import phonenumbers

from emulator import forms, segments, signing
from emulator.errors import ControlError, TwilioError
from emulator.faults import FaultBook
from emulator.media import API_HOST
from emulator.recorder import CallRecord, Delivery, Recorder

if TYPE_CHECKING:
    from faker import Faker

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
TRIAL_PREFIX = "Sent from your Twilio trial account - "
MAX_BODY = 1600
MAX_MEDIA = 10

SCHEDULE_MIN_SECONDS = 300  # SendAt: more than 5 minutes ahead …
SCHEDULE_MAX_SECONDS = 35 * 86400  # … and at most 35 days

# Twilio's magic test numbers (honoured on every account: the emulator has no live network).
MAGIC_FROM_VALID = "+15005550006"
MAGIC_FROM_ERRORS = {"+15005550001": 21212, "+15005550007": 21606, "+15005550008": 21611}
MAGIC_TO_ERRORS = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
AUTO_REPLIES = {
    "stop": "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe.",
    "start": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "help": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

DEFAULT_CAPABILITIES = {"voice": True, "sms": True, "mms": True, "fax": False}
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    trial: bool = False
    verified_caller_ids: list[str] = field(default_factory=list)
    date_created: float = field(default_factory=time.time)


@dataclass
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str = ""
    sms_method: str = "POST"
    voice_url: str = ""
    voice_method: str = "POST"
    capabilities: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_CAPABILITIES))
    sms_fallback_url: str = ""  # requested when sms_url fails
    sms_fallback_method: str = "POST"
    messaging_service_sid: str | None = None
    locality: dict[str, str] = field(default_factory=dict)
    date_created: float = field(default_factory=time.time)
    date_updated: float = field(default_factory=time.time)
    # Opt-in, the emulator's stand-in for a Webhook Setting and Rule: {"key_sid", "secret", "algorithm"}
    shared_key: dict[str, str] | None = None


@dataclass
class MessagingService:
    sid: str
    account_sid: str
    friendly_name: str
    inbound_request_url: str = ""
    inbound_method: str = "POST"
    fallback_url: str = ""
    status_callback: str = ""
    use_inbound_webhook_on_number: bool = False
    sticky_sender: bool = True  # the sender pool's features, Twilio's defaults
    area_code_geomatch: bool = True
    date_created: float = field(default_factory=time.time)
    date_updated: float = field(default_factory=time.time)


@dataclass(slots=True)  # a store holds tens of thousands
class Message:
    seq: int
    sid: str
    account_sid: str
    from_: str | None
    to: str
    body: str
    direction: str
    status: str
    messaging_service_sid: str | None = None
    media_urls: list[str] = field(default_factory=list)
    num_segments: int = 1
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str = "USD"
    status_callback: str | None = None
    date_created: float = field(default_factory=time.time)
    date_sent: float | None = None
    date_updated: float = field(default_factory=time.time)
    status_history: list[list[Any]] = field(default_factory=list)
    media_sids: list[str] = field(default_factory=list)  # the Media Twilio holds for it
    send_at: float | None = None  # a scheduled message's SendAt (epoch seconds)
    revision: int = 0  # bumped by every change (Backend.kept): what a rendering of it is valid for


RESUMABLE = frozenset({"scheduled", "accepted", "queued", "sending", "sent"})  # a lifecycle still to run


class NewestFirst(Sequence["Message"]):
    """A list of messages (oldest first, by seq) seen newest first, without copying it."""

    def __init__(self, oldest_first: list[Message]) -> None:
        self._items = oldest_first

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        last = len(self._items) - 1
        if isinstance(index, slice):
            return [self._items[last - i] for i in range(*index.indices(len(self._items)))]
        if not -len(self._items) <= index <= last:
            raise IndexError(index)
        return self._items[last - index if index >= 0 else -1 - index]

    def __iter__(self) -> Iterator[Message]:
        return reversed(self._items)

    def position(self, message: Message) -> int | None:
        """Where the message stands in this view, found by its seq (no scan)."""
        at = bisect.bisect_left(self._items, message.seq, key=lambda m: m.seq)
        return len(self._items) - 1 - at if at < len(self._items) and self._items[at] is message else None


@dataclass
class Media:
    """A file Twilio stored for a message: received from a handset or fetched from a MediaUrl."""

    sid: str
    account_sid: str
    parent_sid: str
    content_type: str
    content: bytes = field(repr=False)
    source: str | None = None  # the MediaUrl it was fetched from (outbound)
    date_created: float = field(default_factory=time.time)

    @property
    def path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.parent_sid}/Media/{self.sid}"

    @functools.cached_property
    def sha256(self) -> str:
        """Computed once: the control API lists it with every poll of the messages."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Route:
    """Public URL prefix -> local URL prefix: what a tunnel does."""

    public: str
    local: str


def _hex(fake: Faker, n: int = 32) -> str:
    """n hex digits from the seeded generator (Faker's hexify costs 5 % of a create)."""
    return f"{fake.random.getrandbits(4 * n):0{n}x}"


@functools.lru_cache(maxsize=4096)  # a run texts the same few numbers again and again
def is_e164(number: str) -> bool:
    """Shape and length of an E.164 number, as Twilio accepts it (fictional 555 numbers included)."""
    if not E164.match(number or ""):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


@functools.lru_cache(maxsize=4096)  # every rendering of a number asks again
def _number_type(number: str) -> int | None:
    try:
        return phonenumbers.number_type(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None


def is_landline(number: str) -> bool:
    return _number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE


def twilio_number_type(number: str) -> str:
    """An IncomingPhoneNumber's `type` as Twilio names it: local, mobile or toll-free."""
    kind = _number_type(number)
    if kind == phonenumbers.PhoneNumberType.TOLL_FREE:
        return "toll-free"
    return "mobile" if kind == phonenumbers.PhoneNumberType.MOBILE else "local"


class Backend:
    """All of Twilio's state for one emulator, plus what it recorded."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        for made_on_first_use in ("fake", "cdn_key"):  # reset() runs __init__ again: a fresh seed
            self.__dict__.pop(made_on_first_use, None)
        self.accounts: dict[str, Account] = {}
        self.numbers: dict[str, PhoneNumber] = {}
        self.services: dict[str, MessagingService] = {}
        self.messages: dict[str, Message] = {}
        self.by_account: dict[str, list[Message]] = {}  # each account's messages, oldest first: pages need no scan
        self.media: dict[str, Media] = {}
        self.records = Recorder(lambda: int(self.settings.get("max_records", 0)))
        self.routes: list[Route] = []
        self.optouts: set[tuple[str, str, str]] = set()  # (account, handset, sender key)
        self.sticky: dict[tuple[str, str], str] = {}  # (service, to) -> from
        self.faults = FaultBook()
        self.settings: dict[str, Any] = {
            "status_pace_ms": 0,
            "webhook_timeout_ms": 15000,
            "media_redirect": True,
            "media_redirect_status": 307,  # how a Media file redirects to the CDN (Twilio's own: 307)
            "max_records": 100_000,  # per record list (calls, deliveries, …); the oldest go first; 0: no cap
        }
        self.seq = 0
        self.on_change: Callable[[], None] | None = None
        self.on_record: Callable[[CallRecord | Delivery], None] | None = None  # the activity log
        self.journal: Callable[[dict[str, Any]], None] | None = None  # the state file's journal
        self.on_outbound: Callable[[Message], None] | None = None  # the dispatcher: a lifecycle to run
        self.unjournaled = False  # a change the journal does not hold (media, opt-outs): a snapshot must
        self.journal_next = 0  # the journal segment to append to next (store.load sets it)

    @functools.cached_property
    def fake(self) -> Faker:
        """The run's seeded Faker, made on first use: importing faker is a tenth of start-up."""
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        self.__dict__.setdefault("cdn_key", fake.binary(16))  # its first draw, whether or not a snapshot set it
        return fake

    @functools.cached_property
    def cdn_key(self) -> bytes:
        """Signs mms.twiliocdn.com links: the seeded Faker's first draw, made with it."""
        self.fake  # noqa: B018
        return self.__dict__["cdn_key"]

    # -- bookkeeping ---------------------------------------------------------------

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def changed(self) -> None:
        """Tell waiters (long polls) and the state file that something moved."""
        if self.on_change:
            self.on_change()

    def kept(self, message: Message) -> None:
        """A message changed: the journal (with --state) writes it down before a REST answer."""
        message.revision += 1
        if self.journal:
            self.journal({"message": asdict(message)})

    def finished(self, record: CallRecord | Delivery) -> None:
        """A REST call answered or a webhook done: tell the activity log, if one listens."""
        if self.on_record:
            self.on_record(record)

    # -- provisioning ----------------------------------------------------------------

    def create_account(
        self,
        sid: str | None = None,
        auth_token: str | None = None,
        friendly_name: str | None = None,
        trial: bool = False,
        verified_caller_ids: Iterable[str] = (),
    ) -> Account:
        sid = sid or "AC" + _hex(self.fake)
        if not re.fullmatch(r"AC[0-9a-f]{32}", sid):
            raise ControlError(f"account sid must be AC followed by 32 lowercase hex digits, got {sid!r}")
        if sid in self.accounts:
            raise ControlError(f"account {sid} exists already", 409)
        verified = list(verified_caller_ids)
        for number in verified:
            if not is_e164(number):
                raise ControlError(f"verified caller id {number!r} is not an E.164 number")
        account = Account(
            sid, auth_token or _hex(self.fake), friendly_name or f"{self.fake.company()} account", bool(trial), verified
        )
        self.accounts[sid] = account
        self.changed()
        return account

    def account(self, sid: str) -> Account:
        try:
            return self.accounts[sid]
        except KeyError:
            raise ControlError(f"no account {sid}", 404) from None

    def add_number(
        self,
        account_sid: str,
        phone_number: str | None = None,
        sms_url: str = "",
        sms_method: str = "POST",
        voice_url: str = "",
        friendly_name: str | None = None,
        capabilities: dict[str, bool] | None = None,
        sid: str | None = None,
        sms_fallback_url: str = "",
        sms_fallback_method: str = "POST",
        webhook_signing: str | None = None,
    ) -> PhoneNumber:
        self.account(account_sid)
        phone_number = phone_number or self.fake.numerify("+1555%######")
        if not is_e164(phone_number):
            raise ControlError(f"phone_number {phone_number!r} is not an E.164 number")
        if self.number_by_e164(phone_number):
            raise ControlError(f"{phone_number} is provisioned already", 409)
        self._check_method(sms_method, "sms_method")
        self._check_method(sms_fallback_method, "sms_fallback_method")
        number = PhoneNumber(
            sid or "PN" + _hex(self.fake),
            account_sid,
            phone_number,
            friendly_name
            or phonenumbers.format_number(phonenumbers.parse(phone_number), phonenumbers.PhoneNumberFormat.NATIONAL),
            sms_url,
            sms_method.upper(),
            voice_url,
            capabilities=dict(capabilities or DEFAULT_CAPABILITIES),
            locality=self.locality(),
            sms_fallback_url=sms_fallback_url,
            sms_fallback_method=sms_fallback_method.upper(),
        )
        self.numbers[number.sid] = number
        if webhook_signing:
            self.sign_with_shared_key(number, webhook_signing)
        self.changed()
        return number

    def add_service(
        self,
        account_sid: str,
        friendly_name: str | None = None,
        inbound_request_url: str = "",
        inbound_method: str = "POST",
        use_inbound_webhook_on_number: bool = False,
        numbers: Iterable[str] = (),
        sid: str | None = None,
        status_callback: str = "",
        sticky_sender: bool = True,
        area_code_geomatch: bool = True,
    ) -> MessagingService:
        self.account(account_sid)
        self._check_method(inbound_method, "inbound_method")
        service = MessagingService(
            sid or "MG" + _hex(self.fake),
            account_sid,
            friendly_name or f"{self.fake.word().title()} service",
            inbound_request_url,
            inbound_method.upper(),
            status_callback=status_callback,
            use_inbound_webhook_on_number=bool(use_inbound_webhook_on_number),
            sticky_sender=bool(sticky_sender),
            area_code_geomatch=bool(area_code_geomatch),
        )
        self.services[service.sid] = service
        for e164 in numbers:
            number = self.number_by_e164(e164) or self.add_number(account_sid, e164)
            if number.account_sid != account_sid:
                raise ControlError(f"{e164} belongs to another account")
            number.messaging_service_sid = service.sid
        self.changed()
        return service

    @staticmethod
    def _check_method(method: str, name: str) -> None:
        if method.upper() not in ("GET", "POST"):
            raise ControlError(f"{name} must be GET or POST, got {method!r}")

    def locality(self) -> dict[str, str]:
        return {
            "city": self.fake.city().upper(),
            "state": self.fake.state_abbr(),
            "zip": self.fake.zipcode(),
            "country": "US",
        }

    def number_by_e164(self, e164: str) -> PhoneNumber | None:
        return next((n for n in self.numbers.values() if n.phone_number == e164), None)

    def service_numbers(self, service_sid: str) -> list[PhoneNumber]:
        return [n for n in self.numbers.values() if n.messaging_service_sid == service_sid]

    # -- REST: authentication ---------------------------------------------------------

    def authenticate(self, path_sid: str | None, username: str | None, password: str | None) -> Account:
        """HTTP Basic AccountSid:AuthToken; the path's account must be the caller's."""
        account = self.accounts.get(username or "")
        if account is None or password is None or not _same(account.auth_token, password):
            raise TwilioError(20003)
        if path_sid is not None and path_sid != account.sid:
            raise TwilioError(20003)
        return account

    # -- REST: messages ----------------------------------------------------------------

    def create_message(self, account: Account, form: dict[str, list[str]]) -> Message:
        """Validate a Messages.json create as Twilio does, then queue the message."""
        first = {k: v[0] for k, v in form.items() if v}
        to = first.get("To", "").strip()
        body = first.get("Body", "")
        media = form.get("MediaUrl", [])
        sender = first.get("From", "").strip()
        service_sid = first.get("MessagingServiceSid", "").strip() or None
        if not to:
            raise TwilioError(21604)
        if to in MAGIC_TO_ERRORS:
            raise TwilioError(MAGIC_TO_ERRORS[to], value=to)
        if not is_e164(to):
            raise TwilioError(21211, value=to)
        if not sender and not service_sid:
            raise TwilioError(21603)
        service = None
        if service_sid:
            service = self.services.get(service_sid)
            if service is None or service.account_sid != account.sid:
                raise TwilioError(21701, value=service_sid)
        if sender:
            if not is_e164(sender) or sender in MAGIC_FROM_ERRORS:
                raise TwilioError(MAGIC_FROM_ERRORS.get(sender, 21212), value=sender)
            owned = self.number_by_e164(sender)
            if sender != MAGIC_FROM_VALID and (owned is None or owned.account_sid != account.sid):
                raise TwilioError(21606, value=sender)
        if not body and not media:
            raise TwilioError(21602)
        if len(body) > MAX_BODY:
            raise TwilioError(21617)
        if len(media) > MAX_MEDIA:
            raise TwilioError(21623)
        if any(not re.match(r"^https?://[^/\s]+", url) for url in media):
            raise TwilioError(21620)
        if account.trial and to not in account.verified_caller_ids:
            raise TwilioError(21608, value=to)
        if is_landline(to):
            raise TwilioError(21614, value=to)
        keys = {k for k in (sender, service_sid) if k}
        if any((account.sid, to, k) in self.optouts for k in keys):
            raise TwilioError(21610)
        send_at = self._schedule(first, service_sid)
        if account.trial:
            body = TRIAL_PREFIX + body
        message = self.new_message(
            account.sid,
            sender or None,
            to,
            body,
            "outbound-api",
            "scheduled" if send_at else "queued" if sender else "accepted",
            service_sid=service_sid,
            media=media,
            status_callback=first.get("StatusCallback") or (service.status_callback if service else None) or None,
            send_at=send_at,
        )
        return message

    @staticmethod
    def _schedule(first: dict[str, str], service_sid: str | None) -> float | None:
        """SendAt for `ScheduleType=fixed`, checked as Twilio does; None for an unscheduled message."""
        kind = first.get("ScheduleType")
        if kind is None:
            return None
        if kind != "fixed":
            raise TwilioError(35126)
        if not service_sid:
            raise TwilioError(35118)
        if not first.get("SendAt"):
            raise TwilioError(35111)
        try:
            when = datetime.fromisoformat(first["SendAt"]).timestamp()
        except ValueError:
            raise TwilioError(35115) from None
        if not SCHEDULE_MIN_SECONDS < when - time.time() <= SCHEDULE_MAX_SECONDS:
            raise TwilioError(35115)
        return when

    def cancel(self, message: Message) -> None:
        """`Status=canceled` on a scheduled message; it then never goes out."""
        if message.status != "scheduled":
            raise TwilioError(20001, message="Only a scheduled message can be canceled")
        self.set_status(message, "canceled")

    def new_message(
        self,
        account_sid: str,
        from_: str | None,
        to: str,
        body: str,
        direction: str,
        status: str,
        *,
        service_sid: str | None = None,
        media: Iterable[str] = (),
        status_callback: str | None = None,
        mms: bool = False,
        send_at: float | None = None,
    ) -> Message:
        now = time.time()
        media = list(media)
        message = Message(
            self.next_seq(),
            ("MM" if media or mms else "SM") + _hex(self.fake),
            account_sid,
            from_,
            to,
            body,
            direction,
            status,
            service_sid,
            media,
            segments.count(body),
            status_callback=status_callback,
            date_created=now,
            date_updated=now,
            status_history=[[status, now]],
            send_at=send_at,
        )
        if direction == "inbound":
            message.date_sent = now
        self.file(message)
        self.kept(message)
        self.changed()
        if self.on_outbound and direction.startswith("outbound") and status in RESUMABLE:
            self.on_outbound(message)
        return message

    def resume(self) -> None:
        """After a restart: start again every outbound lifecycle that was under way."""
        for message in list(self.messages.values()):
            if self.on_outbound and message.direction.startswith("outbound") and message.status in RESUMABLE:
                self.on_outbound(message)

    def choose_sender(self, message: Message) -> None:
        """A Messaging Service picks a number from its pool, as its sender pool features say: the
        number this recipient last got (Sticky Sender), else one of the recipient's area code (Area
        Code Geomatch), else one of its country code, else the pool's first."""
        service = self.services.get(message.messaging_service_sid or "")
        if message.from_ or service is None:
            return
        key = (service.sid, message.to)
        pool = [n.phone_number for n in self.service_numbers(service.sid)]
        sticky = self.sticky.get(key) if service.sticky_sender else None
        choice = sticky if sticky in pool else None
        if choice is None and service.area_code_geomatch:
            choice = next((n for n in pool if _area(n) == _area(message.to) is not None), None)
        if choice is None:
            choice = next((n for n in pool if _country(n) == _country(message.to)), pool[0] if pool else None)
        message.from_ = choice
        if choice and service.sticky_sender:
            self.sticky[key] = choice

    def set_status(
        self, message: Message, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        now = time.time()
        message.status = status
        message.date_updated = now
        if status == "sent":
            message.date_sent = now
            message.price = f"-{0.0079 * message.num_segments:.5f}"
        if error_code is not None:
            message.error_code = error_code
            message.error_message = error_message
        message.status_history.append([status, now])
        self.kept(message)
        self.changed()

    def message(self, account: Account, sid: str, path: str) -> Message:
        message = self.messages.get(sid)
        if message is None or message.account_sid != account.sid:
            raise TwilioError(20404, path=path)
        return message

    def list_messages(
        self,
        account: Account,
        to: str | None = None,
        from_: str | None = None,
        sent_on: str | None = None,
        sent_before: str | None = None,
        sent_after: str | None = None,
    ) -> Sequence[Message]:
        """Newest first, as Twilio lists them; without filters a view of the account's list (a page
        costs its own size, however many messages are stored)."""
        mine = self.by_account.get(account.sid, [])
        if to is None and from_ is None and sent_on is None and sent_before is None and sent_after is None:
            return NewestFirst(mine)

        def day(m: Message) -> str:
            return time.strftime("%Y-%m-%d", time.gmtime(m.date_sent or m.date_created))

        return [
            m
            for m in reversed(mine)
            if (to is None or m.to == to)
            and (from_ is None or m.from_ == from_)
            and (sent_on is None or day(m) == sent_on)
            and (sent_before is None or day(m) <= sent_before)
            and (sent_after is None or day(m) >= sent_after)
        ]

    def redact(self, message: Message, body: str) -> None:
        if body != "":
            raise TwilioError(21602, message="Message body can only be updated to empty (redaction).")
        message.body = ""
        message.date_updated = time.time()
        self.kept(message)
        self.changed()

    def delete_message(self, message: Message) -> None:
        if message.status not in FINAL_STATUSES:
            raise TwilioError(20009)
        self.unfile(message.sid)
        if self.journal:
            self.journal({"deleted": message.sid, "seq": message.seq})
        self.changed()

    # -- REST: numbers and services ---------------------------------------------------

    def number(self, account: Account, sid: str, path: str) -> PhoneNumber:
        number = self.numbers.get(sid)
        if number is None or number.account_sid != account.sid:
            raise TwilioError(20404, path=path)
        return number

    def update_number(self, number: PhoneNumber, form: dict[str, str]) -> None:
        for param, attr in (
            ("SmsUrl", "sms_url"),
            ("SmsMethod", "sms_method"),
            ("SmsFallbackUrl", "sms_fallback_url"),
            ("SmsFallbackMethod", "sms_fallback_method"),
            ("VoiceUrl", "voice_url"),
            ("VoiceMethod", "voice_method"),
            ("FriendlyName", "friendly_name"),
        ):
            if param in form:
                value = form[param].upper() if attr.endswith("method") else form[param]
                if attr.endswith("method") and value not in ("GET", "POST"):
                    raise TwilioError(20001, message=f"{param} must be GET or POST")
                setattr(number, attr, value)
        number.date_updated = time.time()
        self.changed()

    def sign_with_shared_key(self, number: PhoneNumber, algorithm: str | None) -> None:
        """Sign this number's webhooks with a new SharedKey and `algorithm`, or (None) with the auth token."""
        if algorithm is not None and algorithm not in signing.ALGORITHMS:
            raise ControlError(f"webhook_signing must be one of {sorted(signing.ALGORITHMS)} or null")
        number.shared_key = (
            {"key_sid": "webhooks_sharedkey_" + _hex(self.fake), "secret": _hex(self.fake), "algorithm": algorithm}
            if algorithm
            else None
        )
        self.changed()

    def signer(self, e164: str | None) -> dict[str, str] | None:
        """The SharedKey that signs webhooks about this number, if it opted in."""
        number = self.number_by_e164(e164 or "")
        return number.shared_key if number else None

    def fallback(self, number: PhoneNumber) -> tuple[str, str] | None:
        """The URL and method Twilio requests after the inbound webhook failed, if one is set."""
        service = self.services.get(number.messaging_service_sid or "")
        if service and not service.use_inbound_webhook_on_number:
            return (service.fallback_url, "POST") if service.fallback_url else None
        return (number.sms_fallback_url, number.sms_fallback_method) if number.sms_fallback_url else None

    def service(self, account: Account, sid: str, path: str) -> MessagingService:
        service = self.services.get(sid)
        if service is None or service.account_sid != account.sid:
            raise TwilioError(20404, path=path)
        return service

    def update_service(self, service: MessagingService, form: dict[str, str]) -> None:
        for param, attr in (
            ("InboundRequestUrl", "inbound_request_url"),
            ("InboundMethod", "inbound_method"),
            ("FallbackUrl", "fallback_url"),
            ("StatusCallback", "status_callback"),
            ("FriendlyName", "friendly_name"),
        ):
            if param in form:
                value = form[param].upper() if attr.endswith("method") else form[param]
                if attr.endswith("method") and value not in ("GET", "POST"):
                    raise TwilioError(20001, message=f"{param} must be GET or POST")
                setattr(service, attr, value)
        for param, attr in (
            ("UseInboundWebhookOnNumber", "use_inbound_webhook_on_number"),
            ("StickySender", "sticky_sender"),
            ("AreaCodeGeomatch", "area_code_geomatch"),
        ):
            if param in form:
                setattr(service, attr, form[param].lower() == "true")
        service.date_updated = time.time()
        self.changed()

    # -- the handset ------------------------------------------------------------------

    def receive(
        self, handset: str, to: str, body: str, media: list[tuple[str, bytes]]
    ) -> tuple[Message, PhoneNumber, str, str]:
        """A handset texts a number (or a Messaging Service): record it, apply keywords.

        Returns the inbound message, the number it reached, and the webhook URL
        and method Twilio would use for it.
        """
        if not is_e164(handset):
            raise ControlError(f"from {handset!r} is not an E.164 number")
        if len(media) > MAX_MEDIA:
            raise ControlError(f"at most {MAX_MEDIA} media URLs, got {len(media)}")
        if to.startswith("MG"):
            pool = self.service_numbers(to)
            if not pool:
                raise ControlError(f"Messaging Service {to} has no numbers in its sender pool", 404)
            number = pool[0]
        else:
            found = self.number_by_e164(to)
            if found is None:
                raise ControlError(f"{to} is not a provisioned number", 404)
            number = found
        service = self.services.get(number.messaging_service_sid or "")
        if service and not service.use_inbound_webhook_on_number:
            url, method = service.inbound_request_url, service.inbound_method
        else:
            url, method = number.sms_url, number.sms_method
        message = self.new_message(
            number.account_sid,
            handset,
            number.phone_number,
            body,
            "inbound",
            "received",
            service_sid=service.sid if service else None,
            mms=bool(media),
        )
        for content_type, content in media:
            self.add_media(message, content_type, content)
        self._keywords(message, number, service)
        return message, number, url, method

    def _keywords(self, message: Message, number: PhoneNumber, service: MessagingService | None) -> None:
        """STOP/START/HELP: change the opt-out list and answer as Twilio's defaults do."""
        word = message.body.strip().upper()
        keys = [number.phone_number] + ([service.sid] if service else [])
        if word in OPT_OUT:
            self.optouts.update((message.account_sid, message.from_ or "", k) for k in keys)
            self.unjournaled = True
            reply = AUTO_REPLIES["stop"]
        elif word in OPT_IN:
            self.optouts.difference_update((message.account_sid, message.from_ or "", k) for k in keys)
            self.unjournaled = True
            reply = AUTO_REPLIES["start"]
        elif word in HELP:
            reply = AUTO_REPLIES["help"]
        else:
            return
        auto = self.new_message(
            message.account_sid,
            number.phone_number,
            message.from_ or "",
            reply,
            "outbound-reply",
            "delivered",
            service_sid=message.messaging_service_sid,
        )
        auto.date_sent = auto.date_created
        self.kept(auto)

    # -- media -------------------------------------------------------------------------------

    def add_media(self, message: Message, content_type: str, content: bytes, source: str | None = None) -> Media:
        """Store a file for a message: an outbound one's fetched MediaUrl (`source`), or a handset's
        file, which Twilio then hosts at its own media URL."""
        item = Media("ME" + _hex(self.fake), message.account_sid, message.sid, content_type, content, source)
        self.media[item.sid] = item
        message.media_sids.append(item.sid)
        if source is None:
            message.media_urls.append(API_HOST + item.path)
        self.unjournaled = True  # the file itself is only in snapshots
        self.kept(message)
        self.changed()
        return item

    def media_item(self, account: Account, message_sid: str, media_sid: str, path: str) -> Media:
        item = self.media.get(media_sid)
        if item is None or item.account_sid != account.sid or item.parent_sid != message_sid:
            raise TwilioError(20404, path=path)
        return item

    def media_of(self, account: Account, message_sid: str, path: str) -> list[Media]:
        message = self.message(account, message_sid, path)
        return [self.media[sid] for sid in message.media_sids if sid in self.media]

    def delete_media(self, item: Media) -> None:
        self.media.pop(item.sid, None)
        parent = self.messages.get(item.parent_sid)
        if parent and item.sid in parent.media_sids:
            parent.media_sids.remove(item.sid)
            self.kept(parent)
        self.unjournaled = True
        self.changed()

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
            there=forms.handset_locality(self.seed, message.from_ or ""),
            media=[(self.media[sid].content_type, message.media_urls[i]) for i, sid in enumerate(message.media_sids)],
        )

    @staticmethod
    def status_form(message: Message, status: str, error_code: int | None) -> forms.Form:
        return forms.status(
            sid=message.sid,
            account_sid=message.account_sid,
            from_=message.from_ or "",
            to=message.to,
            status=status,
            service_sid=message.messaging_service_sid,
            error_code=error_code,
        )

    # -- routes (the tunnel) ---------------------------------------------------------

    def add_route(self, public: str, local: str) -> Route:
        if not public.startswith(("http://", "https://")) or not local.startswith(("http://", "https://")):
            raise ControlError("route public and local must be absolute http(s) URLs")
        self.routes = [r for r in self.routes if r.public != public]
        route = Route(public, local)
        self.routes.append(route)
        self.routes.sort(key=lambda r: len(r.public), reverse=True)
        self.changed()
        return route

    def route(self, url: str) -> str:
        """The local URL a public one reaches, longest prefix first; unchanged if none."""
        for route in self.routes:
            if url.startswith(route.public):
                return route.local + url[len(route.public) :]
        return url

    # -- recording ---------------------------------------------------------------------

    def record(self, kind: str, /, **values: Any) -> Any:
        """Keep one record of `kind` (calls, deliveries, connects, model_requests), numbered in seq order."""
        record = self.records.append(kind, seq=self.next_seq(), **values)
        self.changed()
        if isinstance(record, CallRecord):
            self.finished(record)
        return record

    def file(self, message: Message) -> None:
        """Hold a message, and in its account's list in seq order (what pages are cut from)."""
        self.messages[message.sid] = message
        bisect.insort(self.by_account.setdefault(message.account_sid, []), message, key=lambda m: m.seq)

    def unfile(self, sid: str) -> Message | None:
        message = self.messages.pop(sid, None)
        if message is not None:
            self.by_account[message.account_sid].remove(message)
        return message

    def replay(self, records: list[dict[str, Any]]) -> None:
        """Apply journal records (message upserts and deletions) over a loaded snapshot."""
        for record in records:
            if "deleted" in record:
                self.unfile(record["deleted"])
            elif "message" in record:
                self.unfile(record["message"]["sid"])
                self.file(Message(**record["message"]))
            # no seq is given out twice, a deleted message's neither (a client's `after` cursor)
            self.seq = max(self.seq, record.get("seq", 0), record.get("message", {}).get("seq", 0))

    def clear_records(self) -> None:
        """Forget messages, media, records, opt-outs and faults, keeping accounts, numbers, services
        and routes: the dev phone's reset, which leaves the gateway's settings valid."""
        for records in (self.messages, self.media, self.sticky, self.by_account):
            records.clear()
        self.records.clear()
        self.optouts.clear()
        self.faults = FaultBook()
        self.changed()

    def reset(self) -> None:
        """Forget everything, keeping the seed (a fresh run)."""
        hooks = {name: getattr(self, name) for name in ("on_change", "on_record", "on_outbound", "journal", "settings")}
        self.__init__(self.seed)  # type: ignore[misc]
        for name, value in hooks.items():
            setattr(self, name, value)
        self.changed()

    # -- persistence -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON data (a snapshot; store.py renders it in a forked child)."""
        return {
            "seed": self.seed,
            "seq": self.seq,
            "settings": self.settings,
            "accounts": [asdict(a) for a in self.accounts.values()],
            "numbers": [asdict(n) for n in self.numbers.values()],
            "services": [asdict(s) for s in self.services.values()],
            "messages": [asdict(m) for m in self.messages.values()],
            "media": [dict(asdict(m), content=base64.b64encode(m.content).decode()) for m in self.media.values()],
            "cdn_key": self.cdn_key.hex(),
            "routes": [asdict(r) for r in self.routes],
            "optouts": sorted(list(o) for o in self.optouts),
            "sticky": [[s, t, f] for (s, t), f in self.sticky.items()],
            "faults": self.faults.to_json(),
            "fake_state": self.fake.random.getstate(),
            **self.records.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backend:
        backend = cls(data.get("seed", 0))
        backend.seq = data["seq"]
        backend.settings.update(data.get("settings", {}))
        backend.accounts = {a["sid"]: Account(**a) for a in data["accounts"]}
        backend.numbers = {n["sid"]: PhoneNumber(**n) for n in data["numbers"]}
        backend.services = {s["sid"]: MessagingService(**s) for s in data["services"]}
        for saved in data["messages"]:
            backend.file(Message(**saved))
        backend.media = {
            m["sid"]: Media(**dict(m, content=base64.b64decode(m["content"]))) for m in data.get("media", [])
        }
        backend.cdn_key = bytes.fromhex(data.get("cdn_key", backend.cdn_key.hex()))
        backend.records.load(data)
        backend.routes = [Route(**r) for r in data["routes"]]
        backend.optouts = {tuple(o) for o in data["optouts"]}  # type: ignore[misc]
        backend.sticky = {(s, t): f for s, t, f in data["sticky"]}
        backend.faults = FaultBook.from_json(data["faults"])
        state = data.get("fake_state")
        if state:
            backend.fake.random.setstate((state[0], tuple(state[1]), state[2]))
        return backend


def _country(e164: str) -> int | None:
    parsed = _parsed(e164)
    return parsed.country_code if parsed else None


def _area(e164: str) -> str | None:
    """The area code of a North American number (its first three national digits), else None."""
    parsed = _parsed(e164)
    return str(parsed.national_number)[:3] if parsed and parsed.country_code == 1 else None


@functools.lru_cache(maxsize=4096)
def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
