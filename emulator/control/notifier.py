"""Wakes the control API's long polls and event streams when the model announces a change."""

from __future__ import annotations

import asyncio


class Notifier:
    """Wakes long polls and event streams whenever the backend changes; `count` says how often it has."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.count = 0

    def notify(self) -> None:
        self.count += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        await asyncio.wait_for(self._event.wait(), timeout)
