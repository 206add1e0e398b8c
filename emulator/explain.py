"""Twilio's error codes and failed webhooks in plain words, with what to check.

One table for every place a person reads them: the dev phone's timelines and banner, and the
one line per exchange that `sms-harness emulator` prints. The checklists follow the SMS
channel guide's troubleshooting section (URL, method, path exposed, signature URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import signing
from emulator.errors import CATALOGUE, DELIVERY_ERRORS, WEBHOOK_ERROR_MESSAGES
from emulator.recorder import Delivery

WEBHOOK_CHECKLIST = (
    "The webhook URL on the number (or Messaging Service) is the gateway's public URL: scheme, host, port and path.",
    "The method is POST, which the gateway's webhook route expects.",
    "The tunnel or proxy exposes that path (for OpenClaw the channel's webhookPath, /webhooks/sms by default) "
    "and forwards it to the running gateway.",
    "The gateway answers within 15 seconds with a 2xx status and TwiML (or an empty body).",
)


@dataclass(frozen=True)
class Explanation:
    code: int | None
    title: str
    words: str
    checklist: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "words": self.words, "checklist": list(self.checklist)}


CODES: dict[int, Explanation] = {
    11200: Explanation(
        11200,
        "HTTP retrieval failure",
        "Twilio accepted the SMS but got no usable answer from the webhook: it answered with an error "
        "status, took too long, or the connection broke. The message reached Twilio; the gateway never took it.",
        WEBHOOK_CHECKLIST,
    ),
    11205: Explanation(
        11205,
        "HTTP connection failure",
        "Twilio could not open a connection to the webhook's host: nothing listens there (the gateway is "
        "not running, or the tunnel points at the wrong port).",
        ("The gateway is running and listening on the port the tunnel forwards to.", *WEBHOOK_CHECKLIST),
    ),
    11210: Explanation(
        11210,
        "HTTP bad host name",
        "The webhook's host name does not resolve. In the emulator: the URL's host is neither loopback nor "
        "routed to a local gateway (add a route, as a tunnel would, or use the devphone's --public-url).",
        WEBHOOK_CHECKLIST[:1],
    ),
    11750: Explanation(
        11750,
        "TwiML response body too large",
        "The gateway answered with more than 64 KB; Twilio ignores the answer.",
    ),
    12300: Explanation(
        12300,
        "Invalid Content-Type",
        "The gateway's answer had a Content-Type Twilio cannot read as TwiML (XML, HTML or plain text).",
    ),
    21610: Explanation(
        21610,
        "Attempt to send to unsubscribed recipient",
        "The handset texted STOP to this sender; nothing reaches it until it texts START.",
    ),
    20003: Explanation(
        20003,
        "Authenticate",
        "The REST call's Account SID or auth token is wrong: the gateway's accountSid/authToken do not match "
        "the account.",
    ),
}
for _code, _title in (*DELIVERY_ERRORS.items(), (30019, WEBHOOK_ERROR_MESSAGES[30019])):
    CODES.setdefault(
        _code,
        Explanation(
            _code,
            _title,
            "The carrier did not deliver the message to the handset (Twilio's status: undelivered or failed).",
        ),
    )

REFUSED = Explanation(
    None,
    "The gateway refused the webhook",
    "The gateway answered 403: most often its signature check failed. It computes X-Twilio-Signature over its "
    "own idea of the public URL (publicWebhookUrl) with the account's auth token; both must match what "
    "Twilio used, byte for byte (scheme, host, port, path, query).",
    (
        "publicWebhookUrl is exactly the URL Twilio requested (below), without the #fragment.",
        "The auth token is the account's current token.",
        "No proxy rewrites the host, scheme or port between Twilio and the gateway.",
    ),
)


def code(number: int | None) -> Explanation | None:
    """A Twilio error code in words (Twilio's own title for codes this table does not explain)."""
    if number is None:
        return None
    if number in CODES:
        return CODES[number]
    title = (
        CATALOGUE[number][1] if number in CATALOGUE else WEBHOOK_ERROR_MESSAGES.get(number, f"Twilio error {number}")
    )
    return Explanation(number, title, title)


def signed_url(delivery: Delivery) -> str:
    """The URL a gateway must validate the signature against: the configured URL without its fragment."""
    return signing.strip_fragment(delivery.url)


def delivery(item: Delivery) -> dict[str, Any] | None:
    """Why a webhook failed, in words: the code's explanation, or a refusal's, plus what was tried."""
    if item.outcome != "failed":
        return None
    last = item.attempts[-1] if item.attempts else None
    refused = last is not None and last.status in (401, 403)
    found = REFUSED if refused else code(item.error_code or 11200)
    assert found is not None
    view = found.to_json()
    view["tried"] = [
        {"url": a.target_url, "status": a.status, "error": a.error, "latency_ms": a.latency_ms} for a in item.attempts
    ]
    view["signed_url"] = signed_url(item)
    view["faults"] = list(item.faults)
    if item.faults:
        view["words"] += " This delivery was altered on purpose by an armed fault: " + "; ".join(item.faults) + "."
    return view
