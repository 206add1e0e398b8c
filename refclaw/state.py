"""The gateway's on-disk state, shared by the gateway process and its CLI.

Pairing requests and approvals persist and survive a restart; the clock
offset lets tests move time (pairing codes expire after one hour) without
waiting; delivery observations and agent turns are recorded for the probe and
for the harness. JSON files are written atomically under a lock; delivery
observations and settled messages are appended, one line each.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from refclaw import delivery

PAIRING_TTL_SECONDS = 3600
MAX_PENDING = 3  # live requests per account; a further unknown sender gets nothing until one goes
DELIVERY_LOG = "sms-delivery.jsonl"
SETTLED_LOG = "ingress-settled.log"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


@dataclass
class PairingRequest:
    account_id: str
    sender: str
    code: str
    created_at: float
    last_seen_at: float

    def expires_at(self) -> float:
        return self.created_at + PAIRING_TTL_SECONDS


class StateDir:
    """Files under the gateway's state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.deliveries = DeliveryLog(root / DELIVERY_LOG)

    def hosted_media(self, account_id: str) -> Path:
        """Where an account's outbound MMS files wait for Twilio to fetch them."""
        return self.root / "media" / "outbound" / hashlib.sha256(account_id.encode()).hexdigest()[:16]

    # -- plumbing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, name: str) -> Iterator[dict[str, Any]]:
        """Read-modify-write a JSON file under an exclusive lock."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".{name.replace('/', '_')}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.read(name)
            yield data
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)

    def read(self, name: str) -> dict[str, Any]:
        path = self.root / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            # A damaged file must not take the gateway down; keep it for inspection.
            path.rename(path.with_name(path.name + f".damaged-{int(time.time())}"))
            return {}

    # -- the clock ----------------------------------------------------------------------------

    def now(self) -> float:
        """Wall time plus the offset tests set with `advance_clock`."""
        return time.time() + float(self.read("clock.json").get("offset_seconds", 0))

    def advance_clock(self, seconds: float) -> float:
        with self.locked("clock.json") as data:
            data["offset_seconds"] = float(data.get("offset_seconds", 0)) + seconds
            return data["offset_seconds"]

    # -- pairing ----------------------------------------------------------------------------

    def pending(self, now: float) -> list[PairingRequest]:
        requests = [PairingRequest(**r) for r in self.read("pairing/sms.json").get("requests", [])]
        return [r for r in requests if is_live(r, now)]

    def request_pairing(self, account_id: str, sender: str, now: float) -> tuple[PairingRequest | None, bool]:
        """The sender's live request, or a new one (None while MAX_PENDING others wait).

        The bool says whether it was created now.
        """
        with self.locked("pairing/sms.json") as data:
            requests = [PairingRequest(**r) for r in data.get("requests", [])]
            requests = [r for r in requests if is_live(r, now)]
            for request in requests:
                if request.account_id == account_id and request.sender == sender:
                    request.last_seen_at = now
                    data["requests"] = [asdict(r) for r in requests]
                    return request, False
            if sum(r.account_id == account_id for r in requests) >= MAX_PENDING:
                return None, False
            taken = {r.code for r in requests}
            code = new_code(taken)
            request = PairingRequest(account_id, sender, code, now, now)
            requests.append(request)
            data["requests"] = [asdict(r) for r in requests]
            return request, True

    def approve(self, code: str, now: float) -> PairingRequest | None:
        """Approve a live request by code (case-insensitive); None if there is none."""
        with self.locked("pairing/sms.json") as data:
            requests = [PairingRequest(**r) for r in data.get("requests", [])]
            match = find_request(requests, code.strip().upper(), now)
            if match is None:
                return None
            data["requests"] = [asdict(r) for r in requests if r is not match]
            approved = data.setdefault("approved", {}).setdefault(match.account_id, [])
            if match.sender not in approved:
                approved.append(match.sender)
            return match

    def approved(self, account_id: str) -> list[str]:
        return list(self.read("pairing/sms.json").get("approved", {}).get(account_id, []))

    # -- records for the probe and the harness ------------------------------------------------

    def mark_settled(self, sid: str) -> None:
        """The gateway is done with this request's message: answered, and any dispatch finished.

        One line appended per request, so a test harness can wait for this instead of a fixed time.
        """
        if sid:
            with open(self.root / SETTLED_LOG, "a", encoding="utf-8") as log:
                log.write(sid + "\n")

    def record_delivery(self, account_id: str, sid: str, status: str, error: str, source: str, now: float) -> bool:
        """One delivery observation (a callback, or the send response); False for a duplicate."""
        return self.deliveries.record(f"{account_id}:{sid}", sid, status, error, source, now)

    def latest_delivery(self, account_id: str) -> dict[str, Any] | None:
        """The most recently observed message's delivery record, if it is not past its retention."""
        return self.deliveries.latest(f"{account_id}:", self.now())

    def record_turn(self, account_id: str, sender: str, text: str, now: float) -> None:
        with self.locked("agent-turns.json") as data:
            turns = data.setdefault("turns", [])
            turns.append({"accountId": account_id, "sender": sender, "chars": len(text), "at": now})
            del turns[:-1000]

    def turns(self) -> list[dict[str, Any]]:
        return list(self.read("agent-turns.json").get("turns", []))


class DeliveryLog:
    """Delivery observations, one JSON line each, appended under a lock and folded in memory.

    Thousands of callbacks a minute must not rewrite a growing file each time; the gateway
    and each CLI call fold what they have not read yet.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, Any] = {}
        self.read_to: tuple[int, int] = (0, 0)  # (inode, offset): a file replaced or removed is read anew

    def catch_up(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self.records, self.read_to = {}, (0, 0)
            return
        inode, offset = self.read_to
        if inode != stat.st_ino or stat.st_size < offset:
            self.records, offset = {}, 0
        with open(self.path, "rb") as log:
            log.seek(offset)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        for line in complete.splitlines():
            delivery.observe(self.records, **json.loads(line))
        self.read_to = (stat.st_ino, offset + len(complete))

    def record(self, key: str, sid: str, status: str, error: str, source: str, now: float) -> bool:
        observation = {"key": key, "sid": sid, "status": status, "error": error, "source": source, "now": now}
        with open(self.path.with_name(f".{self.path.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.catch_up()
            if not delivery.observe(self.records, **observation):
                return False
            line = (json.dumps(observation) + "\n").encode()
            with open(self.path, "ab") as log:
                log.write(line)
            inode, offset = self.read_to
            self.read_to = (inode or self.path.stat().st_ino, offset + len(line))
            return True

    def latest(self, prefix: str, now: float) -> dict[str, Any] | None:
        self.catch_up()
        return max(
            (v for k, v in self.records.items() if k.startswith(prefix) and delivery.kept(v, now)),
            key=lambda r: r["lastObservedAt"],
            default=None,
        )


def is_live(request: PairingRequest, now: float) -> bool:
    """Pairing codes expire after one hour."""
    return now < request.expires_at()


def find_request(requests: list[PairingRequest], code: str, now: float) -> PairingRequest | None:
    return next((r for r in requests if r.code == code and is_live(r, now)), None)


def new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code
