"""What is waited for: when a check looks at the exchange, and for how long.

Every wait has a timeout: the gateway's reply timeout for what must come (a slow agent is not a
missing reply), its quiet window for what must not. A wait for something that never comes fails
the scenario itself, saying what it waited for and what came instead (`World.fail`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from emulator.client import WaitTimeout
from harness import match, seen
from harness.match import texts

if TYPE_CHECKING:
    from harness.world import World

T = TypeVar("T")


def eventually(look: Callable[[], T], matcher: match.Matcher[T], timeout: float, every: float) -> T:
    """What `look` sees once it matches, or the last it saw when `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        got = look()
        if matcher(got) is None or time.monotonic() >= deadline:
            return got
        time.sleep(every)


def quiet(world: World) -> None:
    """Until nothing more can come of the last action.

    That is when every request of the action was refused (or was a status callback) and no
    agent turn started, or when the gateway says it is done with every message the action got
    admitted and either no agent turn started since or every turn that did has been answered
    (then the driver's settle time); else when the quiet window after the action has passed.
    """
    driver = world.driver
    deadline = world.acted_at + world.quiet_seconds
    counted = world.turns_before is not None and world.turns_before >= 0
    if counted and world.answered and not world.admitted and driver.agent_turns() == world.turns_before:
        time.sleep(driver.settle_seconds)  # every request was refused or was a callback: none can lead on
        return
    if (
        counted
        and world.admitted
        and _all_settled(world, deadline)
        and (driver.agent_turns() == world.turns_before or _turns_answered(world, deadline))
    ):
        time.sleep(driver.settle_seconds)
        return
    time.sleep(max(0.0, deadline - time.monotonic()))


def _turns_answered(world: World, deadline: float) -> bool:
    """Every agent turn since the action has its reply, and nothing moves for a settle time.

    A turn's reply goes out after the model answers: once an outbound message is newer than
    the newest model request, the gateway says it is done with the action's messages (its
    queue is empty), and neither the turns nor the outbound messages move for the driver's
    settle time, the turn is over.
    """
    while time.monotonic() < deadline:
        asked = world.emu.model_requests(after=world.mark)
        sent = seen.outbound(world, after=world.mark)
        if asked and sent and max(m["seq"] for m in sent) > max(r["seq"] for r in asked):
            time.sleep(world.driver.settle_seconds)
            still = (len(world.emu.model_requests(after=world.mark)), len(seen.outbound(world, after=world.mark)))
            if still == (len(asked), len(sent)) and _all_settled(world, deadline):
                return True
        else:
            time.sleep(0.1)
    return False


def _all_settled(world: World, deadline: float) -> bool:
    waiting = list(world.admitted)
    while True:
        answers = [world.driver.settled(sid) for sid in waiting]
        if None in answers:
            return False  # the gateway cannot tell: the quiet window decides
        waiting = [sid for sid, done in zip(waiting, answers, strict=True) if not done]
        if not waiting:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def counted(world: World, look: Callable[[], list[T]], count: int) -> list[T]:
    """What `look` lists once it holds `count` items (within the reply timeout) and nothing more
    can come of the last action."""
    eventually(look, match.at_least(count), world.reply_timeout, 0.1)
    quiet(world)
    return look()


def replies(world: World, phone: str, count: int) -> list[dict[str, Any]]:
    """At least `count` messages to the phone since the last action, in order, once no more
    arrive for a settle time (all chunks are in)."""
    timeout = world.reply_timeout
    deadline = time.monotonic() + timeout
    while True:
        got = seen.outbound(world, phone, after=world.mark)
        if len(got) >= count and _settled(world, phone, len(got)):
            return sorted(got, key=lambda m: m["seq"])
        if time.monotonic() > deadline:
            world.fail(f"{count} messages to phone {phone} within {timeout:g}s", texts.short(got))
        time.sleep(0.1)


def _settled(world: World, phone: str, count: int) -> bool:
    time.sleep(world.driver.settle_seconds)
    return len(seen.outbound(world, phone, after=world.mark)) == count


def reply(world: World, phone: str, exactly: str | None = None) -> dict[str, Any]:
    """The first message to the phone since the last action (reading `exactly` that)."""
    timeout = world.reply_timeout
    query = {"to": world.phone(phone), "direction": "outbound-api"}
    if exactly is not None:
        query["body"] = exactly
    want = f"a message to phone {phone} ({world.phone(phone)})" + (
        f" reading {exactly!r}" if exactly is not None else ""
    )
    return record(
        world,
        "messages",
        f"{want} within {timeout:g}s",
        lambda found: (
            texts.short([m for m in found if m.get("direction") == "outbound-api"]) or "no outbound message at all"
        ),
        after=world.mark,
        match=query,
    )


def last_reply(world: World, phone: str) -> dict[str, Any]:
    """The newest message the gateway sent the phone in this scenario, waited for if none came yet."""
    sent = seen.outbound(world, phone)
    return sent[-1] if sent else reply(world, phone)


def record(
    world: World, kind: str, expected: str, show: Callable[[list[dict[str, Any]]], str], **query: Any
) -> dict[str, Any]:
    """The first emulator record of `kind` the query matches (the emulator's long poll, within the
    reply timeout); when none comes, the failure shows what the emulator saw instead."""
    try:
        return world.emu.wait(kind, timeout=world.reply_timeout, **query)
    except WaitTimeout as exc:
        world.fail(expected, show(exc.seen))


def answer_begun(world: World) -> None:
    """Until the scripted model, slowed by a `model_latency` fault, has been asked: the agent is
    writing its answer. A stop before that point is a stop before the turn, another scenario."""

    def begun() -> list[dict[str, Any]]:
        return [f for f in world.emu.faults() if f["kind"] == "model_latency" and f["used"] >= 1]

    if not eventually(begun, match.at_least(1), world.reply_timeout, 0.05):
        world.fail(
            f"the agent asked the model for its answer within {world.reply_timeout:g}s",
            f"no model request; faults: {world.emu.faults()}",
        )


def turn(world: World) -> None:
    """Until the agent has been asked since the last action (or the reply timeout passed)."""
    eventually(lambda: seen.prompts(world), match.at_least(1), world.reply_timeout, 0.1)
