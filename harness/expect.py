"""What a scenario expects, one function per `Then`: each waits for what it needs (`waits.py`),
looks (`seen.py`) and holds what it saw to small matchers (`match/`) with `must`, which fails
the scenario with what was expected, what was seen and the emulator's record of the exchange.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from harness import match, redaction, seen, waits
from harness.drivers.base import CliResult, DriverError
from harness.match import gateway, texts, twilio

if TYPE_CHECKING:
    from harness.world import World

T = TypeVar("T")


def must(world: World, got: T, matcher: match.Matcher[T]) -> T:
    """What was seen, if the matcher holds for it; else the scenario fails with the mismatch."""
    mismatch = matcher(got)
    if mismatch is not None:
        world.fail(mismatch.expected, mismatch.seen)
    return got


# -- messages to a phone --------------------------------------------------------------------------


def messages(world: World, phone: str, want: list[str]) -> None:
    """Exactly these messages (for an answer asked of the agent: what the gateway's profile renders
    instead), in order, and no more."""
    if world.asked is not None:
        want = world.driver.profile.rendering(world.asked, want)
    must(world, waits.replies(world, phone, len(want)), texts.bodies(phone, want))


def no_reply(world: World, phone: str, containing: str = "") -> None:
    """No message (holding the text) reaches the phone in this scenario, once nothing more can come."""
    waits.quiet(world)
    got = [m for m in seen.outbound(world, phone) if containing in (m.get("body") or "")]
    what = f"containing {containing!r} " if containing else ""
    must(world, got, match.no(f"no message {what}to phone {phone} within {world.quiet_seconds:g}s", texts.short))


def message_count(world: World, phone: str, count: int, body: str | None = None) -> None:
    """Exactly so many messages (with this body) since the last action, once nothing more can come of it."""

    def look() -> list[dict[str, Any]]:
        sent = seen.outbound(world, phone, after=world.mark)
        return sent if body is None else [m for m in sent if m.get("body") == body]

    what = f"message(s) to phone {phone}" + (f" reading {body!r}" if body is not None else "")
    must(world, waits.counted(world, look, count), match.exactly(count, what, texts.short))


def lengths(world: World, phone: str, want: list[int]) -> None:
    must(world, waits.replies(world, phone, len(want)), texts.lengths(want))


def free_of(world: World, phone: str, tokens: list[str]) -> None:
    """No message since the last action holds any of the tokens."""
    must(world, seen.outbound(world, phone, after=world.mark), match.each(texts.free_of(phone, tokens)))


def long_answer(world: World, phone: str, limit: int, least: int) -> None:
    """At least `least` messages of at most `limit` characters, once the long answer's last line is
    in; kept as the scenario's chunks for the checks of their text."""
    tail = match.on(texts.joined, match.holds_all([texts.LONG_LANDMARKS_TAIL], "the long answer to end with"))
    got = waits.replies(world, phone, least)
    if tail(got) is not None:

        def look() -> list[dict[str, Any]]:
            return sorted(seen.outbound(world, phone, after=world.mark), key=lambda m: m["seq"])

        got = waits.eventually(look, tail, world.reply_timeout, 0.2)
    world.chunks = must(world, got, texts.chunks(limit, least))


def chunks_read_as(world: World, markdown: str) -> None:
    """The chunks, joined, hold every landmark of the markdown (headings, steps) in order."""
    must(world, texts.joined(world.chunks), texts.in_order(texts.long_landmarks(markdown)))


def chunks_contain(world: World, text: str) -> None:
    must(world, texts.joined(world.chunks), texts.contains(text))


def message_with_file(world: World, phone: str, body: str, spec: dict[str, Any]) -> None:
    """A message with this text whose one file is the one the operator attached."""
    digest = hashlib.sha256(world.file_sent).hexdigest()
    holds = texts.files(phone, body, [{"content_type": spec["content_type"], "size": spec["size"], "sha256": digest}])
    message = waits.reply(world, phone, exactly=body)
    if holds(message) is not None:  # its files may be listed a moment after the message
        sid = message["sid"]

        def look() -> dict[str, Any]:
            return next(m for m in world.emu.messages(after=world.mark) if m["sid"] == sid)

        message = waits.eventually(look, holds, world.reply_timeout, 0.1)
    must(world, message, holds)


def no_pairing_code(world: World, phone: str) -> None:
    """Exactly what the gateway's profile says a sender gets when the pending requests are full
    (OpenClaw: nothing at all; a gateway with a "busy" reply: that, once)."""
    busy = world.driver.profile.pairing_busy[0]
    wanted = [] if busy is None else [busy]
    got = waits.counted(world, lambda: seen.outbound(world, phone, after=world.mark), len(wanted))
    what = f"exactly {busy!r}, once" if busy else "nothing"
    must(world, got, texts.only_bodies(wanted, f"no pairing code for phone {phone}: {what}"))


def pairing_reply(world: World, phone: str, quoting: str | None = None) -> str:
    """A pairing reply with an 8-character code reaches the phone; its code. With `quoting` (a code
    read before), it carries the words of the gateway's profile (OpenClaw's: the phone's number and
    `openclaw pairing approve sms <that code>`)."""
    body = must(world, waits.reply(world, phone)["body"], texts.has_pairing_code)
    if quoting is not None:
        words = [w.format(phone=world.phone(phone), code=quoting) for w in world.driver.profile.pairing_reply[0]]
        must(world, body, match.holds_all(words, "the pairing reply to contain"))
    return texts.pairing_code(body) or ""  # never empty: has_pairing_code held


# -- Twilio's side of the exchange ----------------------------------------------------------------


def each_delivery_answered(world: World, status: int) -> None:
    """The last text was delivered at least twice (a duplicate fault), each copy answered `status`."""
    must(world, seen.deliveries(world), twilio.each_answered(status))


def signed_with(world: World, algorithm: str) -> None:
    must(world, seen.deliveries(world), twilio.signed_with(algorithm))


def inbound_error(world: World, code: int) -> None:
    """Twilio logged this error code on the last text."""
    sid = seen.last_text_sid(world)
    must(world, world.emu.messages(sid=sid) if sid else [], twilio.error_code(code, sid))


def status_callback(world: World, status: str) -> None:
    """A callback with this MessageStatus was delivered to the gateway (within the reply timeout)."""
    waits.record(
        world,
        "deliveries",
        f"a status callback {status!r} delivered to the gateway",
        lambda found: str(found)[:1000],
        after=world.start_seq,
        match={"kind": "status_callback", "outcome": "delivered"},
        contains={"form": f"'MessageStatus', '{status}'"},
    )


def request_count(world: World, count: int, phone: str) -> None:
    """Exactly so many Messages.json requests to the phone, once nothing more comes."""
    to = world.phone(phone)
    got = waits.counted(world, lambda: seen.sent_requests(world, to=to), count)
    must(world, got, match.exactly(count, f"Messages.json request(s) to phone {phone}", twilio.forms))


def no_requests(world: World) -> None:
    must(world, seen.sent_requests(world), match.no("no Messages.json request", lambda r: f"{len(r)} request(s)"))


def sent_as(world: World, phone: str, account: str = "main") -> None:
    """Every request to the phone was made as the account (its SID, credentials and number)."""
    acct = world.account(account)
    requests = seen.sent_requests(world, to=world.phone(phone))
    must(world, requests, match.some(f"a Messages.json request to phone {phone}", "none"))
    must(world, requests, match.each(twilio.sent_as(acct.sid, acct.number)))


def requests_with(world: World, **params: str | None) -> None:
    """Every Messages.json request has these form values (None: not sent)."""
    requests = must(world, seen.sent_requests(world), match.some("a Messages.json request", "none"))
    must(world, requests, match.all_of(*(match.each(twilio.form_value(k, v)) for k, v in params.items())))


def media_fetched(world: World, count: int, times: int | None = None) -> None:
    """`count` distinct files of the last accepted inbound message asked for, every time with the
    account's credentials (`times` requests in all, when given)."""
    accepted = "no message was accepted since the last action"
    must(world, world.admitted, match.some(f"{count} files of a message the gateway accepted", accepted))
    waits.turn(world)  # the plugin fetches a message's files before the agent turn starts
    files, _ = seen.media_requests(world)
    must(world, files, twilio.media_files(count, world.admitted[-1], times))


def cdn_downloads(world: World, count: int) -> None:
    """`count` files downloaded from the CDN after Twilio's redirect."""
    waits.turn(world)
    must(world, seen.media_requests(world), twilio.cdn_downloads(count))


def real_twilio_reply(world: World, text: str, timeout: float = 120.0) -> None:
    """Only with --sender imsg on a Mac: real Twilio's message log holds the agent's reply."""
    sid, token, number = (os.environ[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"))
    redaction.register(token)
    expected = f"a message {text!r} from {number} in Twilio's log within {timeout:g}s"

    def logged(page: list[dict[str, Any]]) -> match.Mismatch | None:
        return None if any(m.get("body") == text for m in page) else match.Mismatch(expected, "none")

    with httpx.Client(auth=(sid, token), timeout=20) as http:

        def look() -> list[dict[str, Any]]:
            url = f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
            return http.get(url, params={"From": number, "PageSize": "20"}).json().get("messages", [])

        must(world, waits.eventually(look, logged, timeout, 3), logged)


# -- the agent ------------------------------------------------------------------------------------


def agent_turns(world: World, count: int) -> None:
    """Exactly so many agent turns once nothing more can come of the last action (a turn can start seconds late)."""
    waits.quiet(world)
    must(world, world.driver.agent_turns(), gateway.turns(count, world.quiet_seconds))


def agent_given(world: World, files: list[str], text: str) -> None:
    """The agent's newest prompt holds the text and lists exactly these attachments (by content type)."""
    waits.turn(world)
    prompts = seen.prompts(world)
    must(world, prompts, match.some("an agent turn with the message", "no model request since the message went in"))
    must(world, prompts[-1], gateway.given(files, text))


# -- answers --------------------------------------------------------------------------------------


def webhook_answer(world: World, status: int, body: str | None, content_type: str | None = None) -> None:
    """The gateway's answer to the emulator's last inbound delivery: status, body (stripped) and a
    Content-Type, as the gateway's profile spells them."""
    profile = world.driver.profile
    body, content_type = profile.answer(body, status), profile.answer(content_type, status)
    none = json.dumps(world.last_inbound)[:500]
    deliveries = must(world, seen.deliveries(world), match.some("a webhook delivery for the last text", none))
    attempt = deliveries[-1]["attempts"][-1]
    must(world, attempt, gateway.webhook_answer(status, body))
    if content_type:
        must(world, attempt, gateway.content_type(content_type))


def answer(world: World, status: int, body: str | None = None, content_type: str | None = None) -> None:
    """The gateway's answer to the request the scenario sent itself, as the gateway's profile spells it."""
    profile = world.driver.profile
    body, content_type = profile.answer(body, status), profile.answer(content_type, status)
    must(world, last_response(world), gateway.response(status, body, content_type))


def answer_header(world: World, name: str, value: str) -> None:
    must(world, last_response(world), gateway.header(name, world.driver.profile.header(name, value)))


def file_served(world: World, name: str, *, body: bool = True) -> None:
    """The answer to the hosted file's own URL: 200, the operator's file whole (its type and length; its
    bytes unless `body` is False, as for HEAD), shown inline as `name` (`<id>`: the first ten characters
    of the file's id), never to be cached or sniffed."""
    response = last_response(world, "a request for the hosted file")
    want = {
        "status": 200,
        "content-type": world.file_sent_type,
        "content-length": str(len(world.file_sent)),
        "content-disposition": f'inline; filename="{name.replace("<id>", world.forged.hosted_id[:10])}"',
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "body": hashlib.sha256(world.file_sent if body else b"").hexdigest(),
    }
    must(world, response, gateway.file_served(want))


def last_response(world: World, what: str = "a request to the webhook") -> httpx.Response:
    """The answer to the request the scenario sent itself (`what` it was, for the failure)."""
    if world.forged.last_http is None:
        world.fail(what, "none was sent")
    return world.forged.last_http


def answers(world: World, expected: list[tuple[int, str]]) -> None:
    """Every answer to the last load of requests, in order: status and body (as the profile spells it)."""
    want = [(status, world.driver.profile.answer(body, status)) for status, body in expected]
    must(world, world.forged.answers, gateway.answers(want))


# -- the operator's side: pairing list, CLI, log, probe, start ------------------------------------


def pairing_listed(world: World, phone: str, code: str | None) -> None:
    """`pairing list sms` shows the phone; with that code, where the gateway shows codes there."""
    by_code = code is not None and "pairing_list" not in world.driver.lacks
    must(world, world.pairing_entries(), gateway.listed(phone, world.phone(phone), code, by_code=by_code))
    if code is not None:
        world.needs_listed_codes()  # listed; whether with that code, only a gateway that shows codes can say


def pairing_unlisted(world: World, phone: str) -> None:
    must(world, world.pairing_entries(), gateway.unlisted(phone, world.phone(phone)))


def pairing_pending(world: World) -> None:
    must(world, world.pairing_entries(), match.some("a pending pairing request", "an empty pairing list"))


def cli(world: World, ok: bool, says: str | None = None) -> CliResult:
    """The last command succeeded (or failed), mentioning `says` in the gateway's own words."""
    if world.last_cli is None:
        world.fail("a CLI call", "none was made")
    says = world.driver.profile.phrase(says) if says is not None else None
    return must(world, world.last_cli, gateway.cli(ok, says))


def cli_quiet_about(world: World, text: str) -> None:
    """The last command succeeded, and said nothing of `text` (a warning that must not come)."""
    must(world, cli(world, ok=True), gateway.not_mentioning(world.driver.profile.phrase(text)))


def log(world: World, *words: str) -> None:
    """Within the gateway's quiet window (a channel logs its start-up a moment after a reload)."""
    wanted = [world.driver.profile.phrase(w) for w in words]

    def show(log: str) -> str:
        return log[-3000:] or "(empty log)"

    mentions = match.holds_all(wanted, "the gateway's log to mention", fold_case=True, show=show)
    must(world, waits.eventually(world.driver.logs, mentions, world.quiet_seconds, 0.2), mentions)


def log_quiet_about(world: World, text: str) -> None:
    """Through the gateway's quiet window, its log never mentions `text` (a failure it must not report)."""
    unwanted = world.driver.profile.phrase(text)
    absent = match.lacks(unwanted, "the gateway's log not to mention")
    appears = match.holds_all([unwanted], "the gateway's log to mention", fold_case=True)
    must(world, waits.eventually(world.driver.logs, appears, world.quiet_seconds, 0.2), absent)


def probe(world: World, path: str, value: Any, *, negated: bool = False) -> None:
    """The status probe's value at a dotted path (or, `negated`, not it)."""
    must(world, probed(world), gateway.probe_value(path, value, negated=negated))


def probe_recent_inbound(world: World) -> None:
    """The probe's recent inbound message is the phone's last text, as Twilio lists it: received,
    with no error, its dates as Twilio gives them."""
    sid = seen.last_text_sid(world)
    listed = ((world.emu.messages(sid=sid) if sid else []) or [{}])[0]
    wanted = {
        "sid": sid,
        "direction": "inbound",
        "status": "received",
        "errorCode": "",
        "dateCreated": listed.get("date_created") or "",
        "dateSent": listed.get("date_sent") or "",
    }
    must(world, probed(world), gateway.probe_value("recentInbound", wanted))


def probe_mentions(world: World, path: str, text: str) -> None:
    must(world, probed(world), gateway.probe_mentions(path, world.expand(text)))


def probe_unconfigured(world: World, reason: str) -> None:
    """The probe's first account is not configured, for a reason naming the text."""
    must(world, (probed(world).get("accounts") or [{}])[0], gateway.unconfigured(reason))


def probed(world: World) -> dict[str, Any]:
    """The last status probe, run now if the scenario ran none."""
    return world.last_probe or world.probe()


def start_refused(world: World, says: str) -> None:
    """Started with the scenario's configuration, the gateway does not come up, and says why."""
    wanted = f"the gateway to refuse to start, saying {says!r}"
    try:
        world.apply(fresh=True)
    except DriverError as exc:
        if says.lower() not in str(exc).lower():
            world.fail(wanted, str(exc))
        return
    world.fail(wanted, f"it started and serves {world.driver.local_url}")
