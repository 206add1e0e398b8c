"""Twilio request signatures (X-Twilio-Signature), as Twilio computes them.

The signed string is the URL followed by every parameter name and value,
names sorted, values of a repeated name sorted; identical name/value pairs
count once, as in the official validator.
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


def sign(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(auth_token, signed_string))."""
    digest = hmac.new(auth_token.encode(), signed_string(url, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def strip_fragment(url: str) -> str:
    """Twilio never sends (nor signs) the #fragment that carries connection overrides."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))
