"""Then: what the phone got, what the webhook answered, what Twilio recorded, what the CLI said."""

from __future__ import annotations

import json

from pytest_bdd import parsers, then

from emulator import agent_script
from harness.matchers import PairingCodes
from harness.world import World, json_cell

# -- the webhook's answer -----------------------------------------------------------------------


@then("the webhook answers 200 with an empty TwiML response")
def empty_twiml(world: World) -> None:
    world.expect_answer(200, "<Response></Response>", of="webhook", content_type="text/xml")


@then(parsers.parse('the webhook answers {status:d} with body "{body}"'))
def webhook_answer(world: World, status: int, body: str) -> None:
    world.expect_answer(status, body, of="webhook")


@then(parsers.re(r"the gateway answers (?P<status>\d+)(?: with body \"(?P<body>.*)\")?(?P<xml> as XML)?$"))
def gateway_answer(world: World, status: str, body: str | None, xml: str | None) -> None:
    world.expect_answer(int(status), body, content_type="text/xml; charset=utf-8" if xml else None)


@then(
    parsers.re(r'the gateway answers 200 with the file(?P<head>\'s headers but no body)?, inline as "(?P<name>[^"]+)"$')
)
def hosted_file_served(world: World, head: str | None, name: str) -> None:
    world.expect_file_served(name, body=not head)


@then(parsers.parse('the answer carries the header "{name}: {value}"'))
def answer_header(world: World, name: str, value: str) -> None:
    world.expect_answer(None, header=(name, value))


@then(parsers.parse('the last answer is {status:d} with body "{body}"'))
def last_answer(world: World, status: int, body: str) -> None:
    world.expect_answer(status, body)


@then(parsers.parse('all {count:d} were answered {status:d} with body "{body}"'))
def all_answered(world: World, count: int, status: int, body: str) -> None:
    world.expect_answers([(status, body)] * count)


@then(
    parsers.parse(
        'the first {count:d} were answered {status:d} with body "{body}", the last {last:d} with body "{last_body}"'
    )
)
def first_then_last(world: World, count: int, status: int, body: str, last: int, last_body: str) -> None:
    world.expect_answers([(status, body)] * count + [(last, last_body)])


@then(parsers.parse('a signed inbound form from phone "{phone}" sent to "{path}" gets {status:d}'))
def other_path(world: World, phone: str, path: str, status: int) -> None:
    world.post_webhook(world.inbound_form(phone), path=path)
    world.expect_answer(status)


@then("every delivery of it was answered 200")
def all_deliveries_200(world: World) -> None:
    world.expect_deliveries(each_answered=200)


@then(parsers.parse("the webhook was signed with the shared key using {algorithm}"))
def signed_with_shared_key(world: World, algorithm: str) -> None:
    world.expect_deliveries(signed_with=algorithm)


@then(parsers.parse("Twilio logs error {code:d} on the inbound message"))
def twilio_error(world: World, code: int) -> None:
    world.expect_deliveries(inbound_error=code)


# -- what the phone got -------------------------------------------------------------------------


@then(parsers.parse('phone "{phone}" gets the reply "{text}"'))
def gets_reply(world: World, phone: str, text: str) -> None:
    world.wait_reply(phone, exactly=text)


@then(parsers.parse('phone "{phone}" gets the messages {messages}'))
def gets_messages(world: World, phone: str, messages: str) -> None:
    world.expect_messages_to(phone, bodies=json_cell(messages))


@then(parsers.parse('phone "{phone}" gets no reply'))
def gets_no_reply(world: World, phone: str) -> None:
    world.expect_messages_to(phone, none=True)


@then(parsers.parse('phone "{phone}" gets nothing more'))
def gets_nothing_more(world: World, phone: str) -> None:
    world.expect_messages_to(phone, count=0)


@then(parsers.parse('phone "{phone}" gets no pairing code'))
def gets_no_pairing_code(world: World, phone: str) -> None:
    world.expect_no_pairing_code(phone)


@then(parsers.parse('phone "{phone}" gets no reply containing "{text}"'))
def gets_no_reply_containing(world: World, phone: str, text: str) -> None:
    world.expect_messages_to(phone, none=True, containing=text)


@then(parsers.re(r'phone "(?P<phone>\w+)" gets exactly (?P<count>\d+) messages?$'))
def gets_exactly(world: World, phone: str, count: str) -> None:
    world.expect_messages_to(phone, count=int(count))


@then(parsers.re(r'phone "(?P<phone>\w+)" gets messages of (?P<lengths>[\d, and]+) characters, in order$'))
def gets_lengths(world: World, phone: str, lengths: str) -> None:
    world.expect_messages_to(phone, lengths=[int(n) for n in lengths.replace(" and ", ",").split(",")])


@then(parsers.parse('the pairing reply names phone "{phone}" and says "openclaw pairing approve sms <code>"'))
def pairing_reply_text(world: World, pairing_codes: PairingCodes, phone: str) -> None:
    world.expect_pairing_reply(phone, quoting=pairing_codes.by_phone[phone])


@then(
    parsers.re(
        r'phone "(?P<phone>\w+)" gets the long answer in (?:(?P<least>\d+) or more )?messages of at most '
        r"(?P<limit>\d+) characters$"
    )
)
def long_answer(world: World, phone: str, least: str | None, limit: str) -> None:
    world.expect_messages_to(phone, chunks_of=int(limit), least=int(least or 1))


@then("the messages read, in order, as the agent's answer in plain text")
def chunks_in_order(world: World) -> None:
    world.expect_joined_chunks(read_as=agent_script.LONG_MARKDOWN)


@then(parsers.parse('no message to phone "{phone}" contains markdown: {tokens}'))
def no_markdown(world: World, phone: str, tokens: str) -> None:
    world.expect_messages_to(phone, without=json.loads(f"[{tokens}]"))


@then(parsers.parse('no message to phone "{phone}" contains 3 newlines in a row'))
def no_triple_newlines(world: World, phone: str) -> None:
    world.expect_messages_to(phone, without=["\n\n\n"])


@then(parsers.parse('the link "{text}" is kept readable'))
@then(parsers.parse('the fenced code line "{text}" is kept as plain text'))
def kept_text(world: World, text: str) -> None:
    world.expect_joined_chunks(contains=text)


# -- what the gateway asked Twilio ----------------------------------------------------------------


@then(parsers.parse('every message to phone "{phone}" was sent from the number with the account\'s credentials'))
def sent_from_number(world: World, phone: str) -> None:
    world.expect_send_requests(to_phone=phone)


@then(
    parsers.parse('the reply to phone "{phone}" came from the number of "{account}" with the credentials of "{creds}"')
)
def reply_from_account(world: World, phone: str, account: str, creds: str) -> None:
    assert account == creds, "the step compares one account's number with its own credentials"
    world.expect_send_requests(to_phone=phone, from_account=account)


@then(parsers.parse('the Messages.json request had StatusCallback "{url}"'))
def status_callback(world: World, url: str) -> None:
    world.expect_send_requests(params={"StatusCallback": world.expand(url)})


@then("the Messages.json request had no StatusCallback")
def no_status_callback(world: World) -> None:
    world.expect_send_requests(params={"StatusCallback": None})


@then(parsers.parse('the Messages.json request used MessagingServiceSid "{sid}" and no From'))
def used_service(world: World, sid: str) -> None:
    world.expect_send_requests(params={"MessagingServiceSid": world.expand(sid), "From": None})


@then(parsers.parse('the Messages.json request used From "{number}" and no MessagingServiceSid'))
def used_number(world: World, number: str) -> None:
    world.expect_send_requests(params={"From": world.expand(number), "MessagingServiceSid": None})


@then(parsers.parse('the gateway made {count:d} Messages.json requests to phone "{phone}"'))
def made_requests(world: World, count: int, phone: str) -> None:
    world.expect_send_requests(count=count, to_phone=phone)


@then(parsers.parse('the gateway refuses to start, saying "{text}"'))
def refuses_to_start(world: World, text: str) -> None:
    world.expect_start_refused(text)


@then("no Messages.json request was made")
def no_request(world: World) -> None:
    world.expect_send_requests(none=True)


@then(parsers.parse('the gateway sent "{text}" back through Twilio'))
def sent_through_real_twilio(world: World, text: str) -> None:
    world.expect_real_twilio_reply(text)


# -- pairing and the CLI ---------------------------------------------------------------------------


@then(parsers.parse('"pairing list sms" shows phone "{phone}" with that code'))
def pairing_list_shows(world: World, pairing_codes: PairingCodes, phone: str) -> None:
    world.expect_pairing_list(phone, code=pairing_codes.by_phone.get(phone))


@then(parsers.parse('"pairing list sms" does not show phone "{phone}"'))
def pairing_list_hides(world: World, phone: str) -> None:
    world.expect_pairing_list(phone, listed=False)


@then('"pairing list sms" shows a new request')
def pairing_list_new(world: World) -> None:
    if not world.pairing_entries():
        world.fail("a pending pairing request", "an empty pairing list")


@then(parsers.parse('the approval says "{text}"'))
def approval_says(world: World, text: str) -> None:
    world.expect_cli(ok=True, says=world.expand(text))


@then("approving that code fails")
def approving_fails(world: World, pairing_codes: PairingCodes) -> None:
    world.approve(pairing_codes.last)
    world.expect_cli(ok=False)


@then(parsers.parse('approving the code "{code}" fails'))
def approving_code_fails(world: World, code: str) -> None:
    world.approve(code)
    world.expect_cli(ok=False)


@then("no agent turn has run")
def no_agent_turn(world: World) -> None:
    world.expect_agent(turns=0)


@then("the command succeeds")
def command_succeeds(world: World) -> None:
    world.expect_cli(ok=True)


@then(parsers.parse("the command succeeds, warning '{text}'"))
def command_succeeds_warning(world: World, text: str) -> None:
    world.expect_cli(ok=True, says=text)


@then("the command fails")
def command_fails(world: World) -> None:
    world.expect_cli(ok=False)


@then(parsers.parse('the command fails mentioning "{text}"'))
def command_fails_mentioning(world: World, text: str) -> None:
    world.expect_cli(ok=False, says=text)


@then(parsers.parse('the command fails with one line naming "{key}"'))
def command_fails_one_line(world: World, key: str) -> None:
    world.expect_cli(ok=False, says=key, one_line=True)


@then(parsers.parse('the gateway warns about "{text}"'))
def gateway_warns(world: World, text: str) -> None:
    world.expect_log(text)


@then(parsers.parse('the gateway reports an error naming "{first}" and "{second}"'))
def gateway_error(world: World, first: str, second: str) -> None:
    world.expect_log(first, second)


# -- the probe -------------------------------------------------------------------------------------


@then(parsers.parse('the status shows the account as not configured, naming "{text}"'))
def status_unconfigured(world: World, text: str) -> None:
    world.expect_probe(unconfigured=text)


@then(parsers.parse('the probe reports the webhook as "{state}"'))
def probe_state(world: World, state: str) -> None:
    world.expect_probe("webhook.status", state)


@then(parsers.re(r'the probe reports the webhook as "(?P<state>[^"]+)" and ok (?P<ok>true|false)$'))
def probe_state_and_ok(world: World, state: str, ok: str) -> None:
    world.expect_probe("webhook.status", state)
    world.expect_probe("probe.ok", ok == "true")


@then(parsers.parse('the probe is not ok and mentions "{text}"'))
def probe_not_ok(world: World, text: str) -> None:
    world.expect_probe("probe.ok", False)
    world.expect_probe("probe", mentions=text)


@then(parsers.parse('the probe gives a hint mentioning "{text}"'))
def probe_hint(world: World, text: str) -> None:
    world.expect_probe("hints", mentions=text)


@then(
    parsers.re(
        r"the (?:status )?probe's recent outbound status is (?P<negated>not )?\"(?P<status>\w+)\""
        r"(?: with error (?P<code>\d+))?$"
    )
)
def probe_recent_outbound(world: World, negated: str | None, status: str, code: str | None) -> None:
    if not world.last_probe:
        world.probe()
    world.expect_probe("recentOutbound.status", status, negated=bool(negated))
    if code:
        world.expect_probe("recentOutbound.errorCode", code)


# -- MMS ---------------------------------------------------------------------------------------


@then(
    parsers.re(
        r"the gateway requested (?P<count>\d+) of that message's files from Twilio with the account's credentials$"
    )
)
def media_requested(world: World, count: str) -> None:
    world.expect_media_fetched(int(count))


@then(
    parsers.re(
        r"the gateway requested that message's file from Twilio (?P<times>\d+) times with the account's credentials$"
    )
)
def media_requested_times(world: World, times: str) -> None:
    world.expect_media_fetched(1, times=int(times))


@then(parsers.re(r"the gateway downloaded (?P<count>\d+) files? through Twilio's CDN$"))
def media_from_cdn(world: World, count: str) -> None:
    world.expect_media_fetched(int(count), from_cdn=True)


@then(parsers.parse("the agent was given the files {files} and the text {text}"))
def agent_given(world: World, files: str, text: str) -> None:
    world.expect_agent(given=(json_cell(files), json_cell(text)))


@then(parsers.parse('phone "{phone}" gets the message "{body}" with the file {file}'))
def message_with_file(world: World, phone: str, body: str, file: str) -> None:
    world.expect_messages_to(phone, with_file=(body, json_cell(file)))
