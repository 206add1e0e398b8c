"""Given: Twilio accounts, the channel's configuration, the environment, faults, the running gateway."""

from __future__ import annotations

import json

import pytest
from pytest_bdd import given, parsers

from harness.drivers.base import Unsupported
from harness.matchers import PairingCodes
from harness.senders import ImsgSender
from harness.world import World

# What Twilio's edge answers when it cannot reach the API behind it: a page, not Twilio's JSON error.
ERROR_PAGE = "<html><head><title>Service Unavailable</title></head><body>Try again later.</body></html>"

# -- Twilio side ------------------------------------------------------------------------------


@pytest.fixture
def pairing_codes() -> PairingCodes:
    """No codes yet; "gets a pairing reply" steps hand on the codes they read (target_fixture)."""
    return PairingCodes()


@given("a Twilio account with an SMS number")
def twilio_account(sms: World) -> None:
    sms.add_account("main")


@given(parsers.parse('a Twilio account "{name}" with an SMS number on path "{path}"'))
def twilio_account_on_path(sms: World, name: str, path: str) -> None:
    sms.add_account(name, path=path)


@given(parsers.parse('a second Twilio account "{name}"'))
def second_account(sms: World, name: str) -> None:
    sms.add_account(name, path=f"/webhooks/sms/{name}")


@given(parsers.parse('a Twilio trial account "{name}" with an SMS number that has verified phone "{phone}"'))
def trial_account(sms: World, name: str, phone: str) -> None:
    sms.add_account(name, trial=True, verified=(sms.phone(phone),))


@given(parsers.parse('a Messaging Service "{name}" that leaves inbound webhooks to its numbers'))
def deferring_service(sms: World, name: str) -> None:
    sms.add_service(name, use_number_webhook=True)


@given(parsers.parse('a Messaging Service "{name}" whose sender pool holds the number'))
def messaging_service(sms: World, name: str) -> None:
    sms.add_service(name)


@given(
    parsers.parse(
        'a Messaging Service "{name}" whose sender pool holds the number, its inbound webhook called with {method}'
    )
)
def messaging_service_method(sms: World, name: str, method: str) -> None:
    sms.add_service(name, method=method)


@given(parsers.re(r'the Twilio number\'s webhook is "(?P<url>[^"]*)" with method (?P<method>\w+)$'))
def number_webhook(sms: World, url: str, method: str) -> None:
    sms.set_number_webhook(sms.expand(url), method)


@given(parsers.parse("the Twilio number signs its webhooks with a shared key using {algorithm}"))
def shared_key(sms: World, algorithm: str) -> None:
    sms.sign_with_shared_key(algorithm)


@given(parsers.parse("the next webhook's signature is tampered with: {variant}"))
def tampered_signature(sms: World, variant: str) -> None:
    sms.add_fault("signature", {"variant": variant}, phone_number=sms.account().number)


@given("the tunnel to the gateway is down")
def tunnel_down(sms: World) -> None:
    sms.add_fault("webhook_unreachable", account_sid=sms.account().sid, times=None)


@given(parsers.parse("Twilio will deliver the next inbound message {copies:d} times"))
def duplicate_delivery(sms: World, copies: int) -> None:
    sms.add_fault("duplicate_delivery", {"copies": copies}, account_sid=sms.account().sid)


@given("Twilio will send the next message's status callbacks in reverse order")
def callbacks_reversed(sms: World) -> None:
    sms.add_fault("status_out_of_order", account_sid=sms.account().sid)


# -- the channel's configuration ----------------------------------------------------------------


@given(parsers.parse('the SMS channel is configured as in the guide with dmPolicy "{policy}"'))
def guide_config(sms: World, policy: str) -> None:
    sms.set_channel(sms.full_channel("main", dmPolicy=policy))


@given(parsers.parse('the SMS channel is configured as in the guide for account "{account}" with dmPolicy "{policy}"'))
def guide_config_for(sms: World, account: str, policy: str) -> None:
    sms.set_channel(sms.full_channel(account, dmPolicy=policy))


@given(
    parsers.parse(
        'the SMS channel has accounts "{first}" and "{second}" with dmPolicy "{policy}" and allowFrom {allow}'
    )
)
def two_accounts(sms: World, first: str, second: str, policy: str, allow: str) -> None:
    accounts = {}
    for name in (first, second):
        block = sms.full_channel(name, dmPolicy=policy, allowFrom=json.loads(allow))
        block["webhookPath"] = sms.account(name).path
        accounts[name] = block
    sms.set_channel({"enabled": True, "accounts": accounts})


@given(parsers.parse('both accounts use webhookPath "{path}"'))
def same_path(sms: World, path: str) -> None:
    for block in sms.channel["accounts"].values():
        block["webhookPath"] = path


@given(parsers.parse('the SMS channel config is only enabled with dmPolicy "{policy}"'))
def minimal_config(sms: World, policy: str) -> None:
    sms.set_channel({"enabled": True, "dmPolicy": policy})


@given(parsers.re(r"the channel's (?P<key>\w+) is (?P<value>\[.*\]|-?\d+|true|false|\".*\")$"))
def channel_key(sms: World, key: str, value: str) -> None:
    sms.configure(**{key: json.loads(value)})


@given(parsers.parse('the channel\'s dmPolicy is "{policy}" with allowFrom {allow}'))
def channel_policy(sms: World, policy: str, allow: str) -> None:
    sms.configure(dmPolicy=policy, allowFrom=json.loads(allow))


@given(parsers.parse("the channel's authToken is the SecretRef {ref}"))
def secret_ref(sms: World, ref: str) -> None:
    sms.configure(authToken=json.loads(ref))


@given(parsers.parse('the channel uses messagingServiceSid "{sid}" instead of fromNumber'))
def service_instead_of_number(sms: World, sid: str) -> None:
    sms.configure(fromNumber=None, messagingServiceSid=sid)


@given(parsers.re(r"the channel has no (?P<key>\w+)$"))
@given(parsers.re(r"the channel does not set (?P<key>\w+)$"))
def channel_without(sms: World, key: str) -> None:
    sms.configure(**{key: None})


# -- the environment ----------------------------------------------------------------------------


@given(
    parsers.re(
        r"the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
        r"SMS_PUBLIC_WEBHOOK_URL(?: for \"(?P<name>\w+)\")?$"
    )
)
def env_credentials(sms: World, name: str | None) -> None:
    account = sms.account(name or "main")
    sms.env.update(
        {
            "TWILIO_ACCOUNT_SID": account.sid,
            "TWILIO_AUTH_TOKEN": account.token,
            "SMS_PUBLIC_WEBHOOK_URL": account.public_url,
        }
    )


@given(parsers.re(r"the environment has (?P<name>[A-Z_]+) \"(?P<value>.*)\"$"))
def env_value(sms: World, name: str, value: str) -> None:
    sms.env[name] = value


@given(parsers.re(r"the environment has (?P<name>[A-Z_]+) set to the account's auth token$"))
def env_token(sms: World, name: str) -> None:
    sms.env[name] = sms.account().token


# -- the gateway ----------------------------------------------------------------------------------


@given("the gateway is running")
def gateway_running(sms: World) -> None:
    sms.start()


@given("the gateway is running with the account on a webhook path of its own")
def gateway_running_own_path(sms: World) -> None:
    sms.own_path()
    sms.start()


@given("the gateway is running fresh")
def gateway_running_fresh(sms: World) -> None:
    sms.start(fresh=True)


@given("the imsg sender can reach a real Twilio number")
def imsg_ready(sms: World) -> None:
    reason = ImsgSender.availability()
    if reason:
        raise Unsupported(reason)
    if not isinstance(sms.sender, ImsgSender):
        raise Unsupported("run with --sender imsg to drive a real phone through Messages")


@given(parsers.re(r"Twilio refuses the next (?P<times>\d+) Messages.json requests? with (?P<status>\d+)$"))
def messages_refused(sms: World, times: str, status: str) -> None:
    sms.fail_sends(int(status), times=int(times))


@given("Twilio serves media files without redirecting to its CDN")
def media_without_redirect(sms: World) -> None:
    sms.twilio_setting(media_redirect=False)


@given(parsers.parse("Twilio answers requests for media files with {status:d}"))
def media_files_fail(sms: World, status: int) -> None:
    sms.fail_media(status)


@given(parsers.parse("Twilio answers the gateway's sends with {status:d} instead of 201"))
def sends_answered_with(sms: World, status: int) -> None:
    sms.twilio_setting(send_status=status)


@given(parsers.parse("Twilio answers the gateway's sends with {status:d} and an HTML error page"))
def sends_get_error_page(sms: World, status: int) -> None:
    sms.fail_sends(status, page=ERROR_PAGE)


@given(parsers.parse("the agent takes {seconds:d} seconds to answer"))
def slow_agent(sms: World, seconds: int) -> None:
    sms.add_fault("model_latency", {"delay_ms": seconds * 1000}, times=None)


@given(parsers.parse("Twilio answers the first request for a media file with {status:d}"))
def media_file_fails_once(sms: World, status: int) -> None:
    sms.fail_media(status, times=1)


@given(parsers.parse("Twilio redirects media files to its CDN with {status:d}"))
def media_redirect_status(sms: World, status: int) -> None:
    sms.twilio_setting(media_redirect=True, media_redirect_status=status)
