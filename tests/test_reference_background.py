"""refclaw's failures no scenario can cause: a reply in flight is kept until it ends and waited for
at shutdown within a bound, a background failure no code path expected still reaches the log, and a
webhook route that throws is answered and reported as OpenClaw's gateway does."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from pathlib import Path

import pytest

from refclaw import channel
from refclaw.app import create_app
from refclaw.dispatcher import Background


async def fail() -> None:
    raise RuntimeError("a bug in a reply")


def test_a_failed_task_is_dropped_and_its_exception_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> int:
        background = Background()
        background.spawn(fail())
        await asyncio.wait(set(background.tasks), timeout=5)
        await asyncio.sleep(0)  # the done callbacks run on the next turn of the loop
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


def test_a_webhook_route_that_throws_answers_500_and_warns_as_openclaw_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = channel.Runtime(tmp_path / "conf.json5", tmp_path / "state", {})

    def broken(path: str) -> None:
        raise RuntimeError("a bug in the route")

    monkeypatch.setattr(runtime, "account_for_path", broken)

    async def post() -> tuple[int, bytes, dict[str, str]]:
        response = await create_app(runtime).test_client().post("/webhooks/sms", form={"Body": "hi"})
        return response.status_code, await response.get_data(), {k.lower(): v for k, v in response.headers.items()}

    with caplog.at_level(logging.WARNING, logger="refclaw.http"):
        status, body, headers = asyncio.run(post())
    assert (status, body, headers.get("cache-control")) == (500, b"Internal Server Error", "no-store")
    assert headers["content-type"].startswith("text/plain")
    assert "plugin http route failed (sms): a bug in the route" in caplog.text
