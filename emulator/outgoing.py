"""Making one webhook request as Twilio would, in two steps: `build` (the URL, the headers, the
form, the local target) and `sign` (the signature, and what an armed fault does to the request: a
tampered signature, an unreachable, slow or timing-out target).

Nothing here touches the network (`transport.py` carries the result) or decides what a message
goes through (`webhooks.py` does): a request can be inspected, recorded and tested alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from emulator import signing
from emulator.faults import Fault, FaultBook
from emulator.transport import Outgoing, Overrides, closed_port

USER_AGENT = "TwilioProxy/1.1"
TARGET_FAULTS = ("webhook_unreachable", "webhook_slow", "webhook_timeout")
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Built:
    """A request for the transport, with what the delivery record shows of it."""

    outgoing: Outgoing
    url: str  # the public URL requested (a GET's with its form in the query): what the signature covers
    form: list[tuple[str, str]]  # as sent: in the body, or (a GET) in the URL
    faults: list[Fault] = field(default_factory=list)
    delay_s: float = 0.0  # a slow-webhook fault: wait this long before the first attempt


def tamper_url(url: str, variant: str) -> str:
    """The URL a misconfigured proxy or gateway would sign over instead of the real one."""
    parts = urlsplit(url)
    default_port = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    # Port variants always change the URL: with no port, "added" writes the default
    # one out; with a port, it is swapped for the default (or stripped if it is the default).
    if variant in ("port_added", "port_stripped"):
        if parts.port is None:
            netloc = f"{host}:{default_port}"
        elif variant == "port_stripped" or parts.port == default_port:
            netloc = host
        else:
            netloc = f"{host}:{default_port}"
        return urlunsplit(parts._replace(netloc=netloc))
    if variant == "other_scheme":
        return urlunsplit(parts._replace(scheme="http" if parts.scheme == "https" else "https"))
    if variant == "other_host":
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"internal-proxy.invalid{port}"))
    if variant == "query_dropped":
        return urlunsplit(parts._replace(query=""))
    return url


def build(
    *,
    url: str,
    method: str,
    form: list[tuple[str, str]],
    token: str,
    read_timeout_ms: int,
    route: Callable[[str], str],
) -> Built:
    """The request Twilio makes for `form` to `url`, unsigned (`sign` adds the signature and, after it
    in Twilio's header order, the Content-Type). `token`: the idempotency token (the same for every
    copy of one webhook); `route`: public URL to local (what a tunnel does)."""
    overrides = Overrides.from_url(url, read_timeout_ms)
    public = signing.strip_fragment(url)
    method = method.upper()
    if method == "GET":
        request_url, body_form = public + ("&" if urlsplit(public).query else "?") + urlencode(form), None
    else:
        request_url, body_form = public, list(form)
    headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": token, "X-Home-Region": "us1", "Accept": "*/*"}
    outgoing = Outgoing(route(request_url), method, headers, body_form, overrides)
    return Built(outgoing, request_url, body_form if body_form is not None else form)


def sign(
    built: Built, *, auth_token: str, shared_key: dict[str, str] | None, faults: FaultBook, scope: dict[str, object]
) -> Built:
    """`built` signed, with the faults armed for `scope` applied.

    The key is the account's auth token with HMAC-SHA1, or `shared_key` (a number that opted in)
    with its algorithm. A `wrong_token` fault signs with a key derived from the right one.
    """
    outgoing = built.outgoing
    key, algorithm = (shared_key["secret"], shared_key["algorithm"]) if shared_key else (auth_token, signing.HMAC_SHA1)
    sign_url, body_form = built.url, outgoing.form
    applied: list[Fault] = []
    tamper = faults.take("signature", **scope)
    variant = tamper.params["variant"] if tamper else None
    if tamper:
        applied.append(tamper)
        sign_url = tamper_url(sign_url, variant)
        if variant == "wrong_token":
            key = hashlib.sha256(f"not {key}".encode()).hexdigest()[:32]
    signature = signing.sign(key, sign_url, body_form or [], algorithm)
    if variant == "param_changed" and body_form:
        body_form = [(k, v + " (altered)" if k == "Body" else v) for k, v in body_form]
    headers = dict(outgoing.headers)
    if variant != "header_missing":
        headers["X-Twilio-Signature"] = signature
    if shared_key:
        headers[signing.SETTINGS_HEADER] = signing.settings_header(shared_key["key_sid"], algorithm)
    if body_form is not None:
        headers["Content-Type"] = FORM_TYPE
    target, overrides, delay = outgoing.target, dataclasses.replace(outgoing.overrides), 0.0
    for name in TARGET_FAULTS:
        fault = faults.take(name, **scope)
        if not fault:
            continue
        applied.append(fault)
        if name == "webhook_unreachable":
            target = urlunsplit(urlsplit(target)._replace(scheme="http", netloc=f"127.0.0.1:{closed_port()}"))
        elif name == "webhook_slow":
            delay += float(fault.params.get("delay_ms", 1000)) / 1000
        else:
            overrides.read_ms = overrides.total_ms = int(fault.params.get("timeout_ms", 200))
    sent = Outgoing(target, outgoing.method, headers, body_form, overrides)
    return Built(sent, built.url, body_form if body_form is not None else built.form, applied, delay)
