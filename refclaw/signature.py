"""X-Twilio-Signature verification, as the plugin does it, on the raw strings.

The signed URL is publicWebhookUrl cut at its first `#`; if that string contains any `?`
it is used as it is, else the request's own query (as WHATWG `URL` normalises it) is
appended. The signature is base64(HMAC-SHA1(authToken, url + key+value for the form's keys
sorted, first value per key)), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

# Bytes WHATWG's URL parser leaves as they are in a query (its query percent-encode set
# escapes space, ", #, <, > and, for special schemes, '); others are %-escaped as UTF-8.
QUERY_SAFE = "!$%&()*+,-./:;=?@[\\]^_`{|}~"


def normalize_query(raw: str) -> str:
    """The request's query as `new URL(req.url).search` gives it (without the `?`)."""
    return quote(raw, safe=QUERY_SAFE + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def signed_url(public_url: str, request_query: str) -> str:
    base = public_url.split("#", 1)[0]
    if "?" in base or not request_query:
        return base
    return f"{base}?{normalize_query(request_query)}"


def first_values(form: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated keys count once, with their first value (node's querystring, then firstString)."""
    values: dict[str, str] = {}
    for key, value in form:
        values.setdefault(key, value)
    return values


def expected(auth_token: str, url: str, form: list[tuple[str, str]]) -> str:
    values = first_values(form)
    data = url + "".join(key + values[key] for key in sorted(values))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid(auth_token: str, url: str, form: list[tuple[str, str]], header: str | None) -> bool:
    if not header or not url or not auth_token:
        return False
    return hmac.compare_digest(expected(auth_token, url, form).encode(), header.encode())
