"""The account pool: scenarios share clean Twilio accounts of the same shape, never changed ones."""

from __future__ import annotations

from pathlib import Path

from faker import Faker

from emulator.client import EmulatorClient
from harness.accounts import AccountPool, Shape
from harness.drivers.reference import ReferenceDriver
from harness.senders import EmulatorHandset
from harness.world import World
from tests.sink import Sink


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


def test_an_account_whose_number_logged_a_webhook_error_comes_back_without_that_message(emu: EmulatorClient) -> None:
    """The probe reports a number's recent inbound errors, so they must not reach the next scenario."""
    pool = AccountPool(emu)
    shape = Shape("http://127.0.0.1:9/webhooks/sms")  # nobody listens: the inbound message logs 11205
    first = pool.take(shape, "+15550000004")
    since = emu.cursor()
    failed = emu.send_inbound("+15557654321", first.numbers[0], "hi")["message"]
    assert failed["error_code"] is not None
    pool.give_back(shape, first, since)
    again = pool.take(shape, "+15550000005")
    assert again.sid == first.sid
    left = emu.messages(to=first.numbers[0], direction="inbound")
    assert [m["sid"] for m in left if m.get("error_code")] == [], left
    calls = [c for c in emu.calls(after=since) if c.get("method") == "DELETE"]
    assert [c["path"].rsplit("/", 1)[1] for c in calls] == [f"{failed['sid']}.json"], calls  # through Twilio's API


def test_a_scenario_leaves_no_fault_behind_and_its_account_is_reused(emu: EmulatorClient, tmp_path: Path) -> None:
    """A fault the scenario injected and never used up is removed when it ends; its account comes back."""
    pool = AccountPool(emu)
    world = World(emu, ReferenceDriver(tmp_path), EmulatorHandset(emu), Faker(), pool)
    account = world.add_account()
    world.add_fault("webhook_unreachable", account_sid=account.sid, times=None)  # would hit every later delivery
    other = emu.add_fault("webhook_unreachable", account_sid="AC" + "0" * 32, times=None)  # not the scenario's
    world.close()
    assert [f["id"] for f in emu.faults()] == [other["id"]]
    later = World(emu, ReferenceDriver(tmp_path), EmulatorHandset(emu), Faker(), pool)
    assert later.add_account().sid == account.sid


def test_a_scenario_that_moved_the_gateway_clock_gives_no_account_back(emu: EmulatorClient, tmp_path: Path) -> None:
    """OpenClaw dates what it records meanwhile in the future, and its probe would show that later."""
    pool = AccountPool(emu)
    driver = ReferenceDriver(tmp_path)
    world = World(emu, driver, EmulatorHandset(emu), Faker(), pool)
    account = world.add_account()
    world.channel = world.full_channel()
    world.start()
    try:
        world.advance_clock(60)
    finally:
        driver.stop()
    world.close()
    assert World(emu, ReferenceDriver(tmp_path), EmulatorHandset(emu), Faker(), pool).add_account().sid != account.sid
