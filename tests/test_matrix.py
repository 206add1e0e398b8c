"""The version matrix: version lists, the grid of outcomes, what changed, and the report it renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import matrix
from harness.divergences import Divergence
from harness.runner import RunOptions


def scenario(nodeid: str, outcome: str, message: str = "") -> dict:
    return {"nodeid": nodeid, "feature": "Pairing", "scenario": nodeid.title(), "outcome": outcome, "message": message}


def column(openclaw: str, outcomes: dict[str, str], error: str = "") -> matrix.Column:
    data = {
        "seconds": 100.0,
        "totals": {o: list(outcomes.values()).count(o) for o in ("passed", "failed", "skipped", "divergence")},
        "scenarios": [scenario(n, o, f"why {n} on {openclaw}" if o != "passed" else "") for n, o in outcomes.items()],
    }
    return matrix.Column(openclaw, "2026.9.4", Path(f"openclaw-{openclaw}+sms-2026.9.4"), {"node": "v24"}, data, error)


def test_version_lists() -> None:
    assert matrix.versions("2026.9.4, 2026.9.5,2026.9.4", "x", "--openclaw-version") == ["2026.9.4", "2026.9.5"]
    assert matrix.versions(None, "2026.9.6", "--openclaw-version") == ["2026.9.6"]
    for bad in ("latest", "2026.9", ",", "2026.9.4;rm"):
        with pytest.raises(matrix.MatrixError, match=r"expected versions such as 2026\.9\.6"):
            matrix.versions(bad, "", "--openclaw-version")


def test_a_matrix_is_wanted_for_several_versions_of_openclaw_only() -> None:
    assert matrix.wanted(RunOptions(gateway="openclaw", openclaw_version="2026.9.4,2026.9.6"))
    assert matrix.wanted(RunOptions(gateway="openclaw", sms_plugin_version="2026.7.35,2026.9.4"))
    assert not matrix.wanted(RunOptions(gateway="openclaw", openclaw_version="2026.9.6"))
    assert not matrix.wanted(RunOptions(gateway="reference", openclaw_version="2026.9.4,2026.9.6"))


def test_the_grid_has_a_cell_per_version_and_lists_what_changed() -> None:
    columns = [
        column("2026.9.4", {"a": "passed", "b": "failed", "c": "divergence"}),
        column("2026.9.5", {"a": "passed", "b": "passed", "c": "divergence"}),
        matrix.Column("2026.9.6", "2026.9.4", Path("x"), error="cannot be installed together: npm exit 1"),
    ]
    document = matrix.grid(columns, 0.0)
    rows = {row["nodeid"]: row for row in document["rows"]}
    assert rows["b"]["outcomes"] == ["failed", "passed", None]
    assert rows["b"]["messages"][0] == "why b on 2026.9.4"
    assert document["changed"] == ["b"]  # a version that did not run changes nothing
    assert document["columns"][2]["error"].endswith("npm exit 1")
    text = matrix.summary(document)
    assert "changed between versions: 1" in text
    assert "B: 2026.9.4/2026.9.4: failed, 2026.9.5/2026.9.4: passed, 2026.9.6/2026.9.4: not run" in text
    page = matrix.render_html(document)
    assert page.count("<tr class='changed'>") == 2  # in the changed table and in the whole grid
    assert "C: on openclaw@2026.9.4 + @openclaw/sms@2026.9.4, openclaw@2026.9.5 + @openclaw/sms@2026.9.4" in page
    assert "href='openclaw-2026.9.4+sms-2026.9.4/report.html'" in page
    assert "cannot be installed together" in page


def test_nothing_changed_says_so() -> None:
    document = matrix.grid([column("2026.9.5", {"a": "passed"}), column("2026.9.6", {"a": "passed"})], 0.0)
    assert "changed between versions: nothing" in matrix.summary(document)
    assert "Nothing: every scenario has the same outcome on every version." in matrix.render_html(document)


def test_a_divergence_applies_to_the_versions_it_names() -> None:
    everywhere = Divergence("t", "s", "step", "g", "o", ("seen",))
    newer = Divergence("t", "s", "step", "g", "o", ("seen",), "openclaw", ("2026.9.6",))
    assert everywhere.applies("2026.9.4") and newer.applies("2026.9.6")
    assert not newer.applies("2026.9.4")
    assert "(openclaw 2026.9.6)" in newer.reason
