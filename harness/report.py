"""The conformance report: report.json and a self-contained report.html.

Collected on the controlling pytest process from test reports (so it also
works with xdist workers). Every text that reaches the report has passed
through `redaction.redact`.
"""

from __future__ import annotations

import html
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from harness import redaction

ORDER = {"failed": 0, "divergence": 1, "passed": 2, "skipped": 3, "na": 4}  # na: not applicable to the gateway
LABEL = {"na": "N/A"}  # a badge that reads as "not applicable"
UNFINISHED = "interrupted before it finished (Ctrl-C or SIGTERM)"  # the message of a scenario a signal cut short


class ReportWriter:
    """A pytest plugin object: gathers scenario results, writes the files at the end."""

    def __init__(self, directory: Path, config: pytest.Config) -> None:
        self.directory = directory
        self.config = config
        self.results: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.started = time.time()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        entry = self.results.setdefault(
            report.nodeid,
            {
                "nodeid": report.nodeid,
                "feature": props.get("feature") or _module_name(report.nodeid),
                "feature_file": props.get("feature_file", ""),
                "scenario": props.get("scenario") or report.nodeid,
                "tags": list(props.get("tags", [])),
                "outcome": "unfinished",  # passed only once its call phase has passed
                "duration": 0.0,
                "message": "",
                "transcript": "",
                "gateway_log": "",
            },
        )
        for key in ("feature", "feature_file", "scenario", "tags", "example", "steps", "channel", "sequence"):
            if props.get(key):
                entry[key] = props[key]
        entry["duration"] += report.duration
        if report.when == "call" and report.passed and entry["outcome"] == "unfinished":
            entry["outcome"] = "passed"
        if report.failed:
            entry["outcome"] = "failed"
            text = report.longreprtext or str(report.longrepr or "")
            failure = props.get("failure") or text
            entry["message"] = redaction.redact(failure if report.when == "call" else f"[{report.when}] {failure}")
            entry["traceback"] = redaction.redact(text)
            entry["transcript"] = redaction.redact(props.get("transcript", entry["transcript"]))
            entry["gateway_log"] = redaction.redact(props.get("gateway_log", entry["gateway_log"]))
        elif report.skipped and entry["outcome"] != "failed":
            divergence = getattr(report, "wasxfail", None)
            missing = props.get("not_applicable")
            entry["outcome"] = "divergence" if divergence is not None else "na" if missing else "skipped"
            entry["message"] = redaction.redact(divergence or missing or _skip_reason(report))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = self.document(exitstatus)
        (self.directory / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
        (self.directory / "report.html").write_text(render_html(data), encoding="utf-8")

    def document(self, exitstatus: int) -> dict[str, Any]:
        for entry in self.results.values():
            if entry["outcome"] == "unfinished":  # Ctrl-C or SIGTERM came in the middle of it
                entry["outcome"], entry["message"] = "failed", UNFINISHED
            for step in entry.get("steps", []):  # a step that skipped or failed outside a step hook
                if step[2] == "running":
                    step[2] = {"failed": "failed", "passed": "passed"}.get(entry["outcome"], "skipped")
        scenarios = list(self.results.values())
        options = self.config.option
        return {
            "gateway": getattr(options, "gateway", "reference"),
            "mutant": getattr(options, "mutant", None),
            "faker_seed": getattr(options, "faker_seed", None),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "seconds": round(time.time() - self.started, 2),
            "exit_status": int(exitstatus),
            "totals": totals(scenarios),
            "features": summarize(scenarios),
            "scenarios": scenarios,
        }


def _module_name(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "")


def totals(scenarios: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "divergence": 0, "na": 0}
    for scenario in scenarios:
        counts[scenario["outcome"]] += 1
    return counts


def summarize(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    features: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for scenario in scenarios:
        entry = features.setdefault(
            scenario["feature"],
            {
                "feature": scenario["feature"],
                "file": scenario["feature_file"],
                "passed": 0,
                "failed": 0,
                "skipped": 0,
                "divergence": 0,
                "na": 0,
            },
        )
        entry[scenario["outcome"]] += 1
    return list(features.values())


def summary_table(data: dict[str, Any]) -> str:
    """The per-feature table `sms-harness run` prints."""
    columns = ("passed", "failed", "skipped", "divergence", "na")
    rows = [(f["feature"], *(str(f.get(c, 0)) for c in columns)) for f in data["features"]]
    rows.append(("total", *(str(data["totals"].get(c, 0)) for c in columns)))
    width = max(len("feature"), *(len(r[0]) for r in rows))
    names = {"na": "n/a"}
    header = f"{'feature':<{width}}" + "".join(f"  {names.get(c, c):>10}" for c in columns)
    rule = "-" * width + "".join("  " + "-" * 10 for _ in columns)
    body = [f"{r[0]:<{width}}" + "".join(f"  {v:>10}" for v in r[1:]) for r in rows]
    return "\n".join([header, rule, *body[:-1], rule, body[-1]])


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:1200px}
h1{font-size:1.5em}h4{margin:.8em 0 .3em}table{border-collapse:collapse;margin:1em 0}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}th{background:#f4f4f4}
.passed{color:#17692f}.failed{color:#b3261e;font-weight:600}.skipped{color:#8a6d00}.divergence{color:#6a1b9a}.na{color:#555}
details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.4em .8em}summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f8f8f8;padding:.6em;border-radius:4px;font-size:12px;max-height:40em;overflow:auto}
.tag{font-size:11px;background:#eef;border-radius:3px;padding:0 .3em;margin-left:.3em}
.filter{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;display:flex;gap:1em;
flex-wrap:wrap;align-items:center}.filter input[type=search]{flex:1;min-width:14em;padding:.3em}
ol.steps{margin:.2em 0;padding-left:1.6em;font-family:ui-monospace,monospace;font-size:12.5px}
ol.steps li::marker{font-weight:600}ol.steps .kw{font-weight:600}
ol.steps li.passed::marker{content:"✓ ";color:#17692f}ol.steps li.failed::marker{content:"✗ ";color:#b3261e}
ol.steps li.skipped::marker,ol.steps li.not-run::marker{content:"– ";color:#8a6d00}
ol.steps li.not-run,ol.steps li.skipped{color:#777}
.sequence{max-width:100%;height:auto;font:12px system-ui,sans-serif;background:#fcfcfc;border:1px solid #eee}
.sequence .lane{font-weight:600}.sequence .life{stroke:#bbb;stroke-dasharray:4 4}.sequence .bad{fill:#b3261e}
.sequence .ok{fill:#1b1b1b}
"""

FILTER_JS = """
const radios=[...document.querySelectorAll('input[name=show]')],search=document.getElementById('q');
function apply(){const show=radios.find(r=>r.checked).value,q=search.value.toLowerCase();
for(const d of document.querySelectorAll('details[data-outcome]')){
d.hidden=!((show==='all'||d.dataset.outcome===show)&&(!q||d.textContent.toLowerCase().includes(q)));}}
radios.forEach(r=>r.addEventListener('change',apply));search.addEventListener('input',apply);
"""


def _failure_text(scenario: dict[str, Any]) -> str:
    """The failure without the transcript it carries: the report shows the transcript once, below."""
    return scenario["message"].split("\n\n-- emulator transcript --")[0]


def _steps_html(steps: list[list[str]]) -> str:
    e = html.escape
    items = "".join(
        f"<li class={outcome.replace(' ', '-')} title='{e(outcome)}'><span class=kw>{e(keyword)}</span> {e(text)}</li>"
        for keyword, text, outcome in steps
    )
    return f"<h4>Steps</h4><ol class=steps>{items}</ol>" if items else ""


def _scenario_html(s: dict[str, Any]) -> str:
    e = html.escape
    tags = "".join(f"<span class=tag>@{e(tag)}</span>" for tag in s["tags"])
    example = f" <b>[{e(s['example'])}]</b>" if s.get("example") else ""
    parts = []
    if s["outcome"] == "failed":
        parts.append(f"<h4>What was expected and what was seen</h4><pre>{e(_failure_text(s))}</pre>")
    elif s["outcome"] in ("skipped", "divergence", "na"):
        parts.append(f"<pre>{e(s['message'])}</pre>")
    parts.append(_steps_html(s.get("steps", [])))
    if s.get("sequence"):
        parts.append(f"<h4>The exchange</h4>{s['sequence']}")  # SVG made by harness/sequence.py, escaped there
    if s.get("channel"):
        parts.append(f"<h4>Channel configuration</h4><pre>{e(s['channel'])}</pre>")
    if s["outcome"] in ("failed", "divergence"):
        parts.append(f"<h4>Emulator transcript</h4><pre>{e(s['transcript'] or '(none)')}</pre>")
        parts.append(f"<h4>Gateway log</h4><pre>{e(s['gateway_log'] or '(none)')}</pre>")
    opened = " open" if s["outcome"] == "failed" else ""
    return (
        f"<details{opened} data-outcome={s['outcome']}><summary><span class={s['outcome']}>{LABEL.get(s['outcome'], s['outcome'].upper())}"
        f"</span> {e(s['feature'])} — {e(s['scenario'])}{example} ({s['duration']:.1f}s){tags}</summary>"
        f"{''.join(parts)}</details>"
    )


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    t = data["totals"]
    rows = "".join(
        f"<tr><td>{e(f['feature'])}</td><td>{e(f['file'])}</td><td class=passed>{f['passed']}</td>"
        f"<td class=failed>{f['failed'] or ''}</td><td class=skipped>{f['skipped'] or ''}</td>"
        f"<td class=divergence>{f['divergence'] or ''}</td><td class=na>{f.get('na') or ''}</td></tr>"
        for f in data["features"]
    )
    ordered = sorted(data["scenarios"], key=lambda s: (ORDER[s["outcome"]], s["feature"], s["scenario"]))
    first = "failed" if t["failed"] else "all"
    choices = "".join(
        f"<label><input type=radio name=show value={value}{' checked' if value == first else ''}> {label}</label>"
        for value, label in (
            ("all", f"All ({len(ordered)})"),
            ("failed", f"Failed ({t['failed']})"),
            ("divergence", f"Divergences ({t['divergence']})"),
            ("skipped", f"Skipped ({t['skipped']})"),
            ("na", f"Not applicable ({t.get('na', 0)})"),
            ("passed", f"Passed ({t['passed']})"),
        )
    )
    mutant = f", mutant <b>{e(str(data['mutant']))}</b>" if data.get("mutant") else ""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>SMS conformance report</title>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<style>{CSS}</style></head><body><h1>SMS channel conformance report</h1>"
        f"<p>Gateway <b>{e(str(data['gateway']))}</b>{mutant}; started {e(data['started'])}; "
        f"{data['seconds']}s; faker seed {e(str(data['faker_seed']))}.</p>"
        f"<p><span class=passed>{t['passed']} passed</span>, <span class=failed>{t['failed']} failed</span>, "
        f"<span class=skipped>{t['skipped']} skipped</span>, "
        f"<span class=divergence>{t['divergence']} known divergences</span> (expected failures, listed "
        "with what the guide says and what the gateway does), "
        f"<span class=na>{t.get('na', 0)} not applicable</span> (the gateway lacks what they need).</p>"
        f"<table><tr><th>Feature</th><th>File</th><th>Passed</th><th>Failed</th><th>Skipped</th>"
        f"<th>Divergences</th><th>Not applicable</th></tr>{rows}</table><h2>Scenarios</h2>"
        f"<div class=filter role=search>{choices}<input type=search id=q placeholder='filter: a name, a tag, a number, "
        f"any text' aria-label='filter the scenarios'></div>"
        f"{''.join(_scenario_html(s) for s in ordered)}<script>{FILTER_JS}apply();</script></body></html>"
    )
