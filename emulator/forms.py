"""The forms Twilio posts to a webhook, field for field and in Twilio's order.

One place builds them for both sides of a test: the emulator posts them as Twilio would, and
the harness forges the same forms straight to a gateway (signed, mis-signed, altered), so a
forged request can never drift from the real one.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker

API_VERSION = "2010-04-01"
Form = list[tuple[str, str]]


def inbound(
    *,
    sid: str,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    num_segments: int = 1,
    service_sid: str | None = None,
    here: dict[str, str] | None = None,
    there: dict[str, str] | None = None,
    media: Sequence[tuple[str, str]] = (),
) -> Form:
    """An inbound SMS or MMS: `here` is the number's locality, `there` the handset's, `media` (type, URL) pairs."""
    here, there = here or {}, there or {}
    form = [
        ("ToCountry", here.get("country", "US")),
        ("ToState", here.get("state", "")),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media))),
        ("ToCity", here.get("city", "")),
        ("FromZip", there.get("zip", "")),
        ("SmsSid", sid),
        ("FromState", there.get("state", "")),
        ("SmsStatus", "received"),
        ("FromCity", there.get("city", "")),
        ("Body", body),
        ("FromCountry", there.get("country", "US")),
        ("To", to),
    ]
    if service_sid:
        form.append(("MessagingServiceSid", service_sid))
    form += [
        ("ToZip", here.get("zip", "")),
        ("NumSegments", str(num_segments)),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", API_VERSION),
    ]
    for i, (content_type, url) in enumerate(media):
        form += [(f"MediaContentType{i}", content_type), (f"MediaUrl{i}", url)]
    return form


def status(
    *,
    sid: str,
    account_sid: str,
    from_: str,
    to: str,
    status: str,
    service_sid: str | None = None,
    error_code: int | None = None,
) -> Form:
    """A status callback for an outbound message reaching `status`."""
    form = [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", to),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", from_),
        ("ApiVersion", API_VERSION),
    ]
    if service_sid:
        form.append(("MessagingServiceSid", service_sid))
    if error_code is not None:
        form.append(("ErrorCode", str(error_code)))
    if status == "delivered":
        form.append(("RawDlrDoneDate", time.strftime("%y%m%d%H%M", time.gmtime())))
    return form


def handset_locality(seed: int, handset: str) -> dict[str, str]:
    """City, state and ZIP of a handset: stable per number and seed, so a run can be reproduced."""
    return dict(_locality(seed, handset))


@functools.lru_cache(maxsize=4096)
def _locality(seed: int, handset: str) -> dict[str, str]:
    local = _local_faker()
    local.seed_instance(f"{seed}:{handset}")
    return {"city": local.city().upper(), "state": local.state_abbr(), "zip": local.zipcode(), "country": "US"}


@functools.cache
def _local_faker() -> Faker:
    """One Faker, reseeded per handset: building one costs milliseconds, so not at import either."""
    from faker import Faker

    return Faker("en_US")
