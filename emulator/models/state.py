"""What every resource of the model shares: the seed and its ids, the records, faults and settings,
and the one way a change is announced.

Every mutation of the model ends in `State.changed`, which bumps and journals a changed message,
hands a finished record to the activity log and wakes whoever listens (the control API's waiters,
the state file). Nothing outside the model announces a change: a caller that changes state calls a
model method, so no change can be forgotten.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from emulator.faults import FaultBook
from emulator.recorder import CallRecord, Delivery, Recorder

if TYPE_CHECKING:
    from faker import Faker

DEFAULT_SETTINGS: dict[str, Any] = {
    "status_pace_ms": 0,
    "webhook_timeout_ms": 15000,
    "media_redirect": True,
    "media_redirect_status": 307,  # how a Media file redirects to the CDN (Twilio's own: 307)
    "send_status": 201,  # the status of a created message's answer (Twilio's own: 201)
    "max_records": 100_000,  # per record list (calls, deliveries, …); the oldest go first; 0: no cap
}


class Kept(Protocol):
    """A message as the journal keeps it (messages.py's `Message`, a dataclass)."""

    seq: int
    sid: str
    revision: int


class Dated(Protocol):
    """A resource an update changes: a number or a Messaging Service."""

    date_updated: float


class State:
    """What every resource shares and its listeners; each resource class adds its store and rules."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        for made_on_first_use in ("fake", "cdn_key"):  # reset() runs __init__ again: a fresh seed
            self.__dict__.pop(made_on_first_use, None)
        self.records = Recorder(lambda: int(self.settings.get("max_records", 0)))
        self.faults = FaultBook()
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.seq = 0
        self.on_change: Callable[[], None] | None = None  # the waiters and the state file (app.py)
        self.on_record: Callable[[CallRecord | Delivery], None] | None = None  # the activity log
        self.journal: Callable[[dict[str, Any]], None] | None = None  # the state file's journal
        self.unjournaled = False  # a change the journal does not hold (media, opt-outs): a snapshot must
        self.journal_next = 0  # the journal segment to append to next (state_file.load sets it)

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

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def hex(self, n: int = 32) -> str:
        """n hex digits from the seeded generator (Faker's hexify costs 5 % of a create)."""
        return f"{self.fake.random.getrandbits(4 * n):0{n}x}"

    def changed(
        self,
        message: Kept | None = None,
        *,
        deleted: Kept | None = None,
        finished: CallRecord | Delivery | None = None,
        unjournaled: bool = False,
    ) -> None:
        """The one way a change is announced. `message` changed: its revision moves and the journal
        (with --state) writes it down before a REST answer; `deleted`: the journal notes the deletion;
        `finished`: a REST call answered or a webhook done, for the activity log; `unjournaled`: what
        changed is only in snapshots (media, opt-outs). Then the waiters wake."""
        if message is not None:
            message.revision += 1
            if self.journal:
                self.journal({"message": asdict(message)})
        if deleted is not None and self.journal:
            self.journal({"deleted": deleted.sid, "seq": deleted.seq})
        if unjournaled:
            self.unjournaled = True
        if finished is not None and self.on_record:
            self.on_record(finished)
        if self.on_change:
            self.on_change()

    def update(self, item: Dated, changes: dict[str, Any]) -> None:
        """Set what an update gives (None: unchanged) on a number or a service, and say so."""
        for name, value in changes.items():
            if value is not None:
                setattr(item, name, value)
        item.date_updated = time.time()
        self.changed()
