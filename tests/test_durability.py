"""`--state`: what the emulator acknowledged survives a `kill -9`, and nothing is left half-way.

Bounded: at most 2,000 creates in at most a few seconds, on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import journal, state_file
from emulator.state_file import journal_path
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
    written = [state, *(path for _, path in journal.segments(journal_path(state)))]
    for path in written:  # all hold what the accounts' tokens protect
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_a_torn_last_journal_line_is_ignored_and_appending_goes_on_in_a_fresh_segment(tmp_path: Path) -> None:
    base = tmp_path / "j"
    (tmp_path / "j.3").write_bytes(json.dumps({"deleted": "SM1"}).encode() + b"\n" + b'{"message": {"sid": "SM2"')
    assert journal.replay(base, 0) == ([{"deleted": "SM1"}], 4)


def test_segments_a_snapshot_holds_are_not_replayed_over_it(tmp_path: Path) -> None:
    """A crash after a snapshot replaced the last one but before its segments were deleted."""
    base = tmp_path / "j"
    (tmp_path / "j.1").write_bytes(b'{"deleted": "SM-old"}\n')
    (tmp_path / "j.2").write_bytes(b'{"deleted": "SM-new"}\n')
    assert journal.replay(base, 2) == ([{"deleted": "SM-new"}], 3)


def test_a_snapshot_is_written_off_the_event_loop_and_loses_no_change_made_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop only takes the view; a message changed while the snapshot is being written goes to
    the next segment, so a crash before that segment's own snapshot still replays it."""
    path, writing = tmp_path / "state.json", tmp_path / "writer-pid"
    backend = state_file.load(path, 3)
    account = backend.create_account()
    real_write = state_file.write

    def slow_write(*args: Any) -> None:
        writing.write_text(str(os.getpid()))
        time.sleep(0.3)  # the loop runs on meanwhile
        real_write(*args)

    async def scenario() -> tuple[str, str]:
        monkeypatch.setattr(state_file, "write", slow_write)
        state = state_file.StateFile(backend, path)
        first = backend.new_message(account.sid, "+15551000001", "+15557654321", "a", "outbound-api", "queued")
        snapshot = asyncio.create_task(state.snapshot())
        deadline = time.monotonic() + 10
        while not writing.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # the loop is free while the snapshot is written
        backend.set_status(first, "sent")  # after the snapshot took its view
        later = backend.new_message(account.sid, "+15551000001", "+15557654321", "b", "outbound-api", "queued")
        await state.journal.commit()
        assert not snapshot.done(), "the snapshot finished before the loop could run: not off the loop"
        await asyncio.wait_for(snapshot, 10)
        return first.sid, later.sid

    first, later = asyncio.run(scenario())
    assert writing.read_text() != str(os.getpid()), "the snapshot was written by the event loop's process"
    on_disk = json.loads(path.read_text())
    assert [m["status"] for m in on_disk["messages"]] == ["queued"], "the snapshot is the state when it began"
    after = state_file.load(path, 3)  # as after a kill -9 now
    assert after.messages[first].status == "sent" and later in after.messages, after.messages


def test_what_the_journal_does_not_hold_is_on_disk_before_the_answer(tmp_path: Path) -> None:
    """An opt-out (STOP) and an inbound MMS's file live outside the message journal: each is
    snapshotted before the handset's request is answered, so a kill -9 right after keeps them."""
    state = tmp_path / "state.json"
    out, url = start(state)
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as control:
        control.post("/_emulator/accounts", json={"numbers": [{"phone_number": "+15551000001"}]})
        control.post("/_emulator/inbound", json={"from": "+15557654321", "to": "+15551000001", "body": "STOP"})
        mms = control.post(
            "/_emulator/inbound",
            json={
                "from": "+15557654322",
                "to": "+15551000001",
                "body": "",
                "media": [{"content_type": "image/png", "size": 2048}],
            },
        ).json()["message"]
    out.proc.send_signal(signal.SIGKILL)  # at once: no coalesced snapshot has had its 0.5 s
    out.proc.wait(10)
    out, url = start(state)
    try:
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as control:
            optouts = control.get("/_emulator/state").json()["optouts"]
            assert any("+15557654321" in entry for entry in optouts), optouts
            kept = {m["sid"]: m for m in control.get("/_emulator/messages").json()}
            assert [item["size"] for item in kept[mms["sid"]]["media"]] == [2048], kept.get(mms["sid"])
    finally:
        assert out.stop() == 0
