"""`sms-harness grid`: several gateways side by side, as wpt.fyi shows browsers.

A row per scenario, a cell per gateway (passed, divergence, not applicable, failed, skipped), and
each gateway's totals, from the gateways' own runs: `--gateways reference,openclaw,hermes` runs
the suite against each in turn (one after another: each is a gateway on the
same cores), `--from DIR …` takes reports already written. It writes grid.json and grid.html; each
column links to that gateway's own report.
"""

from __future__ import annotations

import html
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness import runner
from harness.cache import ProvisionError
from harness.matrix import MATRIX_CSS, Outcomes, scenario_rows, title
from harness.report import CSS, ORDER

MARK = {
    "passed": "✓ passed",
    "failed": "✗ failed",
    "divergence": "≠ divergence",
    "na": "n/a",
    "skipped": "– skipped",
    None: "·",
}
GRID_CSS = "td.cell.na{background:#f1f1f1;color:#555}"


class GridError(Exception):
    """A report that cannot be read; one line for the user."""


@dataclass
class Column(Outcomes):
    directory: Path
    data: dict[str, Any] | None = None
    error: str = ""

    @property
    def label(self) -> str:
        return str((self.data or {}).get("gateway") or self.directory.name)

    @property
    def totals(self) -> dict[str, int]:
        return {outcome: (self.data or {}).get("totals", {}).get(outcome, 0) for outcome in ORDER}


def read(directory: Path) -> Column:
    path = directory / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GridError(f"{path}: no readable report ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise GridError(f"{path}: not a report of sms-harness run (no scenarios)")
    return Column(directory, data)


def run(options: runner.RunOptions, gateways: list[str]) -> list[Column]:
    """The suite against each gateway in turn, each report in its own folder under options.report."""
    columns = []
    for gateway in gateways:
        print(f"\n== {gateway}", flush=True)
        directory = options.report / gateway
        try:
            _code, data = runner.run_suite(replace(options, gateway=gateway, report=directory))
        except ProvisionError as exc:  # the other gateways still run
            print(f"sms-harness: {exc}", file=sys.stderr, flush=True)
            columns.append(Column(directory, None, f"{gateway}: {exc}"))
            continue
        columns.append(Column(directory, data, "" if data else f"{gateway}: the run wrote no report"))
    return columns


def document(columns: list[Column], started: float) -> dict[str, Any]:
    return {
        "kind": "grid",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "columns": [
            {
                "gateway": column.label,
                "report": f"{column.directory.name}/report.html",
                "seconds": (column.data or {}).get("seconds"),
                "totals": column.totals,
                "error": column.error,
            }
            for column in columns
        ],
        "rows": scenario_rows(columns),
    }


def summary(grid: dict[str, Any]) -> str:
    names = {"na": "n/a"}
    head = f"{'gateway':<12}" + "".join(f"  {names.get(o, o):>10}" for o in ORDER)
    lines = [head]
    for column in grid["columns"]:
        lines.append(f"{column['gateway']:<12}" + "".join(f"  {column['totals'][o]:>10}" for o in ORDER))
    return "\n".join(lines)


def render_html(grid: dict[str, Any]) -> str:
    e = html.escape
    columns = grid["columns"]
    head = "".join(f"<th><a href='{e(c['report'])}'>{e(c['gateway'])}</a></th>" for c in columns)
    totals = "".join(
        f"<tr><th class={outcome}>{e(MARK[outcome])}</th>"
        + "".join(f"<td class='cell {outcome}'>{c['totals'][outcome]}</td>" for c in columns)
        + "</tr>"
        for outcome in ORDER
    )
    rows = "".join(
        f"<tr><td>{e(title(row))}</td>"
        + "".join(
            f"<td class='cell {outcome or ''}' title='{e(text)}'>{e(MARK[outcome])}</td>"
            for outcome, text in zip(row["outcomes"], row["messages"], strict=True)
        )
        + "</tr>"
        for row in grid["rows"]
    )
    errors = "".join(f"<p class=err>{e(c['error'])}</p>" for c in columns if c["error"])
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>SMS conformance: gateways side by side</title>"
        f"<style>{CSS}{MATRIX_CSS}{GRID_CSS}</style></head><body><h1>SMS channel conformance: gateways side by side</h1>"
        f"<p>Started {e(grid['started'])}. Each column links to that gateway's own report; a cell's tooltip says "
        "why it is not a pass.</p>"
        f"{errors}<table class=grid><tr><th>Totals</th>{head}</tr>{totals}</table>"
        f"<h2>Every scenario</h2><table class=grid><tr><th>Scenario</th>{head}</tr>{rows}</table></body></html>"
    )


def write(columns: list[Column], started: float, folder: Path) -> int:
    grid = document(columns, started)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grid.json").write_text(json.dumps(grid, indent=2), encoding="utf-8")
    (folder / "grid.html").write_text(render_html(grid), encoding="utf-8")
    print("\n" + summary(grid))
    print(f"\ngrid: {folder / 'grid.html'} (also grid.json)", file=sys.stderr)
    return 1 if any(c["error"] or c["totals"]["failed"] for c in grid["columns"]) else 0
