"""X-Twilio-Signature verification, as the plugin does it.

URL = publicWebhookUrl without its #fragment; when that URL has no query,
the request's own query string is appended. The signature is compared in
constant time.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from emulator import signing


def signed_url(public_url: str, request_query: str) -> str:
    url = signing.strip_fragment(public_url)
    if not urlsplit(url).query and request_query:
        url = f"{url}?{request_query}"
    return url


def valid(auth_token: str, url: str, form: list[tuple[str, str]], header: str | None) -> bool:
    if not header:
        return False
    expected = signing.sign(auth_token, url, form)
    return hmac.compare_digest(expected.encode(), header.encode())
