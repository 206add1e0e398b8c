"""The emulator's record of one scenario, as text: what a failure and the report show of the exchange."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harness import redaction

if TYPE_CHECKING:
    from harness.world import World

Records = dict[str, list[dict[str, Any]]]


def records(world: World) -> Records:
    """What the emulator recorded since the scenario began: the transcript's and the diagram's source."""
    after = world.start_seq
    return {
        "calls": world.emu.calls(after=after),
        "deliveries": world.emu.deliveries(after=after),
        "messages": world.emu.messages(after=after),
        "model_requests": world.emu.model_requests(after=after),
    }


def text(world: World, brief: bool = False, recorded: Records | None = None) -> str:
    """REST calls, webhook deliveries and messages in order, then the last CLI call (redacted)."""
    try:
        recorded = recorded or records(world)
    except Exception as exc:  # the emulator itself may be what broke
        return f"(emulator record unavailable: {exc})"
    lines = ["-- emulator transcript --"]
    events = sorted(
        [("call", c) for c in recorded["calls"]]
        + [("delivery", d) for d in recorded["deliveries"]]
        + [("message", m) for m in recorded["messages"]],
        key=lambda e: e[1]["seq"],
    )
    for kind, item in events[-40:] if brief else events:
        lines.append(describe_event(kind, item))
    if world.last_cli:
        lines.append("-- last CLI call --\n" + world.last_cli.describe())
    return redaction.redact("\n".join(lines))


def channel(world: World) -> str:
    """The channel config the gateway last ran with, as JSON, secrets redacted (for the report)."""
    shown = {"channels.sms": world.expand(world.channel), **({"env": world.expand(world.env)} if world.env else {})}
    return redaction.redact(json.dumps(shown, indent=2, ensure_ascii=False))


def describe_event(kind: str, item: dict[str, Any]) -> str:
    """One line of the transcript: a REST call, a webhook delivery and its attempts, or a message."""
    if kind == "call":
        form = " ".join(f"{k}={v!r}" for k, v in item["form"])[:300]
        return f"#{item['seq']} REST {item['method']} {item['path']} [{item['auth']}] -> {item['status']} {form}"
    if kind == "delivery":
        attempts = "; ".join(
            f"{a.get('status') or a.get('error')} in {a['latency_ms']:.0f}ms" for a in item["attempts"]
        )
        body = dict(item["form"]).get("Body") or dict(item["form"]).get("MessageStatus", "")
        return (
            f"#{item['seq']} WEBHOOK {item['kind']} {item['method']} {item['url']} body={body!r} "
            f"-> {item['outcome']} ({attempts}){' faults ' + ','.join(item['faults']) if item['faults'] else ''}"
        )
    return (
        f"#{item['seq']} MESSAGE {item['direction']} {item['from']} -> {item['to']} [{item['status']}"
        f"{', error ' + str(item['error_code']) if item['error_code'] else ''}] {item['body'][:160]!r}"
    )
