"""Rate limits and replay protection for the webhook (all in memory, bounded).

The plugin keeps its replay guard in a durable queue (it outlives a restart); refclaw's lives as
long as the process.

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
REPLAY_SECONDS = 24 * 3600  # how long the plugin's ingress queue remembers a handled MessageSid
REPLAY_KEYS = 20_000  # and how many it remembers at most


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
    """MessageSids already admitted: a replay is answered 200 but not dispatched again.

    As the plugin's ingress queue keeps them: a day after the message (completedTtlMs, pruned at
    each admission), at most the 20,000 newest (completedMaxEntries). The plugin counts the day from
    the end of the message's dispatch, refclaw from its admission: they differ by the agent turn.
    """

    def __init__(self, size: int = REPLAY_KEYS, seconds: float = REPLAY_SECONDS) -> None:
        self.size, self.seconds = size, seconds
        self.sids: OrderedDict[str, float] = OrderedDict()

    def first_time(self, sid: str, now: float) -> bool:
        seen = self.sids.get(sid)
        if seen is not None and now - seen <= self.seconds:
            return False
        self.sids.pop(sid, None)
        self.sids[sid] = now
        while len(self.sids) > self.size:
            self.sids.popitem(last=False)
        return True
