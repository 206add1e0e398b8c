"""A scenario's exchange as a sequence diagram: handset → Twilio → gateway → agent and back.

The emulator's records (messages, webhook deliveries, REST calls, model requests) become arrows
between four lanes, in the order the emulator saw them, each labelled with what crossed (the
text, the path) and how it ended (status code, Twilio error, milliseconds). The report draws
them as inline SVG, so a failure shows at a glance where the exchange stopped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

LANES = ("Handset", "Twilio (emulator)", "Gateway", "Agent (model)")
HANDSET, TWILIO, GATEWAY, AGENT = range(4)
MAX_ARROWS = 80
LABEL_CHARS = 60


@dataclass(frozen=True)
class Arrow:
    order: float
    source: int
    target: int
    label: str
    ok: bool = True


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(item: dict[str, Any]) -> list[Arrow]:
    body = f"SMS “{_clip(item.get('body') or '', 40)}”"
    files = f" +{item['num_media']} file(s)" if str(item.get("num_media", "0")) not in ("0", "") else ""
    if item["direction"] == "inbound":
        return [Arrow(item["seq"], HANDSET, TWILIO, body + files)]
    ended = item["status"] in ("failed", "undelivered")
    error = f" error {item['error_code']}" if item.get("error_code") else ""
    # created by the REST call that is recorded just after it: drawn after that call
    return [Arrow(item["seq"] + 1.5, TWILIO, HANDSET, f"{body}{files} [{item['status']}{error}]", not ended)]


def _delivery(item: dict[str, Any]) -> list[Arrow]:
    form = dict(item["form"])
    path = urlsplit(item["url"]).path or "/"
    what = {
        "status_callback": f"status {form.get('MessageStatus', '')}",
        "media_fetch": "GET media",
    }.get(item["kind"], f"{item['method']} {path}")
    arrows = [Arrow(item["seq"], TWILIO, GATEWAY, _clip(what))]
    last = item["attempts"][-1] if item["attempts"] else None
    if last is None:
        return arrows
    latency = f" ({last['latency_ms']:.0f} ms)"
    tries = f", {len(item['attempts'])} attempts" if len(item["attempts"]) > 1 else ""
    if item["outcome"] == "delivered":
        return [*arrows, Arrow(item["seq"] + 0.1, GATEWAY, TWILIO, f"{last['status']}{latency}{tries}")]
    seen = last.get("status") or last.get("error") or "no answer"
    code = f" → Twilio error {item['error_code']}" if item.get("error_code") else ""
    return [*arrows, Arrow(item["seq"] + 0.1, GATEWAY, TWILIO, _clip(f"{seen}{latency}{tries}{code}"), False)]


def _call(item: dict[str, Any]) -> list[Arrow]:
    path = item["path"].rsplit("/", 1)[-1] if item["path"].startswith("/2010-04-01/Accounts/") else item["path"]
    code = item["response"].get("code") if isinstance(item["response"], dict) else None
    answer = f"{item['status']}{f' code {code}' if code else ''} ({item['duration_ms']:.0f} ms)"
    return [
        Arrow(item["seq"] - 0.6, GATEWAY, TWILIO, _clip(f"{item['method']} {path}")),
        Arrow(item["seq"] - 0.5, TWILIO, GATEWAY, answer, item["status"] < 400),
    ]


def _model(item: dict[str, Any]) -> list[Arrow]:
    return [
        Arrow(item["seq"] - 0.6, GATEWAY, AGENT, f"turn: “{_clip(item.get('user_text') or '', 40)}”"),
        Arrow(item["seq"] - 0.5, AGENT, GATEWAY, f"“{_clip(item.get('reply') or '', 40)}”"),
    ]


def arrows(records: dict[str, list[dict[str, Any]]]) -> list[Arrow]:
    """The records of one scenario (messages, deliveries, calls, model_requests) as ordered arrows."""
    made: list[Arrow] = []
    for kind, build in (
        ("messages", _message),
        ("deliveries", _delivery),
        ("calls", _call),
        ("model_requests", _model),
    ):
        for item in records.get(kind, []):
            made += build(item)
    return sorted(made, key=lambda a: a.order)


def svg(found: list[Arrow]) -> str:
    """Inline SVG: four lifelines, one arrow per row (the first MAX_ARROWS), red where it failed."""
    shown = found[:MAX_ARROWS]
    lane_x = [90 + 230 * i for i in range(len(LANES))]
    row, top = 30, 50
    height = top + row * (len(shown) + 1)
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" viewBox="0 0 {lane_x[-1] + 100} {height}" '
        f'width="{lane_x[-1] + 100}" height="{height}" role="img" aria-label="sequence diagram of the exchange">',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
        '<path d="M0,0 L7,3 L0,6 z" fill="context-stroke"/></marker></defs>',
    ]
    for x, name in zip(lane_x, LANES, strict=True):
        parts.append(f'<text x="{x}" y="20" text-anchor="middle" class="lane">{e(name)}</text>')
        parts.append(f'<line x1="{x}" y1="30" x2="{x}" y2="{height - 10}" class="life"/>')
    for i, arrow in enumerate(shown):
        y = top + row * i
        x1, x2 = lane_x[arrow.source], lane_x[arrow.target]
        colour = "#17692f" if arrow.ok else "#b3261e"
        parts.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2 - 8 if x2 > x1 else x2 + 8}" y2="{y}" stroke="{colour}" '
            f'stroke-width="1.5" marker-end="url(#a)"/>'
        )
        parts.append(
            f'<text x="{(x1 + x2) / 2}" y="{y - 5}" text-anchor="middle" class="{"ok" if arrow.ok else "bad"}">'
            f"{e(arrow.label)}</text>"
        )
    if len(found) > len(shown):
        parts.append(f'<text x="10" y="{height - 4}">… {len(found) - len(shown)} more in the transcript</text>')
    parts.append("</svg>")
    return "".join(parts)
