"""The matchers the expectations compose: each holds or names what was expected and what was seen,
and `must` turns a mismatch into the scenario's failure, with the emulator's record after it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NoReturn

import httpx
import pytest

from harness import match
from harness.drivers.base import CliResult
from harness.expect import must
from harness.match import gateway, texts, twilio


def message(body: str, seq: int = 1, to: str = "+15550001111") -> dict[str, Any]:
    return {"body": body, "seq": seq, "to": to}


def test_a_matcher_holds_or_says_what_was_expected_and_what_was_seen() -> None:
    bodies = texts.bodies("A", ["one", "two"])
    assert bodies([message("one"), message("two", 2)]) is None
    assert bodies([message("one")]) == match.Mismatch(
        '2 message(s) to phone A, in order: ["one", "two"]', '1 message(s): ["one"]'
    )


def test_combinators_report_the_first_mismatch_in_order() -> None:
    calls = [{"form": [("From", "+1"), ("To", "+2")]}, {"form": [("From", "+3")]}]
    every = match.all_of(match.each(twilio.form_value("From", "+1")), match.each(twilio.form_value("To", None)))
    assert every(calls) == match.Mismatch("From='+1' on every Messages.json request", "From='+3'")
    assert match.all_of(match.each(twilio.form_value("Body", None)))(calls) is None
    assert match.on(texts.joined, texts.contains("a  b"))([message("a"), message("b", 2)]) is None


def test_count_matchers_show_how_many_and_which() -> None:
    assert match.exactly(0, "message(s) to phone A", texts.short)([message("hi")]) == match.Mismatch(
        "exactly 0 message(s) to phone A", "1: +15550001111: 'hi'"
    )
    assert match.some("a pending pairing request", "an empty pairing list")([]) == match.Mismatch(
        "a pending pairing request", "an empty pairing list"
    )
    assert match.no("no Messages.json request", lambda r: f"{len(r)} request(s)")([{}, {}]) == match.Mismatch(
        "no Messages.json request", "2 request(s)"
    )


def test_text_matchers_name_what_is_missing() -> None:
    log = match.holds_all(["Started", "sms"], "the gateway's log to mention", fold_case=True)
    assert log("STARTED the channel") == match.Mismatch("the gateway's log to mention ['sms']", "STARTED the channel")
    quiet = match.lacks("route failed", "the gateway's log not to mention")
    assert quiet("ready\nall well") is None
    assert quiet("ready\nplugin http Route Failed (sms): boom\nall well") == match.Mismatch(
        "the gateway's log not to mention 'route failed'", "plugin http Route Failed (sms): boom"
    )
    landmarks = texts.in_order(["first", "second"])
    assert landmarks("first then second") is None
    assert landmarks("second then first") is not None
    assert texts.free_of("A", ["**", "`"])(message("**bold**")) == match.Mismatch(
        "no ['**'] in messages to phone A", "**bold**"
    )


def test_answer_matchers_compare_as_the_specification_says() -> None:
    answer = httpx.Response(200, text=" <Response></Response>\n", headers={"Content-Type": "text/xml; charset=UTF-8"})
    assert gateway.response(200, "<Response></Response>", "text/xml;charset=utf-8")(answer) is None
    assert gateway.response(403, None, None)(answer) == match.Mismatch(
        "HTTP 403", "HTTP 200 with body '<Response></Response>' as text/xml; charset=UTF-8"
    )
    assert gateway.header("X-Custom", None)(answer) is None
    assert gateway.header("X-Custom", "yes")(answer) == match.Mismatch(
        "the answer's header X-Custom: yes", "no such header"
    )
    assert gateway.answers([(200, "ok"), (429, "slow")])([(200, "ok"), (200, "ok")]) == match.Mismatch(
        "2 answers: (200, 'ok') … (429, 'slow')", "answer 2 was (200, 'ok')"
    )


def test_cli_and_probe_matchers() -> None:
    result = CliResult(["gw", "pairing", "approve"], 1, "", "Error: no such code\n", 0.5)
    assert gateway.cli(False, "No Such Code")(result) is None
    assert gateway.cli(True, None)(result) == match.Mismatch("the command to succeed", result.describe())
    assert gateway.one_stderr_line(result) is None
    probe = {"probe": {"ok": False}, "webhook": {"status": "mismatch"}}
    assert gateway.probe_value("probe.ok", False)(probe) is None
    assert gateway.probe_value("probe.ok", False, negated=True)(probe) is not None
    assert gateway.probe_value("missing.key", None)(probe) is None


def test_must_fails_with_the_mismatch_and_returns_what_it_saw() -> None:
    def fail(expected: str, seen: str) -> NoReturn:
        raise AssertionError(f"expected: {expected}\nseen: {seen}")

    world: Any = SimpleNamespace(fail=fail)
    assert must(world, [message("pong")], texts.bodies("A", ["pong"])) == [message("pong")]
    with pytest.raises(AssertionError, match=r"(?s)expected: 1 message\(s\) to phone A.*seen: 0 message"):
        must(world, [], texts.bodies("A", ["pong"]))
