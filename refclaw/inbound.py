"""An inbound webhook form as the plugin reads it, and whether it may be dispatched.

Forms keep the first value of each key (at most 1000 pairs). A message needs a sender that
is a number (or `rcs:` + number), a `To`, a body or media, a message id, and a `NumMedia`
that is a non-negative integer; otherwise it is answered 200 and never dispatched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from refclaw import js, numbers

MAX_FORM_KEYS = 1000
MAX_MEDIA = 10


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """node:querystring.parse: `&`-separated, `+` is a space, at most 1000 pairs."""
    pairs = []
    for piece in body.decode("utf-8", "replace").split("&")[:MAX_FORM_KEYS]:
        if not piece:
            continue
        key, _, value = piece.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def first_values(form: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in form:
        values.setdefault(key, value)
    return values


def message_id(fields: dict[str, str]) -> str:
    return next(
        (js.trim(fields[k]) for k in ("MessageSid", "SmsSid", "SmsMessageSid") if js.trim(fields.get(k, ""))), ""
    )


@dataclass
class Inbound:
    sender: str
    to: str
    body: str
    sid: str
    account_sid: str
    service_sid: str
    media: list[dict[str, str]] = field(default_factory=list)
    unavailable_media: int = 0

    def comparable(self) -> dict[str, Any]:
        """The plugin's message object, for side-by-side checks."""
        out: dict[str, Any] = {
            "accountSid": self.account_sid,
            "from": self.sender,
            "to": self.to,
            "body": self.body,
            "messageSid": self.sid,
            "media": self.media,
        }
        if self.service_sid:
            out["messagingServiceSid"] = self.service_sid
        if self.unavailable_media:
            out["unavailableMediaCount"] = self.unavailable_media
        return out


def media_count(raw: str) -> int | None:
    """Number(NumMedia) as a safe non-negative integer; "" is 0; anything else is None."""
    raw = js.trim(raw)
    if not raw:
        return 0
    try:
        value = float(raw)
    except ValueError:
        return None
    if math.isnan(value) or not value.is_integer() or value < 0 or value > 2**53 - 1:
        return None
    return int(value)


def parse(fields: dict[str, str]) -> Inbound | None:
    """The message in a form, or None when the plugin would drop it."""
    count = media_count(fields.get("NumMedia", ""))
    if count is None:
        return None
    media, missing = [], max(0, count - MAX_MEDIA)
    for index in range(min(count, MAX_MEDIA)):
        url = js.trim(fields.get(f"MediaUrl{index}", ""))
        if not url:
            missing += 1
            continue
        kind = js.trim(fields.get(f"MediaContentType{index}", ""))
        media.append({"url": url, **({"contentType": kind} if kind else {})})
    sender = numbers.inbound_sender(fields.get("From", "")) or ""
    to, body, sid = js.trim(fields.get("To", "")), fields.get("Body", ""), message_id(fields)
    if not sender or not to or (not body and count == 0) or not sid:
        return None
    return Inbound(
        sender, to, body, sid, fields.get("AccountSid", ""), fields.get("MessagingServiceSid", ""), media, missing
    )
