"""`sms-harness grid`: gateways side by side from their reports, every outcome in its own cell."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import sms_harness


def report(folder: Path, gateway: str, outcomes: dict[str, str]) -> Path:
    scenarios = [
        {"nodeid": n, "feature": "Pairing", "scenario": n.title(), "outcome": o, "message": f"why {n} on {gateway}"}
        for n, o in outcomes.items()
    ]
    totals = {o: list(outcomes.values()).count(o) for o in ("passed", "failed", "skipped", "divergence", "na")}
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(
        json.dumps({"gateway": gateway, "seconds": 1.0, "totals": totals, "scenarios": scenarios})
    )
    return folder


def test_three_gateways_side_by_side(tmp_path: Path) -> None:
    folders = [
        report(tmp_path / "reference", "reference", {"a": "passed", "b": "passed", "c": "passed"}),
        report(tmp_path / "openclaw", "openclaw", {"a": "passed", "b": "divergence", "c": "passed"}),
        report(tmp_path / "hermes", "hermes", {"a": "failed", "b": "na"}),
    ]
    done = sms_harness("grid", "--from", *map(str, folders), "--report", str(tmp_path / "grid"))
    assert done.returncode == 1, "a failed cell fails the grid"
    grid = json.loads((tmp_path / "grid" / "grid.json").read_text())
    assert [c["gateway"] for c in grid["columns"]] == ["reference", "openclaw", "hermes"]
    rows = {r["nodeid"]: r["outcomes"] for r in grid["rows"]}
    assert rows == {
        "a": ["passed", "passed", "failed"],
        "b": ["passed", "divergence", "na"],
        "c": ["passed", "passed", None],
    }
    assert grid["columns"][2]["totals"] == {"failed": 1, "divergence": 0, "passed": 0, "skipped": 0, "na": 1}
    assert "hermes                 1           0           0           0           1" in done.stdout
    page = (tmp_path / "grid" / "grid.html").read_text()
    assert "<td class='cell na' title='why b on hermes'>n/a</td>" in page
    assert "href='hermes/report.html'" in page


def test_a_folder_without_a_report_is_one_line(tmp_path: Path) -> None:
    done = sms_harness("grid", "--from", str(tmp_path), "--report", str(tmp_path / "grid"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"sms-harness: {tmp_path / 'report.json'}: no readable report (FileNotFoundError)"
