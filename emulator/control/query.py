"""The query and wait engine: which items of a collection (messages or a record list) come after a
cursor and match, and the long poll that waits for the first such item, woken by the Notifier."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from emulator.control.notifier import Notifier
from emulator.control.views import delivery_view, message_view
from emulator.models import Backend

SHOWN_ON_TIMEOUT = 20  # the newest items a 408 shows of what was seen


def view(state: Backend, collection: str, item: Any) -> dict[str, Any]:
    """An item as a listing shows it (schemas.COLLECTIONS: messages and the record lists)."""
    if collection == "messages":
        return message_view(state, item)
    if collection == "calls":
        return item.view()
    return delivery_view(item) if collection == "deliveries" else asdict(item)


def select(
    state: Backend,
    collection: str,
    after: int = 0,
    match: dict[str, Any] | None = None,
    contains: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The views of a collection's items after seq `after` whose fields equal `match` and hold the
    text of `contains`."""
    items = list(state.messages.values()) if collection == "messages" else state.records[collection]
    found = []
    for item in items:
        if item.seq <= after:
            continue
        shown = view(state, collection, item)
        if all(shown.get(k) == v for k, v in (match or {}).items()) and all(
            str(sub) in str(shown.get(k) or "") for k, sub in (contains or {}).items()
        ):
            found.append(shown)
    return found


async def wait(
    state: Backend,
    notifier: Notifier,
    collection: str,
    after: int,
    match: dict[str, Any],
    contains: dict[str, Any],
    timeout: float,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The first item after `after` that matches, as soon as there is one; else, once `timeout`
    has passed, None and the newest items that were seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(timeout)
    while True:
        found = select(state, collection, after, match, contains)
        if found:
            return found[0], []
        left = deadline - loop.time()
        if left <= 0:
            return None, select(state, collection, after)[-SHOWN_ON_TIMEOUT:]
        try:
            await notifier.wait(left)
        except TimeoutError:
            continue
