"""The Twilio REST calls the SMS channel makes: send a message, and the three probe reads.

Base URLs default to Twilio's and can be pointed at the emulator with
REFCLAW_TWILIO_API_BASE / REFCLAW_TWILIO_MESSAGING_BASE (the plugin itself
has constants; the harness reaches it through a proxy instead).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from refclaw.config import Account

API_BASE = "https://api.twilio.com"
MESSAGING_BASE = "https://messaging.twilio.com"
CDN_BASE = "https://mms.twiliocdn.com"
MAX_BODY = 1600
FORM = "application/x-www-form-urlencoded"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class TwilioCallError(Exception):
    """A Twilio call failed: carries Twilio's code and message when it gave them."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        self.status, self.code = status, code
        super().__init__(message)


@dataclass
class Sent:
    sid: str
    status: str
    body: dict[str, Any]


def bases() -> tuple[str, str]:
    return (
        os.environ.get("REFCLAW_TWILIO_API_BASE", API_BASE).rstrip("/"),
        os.environ.get("REFCLAW_TWILIO_MESSAGING_BASE", MESSAGING_BASE).rstrip("/"),
    )


def reach(url: str) -> str:
    """Where to send a request for a Twilio URL: its host, or the base the environment points it at.

    Twilio's media CDN goes where the API goes unless REFCLAW_TWILIO_CDN_BASE says otherwise
    (the emulator serves both).
    """
    api, messaging = bases()
    cdn = os.environ.get("REFCLAW_TWILIO_CDN_BASE", api if api != API_BASE else CDN_BASE).rstrip("/")
    for origin, base in ((API_BASE, api), (MESSAGING_BASE, messaging), (CDN_BASE, cdn)):
        if url == origin or url.startswith(origin + "/"):
            return base + url[len(origin) :]
    return url


def client(account: Account) -> httpx.AsyncClient:
    if not (account.account_sid and account.auth_token):
        raise TwilioCallError(f"sms account '{account.id}': accountSid and authToken must resolve before sending")
    return httpx.AsyncClient(auth=(account.account_sid, account.auth_token), timeout=TIMEOUT, trust_env=False)


def failure(response: httpx.Response, what: str) -> TwilioCallError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    return TwilioCallError(
        f"{what} failed: HTTP {response.status_code}" + (f", Twilio error {code}: {message}" if code else ""),
        response.status_code,
        code,
    )


async def send_message(account: Account, to: str, body: str, media: list[str] | None = None) -> Sent:
    """POST Messages.json: From (or MessagingServiceSid), To, Body, MediaUrl, StatusCallback."""
    if len(body) > MAX_BODY:
        raise TwilioCallError(f"message body is {len(body)} characters; Twilio takes at most {MAX_BODY}")
    sender = account.sender
    if sender is None:
        raise TwilioCallError(f"sms account '{account.id}': no sender (set fromNumber or messagingServiceSid)")
    form: list[tuple[str, str]] = [("To", to), ("Body", body), *sender.items()]
    form += [("MediaUrl", url) for url in (media or [])[:10]]
    if account.status_callback:
        form.append(("StatusCallback", account.status_callback))
    api, _ = bases()
    async with client(account) as http:
        try:
            response = await http.post(
                f"{api}/2010-04-01/Accounts/{account.account_sid}/Messages.json",
                content=urlencode(form),
                headers={"Content-Type": FORM},
            )
        except httpx.HTTPError as exc:
            raise TwilioCallError(f"Twilio unreachable: {exc.__class__.__name__}") from None
    if not 200 <= response.status_code < 300:  # the plugin's response.ok
        raise failure(response, "sending the SMS")
    data = response.json()
    if not data.get("sid"):
        raise TwilioCallError("Twilio's answer carried no message sid")
    return Sent(data["sid"], data.get("status", ""), data)


async def get_json(account: Account, url: str, what: str, params: dict[str, str] | None = None) -> Any:
    async with client(account) as http:
        try:
            response = await http.get(url, params=params)
        except httpx.HTTPError as exc:
            raise TwilioCallError(f"{what}: Twilio unreachable ({exc.__class__.__name__})") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise failure(response, what)
    return response.json()


async def find_number(account: Account, number: str) -> dict[str, Any] | None:
    api, _ = bases()
    data = await get_json(
        account,
        f"{api}/2010-04-01/Accounts/{account.account_sid}/IncomingPhoneNumbers.json",
        "looking up the number",
        {"PhoneNumber": number},
    )
    found = (data or {}).get("incoming_phone_numbers") or []
    return found[0] if found else None


async def fetch_service(account: Account, sid: str) -> dict[str, Any] | None:
    _, messaging = bases()
    return await get_json(account, f"{messaging}/v1/Services/{sid}", "fetching the Messaging Service")


async def recent_inbound(account: Account, number: str) -> list[dict[str, Any]]:
    api, _ = bases()
    data = await get_json(
        account,
        f"{api}/2010-04-01/Accounts/{account.account_sid}/Messages.json",
        "listing recent messages",
        {"To": number, "PageSize": "3"},
    )
    return list((data or {}).get("messages") or [])
