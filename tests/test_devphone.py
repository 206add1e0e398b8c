"""The dev phone, driven as a person would: `sms-harness devphone --reference` in a child process,
the page in a real headless Chromium (Debian's, driven by Playwright), the reference gateway's
pairing CLI as printed on the terminal."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import needs_chromium
from tests.processes import Background, marked

WAIT_MS = 15_000
PUBLIC_URL = "https://gateway.devphone.test/webhooks/sms"

pytestmark = needs_chromium


@dataclass
class DevPhone:
    page_url: str
    emulator_url: str
    approve: list[str]  # the printed pairing command, CODE still in it
    approve_env: dict[str, str]
    workdir: Path
    out: Background

    def approve_pairing(self, code: str) -> subprocess.CompletedProcess[str]:
        argv = [code if part == "CODE" else part for part in self.approve]
        return subprocess.run(
            argv, env={**os.environ, **self.approve_env}, capture_output=True, text=True, timeout=60, check=False
        )

    def messages(self) -> list[dict]:
        return httpx.get(f"{self.emulator_url}/_emulator/messages", timeout=5).json()


@pytest.fixture(scope="module")
def devphone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevPhone]:
    workdir = tmp_path_factory.mktemp("devphone")
    out = Background("-m", "harness.cli", "devphone", "--reference", "--workdir", str(workdir))
    try:
        page_url = out.wait_for("Dev phone:").split()[-1]
        out.wait_for("Reference gateway running")
        words = shlex.split(out.wait_for("  REFCLAW_STATE_DIR="))
        env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
        argv = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
        yield DevPhone(page_url, page_url.split("/_emulator")[0], argv, env, workdir, out)
    finally:
        code = out.stop()
    assert code == 0, f"devphone exited {code} on SIGTERM; stderr: {out.errors[-10:]}"
    assert marked(str(workdir)) == [], "the reference gateway outlived the dev phone"


@pytest.fixture
def page(browser: Browser, devphone: DevPhone) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(devphone.page_url)
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


def as_handset(page: Page, number: str) -> None:
    page.locator("#new-handset").fill(number)
    page.locator("#new-handset").press("Enter")
    expect(page.locator("#conv-h")).to_contain_text(number)


def text(page: Page, body: str) -> None:
    page.locator("#body").fill(body)
    page.locator("#body").press("Enter")  # the keyboard sends, as in a phone's messages app


def arm(page: Page, label: str) -> None:
    page.get_by_role("tab", name="Faults").click()
    page.get_by_role("button", name=label).click()
    expect(page.locator("#faults")).not_to_contain_text("none", timeout=WAIT_MS)


def test_a_handset_pairs_and_the_agent_answers(page: Page, devphone: DevPhone, tmp_path: Path) -> None:
    as_handset(page, "+15557650001")
    text(page, "hello")
    pairing = page.locator("#thread .bubble.theirs .text").first
    expect(pairing).to_contain_text("Pairing code", timeout=WAIT_MS)
    sent = [m for m in devphone.messages() if m["to"] == "+15557650001"]
    assert [m["body"] for m in sent] == [pairing.inner_text()], "the page shows what Twilio recorded, exactly"
    code = re.search(r"approve sms (\S+)", pairing.inner_text())
    assert code, f"no pairing code in {pairing.inner_text()!r}"
    approved = devphone.approve_pairing(code.group(1))
    assert approved.returncode == 0, f"{devphone.approve} exited {approved.returncode}: {approved.stderr}"

    text(page, "reply exactly Hello from the agent")
    replies = page.locator("#thread .bubble.theirs .text")
    expect(replies).to_have_count(2, timeout=WAIT_MS)
    expect(replies.nth(1)).to_have_text("Hello from the agent")
    expect(page.locator("#thread .bubble.theirs").nth(1)).to_have_attribute("data-status", "delivered", timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)

    page.get_by_role("tab", name="REST calls").click()
    calls = page.locator("#calls")
    expect(calls).to_contain_text("POST /2010-04-01/Accounts/")
    assert "authToken" not in calls.inner_text() and "auth_token" not in calls.inner_text()


def test_an_unreachable_webhook_is_explained_with_a_banner(page: Page, devphone: DevPhone) -> None:
    as_handset(page, "+15557650002")
    arm(page, "Webhook unreachable (11205)")
    text(page, "anyone there?")
    banner = page.locator("#banner")
    expect(banner).to_be_visible(timeout=WAIT_MS)
    expect(banner).to_contain_text("The gateway cannot be reached (11205 HTTP connection failure)")
    expect(banner).to_contain_text(f"Twilio requested {PUBLIC_URL}")
    explained = page.locator("#thread .bubble.mine .explain").last
    expect(explained).to_contain_text("Twilio could not open a connection")
    expect(explained).to_contain_text("The gateway is running and listening")
    text(page, "and now?")  # the fault was for one delivery: the next one arrives and the banner goes
    expect(banner).to_be_hidden(timeout=WAIT_MS)


def test_a_webhook_on_the_wrong_path_is_11200_with_the_guides_checklist(
    page: Page, devphone: DevPhone, tmp_path: Path
) -> None:
    page.get_by_role("tab", name="Settings").click()
    form = page.locator("form.settings").first
    url = form.get_by_label("Incoming message webhook")
    url.fill("https://gateway.devphone.test/hooks/wrong")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".saved")).to_have_text("saved", timeout=WAIT_MS)
    try:
        as_handset(page, "+15557650003")
        text(page, "is this thing on?")
        explained = page.locator("#thread .bubble.mine .explain").last
        expect(explained).to_contain_text("11200 HTTP retrieval failure", timeout=WAIT_MS)
        expect(explained).to_contain_text("The method is POST")
        expect(explained).to_contain_text("exposes that path")
        expect(explained).to_contain_text("Twilio requested and signed: https://gateway.devphone.test/hooks/wrong")
        expect(explained).to_contain_text("/hooks/wrong → 404")
        page.screenshot(path=str(tmp_path / "11200.png"), full_page=True)
    finally:
        url.fill(PUBLIC_URL)
        form.get_by_role("button", name="Save").click()
        expect(form.locator(".saved")).to_have_text("saved", timeout=WAIT_MS)


def test_a_wrong_token_signature_is_a_403_explained_with_the_signed_url(page: Page, devphone: DevPhone) -> None:
    as_handset(page, "+15557650004")
    arm(page, "Bad signature: wrong token")
    text(page, "signed wrong")
    explained = page.locator("#thread .bubble.mine .explain").last
    expect(explained).to_contain_text("The gateway refused the webhook", timeout=WAIT_MS)
    expect(explained).to_contain_text(f"Twilio requested and signed: {PUBLIC_URL}")
    expect(explained).to_contain_text("signed with a token that is not the account's")
    page.get_by_role("tab", name="Webhooks").click()
    first = page.locator("#deliveries details").first
    first.locator("summary").click()
    expect(first).to_contain_text("X-Twilio-Signature")
    expect(first).to_contain_text("403")


def test_the_page_works_from_the_keyboard_and_at_200_percent_zoom(
    browser: Browser, devphone: DevPhone, tmp_path: Path
) -> None:
    # 200 % zoom on a 1280-pixel laptop screen is a 640-pixel CSS viewport at twice the density
    context = browser.new_context(viewport={"width": 640, "height": 800}, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(devphone.page_url)
        expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 200 % zoom"
        page.get_by_role("tab", name="Webhooks").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name="Faults")).to_be_focused()
        expect(page.locator("#panel-faults")).to_be_visible()
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused.startswith("Bad signature"), f"Tab from the tabs reached {focused!r}, not the first fault"
        page.screenshot(path=str(tmp_path / "zoom200.png"), full_page=True)
    finally:
        context.close()


def test_with_a_control_token_the_page_works_from_the_printed_address_only(browser: Browser) -> None:
    out = Background("-m", "harness.cli", "emulator", "--control-token", "s3cret-token")
    try:
        out.wait_for("http://127.0.0.1:")
        address = out.wait_for_stderr("Dev phone page:").split()[-1]
        assert address.endswith("#token=s3cret-token"), address
        page = browser.new_page()
        page.goto(address)
        expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
        text(page, "hello")
        expect(page.locator("#thread .bubble.mine")).to_have_count(1, timeout=WAIT_MS)
        page.goto(address.split("#")[0])
        page.reload()
        expect(page.locator("#banner")).to_contain_text("started with --control-token", timeout=WAIT_MS)
        page.close()
    finally:
        assert out.stop() == 0
