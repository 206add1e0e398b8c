"""Matchers of Twilio's record (the emulator's): webhook deliveries, error codes, the gateway's REST requests."""

from __future__ import annotations

import json
from typing import Any

from emulator import media, signing
from harness.match import Matcher, Record, that


def each_answered(status: int) -> Matcher[list[Record]]:
    """At least two deliveries (a duplicate fault's copies), each answered `status`."""

    def statuses(deliveries: list[Record]) -> list[Any]:
        return [d["attempts"][-1].get("status") for d in deliveries]

    return that(
        lambda deliveries: len(statuses(deliveries)) >= 2 and all(s == status for s in statuses(deliveries)),
        f"at least 2 deliveries, each answered {status}",
        lambda deliveries: str(statuses(deliveries)),
    )


def signed_with(algorithm: str) -> Matcher[list[Record]]:
    """Every delivery names a SharedKey with this algorithm in its settings header."""

    def headers(deliveries: list[Record]) -> list[str | None]:
        return [d["headers"].get(signing.SETTINGS_HEADER) for d in deliveries]

    return that(
        lambda deliveries: (
            bool(headers(deliveries))
            and all(h is not None and h.endswith(f",algorithm={algorithm}") for h in headers(deliveries))
        ),
        f"{signing.SETTINGS_HEADER}: key=…,algorithm={algorithm} on the webhook",
        lambda deliveries: str(headers(deliveries)),
    )


def error_code(code: int, sid: str | None) -> Matcher[list[Record]]:
    """The listed message carries Twilio's error `code`."""

    def seen(listed: list[Record]) -> Any:
        return listed[0]["error_code"] if listed else None

    return that(
        lambda listed: seen(listed) == code,
        f"Twilio error {code} logged on inbound message {sid}",
        lambda listed: f"error_code {seen(listed)}",
    )


def forms(calls: list[Record]) -> str:
    return "; ".join(f"{c.get('status')} Body={dict(c['form']).get('Body', '')[:80]!r}" for c in calls) or "none"


def sent_as(sid: str, number: str | None) -> Matcher[Record]:
    """A Messages.json request made as this account (its SID, credentials and number)."""

    def seen(call: Record) -> tuple[Any, ...]:
        return (call["account_sid"], call["auth"], dict(call["form"]).get("From"), call["path"])

    wanted = (sid, "ok", number, f"/2010-04-01/Accounts/{sid}/Messages.json")
    return that(
        lambda call: seen(call) == wanted, f"sent as account {sid} (auth ok) from {number}", lambda c: str(seen(c))
    )


def form_value(name: str, value: str | None) -> Matcher[Record]:
    """A Messages.json request has this form value (None: not sent)."""
    return that(
        lambda call: dict(call["form"]).get(name) == value,
        f"{name}={value!r} on every Messages.json request",
        lambda call: f"{name}={dict(call['form']).get(name)!r}",
    )


def media_files(count: int, sid: str, times: int | None) -> Matcher[list[Record]]:
    """`count` distinct Media files of message `sid` asked for (`times` requests in all), all authenticated."""

    def ok(calls: list[Record]) -> bool:
        requests = [c["path"] for c in calls if f"/Messages/{sid}/Media/" in c["path"]]
        return len(set(requests)) == count and times in (None, len(requests)) and all(c["auth"] == "ok" for c in calls)

    return that(
        ok,
        f"{count} of message {sid}'s Media files requested"
        + (f", {times} requests in all" if times is not None else "")
        + ", each with the account's credentials",
        lambda calls: json.dumps([{k: c[k] for k in ("path", "auth", "status")} for c in calls], indent=1),
    )


def cdn_downloads(count: int) -> Matcher[tuple[list[Record], list[Record]]]:
    """`count` files downloaded from the CDN (of Media requests and CDN requests)."""
    return that(
        lambda seen: len([c for c in seen[1] if c["status"] == 200]) == count,
        f"{count} file(s) downloaded from {media.CDN_HOST} after Twilio's redirect",
        lambda seen: json.dumps(
            [{k: c[k] for k in ("host", "path", "status", "response")} for c in seen[0] + seen[1]], indent=1
        ),
    )
