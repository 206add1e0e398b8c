"""What a phone number is to Twilio: the E.164 shape, its type, its country and area codes.

Parsed once per number (lru caches): a run texts the same few numbers again and again.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


@functools.lru_cache(maxsize=4096)
def is_e164(number: str) -> bool:
    """Shape and length of an E.164 number, as Twilio accepts it (fictional 555 numbers included)."""
    if not E164.match(number or ""):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


@functools.lru_cache(maxsize=4096)
def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None


@functools.lru_cache(maxsize=4096)  # every rendering of a number asks again
def _number_type(number: str) -> int | None:
    parsed = _parsed(number)
    return phonenumbers.number_type(parsed) if parsed else None


def is_landline(number: str) -> bool:
    return _number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE


def twilio_number_type(number: str) -> str:
    """An IncomingPhoneNumber's `type` as Twilio names it: local, mobile or toll-free."""
    kind = _number_type(number)
    if kind == phonenumbers.PhoneNumberType.TOLL_FREE:
        return "toll-free"
    return "mobile" if kind == phonenumbers.PhoneNumberType.MOBILE else "local"


def country(e164: str) -> int | None:
    parsed = _parsed(e164)
    return parsed.country_code if parsed else None


def area(e164: str) -> str | None:
    """The area code of a North American number (its first three national digits), else None."""
    parsed = _parsed(e164)
    return str(parsed.national_number)[:3] if parsed and parsed.country_code == 1 else None


def national(e164: str) -> str:
    """The number as a person writes it at home: Twilio's default friendly name for it."""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
