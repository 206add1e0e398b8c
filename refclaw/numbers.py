"""Phone numbers as the plugin reads them: normalised, never refused.

`allowFrom`, `fromNumber`, `defaultTo`, targets and SMS_ALLOWED_USERS all go through the
same normalisation (trim, strip one `sms:`/`twilio-sms:` prefix, add `+` if missing, drop
every character that is not a digit or `+`). There is no E.164 check on them: "(555)
123-4567" becomes "+5551234567" and "tel:+1…" becomes "++1…", which matches nothing. Only an
inbound `From` and an outbound target must look like a number (`+`, then 7 to 15 digits).
"""

from __future__ import annotations

import re

from refclaw import js

PREFIX = re.compile(r"^(?:sms|twilio-sms):", re.IGNORECASE | re.ASCII)
CHANNEL_ADDRESS = re.compile(r"^([a-z][a-z0-9-]*):([^\n\r\u2028\u2029]*)\Z", re.IGNORECASE | re.ASCII)
LOOKS_LIKE = re.compile(r"^\+[1-9][0-9]{6,14}$")
NOT_DIGIT_OR_PLUS = re.compile(r"[^0-9+]")


def normalize(raw: str) -> str:
    trimmed = js.trim(PREFIX.sub("", js.trim(raw), count=1))
    if not trimmed:
        return ""
    with_plus = trimmed if trimmed.startswith("+") else f"+{trimmed}"
    return NOT_DIGIT_OR_PLUS.sub("", with_plus)


def looks_like(raw: str) -> bool:
    return bool(LOOKS_LIKE.match(normalize(raw)))


def allow_entry(raw: str) -> str:
    """An allowFrom entry: `*` stays `*`, anything else is a normalised number."""
    return "*" if js.trim(raw) == "*" else normalize(raw).lower()


def inbound_sender(raw: str) -> str | None:
    """An inbound `From`: a number, or `rcs:` + number; any other `xxx:` address is not ours."""
    trimmed = js.trim(raw)
    if not trimmed:
        return None
    address = CHANNEL_ADDRESS.match(trimmed)
    if address and address.group(1).lower() != "rcs":
        return None
    number = normalize(address.group(2) if address else trimmed)
    return number if looks_like(number) else None
