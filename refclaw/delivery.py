"""What the gateway believes about each sent message's delivery, from Twilio's callbacks.

As the plugin keeps it: a status only moves forward (accepted < scheduled < queued <
sending < sent); a terminal status (delivered, undelivered, failed, canceled) wins over any
non-terminal one; two different terminal statuses make the message `conflicted`, for good.
The status in the send response counts too. The same observation twice is a duplicate.
Records are kept 30 days after their last observation (an older one is as good as none), at most
5000 messages.
"""

from __future__ import annotations

import json
from typing import Any

RANK = {"accepted": 10, "scheduled": 20, "queued": 30, "sending": 40, "sent": 50}
TERMINAL = frozenset({"delivered", "undelivered", "failed", "canceled"})
RETENTION_SECONDS = 30 * 24 * 3600
MAX_MESSAGES = 5000
KEPT_OBSERVATIONS = 20


def normalize_status(raw: str) -> str:
    status = raw.strip().lower()
    return "" if status in ("receiving", "received") else status


def callback_status(fields: dict[str, str]) -> str:
    return normalize_status(fields.get("MessageStatus", "").strip() or fields.get("SmsStatus", "").strip())


def fingerprint(source: str, sid: str, status: str, error: str = "", done: str = "") -> str:
    return json.dumps([source, sid, status, error, done])


def reduce(current: dict[str, Any] | None, status: str, error: str) -> dict[str, Any]:
    """The new (status, errorCode, conflict) after one observation."""

    def of(source: dict[str, Any] | None, conflict: bool = False) -> dict[str, Any]:
        state = {"status": source["status"]} if source else {"status": status}
        code = (source or {}).get("errorCode") if source else error
        return {**state, **({"errorCode": code} if code else {}), **({"conflict": True} if conflict else {})}

    if current is None:
        return of(None)
    conflicted = bool(current.get("conflict"))
    if current["status"] == "conflicted":
        return of(current, True)
    if current["status"] == status:
        return {
            **of(current, conflicted),
            **({"errorCode": current.get("errorCode") or error} if current.get("errorCode") or error else {}),
        }
    if current["status"] in TERMINAL and status in TERMINAL:
        code = error or current.get("errorCode")
        return {"status": "conflicted", **({"errorCode": code} if code else {}), "conflict": True}
    if current["status"] in TERMINAL:
        return of(current, conflicted)
    if status in TERMINAL or RANK.get(status, -1) > RANK.get(current["status"], -1):
        return of(None)
    return of(current, conflicted)


def kept(record: dict[str, Any], now: float) -> bool:
    """Whether a record is still within its retention, as the plugin's store reads it."""
    return now - record["lastObservedAt"] <= RETENTION_SECONDS


def observe(
    records: dict[str, Any], key: str, sid: str, status: str, error: str, source: str, now: float, done: str = ""
) -> bool:
    """Merge one observation into `records`; False if it was seen before."""
    current = records.get(key)
    if current and not kept(current, now):  # past its retention: this observation starts it anew
        current = None
    mark = fingerprint(source, sid, status, error, done)
    if current and mark in current["observations"]:
        return False
    reduced = reduce(current, status, error)
    records[key] = {
        "messageSid": sid,
        **reduced,
        "firstObservedAt": current["firstObservedAt"] if current else now,
        "lastObservedAt": now,
        "observations": [*(current["observations"] if current else []), mark][-KEPT_OBSERVATIONS:],
    }
    if len(records) > MAX_MESSAGES:  # the oldest goes; age is checked only then, to keep this O(1)
        for old in [k for k, v in records.items() if not kept(v, now)]:
            del records[old]
        while len(records) > MAX_MESSAGES:
            del records[min(records, key=lambda k: records[k]["lastObservedAt"])]
    return True
