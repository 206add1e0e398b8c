"""What the emulator saw: REST calls, webhook deliveries, CONNECTs and model requests.

Kept apart from Twilio's resources (`models.py`): these are the test's evidence, not Twilio's
state. Every record goes in through one `append`, which numbers nothing (the backend's seq does),
keeps each list in seq order and under the `max_records` cap, dropping the oldest and counting them.
"""

from __future__ import annotations

import bisect
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# What Twilio's JSON answers repeat, most common last: deflated against it, a created message's
# answer (about 800 bytes of text) keeps under 100. Only memory sees it: snapshots hold the text.
ANSWER_WORDS = (
    b'{"code":20404,"message":"The requested resource was not found","more_info":'
    b'"https://www.twilio.com/docs/errors/20404","status":404}'
    b'{"account_sid":"AC","api_version":"2010-04-01","body":"","date_created":"Mon, 07 Dec 2026 '
    b'00:00:00 +0000","date_sent":null,"date_updated":"Mon, 07 Dec 2026 00:00:00 +0000",'
    b'"direction":"outbound-api","error_code":null,"error_message":null,"from":"+1",'
    b'"messaging_service_sid":null,"num_media":"0","num_segments":"1","price":null,"price_unit":"USD",'
    b'"sid":"SM","status":"queued","subresource_uris":{"media":"/2010-04-01/Accounts/AC/Messages/SM'
    b'/Media.json","feedback":"/2010-04-01/Accounts/AC/Messages/SM/Feedback.json"},"to":"+1",'
    b'"uri":"/2010-04-01/Accounts/AC/Messages/SM.json"}'
)


SHARED_MAX = 4096
_shared: dict[str, str] = {}


def shared(text: str) -> str:
    """One copy of a string that many records repeat (a path, a host, a form's names), from a table
    of at most `SHARED_MAX` (bounded: a client chooses these strings; `sys.intern` keeps some for good)."""
    found = _shared.get(text)
    if found is not None:
        return found
    if len(_shared) < SHARED_MAX:
        _shared[text] = text
    return text


def pack(text: str | None) -> bytes | None:
    """An answer's text, deflated against `ANSWER_WORDS` (a few microseconds a call)."""
    if text is None:
        return None
    # a 4 KiB window holds the words and an answer; with a hash of memLevel 6 a page of random SIDs
    # deflates twice as fast as with 32 KiB and memLevel 2, and no slower for a created message
    deflate = zlib.compressobj(1, zlib.DEFLATED, -12, 6, zdict=ANSWER_WORDS)
    return deflate.compress(text.encode()) + deflate.flush()


def unpack(packed: bytes | None) -> str | None:
    if packed is None:
        return None
    inflate = zlib.decompressobj(-15, zdict=ANSWER_WORDS)
    return (inflate.decompress(packed) + inflate.flush()).decode()


@dataclass(slots=True)
class CallRecord:
    """One REST request as the emulator saw it. Never holds the auth token.

    The call log grows with every request, so a record is kept small: the answer's JSON text
    deflated (`packed`; `response` gives the text back), its query and form as pairs in tuples,
    and what thousands of calls repeat (method, host, path, account, the form's names) held once
    (`make`).
    """

    seq: int
    at: float
    method: str
    host: str
    path: str
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    account_sid: str | None
    auth: str  # ok | invalid | missing
    status: int
    packed: bytes | None
    duration_ms: float

    @classmethod
    def make(cls, *, response: str | None, **values: Any) -> CallRecord:
        """A record of these values, with the answer's text `response`."""
        for name in ("method", "host", "path", "account_sid", "auth"):
            if isinstance(values.get(name), str):
                values[name] = shared(values[name])
        for name in ("query", "form"):  # pairs as tuples, each name ("To", "Body", ...) held once
            values[name] = tuple((shared(k), v) for k, v in values[name])
        return cls(packed=pack(response), **values)

    @property
    def response(self) -> str | None:
        return unpack(self.packed)

    def body(self) -> Any:
        text = self.response
        return json.loads(text) if text else None

    def to_json(self) -> dict[str, Any]:
        """The record as the state file keeps it: the answer as its text."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "packed"} | {"response": self.response}

    def view(self) -> dict[str, Any]:
        """The record as the control API shows it (and its queries match it): the answer decoded in
        its place among the fields, query and form as lists of [name, value], as JSON gives them."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["query"], shown["form"] = [list(p) for p in self.query], [list(p) for p in self.form]
        return {(k if k != "packed" else "response"): (v if k != "packed" else self.body()) for k, v in shown.items()}


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


KINDS: dict[str, Callable[..., Any]] = {
    "calls": CallRecord.make,
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
        return {
            **{
                kind: [r.to_json() if isinstance(r, CallRecord) else asdict(r) for r in records]
                for kind, records in self.lists.items()
            },
            "dropped": self.dropped,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Records from a snapshot (`to_json`), tolerating lists an older snapshot lacks."""
        for kind in KINDS:
            self.lists[kind] = [_load(kind, item) for item in data.get(kind, [])]
        self.dropped = dict(data.get("dropped", {}))


def _load(kind: str, data: dict[str, Any]) -> Any:
    cls = CallRecord if kind == "calls" else KINDS[kind]
    names = {f.name for f in fields(cls)}
    if kind == "calls":  # a snapshot holds the answer's text (an older one its JSON value), never packed
        names = (names - {"packed"}) | {"response"}
    values = {k: v for k, v in data.items() if k in names}
    if kind == "calls" and not isinstance(values.get("response"), str | None):
        values["response"] = json.dumps(values["response"], separators=(",", ":"))
    if cls is Delivery:
        values["attempts"] = [Attempt(**a) for a in values.get("attempts", [])]
    return KINDS[kind](**values)
