"""A version matrix: `--openclaw-version A,B,C` (and `--sms-plugin-version X,Y`) runs the suite once per
pair and writes one report: a grid of scenarios by version, what changed between versions, and each
version's provisioning facts. Each pair's own report stays in a subdirectory.
"""

from __future__ import annotations

import functools
import html
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import runner
from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN
from harness.preparation import PreparationError, prepared_state
from harness.report import CSS

VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$")
MARK = {"passed": "✓ passed", "failed": "✗ failed", "divergence": "≠ divergence", "skipped": "– skipped", None: "·"}


class MatrixError(Exception):
    """A bad version list; one line for the user."""


def versions(value: str | None, default: str, flag: str) -> list[str]:
    """The versions of a comma-separated option, in order, without repeats."""
    items = [item.strip() for item in (value or default).split(",") if item.strip()]
    bad = next((item for item in items if not VERSION.match(item)), None)
    if bad is not None or not items:
        raise MatrixError(f"{flag} {value!r}: expected versions such as 2026.9.6, separated by commas")
    return list(dict.fromkeys(items))


def wanted(options: runner.RunOptions) -> bool:
    """More than one OpenClaw or plugin version was asked for."""
    return options.gateway == "openclaw" and any(
        "," in (value or "") for value in (options.openclaw_version, options.sms_plugin_version)
    )


class Outcomes:
    """A run's scenarios by node id and each one's outcome: a column of a grid (here, or `harness.grid`)."""

    data: dict[str, Any] | None

    @functools.cached_property
    def scenarios(self) -> dict[str, dict[str, Any]]:
        """This pair's scenarios by node id (none when it did not run)."""
        return {s["nodeid"]: s for s in (self.data or {}).get("scenarios", [])}

    def outcome(self, nodeid: str) -> str | None:
        scenario = self.scenarios.get(nodeid)
        return scenario["outcome"] if scenario else None

    def message(self, nodeid: str) -> str:
        """Why a cell is not a pass: the failure's first line, the divergence or the skip reason."""
        scenario = self.scenarios.get(nodeid)
        if not scenario or scenario["outcome"] == "passed":
            return ""
        lines = (scenario.get("message") or "").strip().splitlines()
        return lines[0][:300] if lines else ""


@dataclass
class Column(Outcomes):
    openclaw: str
    plugin: str
    directory: Path
    facts: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    error: str = ""

    @property
    def label(self) -> str:
        return f"openclaw@{self.openclaw} + @openclaw/sms@{self.plugin}"


def run(options: runner.RunOptions) -> int:
    """Every pair in turn (never two at once: each is a gateway on the same 2 cores); then the grid."""
    pairs = [
        (openclaw, plugin)
        for openclaw in versions(options.openclaw_version, DEFAULT_OPENCLAW, "--openclaw-version")
        for plugin in versions(options.sms_plugin_version, DEFAULT_SMS_PLUGIN, "--sms-plugin-version")
    ]
    started = time.time()
    columns = []
    for openclaw, plugin in pairs:
        column = Column(openclaw, plugin, options.report / f"openclaw-{openclaw}+sms-{plugin}")
        print(f"\n== {column.label}", flush=True)
        pair = replace(options, openclaw_version=openclaw, sms_plugin_version=plugin, report=column.directory)
        prepare_started = time.monotonic()
        try:
            with prepared_state(pair, always=True) as ready:
                column.facts["plugin_install_seconds"] = round(time.monotonic() - prepare_started, 1)
                code, column.data = runner.run_suite(ready)
        except PreparationError as exc:
            column.error = f"{column.label} cannot be installed together: {exc}"
            print(column.error, file=sys.stderr, flush=True)
        else:
            if column.data is None:
                column.error = f"{column.label}: the run wrote no report (pytest exit {code})"
            column.facts.update(provisioning_facts(openclaw, column.directory))
        columns.append(column)
    document = grid(columns, started)
    options.report.mkdir(parents=True, exist_ok=True)
    (options.report / "report.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    (options.report / "report.html").write_text(render_html(document), encoding="utf-8")
    print("\n" + summary(document))
    print(f"\nreport: {options.report / 'report.html'} (each pair's own report in its subdirectory)")
    failed = any(c["error"] or c["totals"]["failed"] for c in document["columns"])
    return 1 if failed else 0


def provisioning_facts(openclaw: str, directory: Path) -> dict[str, Any]:
    """What the header says of a pair: Node, provisioning time, gateway starts and CLI calls."""
    from harness.openclaw.install import installation

    node, openclaw_entry = installation(openclaw).entries()
    facts: dict[str, Any] = {
        "node": node.facts().get("node"),
        "provisioning_seconds": sum(float(str(e.facts().get("seconds", 0))) for e in (node, openclaw_entry)),
    }
    timings = [json.loads(path.read_text()) for path in sorted(directory.glob("gateway-timings-*.json"))]
    cli = [seconds for t in timings for seconds in t.get("cli", [])]
    facts["gateway_starts"] = sum(t.get("starts", 0) for t in timings)
    facts["cli_calls"] = len(cli)
    facts["cli_median_seconds"] = round(statistics.median(cli), 2) if cli else None
    return facts


def grid(columns: list[Column], started: float) -> dict[str, Any]:
    """The matrix document: a row per scenario (in the first column's order), a cell per pair."""
    rows = scenario_rows(columns)
    return {
        "kind": "matrix",
        "gateway": "openclaw",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "columns": [
            {
                "label": column.label,
                "openclaw": column.openclaw,
                "sms_plugin": column.plugin,
                "report": f"{column.directory.name}/report.html",
                "seconds": (column.data or {}).get("seconds"),
                "totals": (column.data or {}).get("totals", {"passed": 0, "failed": 0, "skipped": 0, "divergence": 0}),
                "facts": column.facts,
                "error": column.error,
            }
            for column in columns
        ],
        "rows": rows,
        "changed": [row["nodeid"] for row in rows if row["changed"]],
    }


def scenario_rows(columns: list[Any]) -> list[dict[str, Any]]:
    """A row per scenario (in the first column's order) with each column's outcome and why."""
    order: dict[str, dict[str, Any]] = {}
    for column in columns:
        for nodeid, scenario in column.scenarios.items():
            order.setdefault(nodeid, scenario)
    rows = []
    for nodeid, scenario in order.items():
        outcomes = [column.outcome(nodeid) for column in columns]
        ran = [outcome for outcome in outcomes if outcome is not None]
        rows.append(
            {
                "nodeid": nodeid,
                "feature": scenario["feature"],
                "scenario": scenario["scenario"],
                "example": scenario.get("example", ""),
                "outcomes": outcomes,
                "changed": len(set(ran)) > 1,
                "messages": [column.message(nodeid) for column in columns],
            }
        )
    return rows


def title(row: dict[str, Any]) -> str:
    return f"{row['feature']} — {row['scenario']}" + (f" [{row['example']}]" if row["example"] else "")


def summary(document: dict[str, Any]) -> str:
    """The lines `sms-harness run` prints for a matrix."""
    lines = ["pair                                            passed  failed  skipped  divergence  seconds"]
    for c in document["columns"]:
        t = c["totals"]
        lines.append(
            f"{c['label']:<46}  {t['passed']:>6}  {t['failed']:>6}  {t['skipped']:>7}  {t['divergence']:>10}  "
            f"{c['seconds'] or '-':>7}" + (f"\n    {c['error']}" if c["error"] else "")
        )
    changed = [row for row in document["rows"] if row["changed"]]
    lines.append(f"\nchanged between versions: {len(changed) or 'nothing'}")
    for row in changed:
        cells = ", ".join(
            f"{c['openclaw']}/{c['sms_plugin']}: {outcome or 'not run'}"
            for c, outcome in zip(document["columns"], row["outcomes"], strict=True)
        )
        lines.append(f"  {title(row)}: {cells}")
    return "\n".join(lines)


MATRIX_CSS = """
.grid td.cell{white-space:nowrap;text-align:center}.grid tr.changed td:first-child{border-left:4px solid #6a1b9a}
.grid td:first-child{max-width:36em}.facts td{font-variant-numeric:tabular-nums}.err{color:#b3261e}
td.cell.passed{background:#edf7ef}td.cell.failed{background:#fdecea}td.cell.divergence{background:#f3e8f8}
td.cell.skipped{background:#fff8e1}
"""


def render_html(document: dict[str, Any]) -> str:
    e = html.escape
    columns = document["columns"]
    head = "".join(
        f"<th><a href='{e(c['report'])}'>{e(c['openclaw'])}<br>sms {e(c['sms_plugin'])}</a></th>" for c in columns
    )

    def facts_row(name: str, value: Any) -> str:
        return f"<tr><th>{e(name)}</th>" + "".join(f"<td>{e(str(value(c)))}</td>" for c in columns) + "</tr>"

    facts = "".join(
        [
            facts_row("Node", lambda c: c["facts"].get("node") or "-"),
            facts_row("provisioning (cached install)", lambda c: seconds(c["facts"].get("provisioning_seconds"))),
            facts_row("plugin install", lambda c: seconds(c["facts"].get("plugin_install_seconds"))),
            facts_row("suite", lambda c: seconds(c["seconds"])),
            facts_row("gateway starts", lambda c: c["facts"].get("gateway_starts", "-")),
            facts_row("CLI calls (median)", lambda c: cli(c["facts"])),
            *(
                facts_row(outcome, lambda c, o=outcome: c["totals"].get(o, 0))
                for outcome in ("passed", "failed", "divergence", "skipped")
            ),
        ]
    )
    errors = "".join(f"<p class=err>{e(c['error'])}</p>" for c in columns if c["error"])

    def row_html(row: dict[str, Any]) -> str:
        cells = "".join(
            f"<td class='cell {outcome or ''}' title='{e(text)}'>{e(MARK[outcome])}</td>"
            for outcome, text in zip(row["outcomes"], row["messages"], strict=True)
        )
        return f"<tr class='{'changed' if row['changed'] else ''}'><td>{e(title(row))}</td>{cells}</tr>"

    changed = [row for row in document["rows"] if row["changed"]]
    changed_html = (
        f"<table class=grid><tr><th>Scenario</th>{head}</tr>{''.join(map(row_html, changed))}</table>"
        + "".join(
            f"<details><summary>{e(title(row))}</summary><pre>"
            + e("\n".join(f"{c['label']}: {m}" for c, m in zip(columns, row["messages"], strict=True) if m))
            + "</pre></details>"
            for row in changed
        )
        if changed
        else "<p>Nothing: every scenario has the same outcome on every version.</p>"
    )
    divergent = [row for row in document["rows"] if "divergence" in row["outcomes"]]
    divergences = "".join(
        f"<li>{e(title(row))}: on "
        + e(", ".join(c["label"] for c, o in zip(columns, row["outcomes"], strict=True) if o == "divergence"))
        + "</li>"
        for row in divergent
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>SMS conformance: version matrix</title>"
        f"<style>{CSS}{MATRIX_CSS}</style></head><body><h1>SMS channel conformance: version matrix</h1>"
        f"<p>Gateway <b>OpenClaw</b>; started {e(document['started'])}; {document['seconds']}s in all. "
        "Each column links to that pair's own report (failures with the emulator's transcript).</p>"
        f"{errors}<h2>Versions</h2><table class=facts><tr><th></th>{head}</tr>{facts}</table>"
        f"<h2>Changed between versions</h2>{changed_html}"
        f"<h2>Known divergences, and the versions they apply to</h2><ul>{divergences or '<li>none</li>'}</ul>"
        f"<h2>Every scenario</h2><table class=grid><tr><th>Scenario</th>{head}</tr>"
        f"{''.join(map(row_html, document['rows']))}</table></body></html>"
    )


def seconds(value: float | None) -> str:
    return f"{value:.0f} s" if isinstance(value, int | float) else "-"


def cli(facts: dict[str, Any]) -> str:
    median = facts.get("cli_median_seconds")
    return f"{facts.get('cli_calls', 0)} ({median} s)" if median is not None else str(facts.get("cli_calls", 0))
