"""What a scenario can see of its exchange: reads of the emulator's record, without waiting or judging.

`waits.py` decides when to look, `match/` whether what was seen is right.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.world import World

MEDIA_FILE = re.compile(r"/Messages/\w+/Media/ME\w+$")
CDN_FILE = re.compile(r"^/AC\w+/ME\w+$")  # a short-lived mms.twiliocdn.com link (whatever Host it came in on)


def outbound(world: World, phone: str | None = None, after: int | None = None) -> list[dict[str, Any]]:
    """Messages the gateway sent (to that phone) in this scenario, or since `after`; not its own notices."""
    match = {"direction": "outbound-api"}
    if phone is not None:
        match["to"] = world.phone(phone)
    sent = world.emu.messages(after=world.start_seq if after is None else after, **match)
    return [m for m in sent if m.get("to") not in world.driver.own_numbers]


def sent_requests(world: World, to: str | None = None) -> list[dict[str, Any]]:
    """Messages.json create calls the gateway made in this scenario (to that number; not its own notices)."""
    return [
        c
        for c in world.emu.calls(after=world.start_seq, method="POST")
        if c["path"].endswith("/Messages.json")
        and dict(c["form"]).get("To") not in world.driver.own_numbers
        and (to is None or dict(c["form"]).get("To") == to)
    ]


def media_requests(world: World) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Since the last action: requests for Media files at api.twilio.com, and at Twilio's CDN."""
    calls = world.emu.calls(after=world.mark)
    files = [c for c in calls if c["method"] == "GET" and MEDIA_FILE.search(c["path"])]
    cdn = [c for c in calls if CDN_FILE.match(c["path"])]
    return files, cdn


def last_text_sid(world: World) -> str | None:
    """The MessageSid Twilio gave the last text a phone sent in this scenario."""
    return (world.last_inbound or {}).get("message", {}).get("sid")


def deliveries(world: World) -> list[dict[str, Any]]:
    """The emulator's webhook deliveries of the last text the phone sent."""
    return (world.last_inbound or {}).get("deliveries") or []


def prompts(world: World) -> list[str]:
    """What the agent was asked since the last action."""
    return [r["user_text"] for r in world.emu.model_requests(after=world.mark)]
