"""One line per REST call and per webhook, for a person watching the emulator's terminal.

Twilio's console shows a request log; a developer running the emulator in a terminal wants the
same at a glance, failures above all (an 11205 that only the control API knew about was the
first thing a user missed). Lines never hold a token: calls and deliveries carry none.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from emulator import explain
from emulator.recorder import CallRecord, Delivery


def call_line(call: CallRecord) -> str:
    body = call.body() if call.status >= 400 else None  # only errors carry a code worth saying
    code = body.get("code") if isinstance(body, dict) else None
    error = f" code {code}" if code else ""
    auth = "" if call.auth in ("ok", "signed link") else f" (auth {call.auth})"
    return f"REST    {call.method} {call.path} -> {call.status}{error}{auth} ({call.duration_ms:.0f} ms)"


def delivery_line(item: Delivery) -> str:
    last = item.attempts[-1] if item.attempts else None
    via = f" via {last.target_url}" if last and last.target_url != explain.signed_url(item) else ""
    latency = f" ({last.latency_ms:.0f} ms)" if last else ""
    tries = f", {len(item.attempts)} attempts" if len(item.attempts) > 1 else ""
    head = f"WEBHOOK {item.kind} {item.method} {explain.signed_url(item)}{via}"
    if item.outcome == "delivered":
        return f"{head} -> {last.status if last else '?'}{latency}{tries}"
    why = explain.delivery(item) or {}
    seen = f"{last.status}" if last and last.status else (last.error if last and last.error else "no attempt")
    code = f" {item.error_code}" if item.error_code else ""
    faults = f" [fault {'; '.join(item.faults)}]" if item.faults else ""
    return f"{head} -> FAILED{code} {why.get('title', '')} ({seen}){latency}{tries}{faults}"


def line(record: CallRecord | Delivery) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(record.at if isinstance(record, CallRecord) else _started(record)))
    return f"{stamp} {call_line(record) if isinstance(record, CallRecord) else delivery_line(record)}"


def _started(item: Delivery) -> float:
    return item.attempts[0].at if item.attempts else time.time()


def printer(write: Callable[[str], None]) -> Callable[[CallRecord | Delivery], None]:
    """An on_record hook that writes each finished exchange as one line."""

    def log(record: CallRecord | Delivery) -> None:
        write(line(record))

    return log
