"""What the emulator saw: REST calls, webhook deliveries, CONNECTs and model requests.

Kept apart from Twilio's resources (`models.py`): these are the test's evidence, not Twilio's
state. Every record goes in through one `append`, which numbers nothing (the backend's seq does),
keeps each list in seq order and under the `max_records` cap, dropping the oldest and counting them.
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class CallRecord:
    """One REST request as the emulator saw it. Never holds the auth token.

    `response` is the answer's JSON as text: a created message's answer held as a dict took
    2 KiB a call, as text under 1 KiB (the call log grows with every request). `view()` decodes it.
    """

    seq: int
    at: float
    method: str
    host: str
    path: str
    query: list[list[str]]
    form: list[list[str]]
    account_sid: str | None
    auth: str  # ok | invalid | missing
    status: int
    response: str | None
    duration_ms: float

    def body(self) -> Any:
        return json.loads(self.response) if self.response else None

    def view(self) -> dict[str, Any]:
        return dict(asdict(self), response=self.body())


@dataclass
class Attempt:
    at: float
    target_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    latency_ms: float = 0.0
    error: str | None = None  # connect | timeout | bad_host | http


@dataclass
class Delivery:
    """One webhook Twilio made (inbound message or status callback), with every attempt."""

    seq: int
    kind: str  # inbound | status_callback
    message_sid: str
    account_sid: str
    url: str  # the URL as configured (what the signature covers, fragment aside)
    method: str
    form: list[list[str]]
    headers: dict[str, str]
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | failed
    error_code: int | None = None
    faults: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ConnectRecord:
    """One CONNECT the proxy saw: allowed (a Twilio host) or refused."""

    seq: int
    at: float = field(default_factory=time.time)
    host: str
    port: int
    allowed: bool
    client: str


@dataclass(kw_only=True)
class ModelRequest:
    """One request to the scripted model endpoint: what the agent was asked, what it answered."""

    seq: int
    at: float = field(default_factory=time.time)
    model: str
    stream: bool
    user_text: str
    reply: str
    tools: int


KINDS: dict[str, type] = {
    "calls": CallRecord,
    "deliveries": Delivery,
    "connects": ConnectRecord,
    "model_requests": ModelRequest,
}


class Recorder:
    """The record lists, each capped by `cap()` (0: no cap)."""

    def __init__(self, cap: Callable[[], int]) -> None:
        self.cap = cap
        self.lists: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        self.dropped: dict[str, int] = {}  # records the cap let go, per list

    def __getitem__(self, kind: str) -> list[Any]:
        return self.lists[kind]

    def append(self, kind: str, /, **values: Any) -> Any:
        """Make and keep one record in seq order (a webhook is kept when it is done, with the seq
        it took when it began), dropping the oldest of its list past the cap."""
        record = KINDS[kind](**values)
        records = self.lists[kind]
        if records and records[-1].seq > record.seq:
            bisect.insort(records, record, key=lambda r: r.seq)
        else:
            records.append(record)
        cap = self.cap()
        if cap and len(records) > cap:
            # trim a hundredth at a time: shifting a full list on every append would cost O(cap) each
            excess = len(records) - (cap - cap // 100)
            del records[:excess]
            self.dropped[kind] = self.dropped.get(kind, 0) + excess
        return record

    def clear(self) -> None:
        for records in self.lists.values():
            records.clear()
        self.dropped = {}

    def to_json(self) -> dict[str, Any]:
        return {**{kind: [asdict(r) for r in records] for kind, records in self.lists.items()}, "dropped": self.dropped}

    def load(self, data: dict[str, Any]) -> None:
        """Records from a snapshot (`to_json`), tolerating lists an older snapshot lacks."""
        for kind, cls in KINDS.items():
            self.lists[kind] = [_load(cls, item) for item in data.get(kind, [])]
        self.dropped = dict(data.get("dropped", {}))


def _load(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if cls is Delivery:
        values["attempts"] = [Attempt(**a) for a in values.get("attempts", [])]
    return cls(**values)
