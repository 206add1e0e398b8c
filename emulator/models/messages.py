"""Messages and their media: Twilio's rules for a send, statuses, redaction, deletion, listing, and
the files Twilio holds for a message.

The model only changes a message; the dispatcher (webhooks.py) runs what Twilio then does with
it (webhooks, the outbound lifecycle), started by whoever made the message.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator import segments
from emulator.errors import WEBHOOK_ERROR_MESSAGES, TwilioError
from emulator.media import API_HOST
from emulator.models.accounts import Account, owned
from emulator.models.numbering import is_e164, is_landline
from emulator.models.services import MessagingServices

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

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})
RESUMABLE = frozenset({"scheduled", "accepted", "queued", "sending", "sent"})  # a lifecycle still to run


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
    status_history: list[tuple[str, float]] = field(default_factory=list)  # (status, when): tuples are smaller
    media_sids: list[str] = field(default_factory=list)  # the Media Twilio holds for it
    send_at: float | None = None  # a scheduled message's SendAt (epoch seconds)
    revision: int = 0  # bumped by every change (State.changed): what a rendering of it is valid for

    @property
    def under_way(self) -> bool:
        """An outbound message whose lifecycle has still to run (or to finish, after a restart)."""
        return self.direction.startswith("outbound") and self.status in RESUMABLE


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


@functools.cache
def price(segments: int) -> str:
    """What a sent message costs, as Twilio writes it: one string per segment count, shared by
    every message of that count (a store holds tens of thousands)."""
    return f"-{0.0079 * segments:.5f}"


class Messages(MessagingServices):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.messages: dict[str, Message] = {}
        self.by_account: dict[str, list[Message]] = {}  # each account's messages, oldest first: pages need no scan
        self.media: dict[str, Media] = {}

    def file(self, message: Message) -> None:
        """Hold a message, and in its account's list in seq order (what pages are cut from)."""
        self.messages[message.sid] = message
        filed = self.by_account.setdefault(message.account_sid, [])
        if not filed or filed[-1].seq < message.seq:  # a new message is the newest: no search
            filed.append(message)
        else:  # one restored from a snapshot or a journal, in any order
            bisect.insort(filed, message, key=lambda m: m.seq)

    def unfile(self, sid: str) -> Message | None:
        message = self.messages.pop(sid, None)
        if message is not None:
            self.by_account[message.account_sid].remove(message)
        return message

    # -- sending ---------------------------------------------------------------------------------

    def create_message(
        self,
        account: Account,
        *,
        to: str,
        from_: str | None = None,
        body: str = "",
        media_urls: Sequence[str] = (),
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        schedule_type: str | None = None,
        send_at: str | None = None,
    ) -> Message:
        """Validate a send as Twilio does, in Twilio's order, then queue the message; `send_at` is
        ISO 8601, for `schedule_type` "fixed"."""
        if not to:
            raise TwilioError(21604)
        if to in MAGIC_TO_ERRORS:
            raise TwilioError(MAGIC_TO_ERRORS[to], value=to)
        if not is_e164(to):
            raise TwilioError(21211, value=to)
        if not from_ and not messaging_service_sid:
            raise TwilioError(21603)
        service = None
        if messaging_service_sid:
            service = self.services.get(messaging_service_sid)
            if service is None or service.account_sid != account.sid:
                raise TwilioError(21701, value=messaging_service_sid)
        if from_:
            if not is_e164(from_) or from_ in MAGIC_FROM_ERRORS:
                raise TwilioError(MAGIC_FROM_ERRORS.get(from_, 21212), value=from_)
            owned = self.number_by_e164(from_)
            if from_ != MAGIC_FROM_VALID and (owned is None or owned.account_sid != account.sid):
                raise TwilioError(21606, value=from_)
        if not body and not media_urls:
            raise TwilioError(21602)
        if len(body) > MAX_BODY:
            raise TwilioError(21617)
        if len(media_urls) > MAX_MEDIA:
            raise TwilioError(21623)
        if any(not re.match(r"^https?://[^/\s]+", url) for url in media_urls):
            raise TwilioError(21620)
        if account.trial and to not in account.verified_caller_ids:
            raise TwilioError(21608, value=to)
        if is_landline(to):
            raise TwilioError(21614, value=to)
        if any((account.sid, to, k) in self.optouts for k in (from_, messaging_service_sid) if k):
            raise TwilioError(21610)
        when = _schedule(schedule_type, send_at, messaging_service_sid)
        return self.new_message(
            account.sid,
            from_ or None,
            to,
            TRIAL_PREFIX + body if account.trial else body,
            "outbound-api",
            "scheduled" if when else "queued" if from_ else "accepted",
            service_sid=messaging_service_sid,
            media=media_urls,
            status_callback=status_callback or (service.status_callback if service else None) or None,
            send_at=when,
        )

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
        sent: bool = False,
    ) -> Message:
        """File a new message. `sent`: it went out as it was made (an inbound text, an auto-reply)."""
        now = time.time()
        media = list(media)
        message = Message(
            self.next_seq(),
            ("MM" if media or mms else "SM") + self.hex(),
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
            date_sent=now if sent else None,
            date_updated=now,
            status_history=[(status, now)],
            send_at=send_at,
        )
        self.file(message)
        self.changed(message)
        return message

    def cancel(self, message: Message) -> None:
        """`Status=canceled` on a scheduled message; it then never goes out."""
        if message.status != "scheduled":
            raise TwilioError(20001, message="Only a scheduled message can be canceled")
        self.set_status(message, "canceled")

    def under_way(self) -> list[Message]:
        """The outbound messages whose lifecycle is still to run: what a restart picks up."""
        return [m for m in self.messages.values() if m.under_way]

    def choose_sender(self, message: Message) -> None:
        """A message sent through a Messaging Service gets its sender from the service's pool."""
        if not message.from_ and message.messaging_service_sid in self.services:
            message.from_ = self.pick_sender(message.messaging_service_sid or "", message.to)

    def set_status(
        self, message: Message, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        now = time.time()
        message.status = status
        message.date_updated = now
        if status == "sent":
            message.date_sent = now
            message.price = price(message.num_segments)
        if error_code is not None:
            message.error_code = error_code
            message.error_message = error_message
        message.status_history.append((status, now))
        self.changed(message)

    def webhook_failed(self, message: Message, code: int) -> None:
        """Log the error of a failed webhook about this message on it, as Twilio does."""
        message.error_code, message.error_message = code, WEBHOOK_ERROR_MESSAGES[code]
        self.changed(message)

    # -- reading, redacting, deleting -----------------------------------------------------------

    def message(self, account: Account, sid: str, path: str) -> Message:
        return owned(self.messages.get(sid), account, path)

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
        self.changed(message)

    def delete_message(self, message: Message) -> None:
        if message.status not in FINAL_STATUSES:
            raise TwilioError(20009)
        self.unfile(message.sid)
        self.changed(deleted=message)

    # -- media -------------------------------------------------------------------------------------

    def add_media(self, message: Message, content_type: str, content: bytes, source: str | None = None) -> Media:
        """Store a file for a message: an outbound one's fetched MediaUrl (`source`), or a handset's
        file, which Twilio then hosts at its own media URL."""
        item = Media("ME" + self.hex(), message.account_sid, message.sid, content_type, content, source)
        self.media[item.sid] = item
        message.media_sids.append(item.sid)
        if source is None:
            message.media_urls.append(API_HOST + item.path)
        self.changed(message, unjournaled=True)  # the file itself is only in snapshots
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
        else:
            parent = None
        self.changed(parent, unjournaled=True)


def _schedule(kind: str | None, send_at: str | None, service_sid: str | None) -> float | None:
    """SendAt for `ScheduleType=fixed`, checked as Twilio does; None for an unscheduled message."""
    if kind is None:
        return None
    if kind != "fixed":
        raise TwilioError(35126)
    if not service_sid:
        raise TwilioError(35118)
    if not send_at:
        raise TwilioError(35111)
    try:
        when = datetime.fromisoformat(send_at).timestamp()
    except ValueError:
        raise TwilioError(35115) from None
    if not SCHEDULE_MIN_SECONDS < when - time.time() <= SCHEDULE_MAX_SECONDS:
        raise TwilioError(35115)
    return when
