"""The HTML report as a person reads it, in Debian's chromium: failures first, the filter, each
scenario's steps, configuration and exchange."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from harness.report import render_html, summarize, totals
from harness.sequence import Arrow, svg
from tests.browser import needs_chromium

pytestmark = needs_chromium


def scenario(name: str, outcome: str, example: str | None = None, **extra: object) -> dict:
    steps = [["Given", "a Twilio account with an SMS number", "passed"], ["Then", "phone A gets the reply", outcome]]
    return {
        "nodeid": f"x::{name}",
        "feature": "Webhook signatures",
        "feature_file": "signatures.feature",
        "scenario": name,
        "tags": ["guide", "signature"],
        "outcome": outcome,
        "duration": 0.3,
        "message": "",
        "transcript": "",
        "gateway_log": "",
        "steps": steps,
        "channel": '{"channels.sms": {"authToken": "[redacted]"}}',
        **({"example": example} if example else {}),
        **extra,
    }


def test_the_report_opens_on_the_failures_and_filters_by_text(browser: Browser, tmp_path: Path) -> None:
    drawing = svg(
        [Arrow(1, 0, 1, "SMS “hi”"), Arrow(2, 1, 2, "POST /webhooks/sms"), Arrow(3, 2, 1, "403 (4 ms)", False)]
    )
    scenarios = [
        scenario("A correctly signed inbound SMS is accepted", "passed"),
        scenario("A signature that does not match is refused", "passed", "port_added"),
        scenario(
            "A signature that does not match is refused",
            "failed",
            "wrong_token",
            message="AssertionError: expected: 403\nseen: 200\n\n-- emulator transcript --\n#1 MESSAGE …",
            transcript="-- emulator transcript --\n#1 MESSAGE …",
            sequence=drawing,
        ),
    ]
    data = {
        "gateway": "reference",
        "mutant": None,
        "faker_seed": 1,
        "started": "2026-11-27T00:00:00Z",
        "seconds": 1.0,
        "exit_status": 1,
        "totals": totals(scenarios),
        "features": summarize(scenarios),
        "scenarios": scenarios,
    }
    (tmp_path / "report.html").write_text(render_html(data))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto((tmp_path / "report.html").as_uri())
    shown = page.locator("details[data-outcome]:visible")
    expect(shown).to_have_count(1)  # a report with failures opens on them
    failure = shown.first
    expect(failure.locator("summary")).to_contain_text(
        "FAILED Webhook signatures — A signature that does not match is refused [wrong_token]"
    )
    expect(failure.locator("ol.steps li.failed")).to_have_text("Then phone A gets the reply")
    expect(failure.locator("svg.sequence")).to_contain_text("403 (4 ms)")
    assert page.content().count("-- emulator transcript --") == 1, "the transcript is shown once"
    page.get_by_label("All (3)").check()
    expect(shown).to_have_count(3)
    page.get_by_label("filter the scenarios").fill("port_added")
    expect(shown).to_have_count(1)
    expect(shown.first.locator("summary")).to_contain_text("[port_added]")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()
