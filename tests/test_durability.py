"""`--state`: what the emulator acknowledged survives a `kill -9`, and nothing is left half-way.

Bounded: at most 2,000 creates in at most a few seconds, on loopback.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from emulator import journal
from emulator.store import journal_path
from tests.processes import Background

STATE_ARGS = ("-m", "harness.cli", "emulator", "--quiet", "--empty", "--seed", "5")


def start(state: Path) -> tuple[Background, str]:
    out = Background(*STATE_ARGS, "--state", str(state))
    return out, out.wait_for("http://127.0.0.1:")


@pytest.mark.slow
def test_every_acknowledged_create_survives_sigkill_and_none_is_stuck(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    out, url = start(state)
    control = httpx.Client(base_url=url, timeout=10, trust_env=False)
    made = control.post("/_emulator/accounts", json={"numbers": [{"phone_number": "+15551000001"}]}).json()
    sid, token = made["account"]["sid"], made["account"]["auth_token"]
    control.put("/_emulator/settings", json={"status_pace_ms": 300})  # lifecycles are under way at the kill
    acknowledged: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=url, auth=(sid, token), timeout=5, trust_env=False) as rest:
            while not stop.is_set() and len(acknowledged) < 2000:
                try:
                    answer = rest.post(
                        f"/2010-04-01/Accounts/{sid}/Messages.json",
                        data={"To": "+15557654321", "From": "+15551000001", "Body": "keep me"},
                    )
                except httpx.HTTPError:
                    return  # the emulator is gone
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["sid"])

    workers = [threading.Thread(target=load) for _ in range(8)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 300 and time.monotonic() < deadline:  # kill it mid-load, lifecycles under way
        time.sleep(0.05)
    out.proc.send_signal(signal.SIGKILL)
    out.proc.wait(10)
    stop.set()
    for worker in workers:
        worker.join(10)
    assert len(acknowledged) >= 300, f"only {len(acknowledged)} creates acknowledged in 20 s before the kill"

    out, url = start(state)
    try:
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as control:
            assert sid in [a["sid"] for a in control.get("/_emulator/accounts").json()], "provisioning is kept at once"
            kept = {m["sid"]: m for m in control.get("/_emulator/messages").json()}
            lost = [s for s in acknowledged if s not in kept]
            assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged creates lost, e.g. {lost[:3]}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                stuck = [m for m in control.get("/_emulator/messages").json() if m["status"] not in ("delivered",)]
                if not stuck:
                    break
                time.sleep(0.5)
            assert stuck == [], f"{len(stuck)} message(s) stuck after the restart, e.g. {stuck[:2]}"
    finally:
        assert out.stop() == 0
    for written in (state, journal_path(state)):  # both hold what the accounts' tokens protect
        assert not written.exists() or oct(written.stat().st_mode & 0o777) == "0o600", written


def test_a_torn_last_journal_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_bytes(json.dumps({"deleted": "SM1"}).encode() + b"\n" + b'{"message": {"sid": "SM2"')
    assert journal.replay(path) == [{"deleted": "SM1"}]


def test_the_journal_holds_what_a_restart_needs_to_carry_on() -> None:
    """A scheduled message's SendAt and an inbound message's webhook error go to the journal with it."""
    from emulator.models import Backend

    written: list[dict] = []
    before = Backend(seed=2)
    before.journal = written.append
    account = before.create_account()
    later = time.time() + 3600
    scheduled = before.new_message(
        account.sid, "+15551000001", "+15557654321", "x", "outbound-api", "scheduled", send_at=later
    )
    before.set_status(scheduled, "scheduled")
    gone = before.new_message(account.sid, "+15551000001", "+15557654321", "y", "outbound-api", "delivered")
    before.delete_message(gone)
    after = Backend(seed=2)
    after.replay(json.loads(json.dumps(written)))
    assert list(after.messages) == [scheduled.sid] and after.messages[scheduled.sid].send_at == later
    assert [m.sid for m in after.list_messages(account)] == [scheduled.sid] and after.seq >= gone.seq
