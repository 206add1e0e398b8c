"""Building one webhook request as Twilio would: the URL, the headers, the signature, and what
an armed fault does to them (a tampered signature, an unreachable or slow target).

Nothing here touches the network (`transport.py` carries the result) or decides what a message
goes through (`webhooks.py` does): a built request can be inspected, recorded and tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from emulator import signing
from emulator.faults import Fault, FaultBook
from emulator.transport import Outgoing, Overrides, closed_port

USER_AGENT = "TwilioProxy/1.1"
TARGET_FAULTS = ("webhook_unreachable", "webhook_slow", "webhook_timeout")


@dataclass
class Built:
    """A request ready for the transport, with what the delivery record shows of it."""

    outgoing: Outgoing
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
    auth_token: str,
    token: str,
    faults: FaultBook,
    scope: dict[str, object],
    read_timeout_ms: int,
    route: Callable[[str], str],
    other_token: Callable[[], str],
    shared_key: dict[str, str] | None = None,
) -> Built:
    """Sign `form` for `url` and apply the faults armed for `scope`.

    The key is the account's auth token with HMAC-SHA1, or `shared_key` (a number that opted in)
    with its algorithm. `token`: the idempotency token (the same for every copy of one webhook);
    `route`: public URL to local; `other_token`: a key that is not the right one (a fault).
    """
    overrides = Overrides.from_url(url, read_timeout_ms)
    public = signing.strip_fragment(url)
    method = method.upper()
    applied: list[Fault] = []
    if method == "GET":
        request_url = public + ("&" if urlsplit(public).query else "?") + urlencode(form)
        sign_url, sign_params, body_form = request_url, [], None
    else:
        request_url, sign_url, sign_params, body_form = public, public, form, list(form)
    key, algorithm = (shared_key["secret"], shared_key["algorithm"]) if shared_key else (auth_token, signing.HMAC_SHA1)
    tamper = faults.take("signature", **scope)
    variant = tamper.params["variant"] if tamper else None
    if tamper:
        applied.append(tamper)
        sign_url = tamper_url(sign_url, variant)
        if variant == "wrong_token":
            key = other_token()
    signature = signing.sign(key, sign_url, sign_params, algorithm)
    if variant == "param_changed" and body_form:
        body_form = [(k, v + " (altered)" if k == "Body" else v) for k, v in body_form]
    headers = {
        "User-Agent": USER_AGENT,
        "I-Twilio-Idempotency-Token": token,
        "X-Home-Region": "us1",
        "Accept": "*/*",
        "X-Twilio-Signature": signature,
    }
    if shared_key:
        headers[signing.SETTINGS_HEADER] = signing.settings_header(shared_key["key_sid"], algorithm)
    if body_form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if variant == "header_missing":
        del headers["X-Twilio-Signature"]
    target = route(request_url)
    delay = 0.0
    for name in TARGET_FAULTS:
        fault = faults.take(name, **scope)
        if not fault:
            continue
        applied.append(fault)
        if name == "webhook_unreachable":
            parts = urlsplit(target)
            target = urlunsplit(parts._replace(scheme="http", netloc=f"127.0.0.1:{closed_port()}"))
        elif name == "webhook_slow":
            delay += float(fault.params.get("delay_ms", 1000)) / 1000
        else:
            overrides.read_ms = overrides.total_ms = int(fault.params.get("timeout_ms", 200))
    outgoing = Outgoing(target, method, headers, body_form, overrides)
    return Built(outgoing, body_form if body_form is not None else form, applied, delay)
