"""`channels status --probe`: read the Twilio side and say whether it points at this gateway."""

from __future__ import annotations

from typing import Any

from refclaw import config, twilio_api
from refclaw.state import StateDir

HINT_11200 = (
    "Twilio error 11200: Twilio accepted the inbound SMS but could not reach the webhook. Check that "
    "'A message comes in' points to publicWebhookUrl with HTTP POST and that the tunnel or reverse proxy "
    "exposes webhookPath."
)


def compare(url: str | None, method: str | None, expected: str | None) -> str:
    """matches | missing | url-mismatch | method-mismatch."""
    if not url:
        return "missing"
    if expected is None or url != expected:
        return "url-mismatch"
    if (method or "POST").upper() != "POST":
        return "method-mismatch"
    return "matches"


def recent_outbound(state: StateDir, account_id: str) -> dict[str, Any] | None:
    latest = state.latest_status(account_id)
    if not latest:
        return None
    return {"messageSid": latest["messageSid"], "status": latest["status"], "lastObservedAt": int(latest["at"] * 1000)}


async def probe_account(account: config.Account, state: StateDir) -> dict[str, Any]:
    """One account as `channels status --probe --json` shows it (OpenClaw's shape)."""
    expected = account.public_webhook_url.split("#")[0] if account.public_webhook_url else None
    probe: dict[str, Any] = {
        "ok": True,
        "webhook": {"status": "missing", "expectedUrl": expected},
        "recentInbound": None,
        "recentOutbound": recent_outbound(state, account.id),
        "hints": [],
    }
    entry = {
        "accountId": account.id,
        "name": account.from_number or account.messaging_service_sid,
        "enabled": account.enabled,
        "configured": account.can_send,
        "webhookPath": account.webhook_path,
        "dmPolicy": account.dm_policy,
        "probe": probe,
    }
    if not (account.account_sid and account.auth_token):
        probe.update(ok=False, error="Twilio credentials are not configured (accountSid, authToken)")
        return entry
    try:
        probe["webhook"] = await webhook_state(account, expected)
        if account.from_number:
            inbound = [
                m
                for m in await twilio_api.recent_inbound(account, account.from_number)
                if m.get("direction") == "inbound"
            ]
            if inbound:
                latest = inbound[0]
                probe["recentInbound"] = {
                    "sid": latest.get("sid"),
                    "direction": "inbound",
                    "status": latest.get("status"),
                    "errorCode": str(latest.get("error_code") or ""),
                    "dateCreated": latest.get("date_created"),
                    "dateSent": latest.get("date_sent"),
                }
                if probe["recentInbound"]["errorCode"] == "11200":
                    probe.update(ok=False, error="the latest inbound SMS failed with Twilio error 11200")
                    probe["hints"].append(HINT_11200)
    except twilio_api.TwilioCallError as exc:
        probe.update(ok=False, error=str(exc))
        return entry
    status = probe["webhook"]["status"]
    if not status.endswith("matches"):
        probe["hints"].append(
            f"Twilio's inbound webhook is {status}: set it to {expected or 'publicWebhookUrl'} with HTTP POST"
        )
    return entry


async def webhook_state(account: config.Account, expected: str | None) -> dict[str, Any]:
    if account.from_number:
        number = await twilio_api.find_number(account, account.from_number)
        if number is None:
            return {"status": "number-not-found", "phoneNumber": account.from_number, "expectedUrl": expected}
        return {
            "status": compare(number.get("sms_url"), number.get("sms_method"), expected),
            "phoneNumber": account.from_number,
            "expectedUrl": expected,
            "configuredUrl": number.get("sms_url") or "",
            "configuredMethod": number.get("sms_method"),
            "voiceUrl": number.get("voice_url") or "",
        }
    if account.messaging_service_sid:
        service = await twilio_api.fetch_service(account, account.messaging_service_sid)
        if service is None:
            return {
                "status": "messaging-service-missing",
                "serviceSid": account.messaging_service_sid,
                "expectedUrl": expected,
                "error": "Messaging Service not found",
            }
        state = compare(service.get("inbound_request_url"), service.get("inbound_method"), expected)
        return {
            "status": f"messaging-service-{state}",  # OpenClaw's names for a service's states
            "serviceSid": account.messaging_service_sid,
            "expectedUrl": expected,
            "configuredUrl": service.get("inbound_request_url") or "",
            "configuredMethod": service.get("inbound_method"),
            "useInboundWebhookOnNumber": service.get("use_inbound_webhook_on_number"),
        }
    return {"status": "missing", "expectedUrl": expected, "error": "no sender configured"}
