"""When: phones text, the operator runs the guide's CLI, raw requests reach the webhook, time passes."""

from __future__ import annotations

import os

from pytest_bdd import parsers, then, when

from harness import expect, waits
from harness.forged import Forged
from harness.gherkin import json_cell
from harness.match.texts import unbreakable
from harness.pairing_codes import PairingCodes
from harness.world import World

# -- phones -----------------------------------------------------------------------------------


@when(parsers.parse('phone "{phone}" texts "{body}"'))
def phone_texts(world: World, phone: str, body: str) -> None:
    world.text(phone, body)


@when(parsers.parse('phone "{phone}" texts account "{account}" "{body}"'))
def phone_texts_account(world: World, phone: str, account: str, body: str) -> None:
    world.text(phone, body, account=account)


@when(parsers.parse('phone "{phone}" texts the Messaging Service "{service}" "{body}"'))
def phone_texts_service(world: World, phone: str, service: str, body: str) -> None:
    world.text(phone, body, to=world.account().services[service])


@when(parsers.parse('the agent answers phone "{phone}" with "{first}", {count:d} spaces and "{last}"'))
def agent_answers_with_spaces(world: World, phone: str, first: str, count: int, last: str) -> None:
    world.ask_agent(phone, first + " " * count + last)


@when(parsers.parse('phone "{phone}" gets the agent to answer {answer}'))
def asks_agent(world: World, phone: str, answer: str) -> None:
    world.ask_agent(phone, json_cell(answer))


@when(parsers.parse('phone "{phone}" asks for a reply of {length:d} characters without spaces'))
def asks_for_unbreakable_reply(world: World, phone: str, length: int) -> None:
    world.text(phone, "reply exactly " + unbreakable(length))


@when(parsers.parse('phone "{phone}" gets a pairing reply with an 8-character code'), target_fixture="pairing_codes")
@then(parsers.parse('phone "{phone}" gets a pairing reply with an 8-character code'), target_fixture="pairing_codes")
def pairing_reply(world: World, phone: str, pairing_codes: PairingCodes) -> PairingCodes:
    return pairing_codes.with_code(phone, expect.pairing_reply(world, phone))


# -- the operator -----------------------------------------------------------------------------


@when(parsers.re(r"the operator approves that code(?P<notify> with --notify)?$"))
def approve_that_code(world: World, pairing_codes: PairingCodes, notify: str | None) -> None:
    world.act()
    world.approve(pairing_codes.last, notify=bool(notify))


@when(parsers.parse('the operator approves the code of phone "{phone}"'))
def approve_code_of(world: World, pairing_codes: PairingCodes, phone: str) -> None:
    world.approve(pairing_codes.by_phone[phone])


@when(parsers.parse('the operator tries the code "{code}" {times:d} times'))
def approve_wrong_code(world: World, code: str, times: int) -> None:
    world.approve_wrong(code, times)


@when("the agent has begun its answer")
def answer_begun(world: World) -> None:
    waits.answer_begun(world)


@when("the gateway is stopped")
def gateway_stopped(world: World) -> None:
    world.driver.stop()


@when("the gateway is started again")
def gateway_started(world: World) -> None:
    world.start()


@when(parsers.re(r"(?P<minutes>\d+) minutes? pass(?:es)? on the gateway's clock$"))
def clock_passes(world: World, minutes: str) -> None:
    world.advance_clock(int(minutes) * 60)


@when(
    parsers.re(
        r'the operator applies a patch setting (?P<key>\w+) to "(?P<value>[^"]*)"'
        r"(?P<dry> with --dry-run)?$"
    )
)
def apply_patch(world: World, key: str, value: str, dry: str | None) -> None:
    world.patch_config({"channels": {"sms": {key: value}}}, dry_run=bool(dry))


@when(parsers.parse("the operator runs channels add --channel sms {flags}"))
def channels_add(world: World, flags: str) -> None:
    world.add_channel(flags)


@when(parsers.parse('the operator applies a patch setting dmPolicy to "{policy}" with allowFrom {allow}'))
def apply_policy_patch(world: World, policy: str, allow: str) -> None:
    patch = {"channels": {"sms": {"dmPolicy": policy, "allowFrom": world.expand(json_cell(allow))}}}
    world.patch_config(patch)


@when(parsers.parse("the operator applies the patch {patch}"))
def apply_json_patch(world: World, patch: str) -> None:
    world.patch_config(world.expand(json_cell(patch)))


@when(parsers.parse('the operator applies a patch giving account "{account}" the webhookPath "{path}"'))
def apply_account_path(world: World, account: str, path: str) -> None:
    world.patch_config({"channels": {"sms": {"accounts": {account: {"webhookPath": path}}}}})


@when("the operator checks the channel status")
def check_status(world: World) -> None:
    world.probe()


@when(parsers.parse('the operator sends "{text}" with --channel sms to "{target}"'))
def send_with_channel(world: World, text: str, target: str) -> None:
    world.send_message(world.expand(target), text, "sms")


@when(parsers.parse('the operator sends "{text}" without --channel to "{target}"'))
def send_without_channel(world: World, text: str, target: str) -> None:
    world.send_message(world.expand(target), text, None)


@when(parsers.parse('the operator sends "{text}" with --channel sms and no target'))
def send_without_target(world: World, text: str) -> None:
    world.send_message(None, text, "sms")


@when(parsers.parse('the operator sends a {length:d}-character message with --channel sms to "{target}"'))
def send_long(world: World, length: int, target: str) -> None:
    world.send_message(world.expand(target), unbreakable(length), "sms")


@when(
    parsers.parse(
        'the operator sends a {length:d}-character message that ends with "{tail}" with --channel sms to "{target}"'
    )
)
def send_long_ending(world: World, length: int, tail: str, target: str) -> None:
    world.send_message(world.expand(target), unbreakable(length - len(tail) - 1) + " " + tail, "sms")


@when(parsers.parse('an automation delivers "{text}" without a target'))
def automation_send(world: World, text: str) -> None:
    world.automation_send(text)


@when(parsers.parse('an automation delivers "{text}" to "{target}"'))
def automation_send_to(world: World, text: str, target: str) -> None:
    world.automation_send(text, world.expand(target))


@when("the operator asks for the channel's capabilities")
def capabilities(world: World) -> None:
    world.capabilities()


@when("the operator runs the status probe")
def status_probe(world: World) -> None:
    world.probe()


@when(parsers.re(r'Twilio has reported the reply as "?(?P<status>\w+)"? to the gateway$'))
def status_reported(world: World, status: str) -> None:
    expect.status_callback(world, status)


@when(
    parsers.re(
        r'a signed status callback "(?P<status>\w+)"(?: with error (?P<code>\d+))? for the reply to phone "(?P<phone>\w+)" '
        r"is posted to the webhook$"
    )
)
def status_for_reply(world: World, forged: Forged, status: str, code: str | None, phone: str) -> None:
    sid = waits.last_reply(world, phone)["sid"]
    forged.post_webhook(forged.status_form(status, sid=sid, error_code=int(code) if code else None))


# -- raw requests to the webhook ----------------------------------------------------------------


@when(parsers.parse("the hosted file is requested {how}"))
def hosted_file_requested(forged: Forged, how: str) -> None:
    forged.request_hosted_file(how)


@when(parsers.parse('a signed inbound form from phone "{phone}" is sent to the webhook with method {method}'))
def form_with_method(forged: Forged, phone: str, method: str) -> None:
    forged.post_webhook(forged.inbound_form(phone), method=method)


@when(parsers.parse('a signed inbound form from phone "{phone}" padded past 32 KiB is posted to the webhook'))
def form_too_large(world: World, forged: Forged, phone: str) -> None:
    forged.post_webhook(forged.inbound_form(phone), extra_bytes=world.driver.profile.body_limit[0] + 1024)


@when(
    parsers.parse(
        'a signed inbound form from phone "{phone}" without MessageSid, SmsSid or SmsMessageSid is '
        "posted to the webhook"
    )
)
def form_without_sid(forged: Forged, phone: str) -> None:
    forged.post_inbound_with(phone, MessageSid=None, SmsSid=None, SmsMessageSid=None)


@when(
    parsers.parse(
        'a signed inbound form from phone "{phone}" with only SmsSid saying "{body}" is posted to the webhook'
    )
)
def form_only_smssid(forged: Forged, phone: str, body: str) -> None:
    forged.post_inbound_with(phone, body, MessageSid=None, SmsMessageSid=None)


@when(
    parsers.parse(
        'a signed inbound form from phone "{phone}" saying "{body}" with {field_name} set to {value} is posted '
        "to the webhook"
    )
)
def form_with_field(forged: Forged, phone: str, body: str, field_name: str, value: str) -> None:
    forged.post_inbound_with(phone, body, **{field_name: json_cell(value)})


@when(parsers.parse('an unsigned inbound form from phone "{phone}" saying "{body}" is posted to the webhook'))
def form_unsigned(forged: Forged, phone: str, body: str) -> None:
    forged.post_webhook(forged.inbound_form(phone, body), signed=False)


@when(
    parsers.parse(
        'an inbound form from phone "{phone}" signed with the auth token of "{other}" is posted to the webhook'
    )
)
def form_signed_by_other(forged: Forged, phone: str, other: str) -> None:
    forged.post_webhook(forged.inbound_form(phone), signer=other)


@when(
    parsers.parse(
        'an inbound form from phone "{phone}" for "{account}" signed with the auth token of "{other}" is '
        'posted to the webhook of "{target}"'
    )
)
def form_for_account_signed_by_other(forged: Forged, phone: str, account: str, other: str, target: str) -> None:
    forged.post_webhook(forged.inbound_form(phone, account=account), account=target, signer=other)


@when(parsers.parse('a signed status callback "{status}" for another AccountSid is posted to the webhook'))
def foreign_status(forged: Forged, status: str) -> None:
    forged.post_webhook(forged.status_form(status, account_sid="AC" + "0" * 32))


@when(parsers.parse('a signed status callback "{status}" from the account is posted to the webhook twice'))
def status_twice(forged: Forged, status: str) -> None:
    form = forged.status_form(status)
    forged.post_webhook(form)
    forged.post_webhook(form)


@when(parsers.parse('phone "{phone}" sends one more signed message than the per-sender limit allows'))
def past_sender_limit(world: World, forged: Forged, phone: str) -> None:
    forged.post_many([forged.inbound_form(phone, f"message {i}") for i in range(world.limit("perSenderPerMinute") + 1)])


@when(parsers.re(r'phone "(?P<phone>[^"]+)" sends (?P<count>\d+) signed messages?$'))
def signed_messages(forged: Forged, phone: str, count: str) -> None:
    forged.post_many([forged.inbound_form(phone, f"message {i}") for i in range(int(count))])


@when(parsers.re(r'phone "(?P<phone>[^"]+)" sends (?P<count>\d+) signed messages? to account "(?P<account>[^"]+)"$'))
def signed_messages_to(forged: Forged, phone: str, count: str, account: str) -> None:
    forged.post_many([forged.inbound_form(phone, f"message {i}", account) for i in range(int(count))], account=account)


@when(parsers.parse('{count:d} other phones send a signed message each to account "{account}"'))
def one_message_from_many(forged: Forged, count: int, account: str) -> None:
    numbers = [f"+1999{i:07d}" for i in range(count)]  # none twice, none a named phone's (+1555…)
    forged.post_many([forged.inbound_form("A", "hi", account, From=n) for n in numbers], account=account)


@when(parsers.parse("{phones:d} phones send {each:d} signed messages each"))
def signed_messages_from_phones(forged: Forged, phones: int, each: int) -> None:
    forged.post_many([forged.inbound_form(f"P{p}", f"message {i}") for p in range(phones) for i in range(each)])


@when(parsers.parse("{count:d} badly signed requests are posted"))
def badly_signed_requests(forged: Forged, count: int) -> None:
    forged.post_many([forged.inbound_form("A", f"bad {i}") for i in range(count)], signed=False)


@when(parsers.parse("{count:d} signed status callbacks from the account are posted"))
def signed_callbacks(forged: Forged, count: int) -> None:
    forged.post_many([forged.status_form("sent") for _ in range(count)])


@when("one more unsigned message than the per-sender limit allows comes from as many different phones")
def past_client_limit(world: World, forged: Forged) -> None:
    count = world.limit("perSenderPerMinute") + 1
    forged.post_many([forged.inbound_form(f"P{i}", f"message {i}") for i in range(count)], signed=False)


@when(
    parsers.parse(
        'a signed inbound form from phone "{phone}" saying "{body}" with an empty pair before its Body is posted to the webhook'
    )
)
def empty_pair(forged: Forged, phone: str, body: str) -> None:
    forged.post_webhook(forged.inbound_form(phone, body), empty_pair_before="Body")


@when(parsers.parse('a signed inbound form from phone "{phone}" with a second Body "{body}" is posted to the webhook'))
def repeated_key(forged: Forged, phone: str, body: str) -> None:
    forged.post_webhook(forged.inbound_form(phone), repeat=("Body", body))


@when(parsers.parse('phone "{phone}" sends the signed message "{body}"'))
def one_signed_message(forged: Forged, phone: str, body: str) -> None:
    forged.post_many([forged.inbound_form(phone, body)])


@when("the first of those messages is posted again")
def replay_first(forged: Forged) -> None:
    forged.post_webhook(forged.sent_forms[0])


@when("one more badly signed request than the invalid-request limit allows is posted")
def past_invalid_limit(world: World, forged: Forged) -> None:
    forms = [forged.inbound_form("A", f"bad {i}") for i in range(world.limit("invalidPerClientPerMinute") + 1)]
    forged.post_many(forms, signed=False)


@when("as many signed status callbacks as the invalid-request limit allows are posted")
def valid_up_to_invalid_limit(world: World, forged: Forged) -> None:
    forged.post_many([forged.status_form("sent") for _ in range(world.limit("invalidPerClientPerMinute"))])


@when("one more signed status callback than the delivery-callback limit allows is posted")
def past_callback_limit(world: World, forged: Forged) -> None:
    forged.post_many([forged.status_form("sent") for _ in range(world.limit("deliveryCallbacksPerMinute") + 1)])


@when(parsers.parse('a badly signed inbound form from phone "{phone}" is posted to the webhook'))
def badly_signed(forged: Forged, phone: str) -> None:
    forged.post_webhook(forged.inbound_form(phone), signed=False)


# -- the Mac (imsg) ---------------------------------------------------------------------------------


@when(parsers.parse('the Mac texts "{body}" to the Twilio number'))
def mac_texts(world: World, body: str) -> None:
    world.act()
    world.sender.send("", os.environ["TWILIO_PHONE_NUMBER"], body)


@when("the operator approves the newest request")
def approve_newest(world: World) -> None:
    world.approve_newest()


@when(parsers.parse('phone "{phone}" sends the files {files} with the text "{body}"'))
def phone_sends_files(world: World, phone: str, files: str, body: str) -> None:
    world.text(phone, body, media=json_cell(files))


@when(parsers.parse('the operator sends "{text}" with the file {file} to "{target}"'))
def send_with_file(world: World, text: str, file: str, target: str) -> None:
    world.send_file(target, text, json_cell(file))


@when(
    parsers.re(
        r'the operator sends "(?P<text>[^"]*)" with (?P<what>a file that does not exist|a folder) as the file to "(?P<target>[^"]+)"$'
    )
)
def send_unreadable_file(world: World, text: str, what: str, target: str) -> None:
    world.send_unreadable_file(target, text, what)


@when("Twilio fetches that message's file again")
def refetch_sent_file(forged: Forged) -> None:
    forged.request_hosted_file("with GET")


@when(
    parsers.parse(
        'a signed MMS form from phone "{phone}" saying "{body}" with its Media URL on "{origin}" is posted to the webhook'
    )
)
def media_url_elsewhere(forged: Forged, phone: str, body: str, origin: str) -> None:
    forged.post_with_media(phone, body, host=origin)


@when(parsers.parse('a signed RCS form from phone "{phone}" saying "{body}" with one picture is posted to the webhook'))
def rcs_form_with_media(forged: Forged, phone: str, body: str) -> None:
    forged.post_rcs_with_media(phone, body)
