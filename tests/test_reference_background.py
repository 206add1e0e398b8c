"""refclaw's background work: replies in flight are kept until they end, waited for at shutdown
within a bound, and a failure no code path expected still reaches the log."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest

from refclaw.dispatcher import Background


async def fail() -> None:
    raise RuntimeError("a bug in a reply")


def test_a_failed_task_is_dropped_and_its_exception_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> int:
        background = Background()
        background.spawn(fail())
        await asyncio.sleep(0.05)
        return len(background.tasks)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        left = asyncio.run(run())
        gc.collect()
    assert left == 0, f"a finished task is still held ({left}), so its exception is never reported"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("a bug in a reply" in repr(r.exc_info) for r in errors), f"logged: {caplog.text!r}"


def test_drain_waits_for_a_reply_in_flight() -> None:
    done: list[str] = []

    async def reply() -> None:
        await asyncio.sleep(0.2)
        done.append("sent")

    async def run() -> None:
        background = Background()
        background.spawn(reply())
        await background.drain(timeout=5)
        assert background.tasks == set()

    asyncio.run(run())
    assert done == ["sent"]


def test_drain_gives_up_at_its_timeout() -> None:
    async def run() -> float:
        background = Background()
        background.spawn(asyncio.sleep(60))
        start = time.monotonic()
        await background.drain(timeout=0.2)
        return time.monotonic() - start

    waited = asyncio.run(run())  # asyncio.run cancels the sleeper as it returns, as refclaw's serve does
    assert 0.15 <= waited < 2, f"drain waited {waited:.2f} s for a 0.2 s timeout"
