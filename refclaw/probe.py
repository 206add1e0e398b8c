"""`channels status --probe`: read the Twilio side and say whether it points at this gateway.

As the plugin probes (its code, src/status.ts; docs/specification.md#capabilities-and-the-probe):
the number's SMS webhook (or the Messaging Service's inbound webhook) is compared with
publicWebhookUrl as written, fragment and all: no URL is `missing`, a method other than POST is
`method-mismatch` (checked before the URL), another URL is `url-mismatch`; a service that defers
to its numbers' webhooks is `unavailable`. Any such state, a failed read, or a recent inbound
with 11200 makes `ok` false, with the reasons in `error`. A `.ts.net` host gets the Tailscale
Funnel hint.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from refclaw import config, twilio_api
from refclaw.state import StateDir

HINT_11200 = (
    "Twilio error 11200 means Twilio could not reach the SMS webhook. Check the public URL, tunnel/Funnel route, "
    "and Twilio Messaging webhook method."
)
DEFERS = (
    "Twilio Messaging Service defers inbound webhooks to sender phone numbers; configure fromNumber or disable "
    "defer-to-sender before probing."
)


def compare(url: str, method: str, expected: str, prefix: str = "") -> str:
    """missing | method-mismatch | url-mismatch | matches (with the service's prefix)."""
    if not url:
        return prefix + "missing"
    if method and method.upper() != "POST":
        return prefix + "method-mismatch"
    if url != expected:
        return prefix + "url-mismatch"
    return prefix + "matches"


def webhook_error(webhook: dict[str, Any]) -> str | None:
    """The sentence the plugin puts in `error` for a webhook state, if any."""
    status, where = webhook["status"], webhook.get("phoneNumber") or webhook.get("serviceSid")
    method = webhook.get("configuredMethod") or "an unknown method"
    return {
        "unavailable": webhook.get("reason"),
        "number-not-found": f"Twilio account does not list {webhook.get('expectedNumber')} as an incoming phone number.",
        "missing": f"Twilio number {where} has no SMS webhook URL configured.",
        "method-mismatch": f"Twilio number {where} uses {method} for SMS webhooks; use POST.",
        "url-mismatch": f"Twilio number {where} points SMS webhooks at {webhook.get('configuredUrl')}; "
        f"expected {webhook.get('expectedUrl')}.",
        "messaging-service-missing": f"Twilio Messaging Service {where} has no inbound request URL configured.",
        "messaging-service-method-mismatch": f"Twilio Messaging Service {where} uses {method} for inbound webhooks; "
        "use POST.",
        "messaging-service-url-mismatch": f"Twilio Messaging Service {where} points inbound webhooks at "
        f"{webhook.get('configuredUrl')}; expected {webhook.get('expectedUrl')}.",
    }.get(status)


def recent_outbound(state: StateDir, account_id: str) -> dict[str, Any] | None:
    record = state.latest_delivery(account_id)
    if not record:
        return None
    summary = {
        "messageSid": record["messageSid"],
        "status": record["status"],
        "lastObservedAt": int(record["lastObservedAt"] * 1000),
    }
    return {
        **summary,
        **({"errorCode": record["errorCode"]} if record.get("errorCode") else {}),
        **({"conflict": True} if record.get("conflict") else {}),
    }


async def probe_account(account: config.Account, state: StateDir) -> dict[str, Any]:
    """One account as `channels status --probe --json` shows it (OpenClaw's shape)."""
    hints: list[str] = []
    host = urlsplit(account.public_webhook_url or "").hostname or ""
    if host.endswith(".ts.net"):
        hints.append(
            f"Tailscale Funnel must expose the exact SMS path: tailscale funnel --bg --set-path "
            f"{account.webhook_path} http://127.0.0.1:<gateway-port>{account.webhook_path}"
        )
    errors: list[str] = []
    recent_inbound = None
    try:
        webhook = await webhook_state(account)
    except twilio_api.TwilioCallError as exc:
        webhook = {"status": "unavailable", "reason": f"Twilio webhook probe failed: {exc}"}
    errors.append(webhook_error(webhook) or "")
    if account.from_number:
        try:
            messages = await twilio_api.recent_inbound(account, account.from_number)
        except twilio_api.TwilioCallError as exc:
            messages = []
            errors.append(f"Twilio message history probe failed: {exc}")
        if messages:
            latest = messages[0]
            recent_inbound = {
                "sid": latest.get("sid") or "",
                "direction": latest.get("direction") or "",
                "status": latest.get("status") or "",
                "errorCode": str(latest.get("error_code") or ""),
                "dateCreated": latest.get("date_created") or "",
                "dateSent": latest.get("date_sent") or "",
            }
            if recent_inbound["errorCode"] == "11200":
                hints.append(HINT_11200)
                errors.append(f"Recent inbound SMS {recent_inbound['sid']} has Twilio error 11200.")
    error = " ".join(e for e in errors if e)
    probe: dict[str, Any] = {"ok": not error, **({"error": error} if error else {}), "webhook": webhook}
    if recent_inbound:
        probe["recentInbound"] = recent_inbound
    outbound = recent_outbound(state, account.id)
    if outbound:
        probe["recentOutbound"] = outbound
    probe["hints"] = hints
    return {
        "accountId": account.id,
        "name": account.from_number or account.messaging_service_sid or "SMS",
        "enabled": account.enabled,
        "configured": account.can_send,
        "webhookPath": account.webhook_path,
        "dmPolicy": account.dm_policy,
        "probe": probe,
    }


async def webhook_state(account: config.Account) -> dict[str, Any]:
    expected = account.public_webhook_url or ""
    if account.from_number:
        number = await twilio_api.find_number(account, account.from_number)
        if number is None:
            return {"status": "number-not-found", "expectedNumber": account.from_number}
        url, method = (number.get("sms_url") or "").strip(), (number.get("sms_method") or "").strip().upper()
        found = {"phoneNumber": number.get("phone_number") or account.from_number, "expectedUrl": expected}
        status = compare(url, method, expected)
        return {
            "status": status,
            **found,
            **({"configuredUrl": url} if url else {}),
            "configuredMethod": method,
            **({"voiceUrl": number.get("voice_url") or ""} if status == "matches" else {}),
        }
    if account.messaging_service_sid:
        service = await twilio_api.fetch_service(account, account.messaging_service_sid)
        if service is None:
            raise twilio_api.TwilioCallError(f"Messaging Service {account.messaging_service_sid} was not found")
        if service.get("use_inbound_webhook_on_number"):
            return {"status": "unavailable", "reason": DEFERS}
        url = (service.get("inbound_request_url") or "").strip()
        method = (service.get("inbound_method") or "").strip().upper()
        found = {"serviceSid": service.get("sid") or account.messaging_service_sid, "expectedUrl": expected}
        return {
            "status": compare(url, method, expected, "messaging-service-"),
            **found,
            **({"configuredUrl": url} if url else {}),
            "configuredMethod": method,
        }
    return {"status": "unavailable", "reason": "Twilio SMS probe requires fromNumber or messagingServiceSid."}
