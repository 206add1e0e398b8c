"""The StatusCallback the plugin asks Twilio for: publicWebhookUrl plus merged `#` overrides.

The URL must be a properly encoded absolute http(s) URL with a public-looking host (no
credentials; not loopback, private or link-local; not single-label, `.local`, `.internal`,
`.localhost`) and at most 4000 characters with its fragment, else there is no callback. Its
own fragment is merged: `rp` gains `ct`, `rt` and `5xx` unless it says `all`; `rt` must be
100 to 15000 (else 5000) and `rc` 1 to 5 (else 1).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlsplit

MAX_LENGTH = 4000
RAW_URL = re.compile(r"^https?://([^/?#]*)([^#]*)(?:#(.*))?$", re.IGNORECASE | re.DOTALL)
AUTHORITY = re.compile(r"^[a-z0-9.:\[\]-]*$", re.IGNORECASE)
PATH_QUERY_FRAGMENT = re.compile(r"^[a-z0-9\-._~%!$&'()*+,;=:@/?]*$", re.IGNORECASE)
BAD_ESCAPE = re.compile(r"%(?![0-9a-f]{2})", re.IGNORECASE)
LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.IGNORECASE)
BLOCKED_HOSTS = {"localhost", "localhost.localdomain", "metadata.google.internal"}


def public_host(host: str) -> bool:
    host = host.lower().strip("[]")
    if host in BLOCKED_HOSTS or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    return "." in name and len(name) <= 253 and all(len(part) <= 63 and LABEL.match(part) for part in name.split("."))


def usable(url: str) -> bool:
    """A publicWebhookUrl Twilio can be told to call back (the plugin's checks, on the raw string)."""
    url = url.strip()
    match = RAW_URL.match(url)
    if not match or BAD_ESCAPE.search(url) or any(ord(c) <= 32 or c in "\\\x7f" for c in url):
        return False
    authority, rest, fragment = match.group(1), match.group(2), match.group(3) or ""
    if not (AUTHORITY.match(authority) and PATH_QUERY_FRAGMENT.match(rest) and PATH_QUERY_FRAGMENT.match(fragment)):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port, as WHATWG URL does
    except ValueError:
        return False
    return bool(host) and not parts.username and not parts.password and public_host(host)


def status_callback_url(public_webhook_url: str) -> str:
    """The StatusCallback for each send, or "" for none."""
    url = public_webhook_url.strip()
    if not url or not usable(url):
        return ""
    base, _, fragment = url.partition("#")
    overrides = parse_qsl(fragment, keep_blank_values=True)
    policies = list(dict.fromkeys(p.strip() for k, v in overrides if k == "rp" for p in v.split(",") if p.strip()))
    policies = policies or ["ct"]
    lowered = {p.lower() for p in policies}
    if "all" not in lowered:
        policies += [p for p in ("ct", "rt", "5xx") if p not in lowered]
    merged = set_param(overrides, "rp", ",".join(policies))
    merged = set_param(merged, "rt", str(bounded(first(merged, "rt"), 100, 15000, 5000)))
    merged = set_param(merged, "rc", str(bounded(first(merged, "rc"), 1, 5, 1)))
    encoded = "&".join(f"{quote_form(k)}={quote_form(v)}" for k, v in merged).replace("%2C", ",")
    callback = f"{base}#{encoded}"
    return callback if len(callback) <= MAX_LENGTH and usable(callback) else ""


def first(params: list[tuple[str, str]], key: str) -> str | None:
    return next((v for k, v in params if k == key), None)


def set_param(params: list[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    """URLSearchParams.set: the first occurrence takes the value, the others go; else appended."""
    out: list[tuple[str, str]] = []
    done = False
    for k, v in params:
        if k != key:
            out.append((k, v))
        elif not done:
            out.append((k, value))
            done = True
    return out if done else [*out, (key, value)]


def bounded(raw: str | None, low: int, high: int, default: int) -> int:
    """Number(raw) as an integer within [low, high], else the default."""
    try:
        value = float(raw.strip()) if raw is not None and raw.strip() else (0.0 if raw is not None else float("nan"))
    except ValueError:
        return default
    return int(value) if value.is_integer() and low <= value <= high else default


def quote_form(text: str) -> str:
    """application/x-www-form-urlencoded serialisation, as URLSearchParams.toString()."""
    return quote(text, safe="*-._ ").replace(" ", "+").replace("~", "%7E")  # quote() never escapes "~"
