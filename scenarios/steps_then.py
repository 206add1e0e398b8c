"""Then: what the phone got, what the webhook answered, what Twilio recorded, what the CLI said."""

from __future__ import annotations

import json

from pytest_bdd import parsers, then

from emulator import agent_script
from harness import expect, waits
from harness.forged import Forged
from harness.gherkin import json_cell
from harness.match import gateway
from harness.pairing_codes import PairingCodes
from harness.world import World

# -- the webhook's answer -----------------------------------------------------------------------


@then("the webhook answers 200 with an empty TwiML response")
def empty_twiml(world: World) -> None:
    expect.webhook_answer(world, 200, "<Response></Response>", content_type="text/xml")


@then(parsers.parse('the webhook answers {status:d} with body "{body}"'))
def webhook_answer(world: World, status: int, body: str) -> None:
    expect.webhook_answer(world, status, body)


@then(parsers.re(r"the gateway answers (?P<status>\d+)(?: with body \"(?P<body>.*)\")?(?P<xml> as XML)?$"))
def gateway_answer(world: World, status: str, body: str | None, xml: str | None) -> None:
    expect.answer(world, int(status), body, content_type="text/xml; charset=utf-8" if xml else None)


@then(
    parsers.re(r'the gateway answers 200 with the file(?P<head>\'s headers but no body)?, inline as "(?P<name>[^"]+)"$')
)
def hosted_file_served(world: World, head: str | None, name: str) -> None:
    expect.file_served(world, name, body=not head)


@then(parsers.parse('the answer carries the header "{name}: {value}"'))
def answer_header(world: World, name: str, value: str) -> None:
    expect.answer_header(world, name, value)


@then(parsers.parse('the last answer is {status:d} with body "{body}"'))
def last_answer(world: World, status: int, body: str) -> None:
    expect.answer(world, status, body)


@then(parsers.parse('all {count:d} were answered {status:d} with body "{body}"'))
def all_answered(world: World, count: int, status: int, body: str) -> None:
    expect.answers(world, [(status, body)] * count)


@then(
    parsers.parse(
        'the first {count:d} were answered {status:d} with body "{body}", the last {last:d} with body "{last_body}"'
    )
)
def first_then_last(world: World, count: int, status: int, body: str, last: int, last_body: str) -> None:
    expect.answers(world, [(status, body)] * count + [(last, last_body)])


@then(parsers.parse('a signed inbound form from phone "{phone}" sent to "{path}" gets {status:d}'))
def other_path(world: World, forged: Forged, phone: str, path: str, status: int) -> None:
    forged.post_webhook(forged.inbound_form(phone), path=path)
    expect.answer(world, status)


@then("every delivery of it was answered 200")
def all_deliveries_200(world: World) -> None:
    expect.each_delivery_answered(world, 200)


@then(parsers.parse("the webhook was signed with the shared key using {algorithm}"))
def signed_with_shared_key(world: World, algorithm: str) -> None:
    expect.signed_with(world, algorithm)


@then(parsers.parse("Twilio logs error {code:d} on the inbound message"))
def twilio_error(world: World, code: int) -> None:
    expect.inbound_error(world, code)


# -- what the phone got -------------------------------------------------------------------------


@then(parsers.parse('phone "{phone}" gets the reply "{text}"'))
def gets_reply(world: World, phone: str, text: str) -> None:
    waits.reply(world, phone, exactly=text)


@then(parsers.parse('phone "{phone}" gets "{first}" and {before:d} spaces, then {after:d} spaces and "{last}"'))
def gets_spaces_split(world: World, phone: str, first: str, before: int, after: int, last: str) -> None:
    expect.messages(world, phone, [first + " " * before, " " * after + last])


@then(parsers.parse('phone "{phone}" gets the messages {messages}'))
def gets_messages(world: World, phone: str, messages: str) -> None:
    expect.messages(world, phone, json_cell(messages))


@then(parsers.parse('phone "{phone}" gets no reply'))
def gets_no_reply(world: World, phone: str) -> None:
    expect.no_reply(world, phone)


@then(parsers.parse('phone "{phone}" gets nothing more'))
def gets_nothing_more(world: World, phone: str) -> None:
    expect.message_count(world, phone, 0)


@then(parsers.parse('phone "{phone}" gets no pairing code'))
def gets_no_pairing_code(world: World, phone: str) -> None:
    expect.no_pairing_code(world, phone)


@then(parsers.parse('phone "{phone}" gets no reply containing "{text}"'))
def gets_no_reply_containing(world: World, phone: str, text: str) -> None:
    expect.no_reply(world, phone, containing=text)


@then(parsers.parse('phone "{phone}" gets "{text}" only once'))
def gets_only_once(world: World, phone: str, text: str) -> None:
    expect.message_count(world, phone, 1, body=text)


@then(parsers.re(r'phone "(?P<phone>\w+)" gets exactly (?P<count>\d+) messages?$'))
def gets_exactly(world: World, phone: str, count: str) -> None:
    expect.message_count(world, phone, int(count))


@then(parsers.re(r'phone "(?P<phone>\w+)" gets messages of (?P<lengths>[\d, and]+) characters, in order$'))
def gets_lengths(world: World, phone: str, lengths: str) -> None:
    expect.lengths(world, phone, [int(n) for n in lengths.replace(" and ", ",").split(",")])


@then(parsers.parse('the pairing reply names phone "{phone}" and says "openclaw pairing approve sms <code>"'))
def pairing_reply_text(world: World, pairing_codes: PairingCodes, phone: str) -> None:
    expect.pairing_reply(world, phone, quoting=pairing_codes.by_phone[phone])


@then(
    parsers.re(
        r'phone "(?P<phone>\w+)" gets the long answer in (?:(?P<least>\d+) or more )?messages of at most '
        r"(?P<limit>\d+) characters$"
    )
)
def long_answer(world: World, phone: str, least: str | None, limit: str) -> None:
    expect.long_answer(world, phone, int(limit), least=int(least or 1))


@then("the messages read, in order, as the agent's answer in plain text")
def chunks_in_order(world: World) -> None:
    expect.chunks_read_as(world, agent_script.LONG_MARKDOWN)


@then(parsers.parse('no message to phone "{phone}" contains markdown: {tokens}'))
def no_markdown(world: World, phone: str, tokens: str) -> None:
    expect.free_of(world, phone, json.loads(f"[{tokens}]"))


@then(parsers.parse('no message to phone "{phone}" contains 3 newlines in a row'))
def no_triple_newlines(world: World, phone: str) -> None:
    expect.free_of(world, phone, ["\n\n\n"])


@then(parsers.parse('the link "{text}" is kept readable'))
@then(parsers.parse('the fenced code line "{text}" is kept as plain text'))
def kept_text(world: World, text: str) -> None:
    expect.chunks_contain(world, text)


# -- what the gateway asked Twilio ----------------------------------------------------------------


@then(parsers.parse('every message to phone "{phone}" was sent from the number with the account\'s credentials'))
def sent_from_number(world: World, phone: str) -> None:
    expect.sent_as(world, phone)


@then(
    parsers.parse('the reply to phone "{phone}" came from the number of "{account}" with the credentials of "{creds}"')
)
def reply_from_account(world: World, phone: str, account: str, creds: str) -> None:
    assert account == creds, "the step compares one account's number with its own credentials"
    expect.sent_as(world, phone, account)


@then(parsers.parse('the Messages.json request had StatusCallback "{url}"'))
def status_callback(world: World, url: str) -> None:
    expect.requests_with(world, StatusCallback=world.expand(url))


@then("the Messages.json request had no StatusCallback")
def no_status_callback(world: World) -> None:
    expect.requests_with(world, StatusCallback=None)


@then(parsers.parse('the Messages.json request used MessagingServiceSid "{sid}" and no From'))
def used_service(world: World, sid: str) -> None:
    expect.requests_with(world, MessagingServiceSid=world.expand(sid), From=None)


@then(parsers.parse('the Messages.json request used From "{number}" and no MessagingServiceSid'))
def used_number(world: World, number: str) -> None:
    expect.requests_with(world, From=world.expand(number), MessagingServiceSid=None)


@then(parsers.parse('the gateway made {count:d} Messages.json requests to phone "{phone}"'))
def made_requests(world: World, count: int, phone: str) -> None:
    expect.request_count(world, count, phone)


@then(parsers.parse('the gateway refuses to start, saying "{text}"'))
def refuses_to_start(world: World, text: str) -> None:
    expect.start_refused(world, text)


@then("no Messages.json request was made")
def no_request(world: World) -> None:
    expect.no_requests(world)


@then(parsers.parse('the gateway sent "{text}" back through Twilio'))
def sent_through_real_twilio(world: World, text: str) -> None:
    expect.real_twilio_reply(world, text)


# -- pairing and the CLI ---------------------------------------------------------------------------


@then(parsers.parse('"pairing list sms" shows phone "{phone}" with that code'))
def pairing_list_shows(world: World, pairing_codes: PairingCodes, phone: str) -> None:
    expect.pairing_listed(world, phone, pairing_codes.by_phone.get(phone))


@then(parsers.parse('"pairing list sms" does not show phone "{phone}"'))
def pairing_list_hides(world: World, phone: str) -> None:
    expect.pairing_unlisted(world, phone)


@then('"pairing list sms" shows a new request')
def pairing_list_new(world: World) -> None:
    expect.pairing_pending(world)


@then(parsers.parse('the approval says "{text}"'))
def approval_says(world: World, text: str) -> None:
    expect.cli(world, ok=True, says=world.expand(text))


@then("approving that code fails")
def approving_fails(world: World, pairing_codes: PairingCodes) -> None:
    world.approve(pairing_codes.last)
    expect.cli(world, ok=False)


@then(parsers.parse('approving the code "{code}" fails'))
def approving_code_fails(world: World, code: str) -> None:
    world.approve(code)
    expect.cli(world, ok=False)


@then("no agent turn has run")
def no_agent_turn(world: World) -> None:
    expect.agent_turns(world, 0)


@then("the command succeeds")
def command_succeeds(world: World) -> None:
    expect.cli(world, ok=True)


@then(parsers.parse("the command succeeds, warning '{text}'"))
def command_succeeds_warning(world: World, text: str) -> None:
    expect.cli(world, ok=True, says=text)


@then(parsers.parse("the command succeeds, not warning '{text}'"))
def command_succeeds_quietly(world: World, text: str) -> None:
    expect.cli_quiet_about(world, text)


@then("the command fails")
def command_fails(world: World) -> None:
    expect.cli(world, ok=False)


@then(parsers.parse('the command fails mentioning "{text}"'))
def command_fails_mentioning(world: World, text: str) -> None:
    expect.cli(world, ok=False, says=text)


@then(parsers.parse('the command fails with one line naming "{key}"'))
def command_fails_one_line(world: World, key: str) -> None:
    expect.must(world, expect.cli(world, ok=False, says=key), gateway.one_stderr_line)


@then(parsers.parse('the gateway warns about "{text}"'))
def gateway_warns(world: World, text: str) -> None:
    expect.log(world, text)


@then("the gateway logs no failed request")
def no_failed_request(world: World) -> None:
    expect.log_quiet_about(world, "plugin http route failed")


@then(parsers.parse('the gateway reports an error naming "{first}" and "{second}"'))
def gateway_error(world: World, first: str, second: str) -> None:
    expect.log(world, first, second)


# -- the probe -------------------------------------------------------------------------------------


@then(parsers.parse('the status shows the account as not configured, naming "{text}"'))
def status_unconfigured(world: World, text: str) -> None:
    expect.probe_unconfigured(world, text)


@then(parsers.re(r'the probe reports the webhook as "(?P<state>[^"]+)" and ok (?P<ok>true|false)$'))
def probe_state_and_ok(world: World, state: str, ok: str) -> None:
    expect.probe(world, "webhook.status", state)
    expect.probe(world, "probe.ok", ok == "true")


@then(parsers.re(r"the probe's webhook is exactly (?P<webhook>\{.*\})$"))
def probe_webhook_exactly(world: World, webhook: str) -> None:
    expect.probe(world, "webhook", world.expand(json.loads(webhook)))


@then(parsers.parse('the probe is not ok and mentions "{text}"'))
def probe_not_ok(world: World, text: str) -> None:
    expect.probe(world, "probe.ok", False)
    expect.probe_mentions(world, "probe", text)


@then(parsers.parse('the probe gives a hint mentioning "{text}"'))
def probe_hint(world: World, text: str) -> None:
    expect.probe_mentions(world, "hints", text)


@then(
    parsers.re(
        r"the (?:status )?probe's recent outbound status is (?P<negated>not )?\"(?P<status>\w+)\""
        r"(?: with error (?P<code>\d+))?$"
    )
)
def probe_recent_outbound(world: World, negated: str | None, status: str, code: str | None) -> None:
    expect.probe(world, "recentOutbound.status", status, negated=bool(negated))
    if code:
        expect.probe(world, "recentOutbound.errorCode", code)


@then("the probe's recent inbound message is that text, as Twilio lists it")
def probe_recent_inbound(world: World) -> None:
    expect.probe_recent_inbound(world)


@then("the probe shows no recent outbound status")
def probe_no_recent_outbound(world: World) -> None:
    expect.probe(world, "recentOutbound", None)


# -- MMS ---------------------------------------------------------------------------------------


@then(
    parsers.re(
        r"the gateway requested (?P<count>\d+) of that message's files from Twilio with the account's credentials$"
    )
)
def media_requested(world: World, count: str) -> None:
    expect.media_fetched(world, int(count))


@then(
    parsers.re(
        r"the gateway requested that message's file from Twilio (?P<times>\d+) times with the account's credentials$"
    )
)
def media_requested_times(world: World, times: str) -> None:
    expect.media_fetched(world, 1, times=int(times))


@then(parsers.re(r"the gateway downloaded (?P<count>\d+) files? through Twilio's CDN$"))
def media_from_cdn(world: World, count: str) -> None:
    expect.cdn_downloads(world, int(count))


@then(parsers.parse("the agent was given the files {files} and the text {text}"))
def agent_given(world: World, files: str, text: str) -> None:
    expect.agent_given(world, json_cell(files), json_cell(text))


@then(parsers.parse('phone "{phone}" gets the message "{body}" with the file {file}'))
def message_with_file(world: World, phone: str, body: str, file: str) -> None:
    expect.message_with_file(world, phone, body, json_cell(file))
