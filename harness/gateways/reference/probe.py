"""`channels status --probe`: read the Twilio side and say whether it points at this gateway."""

from __future__ import annotations

from typing import Any

from harness.gateways.reference import config, twilio_api
from harness.gateways.reference.state import StateDir

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


async def probe_account(account: config.Account, state: StateDir) -> dict[str, Any]:
    expected = account.public_webhook_url.split("#")[0] if account.public_webhook_url else None
    result: dict[str, Any] = {
        "accountId": account.id,
        "enabled": account.enabled,
        "configured": account.can_send,
        "webhookPath": account.webhook_path,
        "publicWebhookUrl": expected,
        "dmPolicy": account.dm_policy,
        "sender": account.sender,
        "probe": {"ok": True},
        "webhook": {"status": "missing"},
        "recentInbound": None,
        "recentOutbound": state.latest_status(account.id),
        "hints": [],
    }
    if not (account.account_sid and account.auth_token):
        result["probe"] = {"ok": False, "error": "Twilio credentials are not configured (accountSid, authToken)"}
        return result
    try:
        result["webhook"] = await webhook_state(account, expected)
        if account.from_number:
            inbound = [
                m
                for m in await twilio_api.recent_inbound(account, account.from_number)
                if m.get("direction") == "inbound"
            ]
            if inbound:
                latest = inbound[0]
                result["recentInbound"] = {
                    "sid": latest.get("sid"),
                    "from": latest.get("from"),
                    "status": latest.get("status"),
                    "errorCode": latest.get("error_code"),
                    "dateSent": latest.get("date_sent"),
                }
                if str(latest.get("error_code") or "") == "11200":
                    result["probe"] = {"ok": False, "error": "the latest inbound SMS failed with Twilio error 11200"}
                    result["hints"].append(HINT_11200)
    except twilio_api.TwilioCallError as exc:
        result["probe"] = {"ok": False, "error": str(exc)}
        return result
    status = result["webhook"]["status"]
    if status != "matches":
        result["hints"].append(
            f"Twilio's inbound webhook is {status}: set it to {expected or 'publicWebhookUrl'} with HTTP POST"
        )
    return result


async def webhook_state(account: config.Account, expected: str | None) -> dict[str, Any]:
    if account.from_number:
        number = await twilio_api.find_number(account, account.from_number)
        if number is None:
            return {"status": "number-not-found", "number": account.from_number}
        return {
            "status": compare(number.get("sms_url"), number.get("sms_method"), expected),
            "number": account.from_number,
            "smsUrl": number.get("sms_url") or None,
            "smsMethod": number.get("sms_method"),
            "expectedUrl": expected,
        }
    if account.messaging_service_sid:
        service = await twilio_api.fetch_service(account, account.messaging_service_sid)
        if service is None:
            return {
                "status": "missing",
                "messagingServiceSid": account.messaging_service_sid,
                "error": "Messaging Service not found",
            }
        return {
            "status": compare(service.get("inbound_request_url"), service.get("inbound_method"), expected),
            "messagingServiceSid": account.messaging_service_sid,
            "inboundRequestUrl": service.get("inbound_request_url"),
            "inboundMethod": service.get("inbound_method"),
            "useInboundWebhookOnNumber": service.get("use_inbound_webhook_on_number"),
            "expectedUrl": expected,
        }
    return {"status": "missing", "error": "no sender configured"}
