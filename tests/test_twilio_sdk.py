"""The official twilio package, pointed at the emulator, cannot tell it from Twilio."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from emulator.client import EmulatorClient, Provisioned
from emulator.server import EmulatorServer

FROM = "+15551230001"
TO = "+15557654321"


def test_create_list_fetch_messages(twilio: Client, emu: EmulatorClient) -> None:
    created = twilio.messages.create(
        to=TO, from_=FROM, body="hello from the SDK", status_callback="https://gw.example.test/sms#rc=0"
    )
    assert created.sid.startswith("SM") and created.status == "queued" and created.num_segments == "1"
    assert created.date_created.year >= 2026
    for i in range(3):
        twilio.messages.create(to=TO, from_=FROM, body=f"n{i}")
    listed = twilio.messages.list(to=TO, page_size=2)  # forces the SDK to follow next_page_uri
    assert len(listed) == 4 and listed[-1].sid == created.sid
    assert twilio.messages(created.sid).fetch().body == "hello from the SDK"
    emu.wait(match={"sid": created.sid, "status": "delivered"}, timeout=5)
    assert twilio.messages(created.sid).fetch().status == "delivered"


def test_errors_surface_as_twilio_exceptions(twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to="+15005550001", from_=FROM, body="x")
    assert caught.value.code == 21211 and caught.value.status == 400


def test_incoming_numbers_and_services(twilio: Client, emu: EmulatorClient, account: Provisioned) -> None:
    numbers = twilio.incoming_phone_numbers.list(phone_number=FROM)
    assert [n.phone_number for n in numbers] == [FROM] and numbers[0].sms_method == "POST"
    service = emu.add_service(account.sid, inbound_request_url="https://gw.example.test/sms")
    fetched = twilio.messaging.v1.services(service["sid"]).fetch()
    assert fetched.inbound_request_url == "https://gw.example.test/sms"
    assert fetched.use_inbound_webhook_on_number is False
    other = emu.add_service(account.sid, friendly_name="second")
    listed = twilio.messaging.v1.services.list()
    assert [s.sid for s in listed] == [service["sid"], other["sid"]]
    assert [s.sid for s in twilio.messaging.v1.services.list(page_size=1, limit=2)] == [service["sid"], other["sid"]]
    assert numbers[0].type == "local" and numbers[0].emergency_address_status == "unregistered"


def test_wrong_token_is_rejected_by_the_sdk(emulator_server: EmulatorServer, account: Provisioned) -> None:
    client = Client(account.sid, "f" * 32)
    client.api.base_url = emulator_server.url
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=TO, from_=FROM, body="x")
    assert caught.value.status == 401 and caught.value.code == 20003
    with pytest.raises(TwilioException, match="20003"):  # list pages raise the base class
        client.messages.list()


def test_scheduled_messages_wait_and_can_be_canceled(twilio: Client, emu: EmulatorClient, account: Provisioned) -> None:
    from datetime import UTC, datetime, timedelta

    service = emu.add_service(account.sid, numbers=[FROM])
    later = datetime.now(UTC) + timedelta(hours=1)
    scheduled = twilio.messages.create(
        to=TO, messaging_service_sid=service["sid"], body="later", schedule_type="fixed", send_at=later
    )
    assert scheduled.status == "scheduled" and scheduled.price is None
    assert twilio.messages(scheduled.sid).update(status="canceled").status == "canceled"
    fixed = {"messaging_service_sid": service["sid"], "schedule_type": "fixed"}
    for kwargs, code in [
        (fixed, 35111),  # no SendAt
        ({"from_": FROM, "schedule_type": "fixed", "send_at": later}, 35118),  # no Messaging Service
        ({**fixed, "send_at": datetime.now(UTC)}, 35115),  # too soon
        ({**fixed, "send_at": later + timedelta(days=40)}, 35115),  # too far
        ({**fixed, "schedule_type": "whenever", "send_at": later}, 35126),
    ]:
        with pytest.raises(TwilioRestException) as caught:
            twilio.messages.create(to=TO, body="x", **kwargs)
        assert caught.value.code == code, kwargs
    with pytest.raises(TwilioRestException):  # only a scheduled message can be canceled
        twilio.messages(scheduled.sid).update(status="canceled")


def test_the_sender_pool_prefers_sticky_then_the_recipients_area_code(
    twilio: Client, emu: EmulatorClient, account: Provisioned
) -> None:
    """Twilio's pool features, set through the SDK: Sticky Sender, then Area Code Geomatch."""
    pool = ["+15551230001", "+12125550100", "+14155550100"]
    service = emu.add_service(account.sid, numbers=pool)["sid"]

    def sender(to: str) -> str:
        sid = twilio.messages.create(to=to, messaging_service_sid=service, body="x").sid
        return emu.wait(match={"sid": sid, "status": "delivered"}, timeout=5)["from"]

    assert sender("+12125559999") == "+12125550100"  # the recipient's area code
    assert sender("+14155559999") == "+14155550100"
    assert sender("+13125559999") == pool[0]  # no number of that area code: the pool's first
    updated = twilio.messaging.v1.services(service).update(area_code_geomatch=False)
    assert updated.area_code_geomatch is False and updated.sticky_sender is True
    assert sender("+12125559999") == "+12125550100"  # sticky: the number it got before
    assert sender("+16465559999") == pool[0]  # new recipient, geomatch off
    twilio.messaging.v1.services(service).update(sticky_sender=False, area_code_geomatch=True)
    assert sender("+16465559999") == pool[0]  # 646 matches nobody; nothing is remembered either
