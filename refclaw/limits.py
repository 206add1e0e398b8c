"""Rate limits and replay protection for the webhook (all in memory, bounded).

The numbers are the published plugin's (@openclaw/sms@2026.9.4): inbound
dispatch per sender (per client with signature validation off), validated inbound
per account route, requests per client (the "invalid request" limiter counts valid
ones too), delivery callbacks per account route; each per fixed 60-second window. Each limiter
tracks a bounded number of keys, as the plugin's do: past it, the key heard from longest ago is
forgotten (its count starts again). The plugin's per-route delivery-callback limiter is one per
route; here one limiter holds every route's key.
"""

from __future__ import annotations

from collections import OrderedDict

SENDER_PER_MINUTE = 30
ROUTE_PER_MINUTE = 300
INVALID_PER_MINUTE = 300
CALLBACKS_PER_MINUTE = 3000
SENDER_KEYS = 5000  # the plugin's maxTrackedKeys for its dispatch and invalid-request limiters
ROUTE_KEYS = 1000  # and for its validated-inbound aggregate limiter


class FixedWindow:
    """The plugin's limiter: a count per key in a fixed 60-second window; every check counts."""

    def __init__(self, limit: int, keys: int = SENDER_KEYS, seconds: float = 60.0) -> None:
        self.limit, self.keys, self.seconds = limit, keys, seconds
        self.windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def is_limited(self, key: str, now: float) -> bool:
        if not key:
            return False
        started, count = self.windows.pop(key, (now, 0))
        if now - started >= self.seconds:
            started, count = now, 0
        self.windows[key] = (started, count + 1)
        while len(self.windows) > self.keys:
            self.windows.popitem(last=False)
        return count + 1 > self.limit


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
