"""The conformance report: report.json and a self-contained report.html.

Collected on the controlling pytest process from test reports (so it also
works with xdist workers). Every text that reaches the report has passed
through `secrets.redact`.
"""

from __future__ import annotations

import html
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from harness import secrets

ORDER = {"failed": 0, "divergence": 1, "passed": 2, "skipped": 3}
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
        for key in ("feature", "feature_file", "scenario", "tags", "example"):
            if props.get(key):
                entry[key] = props[key]
        entry["duration"] += report.duration
        if report.when == "call" and report.passed and entry["outcome"] == "unfinished":
            entry["outcome"] = "passed"
        if report.failed:
            entry["outcome"] = "failed"
            text = report.longreprtext or str(report.longrepr or "")
            failure = props.get("failure") or text
            entry["message"] = secrets.redact(failure if report.when == "call" else f"[{report.when}] {failure}")
            entry["traceback"] = secrets.redact(text)
            entry["transcript"] = secrets.redact(props.get("transcript", entry["transcript"]))
            entry["gateway_log"] = secrets.redact(props.get("gateway_log", entry["gateway_log"]))
        elif report.skipped and entry["outcome"] != "failed":
            divergence = getattr(report, "wasxfail", None)
            entry["outcome"] = "divergence" if divergence is not None else "skipped"
            entry["message"] = secrets.redact(divergence or _skip_reason(report))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = self.document(exitstatus)
        (self.directory / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
        (self.directory / "report.html").write_text(render_html(data), encoding="utf-8")

    def document(self, exitstatus: int) -> dict[str, Any]:
        for entry in self.results.values():  # Ctrl-C or SIGTERM came in the middle of it
            if entry["outcome"] == "unfinished":
                entry["outcome"], entry["message"] = "failed", UNFINISHED
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
    counts = {"passed": 0, "failed": 0, "skipped": 0, "divergence": 0}
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
            },
        )
        entry[scenario["outcome"]] += 1
    return list(features.values())


def summary_table(data: dict[str, Any]) -> str:
    """The per-feature table `sms-harness run` prints."""
    columns = ("passed", "failed", "skipped", "divergence")
    rows = [(f["feature"], *(str(f.get(c, 0)) for c in columns)) for f in data["features"]]
    rows.append(("total", *(str(data["totals"].get(c, 0)) for c in columns)))
    width = max(len("feature"), *(len(r[0]) for r in rows))
    header = f"{'feature':<{width}}" + "".join(f"  {c:>10}" for c in columns)
    rule = "-" * width + "".join("  " + "-" * 10 for _ in columns)
    body = [f"{r[0]:<{width}}" + "".join(f"  {v:>10}" for v in r[1:]) for r in rows]
    return "\n".join([header, rule, *body[:-1], rule, body[-1]])


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:1200px}
h1{font-size:1.5em}table{border-collapse:collapse;margin:1em 0}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;
text-align:left}th{background:#f4f4f4}.passed{color:#17692f}.failed{color:#b3261e;font-weight:600}
.skipped{color:#8a6d00}.divergence{color:#6a1b9a}details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.4em .8em}
summary{cursor:pointer}pre{white-space:pre-wrap;background:#f8f8f8;padding:.6em;border-radius:4px;font-size:12px;
max-height:40em;overflow:auto}.tag{font-size:11px;background:#eef;border-radius:3px;padding:0 .3em;margin-left:.3em}
"""


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    t = data["totals"]
    rows = "".join(
        f"<tr><td>{e(f['feature'])}</td><td>{e(f['file'])}</td><td class=passed>{f['passed']}</td>"
        f"<td class=failed>{f['failed'] or ''}</td><td class=skipped>{f['skipped'] or ''}</td>"
        f"<td class=divergence>{f['divergence'] or ''}</td></tr>"
        for f in data["features"]
    )
    scenarios = []
    for s in sorted(data["scenarios"], key=lambda s: (ORDER[s["outcome"]], s["feature"], s["scenario"])):
        tags = "".join(f"<span class=tag>@{e(tag)}</span>" for tag in s["tags"])
        example = f" <b>[{e(s['example'])}]</b>" if s.get("example") else ""
        body = ""
        if s["outcome"] == "failed":
            body = (
                f"<h4>What was expected and what was seen</h4><pre>{e(s['message'])}</pre>"
                f"<h4>Emulator transcript</h4><pre>{e(s['transcript'] or '(none)')}</pre>"
                f"<h4>Gateway log</h4><pre>{e(s['gateway_log'] or '(none)')}</pre>"
            )
        elif s["outcome"] in ("skipped", "divergence"):
            body = f"<pre>{e(s['message'])}</pre>"
        opened = " open" if s["outcome"] == "failed" else ""
        scenarios.append(
            f"<details{opened}><summary><span class={s['outcome']}>{s['outcome'].upper()}</span> "
            f"{e(s['feature'])} — {e(s['scenario'])}{example} ({s['duration']:.1f}s){tags}</summary>{body}</details>"
        )
    mutant = f", mutant <b>{e(str(data['mutant']))}</b>" if data.get("mutant") else ""
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>SMS conformance report</title>"
        f"<style>{CSS}</style></head><body><h1>SMS channel conformance report</h1>"
        f"<p>Gateway <b>{e(str(data['gateway']))}</b>{mutant}; started {e(data['started'])}; "
        f"{data['seconds']}s; faker seed {e(str(data['faker_seed']))}.</p>"
        f"<p><span class=passed>{t['passed']} passed</span>, <span class=failed>{t['failed']} failed</span>, "
        f"<span class=skipped>{t['skipped']} skipped</span>, "
        f"<span class=divergence>{t['divergence']} known divergences</span> (expected failures, listed "
        "with what the guide says and what the gateway does).</p>"
        f"<table><tr><th>Feature</th><th>File</th><th>Passed</th><th>Failed</th><th>Skipped</th>"
        f"<th>Divergences</th></tr>{rows}"
        f"</table><h2>Scenarios</h2>{''.join(scenarios)}</body></html>"
    )
