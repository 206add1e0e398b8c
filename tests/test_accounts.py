"""The account pool: scenarios share clean Twilio accounts of the same shape, never dirty ones."""

from __future__ import annotations

from emulator.client import EmulatorClient
from harness.accounts import AccountPool, Shape
from harness.sink import Sink


def test_a_clean_account_is_handed_out_again_for_the_same_shape_only(emu: EmulatorClient, sink: Sink) -> None:
    pool = AccountPool(emu)
    shape = Shape(f"{sink.url}/webhooks/sms")
    first = pool.take(shape, "+15550000001")
    since = emu.cursor()
    assert emu.send_inbound("+15557654321", first.numbers[0], "hi")["message"]["error_code"] is None
    pool.give_back(shape, first, since)
    other = pool.take(Shape(shape.sms_url, trial=True), "+15550000002")
    assert other.sid != first.sid
    again = pool.take(shape, "+15550000003")
    assert (again.sid, pool.created, pool.reused) == (first.sid, 2, 1)


def test_an_account_whose_number_logged_a_webhook_error_is_not_reused(emu: EmulatorClient) -> None:
    pool = AccountPool(emu)
    shape = Shape("http://127.0.0.1:9/webhooks/sms")  # nobody listens: the inbound message logs 11205
    first = pool.take(shape, "+15550000004")
    since = emu.cursor()
    message = emu.send_inbound("+15557654321", first.numbers[0], "hi")["message"]
    assert message["error_code"] is not None
    pool.give_back(shape, first, since)
    assert pool.take(shape, "+15550000005").sid != first.sid
