"""Phone numbers (IncomingPhoneNumbers): their webhooks, capabilities, locality and SharedKey."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from emulator import signing
from emulator.errors import ControlError
from emulator.models.accounts import Account, Accounts, owned
from emulator.models.numbering import is_e164, national

DEFAULT_CAPABILITIES = {"voice": True, "sms": True, "mms": True, "fax": False}


@dataclass
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str = ""
    sms_method: str = "POST"
    voice_url: str = ""
    voice_method: str = "POST"
    capabilities: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_CAPABILITIES))
    sms_fallback_url: str = ""  # requested when sms_url fails
    sms_fallback_method: str = "POST"
    messaging_service_sid: str | None = None
    locality: dict[str, str] = field(default_factory=dict)
    date_created: float = field(default_factory=time.time)
    date_updated: float = field(default_factory=time.time)
    # Opt-in, the emulator's stand-in for a Webhook Setting and Rule: {"key_sid", "secret", "algorithm"}
    shared_key: dict[str, str] | None = None


def http_method(method: str, name: str) -> str:
    """A webhook's method, upper-cased; GET and POST are the two Twilio makes."""
    if method.upper() not in ("GET", "POST"):
        raise ControlError(f"{name} must be GET or POST, got {method!r}")
    return method.upper()


class PhoneNumbers(Accounts):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.numbers: dict[str, PhoneNumber] = {}

    def add_number(
        self,
        account_sid: str,
        phone_number: str | None = None,
        sms_url: str = "",
        sms_method: str = "POST",
        voice_url: str = "",
        friendly_name: str | None = None,
        capabilities: dict[str, bool] | None = None,
        sid: str | None = None,
        sms_fallback_url: str = "",
        sms_fallback_method: str = "POST",
        webhook_signing: str | None = None,
    ) -> PhoneNumber:
        self.account(account_sid)
        phone_number = phone_number or self.fake.numerify("+1555%######")
        if not is_e164(phone_number):
            raise ControlError(f"phone_number {phone_number!r} is not an E.164 number")
        if self.number_by_e164(phone_number):
            raise ControlError(f"{phone_number} is provisioned already", 409)
        sms_method = http_method(sms_method, "sms_method")
        sms_fallback_method = http_method(sms_fallback_method, "sms_fallback_method")
        number = PhoneNumber(
            sid or "PN" + self.hex(),
            account_sid,
            phone_number,
            friendly_name or national(phone_number),
            sms_url,
            sms_method,
            voice_url,
            capabilities=dict(capabilities or DEFAULT_CAPABILITIES),
            locality=self.locality(),
            sms_fallback_url=sms_fallback_url,
            sms_fallback_method=sms_fallback_method,
        )
        self.numbers[number.sid] = number
        if webhook_signing:
            self.sign_with_shared_key(number, webhook_signing)
        self.changed()
        return number

    def locality(self) -> dict[str, str]:
        return {
            "city": self.fake.city().upper(),
            "state": self.fake.state_abbr(),
            "zip": self.fake.zipcode(),
            "country": "US",
        }

    def number_by_e164(self, e164: str) -> PhoneNumber | None:
        return next((n for n in self.numbers.values() if n.phone_number == e164), None)

    def number(self, account: Account, sid: str, path: str) -> PhoneNumber:
        return owned(self.numbers.get(sid), account, path)

    def list_numbers(self, account: Account, phone_number: str | None = None) -> list[PhoneNumber]:
        return [
            n
            for n in self.numbers.values()
            if n.account_sid == account.sid and (phone_number is None or n.phone_number == phone_number)
        ]

    def update_number(
        self,
        number: PhoneNumber,
        *,
        sms_url: str | None = None,
        sms_method: str | None = None,
        sms_fallback_url: str | None = None,
        sms_fallback_method: str | None = None,
        voice_url: str | None = None,
        voice_method: str | None = None,
        friendly_name: str | None = None,
    ) -> None:
        """Change what is given (None: unchanged), as the console or an IncomingPhoneNumbers update would."""
        methods = {"sms_method": sms_method, "sms_fallback_method": sms_fallback_method, "voice_method": voice_method}
        urls = {"sms_url": sms_url, "sms_fallback_url": sms_fallback_url, "voice_url": voice_url}
        checked = {name: http_method(value, name) for name, value in methods.items() if value is not None}
        self.update(number, {**urls, "friendly_name": friendly_name, **checked})

    def sign_with_shared_key(self, number: PhoneNumber, algorithm: str | None) -> None:
        """Sign this number's webhooks with a new SharedKey and `algorithm`, or (None) with the auth token."""
        if algorithm is not None and algorithm not in signing.ALGORITHMS:
            raise ControlError(f"webhook_signing must be one of {sorted(signing.ALGORITHMS)} or null")
        number.shared_key = (
            {"key_sid": "webhooks_sharedkey_" + self.hex(), "secret": self.hex(), "algorithm": algorithm}
            if algorithm
            else None
        )
        self.changed()

    def signer(self, e164: str | None) -> dict[str, str] | None:
        """The SharedKey that signs webhooks about this number, if it opted in."""
        number = self.number_by_e164(e164 or "")
        return number.shared_key if number else None
