"""Faults injected on demand: what can go wrong, where, and how many times.

A fault is state (it survives in snapshots and is listed by the control API);
the webhook and REST layers ask `FaultBook.take` whether one applies to the
operation at hand, which also consumes one use of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from emulator.errors import ControlError

SIGNATURE_VARIANTS: dict[str, str] = {
    "wrong_token": "signed with a token that is not the account's",
    "port_added": "signed over the URL with its default port written out",
    "port_stripped": "signed over the URL without its explicit port",
    "other_scheme": "signed over the URL with the other scheme (http <-> https)",
    "other_host": "signed over the URL with a different host name (a proxy rewrite)",
    "query_dropped": "signed over the URL without its query string",
    "param_changed": "a form parameter altered after signing",
    "header_missing": "sent with no X-Twilio-Signature header at all",
}

KINDS: dict[str, str] = {
    "signature": "tamper with the signature of webhook deliveries (params.variant)",
    "webhook_unreachable": "deliver webhooks to a closed port (connection refused, 11205)",
    "webhook_slow": "wait params.delay_ms before delivering a webhook",
    "webhook_timeout": "give webhook deliveries a read timeout of params.timeout_ms (11200)",
    "duplicate_delivery": "deliver the same inbound webhook params.copies times (same MessageSid)",
    "status_out_of_order": "send a message's status callbacks in reverse order",
    "message_outcome": "end outbound messages as params.status (failed|undelivered) with params.error_code",
    "rest_error": "answer REST calls with params.status and Twilio code params.code, or with the HTML params.page "
    "(params.path_contains, params.method; params.body_contains: only a request whose Body holds it)",
    "rest_latency": "delay REST answers by params.delay_ms",
    "model_latency": "delay the scripted model's answers by params.delay_ms (any account)",
}


@dataclass
class Fault:
    """One injected fault. `remaining` None means until removed."""

    id: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    account_sid: str | None = None
    phone_number: str | None = None
    remaining: int | None = 1
    used: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """The fault in words, as a delivery or a failure message names it."""
        if self.kind == "signature":
            variant = self.params.get("variant", "")
            return f"{self.id} signature {variant}: {SIGNATURE_VARIANTS.get(variant, variant)}"
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.id} {self.kind}{f' ({params})' if params else ''}: {KINDS[self.kind]}"


MAX_DELAY_MS = 60_000  # a fault never holds a request longer than a minute
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


@dataclass(frozen=True)
class Param:
    """One fault parameter: its type and, for numbers, its range; for strings, the choices."""

    kind: type
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    required: bool = False

    def check(self, fault: str, name: str, value: Any) -> None:
        where = f"{fault} fault: params.{name}"
        if self.kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or not self.low <= value <= self.high:
                raise ControlError(f"{where} must be an integer from {self.low} to {self.high}")
        elif not isinstance(value, str) or (self.choices and value not in self.choices):
            one_of = f", one of: {', '.join(self.choices)}" if self.choices else ""
            raise ControlError(f"{where} must be a string{one_of}")


PARAMS: dict[str, dict[str, Param]] = {
    "signature": {"variant": Param(str, choices=tuple(SIGNATURE_VARIANTS), required=True)},
    "webhook_unreachable": {},
    "webhook_slow": {"delay_ms": Param(int, 0, MAX_DELAY_MS)},
    "webhook_timeout": {"timeout_ms": Param(int, 1, MAX_DELAY_MS)},
    "duplicate_delivery": {"copies": Param(int, 2, 10)},
    "status_out_of_order": {},
    "message_outcome": {
        "status": Param(str, choices=("failed", "undelivered"), required=True),
        "error_code": Param(int, 30001, 30999),
        "error_message": Param(str),
    },
    "rest_error": {
        "status": Param(int, 400, 599, required=True),
        "code": Param(int, 10000, 99999),
        "message": Param(str),
        "page": Param(str),
        "path_contains": Param(str),
        "method": Param(str, choices=HTTP_METHODS),
        "body_contains": Param(str),
    },
    "rest_latency": {"delay_ms": Param(int, 0, MAX_DELAY_MS)},
    "model_latency": {"delay_ms": Param(int, 0, MAX_DELAY_MS)},
}


def validate(kind: str, params: dict[str, Any]) -> None:
    """Refuse faults that could never apply, or would break what comes after, naming the field: each
    kind's own parameters (the control API's schema has checked the kind and that params is an object)."""
    schema = PARAMS[kind]
    unknown = sorted(set(params) - set(schema))
    if unknown:
        known = ", ".join(schema) or "none"
        raise ControlError(f"{kind} fault: unknown params.{unknown[0]} (its params: {known})")
    for name, param in schema.items():
        if name in params:
            param.check(kind, name, params[name])
        elif param.required:
            raise ControlError(f"{kind} fault needs params.{name}")


class FaultBook:
    """The active faults, matched by kind and scope."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._next = 0

    def add(
        self,
        kind: str,
        params: dict[str, Any] | None = None,
        *,
        account_sid: str | None = None,
        phone_number: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        params = {} if params is None else params
        validate(kind, params)
        params = dict(params)
        self._next += 1
        fault = Fault(f"FT{self._next:04d}", kind, params, account_sid, phone_number, times)
        self.faults.append(fault)
        return fault

    def take(
        self, kind: str, *, account_sid: str | None, numbers: tuple[str | None, ...] = (), predicate: Any = None
    ) -> Fault | None:
        """The first matching fault of `kind`, consuming one use; None if none applies."""
        for fault in self.faults:
            if fault.kind != kind:
                continue
            if fault.account_sid and fault.account_sid != account_sid:
                continue
            if fault.phone_number and fault.phone_number not in numbers:
                continue
            if predicate is not None and not predicate(fault):
                continue
            fault.used += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    def __len__(self) -> int:
        """How many faults are active: a request with none to match skips matching altogether."""
        return len(self.faults)

    def remove(self, fault_id: str) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults.clear()

    def to_json(self) -> dict[str, Any]:
        return {"next": self._next, "faults": [f.to_json() for f in self.faults]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultBook:
        book = cls()
        book._next = data.get("next", 0)
        book.faults = [Fault(**f) for f in data.get("faults", [])]
        return book
