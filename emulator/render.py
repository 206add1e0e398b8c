"""Twilio's JSON shapes for the state in `models/`.

Shared by the REST layer (which must match Twilio byte for byte in shape)
and the control API (which adds the emulator's own bookkeeping fields).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from emulator.models.accounts import Account
from emulator.models.messages import Media, Message
from emulator.models.numbering import twilio_number_type
from emulator.models.numbers import PhoneNumber
from emulator.models.services import MessagingService

API = "/2010-04-01"
REDACTED = "[redacted]"


def rfc2822(ts: float | None) -> str | None:
    """Twilio's 2010 API dates: 'Mon, 24 Nov 2026 13:46:46 +0000'."""
    if ts is None:
        return None
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(ts))


def iso8601(ts: float) -> str:
    """The v1 APIs' dates: '2026-11-24T13:46:46Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def account_json(account: Account, *, reveal_token: bool) -> dict[str, Any]:
    base = f"{API}/Accounts/{account.sid}"
    return {
        "auth_token": account.auth_token if reveal_token else REDACTED,
        "date_created": rfc2822(account.date_created),
        "date_updated": rfc2822(account.date_created),
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.sid,
        "sid": account.sid,
        "status": "active",
        "subresource_uris": {
            "messages": f"{base}/Messages.json",
            "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json",
        },
        "type": "Trial" if account.trial else "Full",
        "uri": f"{base}.json",
    }


def message_json(message: Message) -> dict[str, Any]:
    base = f"{API}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": "2010-04-01",
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": str(len(message.media_sids) or len(message.media_urls)),
        "num_segments": str(message.num_segments),
        "price": message.price,
        "price_unit": message.price_unit,
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": message.to,
        "uri": f"{base}.json",
    }


def media_json(item: Media) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "content_type": item.content_type,
        "date_created": rfc2822(item.date_created),
        "date_updated": rfc2822(item.date_created),
        "parent_sid": item.parent_sid,
        "sid": item.sid,
        "uri": f"{item.path}.json",
    }


def number_json(number: PhoneNumber) -> dict[str, Any]:
    base = f"{API}/Accounts/{number.account_sid}/IncomingPhoneNumbers/{number.sid}"
    return {
        "account_sid": number.account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "bundle_sid": None,
        "capabilities": dict(number.capabilities),
        "date_created": rfc2822(number.date_created),
        "date_updated": rfc2822(number.date_updated),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": number.friendly_name,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": number.phone_number,
        "sid": number.sid,
        "sms_application_sid": "",
        "sms_fallback_method": number.sms_fallback_method,
        "sms_fallback_url": number.sms_fallback_url,
        "sms_method": number.sms_method,
        "sms_url": number.sms_url,
        "status": "in-use",
        "status_callback": "",
        "status_callback_method": "POST",
        "subresource_uris": {"assigned_add_ons": f"{base}/AssignedAddOns.json"},
        "trunk_sid": None,
        "type": twilio_number_type(number.phone_number),
        "uri": f"{base}.json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": number.voice_method,
        "voice_receive_mode": "voice",
        "voice_url": number.voice_url,
    }


def service_json(service: MessagingService) -> dict[str, Any]:
    url = f"https://messaging.twilio.com/v1/Services/{service.sid}"
    return {
        "account_sid": service.account_sid,
        "area_code_geomatch": service.area_code_geomatch,
        "date_created": iso8601(service.date_created),
        "date_updated": iso8601(service.date_updated),
        "fallback_method": "POST",
        "fallback_to_long_code": True,
        "fallback_url": service.fallback_url or None,
        "friendly_name": service.friendly_name,
        "inbound_method": service.inbound_method,
        "inbound_request_url": service.inbound_request_url or None,
        "links": {
            name: f"{url}/{path}"
            for name, path in (
                ("phone_numbers", "PhoneNumbers"),
                ("short_codes", "ShortCodes"),
                ("alpha_senders", "AlphaSenders"),
            )
        },
        "mms_converter": True,
        "scan_message_content": "inherit",
        "sid": service.sid,
        "smart_encoding": True,
        "status_callback": service.status_callback or None,
        "sticky_sender": service.sticky_sender,
        "synchronous_validation": True,
        "url": url,
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": service.use_inbound_webhook_on_number,
        "usecase": "undeclared",
        "validity_period": 14400,
    }


def page(
    key: str,
    path: str,
    items: list[dict[str, Any]],
    filters: dict[str, str],
    page_size: int,
    page_number: int,
    more: bool,
    last_sid: str | None,
) -> dict[str, Any]:
    """Twilio's 2010 list envelope, with first/next/previous page URIs."""

    def uri(number: int, token: str | None = None) -> str:
        query = dict(filters, PageSize=str(page_size), Page=str(number))
        if token:
            query["PageToken"] = token
        return f"{path}?{urlencode(query)}"

    start = page_number * page_size
    return {
        "end": start + max(len(items) - 1, 0),
        "first_page_uri": uri(0),
        key: items,
        "next_page_uri": uri(page_number + 1, f"PA{last_sid}") if more else None,
        "page": page_number,
        "page_size": page_size,
        "previous_page_uri": uri(page_number - 1) if page_number > 0 else None,
        "start": start,
        "uri": uri(page_number),
    }


def v1_page(key: str, url: str, items: list[dict[str, Any]], page_size: int, page_number: int, total: int) -> dict:
    """The Messaging v1 list envelope: the items under `key` and a `meta` block of absolute URLs."""

    def page_url(number: int) -> str:
        return f"{url}?{urlencode({'PageSize': page_size, 'Page': number})}"

    more = (page_number + 1) * page_size < total
    return {
        key: items,
        "meta": {
            "first_page_url": page_url(0),
            "key": key,
            "next_page_url": page_url(page_number + 1) if more else None,
            "page": page_number,
            "page_size": page_size,
            "previous_page_url": page_url(page_number - 1) if page_number > 0 else None,
            "url": page_url(page_number),
        },
    }
