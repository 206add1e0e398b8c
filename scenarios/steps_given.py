"""Given: Twilio accounts, the channel's configuration, the environment, faults, the running gateway."""

from __future__ import annotations

import json

import pytest
from pytest_bdd import given, parsers

from harness.drivers.base import Unsupported
from harness.pairing_codes import PairingCodes
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
def twilio_account(world: World) -> None:
    world.add_account("main")


@given(parsers.parse('a Twilio account "{name}" with an SMS number on path "{path}"'))
def twilio_account_on_path(world: World, name: str, path: str) -> None:
    world.add_account(name, path=path)


@given(parsers.re(r'a second Twilio account "(?P<name>[^"]+)"(?P<same> on the same webhook path)?$'))
def second_account(world: World, name: str, same: str | None) -> None:
    world.add_account(name, path=None if same else f"/webhooks/sms/{name}")


@given(parsers.parse('a Twilio trial account "{name}" with an SMS number that has verified phone "{phone}"'))
def trial_account(world: World, name: str, phone: str) -> None:
    world.add_account(name, trial=True, verified=(world.phone(phone),))


@given(parsers.parse('a Messaging Service "{name}" that leaves inbound webhooks to its numbers'))
def deferring_service(world: World, name: str) -> None:
    world.add_service(name, use_number_webhook=True)


@given(parsers.parse('a Messaging Service "{name}" whose sender pool holds the number'))
def messaging_service(world: World, name: str) -> None:
    world.add_service(name)


@given(
    parsers.parse(
        'a Messaging Service "{name}" whose sender pool holds the number, its inbound webhook called with {method}'
    )
)
def messaging_service_method(world: World, name: str, method: str) -> None:
    world.add_service(name, method=method)


@given(parsers.re(r'the Twilio number\'s webhook is "(?P<url>[^"]*)" with method (?P<method>\w+)$'))
def number_webhook(world: World, url: str, method: str) -> None:
    world.set_number_webhook(world.expand(url), method)


@given(parsers.parse("the Twilio number signs its webhooks with a shared key using {algorithm}"))
def shared_key(world: World, algorithm: str) -> None:
    world.sign_with_shared_key(algorithm)


@given(parsers.parse("the next webhook's signature is tampered with: {variant}"))
def tampered_signature(world: World, variant: str) -> None:
    world.add_fault("signature", {"variant": variant}, phone_number=world.account().number)


@given("the tunnel to the gateway is down")
def tunnel_down(world: World) -> None:
    world.add_fault("webhook_unreachable", account_sid=world.account().sid, times=None)


@given(parsers.parse("Twilio will deliver the next inbound message {copies:d} times"))
def duplicate_delivery(world: World, copies: int) -> None:
    world.add_fault("duplicate_delivery", {"copies": copies}, account_sid=world.account().sid)


@given("Twilio will send the next message's status callbacks in reverse order")
def callbacks_reversed(world: World) -> None:
    world.add_fault("status_out_of_order", account_sid=world.account().sid)


# -- the channel's configuration ----------------------------------------------------------------


@given(parsers.parse('the SMS channel is configured as in the guide with dmPolicy "{policy}"'))
def guide_config(world: World, policy: str) -> None:
    world.set_channel(world.full_channel("main", dmPolicy=policy))


@given(parsers.parse('the SMS channel is configured as in the guide for account "{account}" with dmPolicy "{policy}"'))
def guide_config_for(world: World, account: str, policy: str) -> None:
    world.set_channel(world.full_channel(account, dmPolicy=policy))


@given(
    parsers.parse(
        'the SMS channel is configured as in the guide with dmPolicy "{policy}", and account "{account}" on the same '
        "webhookPath"
    )
)
def guide_config_and_named(world: World, policy: str, account: str) -> None:
    world.set_channel(
        world.full_channel("main", dmPolicy=policy) | {"accounts": {account: world.full_channel(account)}}
    )


@given(
    parsers.parse(
        'the SMS channel has accounts "{first}" and "{second}" with dmPolicy "{policy}" and allowFrom {allow}'
    )
)
def two_accounts(world: World, first: str, second: str, policy: str, allow: str) -> None:
    world.set_channel(world.accounts_channel((first, second), dmPolicy=policy, allowFrom=json.loads(allow)))


@given(parsers.parse('both accounts use webhookPath "{path}"'))
def same_path(world: World, path: str) -> None:
    world.configure_accounts(webhookPath=path)


@given(parsers.parse('the SMS channel config is only enabled with dmPolicy "{policy}"'))
def minimal_config(world: World, policy: str) -> None:
    world.set_channel({"enabled": True, "dmPolicy": policy})


@given(parsers.re(r"the channel's (?P<key>\w+) is (?P<value>\[.*\]|-?\d+|true|false|\".*\")$"))
def channel_key(world: World, key: str, value: str) -> None:
    world.configure(**{key: json.loads(value)})


@given(parsers.parse('the channel\'s dmPolicy is "{policy}" with allowFrom {allow}'))
def channel_policy(world: World, policy: str, allow: str) -> None:
    world.configure(dmPolicy=policy, allowFrom=json.loads(allow))


@given(parsers.parse("the channel's authToken is the SecretRef {ref}"))
def secret_ref(world: World, ref: str) -> None:
    world.configure(authToken=json.loads(ref))


@given(parsers.parse('the channel uses messagingServiceSid "{sid}" instead of fromNumber'))
def service_instead_of_number(world: World, sid: str) -> None:
    world.configure(fromNumber=None, messagingServiceSid=sid)


@given(parsers.re(r"the channel has no (?P<key>\w+)$"))
@given(parsers.re(r"the channel does not set (?P<key>\w+)$"))
def channel_without(world: World, key: str) -> None:
    world.configure(**{key: None})


# -- the environment ----------------------------------------------------------------------------


@given(
    parsers.re(
        r"the environment has the account's TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
        r"SMS_PUBLIC_WEBHOOK_URL(?: for \"(?P<name>\w+)\")?$"
    )
)
def env_credentials(world: World, name: str | None) -> None:
    world.env.update(world.account(name or "main").env)


@given(parsers.re(r"the environment has (?P<name>[A-Z_]+) \"(?P<value>.*)\"$"))
def env_value(world: World, name: str, value: str) -> None:
    world.env[name] = value


@given(parsers.re(r"the environment has (?P<name>[A-Z_]+) set to the account's auth token$"))
def env_token(world: World, name: str) -> None:
    world.env[name] = world.account().token


# -- the gateway ----------------------------------------------------------------------------------


@given("the gateway is running")
def gateway_running(world: World) -> None:
    world.start()


@given("the gateway is running with the account on a webhook path of its own")
def gateway_running_own_path(world: World) -> None:
    world.own_path()
    world.start()


@given("the gateway is running fresh")
def gateway_running_fresh(world: World) -> None:
    world.start(fresh=True)


@given("the imsg sender can reach a real Twilio number")
def imsg_ready(world: World) -> None:
    reason = ImsgSender.availability()
    if reason:
        raise Unsupported(reason)
    if not isinstance(world.sender, ImsgSender):
        raise Unsupported("run with --sender imsg to drive a real phone through Messages")


@given(parsers.re(r"Twilio refuses the next (?P<times>\d+) Messages.json requests? with (?P<status>\d+)$"))
def messages_refused(world: World, times: str, status: str) -> None:
    world.fail_sends(int(status), times=int(times))


@given(parsers.parse('Twilio refuses every Messages.json request whose Body holds "{text}" with {status:d}'))
def messages_holding_refused(world: World, text: str, status: int) -> None:
    world.fail_sends(status, holding=text)


@given("Twilio serves media files without redirecting to its CDN")
def media_without_redirect(world: World) -> None:
    world.twilio_setting(media_redirect=False)


@given(parsers.parse("Twilio answers requests for media files with {status:d}"))
def media_files_fail(world: World, status: int) -> None:
    world.fail_media(status)


@given(parsers.parse("Twilio answers the gateway's sends with {status:d} instead of 201"))
def sends_answered_with(world: World, status: int) -> None:
    world.twilio_setting(send_status=status)


@given(parsers.parse("Twilio answers the gateway's sends with {status:d} and an HTML error page"))
def sends_get_error_page(world: World, status: int) -> None:
    world.fail_sends(status, page=ERROR_PAGE)


@given(parsers.parse("the agent takes {seconds:d} seconds to answer"))
def slow_agent(world: World, seconds: int) -> None:
    world.add_fault("model_latency", {"delay_ms": seconds * 1000}, times=None)


@given(parsers.parse("Twilio answers the first request for a media file with {status:d}"))
def media_file_fails_once(world: World, status: int) -> None:
    world.fail_media(status, times=1)


@given(parsers.parse("Twilio redirects media files to its CDN with {status:d}"))
def media_redirect_status(world: World, status: int) -> None:
    world.twilio_setting(media_redirect=True, media_redirect_status=status)
