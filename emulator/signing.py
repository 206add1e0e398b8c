"""Twilio request signatures (X-Twilio-Signature), as Twilio computes them.

The signed string is the URL followed by every parameter name and value,
names sorted, values of a repeated name sorted; identical name/value pairs
count once, as in the official validator. By default the key is the account's
auth token and the hash SHA-1; a webhook signed with a SharedKey (Twilio's
Webhook Settings, public beta) uses that key's secret and its algorithm, and
says so in X-Twilio-Webhooks-Signature-Settings: only the hash changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

Form = list[tuple[str, str]]


def signed_string(url: str, params: Iterable[tuple[str, str]]) -> str:
    """The exact string Twilio feeds to HMAC-SHA1."""
    by_name: dict[str, set[str]] = {}
    for name, value in params:
        by_name.setdefault(name, set()).add(value)
    return url + "".join(name + value for name in sorted(by_name) for value in sorted(by_name[name]))


HMAC_SHA1, HMAC_SHA256 = "HMAC_SHA1", "HMAC_SHA256"
ALGORITHMS = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def sign(key: str, url: str, params: Iterable[tuple[str, str]], algorithm: str = HMAC_SHA1) -> str:
    """base64(HMAC(key, signed_string)): the auth token and SHA-1 unless a SharedKey says otherwise."""
    digest = hmac.new(key.encode(), signed_string(url, params).encode(), ALGORITHMS[algorithm]).digest()
    return base64.b64encode(digest).decode()


def settings_header(key_sid: str, algorithm: str) -> str:
    """The X-Twilio-Webhooks-Signature-Settings value of a webhook signed with a SharedKey."""
    return f"key={key_sid},algorithm={algorithm}"


def strip_fragment(url: str) -> str:
    """Twilio never sends (nor signs) the #fragment that carries connection overrides."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))
