"""How the control API shows the model: Twilio's shapes (render.py) plus what only the emulator
knows (seq, media files, status history, SharedKeys). Auth tokens and SharedKey secrets appear only
in the answer to the call that created them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from emulator import explain, render
from emulator.models import Backend
from emulator.models.accounts import Account
from emulator.models.messages import Media, Message
from emulator.models.numbers import PhoneNumber
from emulator.models.services import MessagingService
from emulator.recorder import Delivery


def message_view(state: Backend, message: Message) -> dict[str, Any]:
    return dict(
        render.message_json(message),
        seq=message.seq,
        media_urls=message.media_urls,
        media=[media_view(state.media[sid]) for sid in message.media_sids if sid in state.media],
        status_callback=message.status_callback,
        status_history=[list(change) for change in message.status_history],  # [status, when], as JSON gives it
    )


def media_view(item: Media) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "content_type": item.content_type,
        "size": len(item.content),
        "sha256": item.sha256,
        "source": item.source,
    }


def account_view(account: Account, reveal: bool = False) -> dict[str, Any]:
    return {
        "sid": account.sid,
        "auth_token": account.auth_token if reveal else render.REDACTED,
        "friendly_name": account.friendly_name,
        "trial": account.trial,
        "verified_caller_ids": account.verified_caller_ids,
    }


def number_view(number: PhoneNumber, reveal: bool = False) -> dict[str, Any]:
    """Twilio's view of the number, plus what only the emulator knows: its SharedKey, whose secret
    (like an auth token) is shown only in the answer that made it or provisioned the number."""
    key = number.shared_key
    if key and not reveal:
        key = dict(key, secret=render.REDACTED)
    return dict(render.number_json(number), messaging_service_sid=number.messaging_service_sid, webhook_signing=key)


def service_view(state: Backend, service: MessagingService) -> dict[str, Any]:
    view = render.service_json(service)
    view["phone_numbers"] = [n.phone_number for n in state.service_numbers(service.sid)]
    return view


def delivery_view(item: Delivery) -> dict[str, Any]:
    return dict(asdict(item), explanation=explain.delivery(item))


def provisioned_view(state: Backend, created: dict[str, Any]) -> dict[str, Any]:
    """An account just provisioned, with its numbers and services: tokens and secrets shown."""
    return {
        "account": account_view(created["account"], reveal=True),
        "numbers": [number_view(n, reveal=True) for n in created["numbers"]],
        "services": [service_view(state, s) for s in created["services"]],
    }


def state_view(state: Backend) -> dict[str, Any]:
    """Everything but messages and records, tokens redacted: what a report attaches."""
    return {
        "seq": state.seq,
        "accounts": [account_view(a) for a in state.accounts.values()],
        "numbers": [number_view(n) for n in state.numbers.values()],
        "services": [service_view(state, s) for s in state.services.values()],
        "routes": [asdict(r) for r in state.routes],
        "optouts": sorted(list(o) for o in state.optouts),
        "faults": [f.to_json() for f in state.faults.faults],
        "settings": state.settings,
        "dropped": state.records.dropped,  # records the max_records cap let go, per list
    }
