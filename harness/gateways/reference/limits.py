"""Rate limits and replay protection for the webhook (all in memory, bounded).

The numbers are the published plugin's (@openclaw/sms@2026.9.4): inbound
dispatch per sender, validated inbound per account route, invalid requests per
client, delivery callbacks per account; each per 60-second window.
"""

from __future__ import annotations

from collections import OrderedDict, deque

SENDER_PER_MINUTE = 30
ROUTE_PER_MINUTE = 300
INVALID_PER_MINUTE = 300
CALLBACKS_PER_MINUTE = 3000
MAX_KEYS = 10_000


class Window:
    """At most `limit` events per key in any 60-second window."""

    def __init__(self, limit: int, seconds: float = 60.0) -> None:
        self.limit, self.seconds = limit, seconds
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        events = self.events.setdefault(key, deque())
        self.events.move_to_end(key)
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        while len(self.events) > MAX_KEYS:
            self.events.popitem(last=False)
        return True


class Seen:
    """MessageSids already dispatched (bounded): a replay is answered 200 but not dispatched again."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self.sids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, sid: str) -> bool:
        if sid in self.sids:
            return False
        self.sids[sid] = None
        while len(self.sids) > self.size:
            self.sids.popitem(last=False)
        return True
