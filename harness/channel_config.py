"""The guide's `channels.sms` block: what the scenarios start from and what the dev phone prints."""

from __future__ import annotations

from typing import Any


def guide_block(
    account_sid: str, auth_token: str, public_url: str, number: str | None = None, service_sid: str | None = None
) -> dict[str, Any]:
    """A complete block as the guide's example writes it: pairing, the account, its sender."""
    block: dict[str, Any] = {
        "enabled": True,
        "accountSid": account_sid,
        "authToken": auth_token,
        "publicWebhookUrl": public_url,
        "dmPolicy": "pairing",
    }
    if number:
        block["fromNumber"] = number
    elif service_sid:
        block["messagingServiceSid"] = service_sid
    return block
