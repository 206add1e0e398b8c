"""The Backend: one emulator's Twilio, composed of the resources (accounts → numbers → Messaging
Services → messages → the handset), plus what is the emulator's own: the routes a tunnel would
make, the settings, the armed faults, the records of what it saw, and persistence.

Pure and synchronous, with no HTTP in it (the `moto` split): `responses.py` renders it as Twilio's
REST API and the control API as the emulator's own; `webhooks.py` runs what Twilio does next.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from typing import Any

from emulator.errors import ControlError
from emulator.faults import Fault, FaultBook
from emulator.models.accounts import Account
from emulator.models.handset import Handset
from emulator.models.messages import Media, Message
from emulator.models.numbers import PhoneNumber
from emulator.models.services import MessagingService
from emulator.recorder import CallRecord, Delivery


@dataclass
class Route:
    """Public URL prefix -> local URL prefix: what a tunnel does."""

    public: str
    local: str


class Backend(Handset):
    """All of Twilio's state for one emulator, plus what it recorded."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.routes: list[Route] = []

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

    # -- settings and faults -----------------------------------------------------------

    def update_settings(self, settings: dict[str, Any]) -> None:
        """Settings already checked against provision.SETTINGS: status_pace_ms, webhook_timeout_ms, …"""
        self.settings.update(settings)
        self.changed()

    def add_fault(
        self,
        kind: str,
        params: dict[str, Any],
        account_sid: str | None = None,
        phone_number: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Arm a fault (`FaultBook.add` checks its kind's parameters)."""
        fault = self.faults.add(kind, params, account_sid=account_sid, phone_number=phone_number, times=times)
        self.changed()
        return fault

    def remove_fault(self, fault_id: str) -> None:
        if not self.faults.remove(fault_id):
            raise ControlError(f"no active fault {fault_id}", 404)
        self.changed()

    def clear_faults(self) -> None:
        self.faults.clear()
        self.changed()

    # -- recording ---------------------------------------------------------------------

    def record(self, kind: str, /, **values: Any) -> Any:
        """Keep one finished record of `kind` (calls, deliveries, connects, model_requests), numbered in
        seq order: a webhook brings the seq it took when it began (`next_seq`), so that it stands
        before what the gateway did while answering it."""
        values.setdefault("seq", self.next_seq())
        record = self.records.append(kind, **values)
        self.changed(finished=record if isinstance(record, CallRecord | Delivery) else None)
        return record

    # -- forgetting ----------------------------------------------------------------------

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
        hooks = {name: getattr(self, name) for name in ("on_change", "on_record", "journal", "settings")}
        self.__init__(self.seed)  # type: ignore[misc]
        for name, value in hooks.items():
            setattr(self, name, value)
        self.changed()

    # -- persistence -------------------------------------------------------------------

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

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON data (a snapshot; state_file.py renders it in a forked child)."""
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
