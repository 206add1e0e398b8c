"""The gateway's on-disk state, shared by the gateway process and its CLI.

Pairing requests and approvals persist and survive a restart; the clock
offset lets tests move time (pairing codes expire after one hour) without
waiting; delivery statuses and agent turns are recorded for the probe and
for the harness. Every file is JSON, written atomically under a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PAIRING_TTL_SECONDS = 3600
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

    def request_pairing(self, account_id: str, sender: str, now: float) -> tuple[PairingRequest, bool]:
        """The sender's live request, or a new one. The bool says whether it was created now."""
        with self.locked("pairing/sms.json") as data:
            requests = [PairingRequest(**r) for r in data.get("requests", [])]
            requests = [r for r in requests if is_live(r, now)]
            for request in requests:
                if request.account_id == account_id and request.sender == sender:
                    request.last_seen_at = now
                    data["requests"] = [asdict(r) for r in requests]
                    return request, False
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

    def record_status(self, account_id: str, form: dict[str, str], now: float) -> bool:
        """Store a delivery status callback; False if this (MessageSid, status) was seen already."""
        with self.locked("sms-status.json") as data:
            seen = data.setdefault("seen", [])
            key = f"{form.get('MessageSid')}:{form.get('MessageStatus')}"
            if key in seen:
                return False
            seen.append(key)
            del seen[:-2000]
            data.setdefault("latest", {})[account_id] = {
                "messageSid": form.get("MessageSid"),
                "status": form.get("MessageStatus"),
                "errorCode": form.get("ErrorCode"),
                "to": form.get("To"),
                "at": now,
            }
            return True

    def latest_status(self, account_id: str) -> dict[str, Any] | None:
        return self.read("sms-status.json").get("latest", {}).get(account_id)

    def record_turn(self, account_id: str, sender: str, text: str, now: float) -> None:
        with self.locked("agent-turns.json") as data:
            turns = data.setdefault("turns", [])
            turns.append({"accountId": account_id, "sender": sender, "chars": len(text), "at": now})
            del turns[:-1000]

    def turns(self) -> list[dict[str, Any]]:
        return list(self.read("agent-turns.json").get("turns", []))


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
