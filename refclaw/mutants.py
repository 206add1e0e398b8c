"""Deliberate defects for the harness's self-check, applied from outside as patches.

The reference gateway's own modules never look at these. A mutant is run as

    python -m refclaw.mutants NAME -- <refclaw arguments>

which patches the named module attributes and then runs the ordinary CLI,
so the gateway process and every CLI call carry the same defect. A good
suite fails at least one scenario for every mutant (`sms-harness selfcheck`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from refclaw import (
    access,
    callback,
    channel,
    cli,
    config,
    delivery,
    inbound,
    limits,
    media,
    numbers,
    probe,
    signature,
    state,
    text,
)


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    apply: Callable[[], None]


def _set(module: Any, name: str, value: Any) -> Callable[[], None]:
    return lambda: setattr(module, name, value)


def _wrap(module: Any, name: str, wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[[], None]:
    return lambda: setattr(module, name, wrapper(getattr(module, name)))


def _any_live_request(requests: list[state.PairingRequest], code: str, now: float) -> state.PairingRequest | None:
    return next((r for r in requests if state.is_live(r, now)), None)


def _code_ignoring_expiry(requests: list[state.PairingRequest], code: str, now: float) -> state.PairingRequest | None:
    return next((r for r in requests if r.code == code), None)


def _rcs_keeps_media(admitted: Callable[..., Any]) -> Callable[..., Any]:
    def keep(account: config.Account, fields: dict[str, str]) -> Any:
        message = admitted(account, fields)
        parsed = inbound.parse(fields)
        if message is not None and parsed is not None:
            message.media, message.unavailable_media = parsed.media, parsed.unavailable_media
        return message

    return keep


def _service_first(account: config.Account) -> dict[str, str] | None:
    if account.messaging_service_sid:
        return {"MessagingServiceSid": account.messaging_service_sid}
    return {"From": account.from_number} if account.from_number else None


def _raw_allow_list(value: Any, env: Any) -> list[str]:
    return [str(v).strip() for v in value or []]


def _without_sms_from(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda env, names: original(env, tuple(n for n in names if n != "TWILIO_SMS_FROM"))


def _strict_e164(raw: str) -> str:
    """The old reading of the guide: only +E.164 (after an sms: prefix) counts; other spellings match nobody."""
    value = raw.strip()
    return (
        value
        if value == "*" or numbers.LOOKS_LIKE.match(numbers.PREFIX.sub("", value)) is None
        else numbers.normalize(value)
    )


def _always_post(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda runtime, account, method, *rest: original(runtime, account, "POST", *rest)


def _open_to_all(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda account, sender, approved: (
        access.ALLOW if account.dm_policy == "open" else original(account, sender, approved)
    )


def _pairing_skipped(original: Callable[..., Any]) -> Callable[..., Any]:
    def decide(account: config.Account, sender: str, approved: list[str]) -> str:
        verdict = original(account, sender, approved)
        return access.ALLOW if verdict == access.PAIR else verdict

    return decide


UNITS = text.Units  # the class itself, before a mutant replaces the name


def _code_point_units(value: str) -> text.Units:
    units = UNITS.__new__(UNITS)
    units.units = list(value)
    units.grapheme_start = list(range(len(value)))
    return units


def _fixed_fragment(url: str) -> str:
    return url.split("#")[0] + "#rp=ct,rt,5xx&rt=5000&rc=1" if callback.usable(url) else ""


def _url_first(url: str, method: str, expected: str, prefix: str = "") -> str:
    if url and url != expected:
        return prefix + "url-mismatch"
    if url and method and method.upper() != "POST":
        return prefix + "method-mismatch"
    return prefix + ("matches" if url else "missing")


def _off_by_one(original: Callable[[str, int], list[str]]) -> Callable[[str, int], list[str]]:
    return lambda body, limit: original(body, limit + 1)


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in [
        Mutant(
            "signature_skipped",
            "X-Twilio-Signature is never checked",
            _set(channel, "signature_ok", lambda *args: True),
        ),
        Mutant(
            "query_not_appended",
            "the request's query string is left out of the signed URL",
            _set(signature, "signed_url", lambda public, query: public.split("#")[0]),
        ),
        Mutant(
            "status_401",
            "a bad signature gets 401 instead of 403 Invalid signature",
            _set(channel, "invalid_signature_answer", lambda: channel.Answer(401, "Unauthorized")),
        ),
        Mutant(
            "get_accepted",
            "non-POST requests are handled as POST (no 405)",
            _wrap(channel, "handle_webhook", _always_post),
        ),
        Mutant("no_413", "bodies over 32 KiB are accepted", _set(channel, "MAX_BODY_BYTES", 10 * 1024 * 1024)),
        Mutant(
            "dedupe_off",
            "a replayed MessageSid is dispatched again",
            _set(limits.Seen, "first_time", lambda self, sid, now: True),
        ),
        Mutant(
            "callback_account_unchecked",
            "status callbacks from another AccountSid are recorded",
            _set(channel, "callback_from_account", lambda account, fields: True),
        ),
        Mutant(
            "expired_codes_accepted",
            "pairing codes never expire on approval",
            _set(state, "find_request", _code_ignoring_expiry),
        ),
        Mutant(
            "any_code_approved",
            "approve takes any code and approves the first pending request",
            _set(state, "find_request", _any_live_request),
        ),
        Mutant(
            "agent_before_approval",
            "unknown senders under pairing reach the agent without approval",
            _wrap(access, "decide", _pairing_skipped),
        ),
        Mutant(
            "sms_prefix_kept",
            "allowFrom entries keep their sms: prefix, so they never match",
            _set(config, "allow_list", _raw_allow_list),
        ),
        Mutant(
            "open_without_star",
            'dmPolicy open lets everyone in even without "*"',
            _wrap(access, "decide", _open_to_all),
        ),
        Mutant("no_chunking", "long replies are sent as one message", _set(text, "chunk", lambda body, limit: [body])),
        Mutant(
            "chunk_limit_off_by_one", "chunks may be one character over the limit", _wrap(text, "chunk", _off_by_one)
        ),
        Mutant(
            "chunk_limit_uncapped",
            "textChunkLimit above 1600 is not capped",
            _set(text, "MAX_SMS_BODY", 1_000_000),
        ),
        Mutant("markdown_kept", "replies are sent as raw markdown", _set(text, "to_plain", lambda markdown: markdown)),
        Mutant("links_dropped", "links lose their URL", _set(text, "link_suffix", lambda label, href: "")),
        Mutant(
            "reply_to_wrong_number",
            "replies go to the gateway's own number instead of the sender",
            _set(channel, "reply_target", lambda message: message.to),
        ),
        Mutant(
            "graphemes_split",
            "chunks are cut at the limit, through emoji and combined characters, ignoring breaks",
            _set(text.Units, "cut", lambda self, start, max_end, preferred=None, partial=True: min(max_end, len(self))),
        ),
        Mutant(
            "code_points_counted",
            "chunk lengths count code points, not UTF-16 units (an emoji counts 1)",
            _set(text, "Units", _code_point_units),
        ),
        Mutant(
            "any_prefixed_sender",
            "an inbound From with any channel prefix (sms:, whatsapp:) is dispatched",
            _set(numbers, "inbound_sender", lambda raw: numbers.normalize(raw.split(":")[-1]) or None),
        ),
        Mutant(
            "foreign_account_dispatched",
            "an inbound message for another AccountSid or To is dispatched",
            _set(channel, "admitted", lambda account, fields: inbound.parse(fields)),
        ),
        Mutant(
            "numbers_not_normalised",
            "allowFrom takes only +E.164 entries: 15551234567 or +1 (555) 123-4567 match nobody",
            _set(numbers, "allow_entry", _strict_e164),
        ),
        Mutant(
            "callback_fragment_fixed",
            "the StatusCallback ignores publicWebhookUrl's own #overrides",
            _set(callback, "status_callback_url", _fixed_fragment),
        ),
        Mutant(
            "probe_url_before_method",
            "the probe compares the URL before the method (GET on another URL reads url-mismatch)",
            _set(probe, "compare", _url_first),
        ),
        Mutant(
            "delivery_goes_backwards",
            "the latest status callback wins, so a late 'sent' overwrites 'delivered'",
            _set(delivery, "reduce", lambda current, status, error: {"status": status}),
        ),
        Mutant(
            "no_accepted_header",
            "accepted messages lack x-openclaw-delivery-accepted: durable",
            _set(channel, "ACCEPTED_HEADER", ("x-openclaw-delivery", "accepted")),
        ),
        Mutant(
            "service_preferred",
            "messagingServiceSid is used even when fromNumber resolves",
            _set(config, "sender_params", _service_first),
        ),
        Mutant("sms_from_alias_ignored", "TWILIO_SMS_FROM is not read", _wrap(config, "env_first", _without_sms_from)),
        Mutant(
            "default_to_ignored",
            "automation sends ignore defaultTo",
            _set(cli, "automation_target", lambda account, explicit: explicit),
        ),
        Mutant("pairing_uncapped", "any number of pairing requests may wait", _set(state, "MAX_PENDING", 10**6)),
        Mutant(
            "mms_redirect_refused",
            "inbound MMS files are fetched only from api.twilio.com (no CDN redirect)",
            _set(media, "TWILIO_MEDIA_HOSTS", ("api.twilio.com",)),
        ),
        Mutant(
            "mms_no_total_limit",
            "inbound MMS files are not held to 5 MiB in all",
            _set(media, "MAX_INBOUND_BYTES", 50 * 1024 * 1024),
        ),
        Mutant(
            "mms_unavailable_unsaid",
            "the agent is not told of MMS files it could not have",
            _set(media, "unavailable_text", lambda body, count: body),
        ),
        Mutant(
            "mms_documents_as_images",
            "outbound documents may be as large as images",
            _set(media, "OTHER_MAX_BYTES", 5_000_000),
        ),
        Mutant(
            "mms_rcs_media_kept",
            "RCS messages keep their files",
            _wrap(channel, "admitted", _rcs_keeps_media),
        ),
        Mutant(
            "secret_ref_unresolved",
            "SecretRef auth tokens resolve to nothing",
            _set(config, "runtime_env", lambda name: None),
        ),
    ]
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in MUTANTS:
        known = ", ".join(MUTANTS)
        print(f"usage: python -m refclaw.mutants NAME -- ARGS (NAME: {known})", file=sys.stderr)
        return 2
    MUTANTS[args[0]].apply()
    rest = args[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main())
