"""Work that runs after the webhook has answered (Twilio wants its 200 fast)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    """Holds each task until it ends (the event loop keeps only weak references), so a reply in
    flight is not collected half-way and shutdown can wait for it. A task that fails is dropped
    like any other, and asyncio logs its exception with the traceback ("Task exception was never
    retrieved") once the task is collected: the channel catches and logs every failure it expects,
    so that line means a bug."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Waits at most `timeout` for the replies in flight; what is still running then is
        cancelled by `asyncio.run` as the server's main task returns."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)
