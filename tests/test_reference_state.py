"""refclaw's state files under what a long-lived gateway meets: a damaged file, a log that never
stops growing, a delivery log cut short in place. No scenario can reach these through a gateway,
so they are pinned here (and `make mutation` runs this file with the state module's features)."""

from __future__ import annotations

import json
from pathlib import Path

from refclaw.state import DELIVERY_LOG, DeliveryLog, StateDir


def test_a_damaged_file_is_set_aside_and_read_as_empty(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    (tmp_path / "pairing").mkdir()
    (tmp_path / "pairing" / "sms.json").write_text("{not json", encoding="utf-8")
    assert state.pending(now=1000.0) == []
    kept = [p.name for p in (tmp_path / "pairing").iterdir()]
    assert len(kept) == 1 and kept[0].startswith("sms.json.damaged-"), f"files left: {kept}"
    assert (tmp_path / "pairing" / kept[0]).read_text(encoding="utf-8") == "{not json"
    request, created = state.request_pairing("default", "+15557654321", now=1000.0)
    assert created and request is not None, "a damaged file must not stop the next request"


def test_the_turn_log_keeps_the_last_thousand(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    turns = [{"accountId": "default", "sender": "+15557654321", "chars": 1, "at": float(i)} for i in range(999)]
    (tmp_path / "agent-turns.json").write_text(json.dumps({"turns": turns}), encoding="utf-8")
    for index in (999, 1000):
        state.record_turn("default", "+15557654321", "x", now=float(index))
    turns = state.turns()
    assert len(turns) == 1000, f"{len(turns)} turns kept"
    assert (turns[0]["at"], turns[-1]["at"]) == (1.0, 1000.0), "the oldest turn goes first"


def observation(sid: str, status: str, now: float) -> str:
    fields = {"key": f"default:{sid}", "sid": sid, "status": status, "error": "", "source": "callback", "now": now}
    return json.dumps(fields) + "\n"


def test_a_delivery_log_cut_short_in_place_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / DELIVERY_LOG
    path.write_text(observation("SM1", "sent", 1.0) + observation("SM2", "delivered", 2.0), encoding="utf-8")
    log = DeliveryLog(path)
    log.catch_up()
    assert set(log.records) == {"default:SM1", "default:SM2"}
    inode = path.stat().st_ino
    with open(path, "r+", encoding="utf-8") as handle:  # the same file (inode), shorter than what was read
        handle.truncate(0)
        handle.write(observation("SM3", "sent", 3.0))
    assert path.stat().st_ino == inode
    log.catch_up()
    assert set(log.records) == {"default:SM3"}, f"records after the cut: {sorted(log.records)}"
