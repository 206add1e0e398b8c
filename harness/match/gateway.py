"""Matchers of the gateway's own side: the agent's prompts, its answers to requests, `pairing list`,
its CLI's results and its status probe."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import httpx

from harness.drivers.base import CliResult, PairingEntry
from harness.match import Matcher, Record, that

# OpenClaw lists a turn's attachments as "[media attached 1/2: <path> (<type>)]" ("[media attached: …]" for one)
ATTACHMENT = re.compile(r"\[media attached(?: \d+/\d+)?: [^\n]*? \(([^()\n]+)\)\]")


def turns(count: int, within: float) -> Matcher[int]:
    return that(lambda seen: seen == count, f"{count} agent turn(s) within {within:g}s", lambda seen: f"{seen}")


def given(attached: list[str], text: str) -> Matcher[str]:
    """The agent's prompt holds the text and lists exactly these attachments (by content type)."""
    return that(
        lambda prompt: ATTACHMENT.findall(prompt) == attached and text in prompt,
        f"the agent given the files {attached} and the text {text!r}",
        lambda prompt: f"files {ATTACHMENT.findall(prompt)}; prompt:\n{prompt}",
    )


def webhook_answer(status: int | None, body: str | None) -> Matcher[Record]:
    """A delivery attempt answered with this status and (stripped) body."""
    return that(
        lambda attempt: (attempt.get("status"), (attempt.get("body") or "").strip()) == (status, body),
        f"the webhook to answer {status} {body!r}",
        lambda a: f"{a.get('status')} {(a.get('body') or '').strip()!r} (error: {a.get('error')})",
    )


def content_type(want: str) -> Matcher[Record]:
    """A delivery attempt's answer has a Content-Type holding `want`."""

    def got(attempt: Record) -> str:
        return {k.lower(): v for k, v in attempt.get("headers", {}).items()}.get("content-type", "")

    return that(lambda attempt: want in got(attempt), f"Content-Type {want}", lambda attempt: got(attempt) or "none")


def header(name: str, value: str | None) -> Matcher[httpx.Response]:
    """The answer carries the header with this value (None: no such header)."""
    return that(
        lambda answer: answer.headers.get(name) == value,
        f"the answer's header {name}: {value}" if value is not None else f"no header {name}",
        lambda answer: f"{name}: {answer.headers[name]}" if name in answer.headers else "no such header",
    )


def response(status: int, body: str | None, content_type: str | None) -> Matcher[httpx.Response]:
    """The answer's status, body (stripped) and Content-Type (spaces and case aside)."""

    def same_type(seen: str) -> bool:
        return content_type is None or seen.replace(" ", "").lower() == content_type.replace(" ", "").lower()

    return that(
        lambda answer: (
            answer.status_code == status
            and (body is None or answer.text.strip() == body)
            and same_type(answer.headers.get("content-type", ""))
        ),
        f"HTTP {status}"
        + (f" with body {body!r}" if body is not None else "")
        + (f" as {content_type}" if content_type else ""),
        lambda answer: (
            f"HTTP {answer.status_code} with body {answer.text.strip()[:300]!r} as "
            f"{answer.headers.get('content-type', '') or 'no type'}"
        ),
    )


def file_served(want: dict[str, Any]) -> Matcher[httpx.Response]:
    """The answer is the hosted file: its status, these headers, and the SHA-256 of its body, as `want` says."""

    def served(response: httpx.Response) -> dict[str, Any]:
        seen: dict[str, Any] = {k: response.headers.get(k) for k in want if k not in ("status", "body")}
        return seen | {"status": response.status_code, "body": hashlib.sha256(response.content).hexdigest()}

    return that(lambda response: served(response) == want, f"the hosted file: {want}", lambda r: f"{served(r)}")


def answers(want: list[tuple[int, str | None]]) -> Matcher[list[tuple[int, str]]]:
    """Every answer of a load, in order; the failure names the first that differs."""

    def where(seen: list[tuple[int, str]]) -> str:
        wrong = next((i for i, pair in enumerate(zip(seen, want, strict=False)) if pair[0] != pair[1]), None)
        return f"answer {wrong + 1} was {seen[wrong]}" if wrong is not None else f"{len(seen)} answers"

    return that(lambda seen: seen == want, f"{len(want)} answers: {want[0]} … {want[-1]}", where)


def listed(phone: str, number: str, code: str | None, *, by_code: bool) -> Matcher[list[PairingEntry]]:
    """`pairing list` shows the phone's number (`by_code`: with that code)."""
    return that(
        lambda entries: any(e.sender == number and (not by_code or e.code == code) for e in entries),
        f"phone {phone} ({number}) with code {code} in `pairing list sms`",
        lambda entries: str([(e.sender, e.code) for e in entries]),
    )


def unlisted(phone: str, number: str) -> Matcher[list[PairingEntry]]:
    return that(
        lambda entries: not any(e.sender == number for e in entries),
        f"phone {phone} absent from `pairing list sms`",
        lambda entries: str([(e.sender, e.code) for e in entries]),
    )


def said(result: CliResult) -> str:
    """All a command printed, in lower case (what its output "mentions" is looked up in)."""
    return (result.stdout + result.stderr).lower()


def cli(ok: bool, says: str | None) -> Matcher[CliResult]:
    """The command succeeded (or failed), its output mentioning `says` (any case)."""
    return that(
        lambda result: result.ok == ok and (says is None or says.lower() in said(result)),
        ("the command to succeed" if ok else "the command to fail") + (f", mentioning {says!r}" if says else ""),
        CliResult.describe,
    )


def not_mentioning(text: str) -> Matcher[CliResult]:
    """The command's output does not mention `text` (any case)."""
    return that(
        lambda result: text.lower() not in said(result),
        f"the command's output not to mention {text!r}",
        CliResult.describe,
    )


one_stderr_line: Matcher[CliResult] = that(
    lambda result: len(result.stderr.strip().splitlines()) == 1, "exactly one line on stderr", CliResult.describe
)


def probe_value(path: str, value: Any, *, negated: bool = False) -> Matcher[Record]:
    """The probe's value at a dotted path is `value` (or, `negated`, is not)."""

    def at(data: Record) -> Any:
        for key in path.split("."):
            data = data.get(key) if isinstance(data, dict) else None
        return data

    return that(
        lambda data: (at(data) == value) != negated,
        f"probe {path} {'not ' if negated else ''}{value!r}",
        lambda data: json.dumps(data, indent=2)[:2000],
    )


def probe_mentions(path: str, text: str) -> Matcher[Record]:
    return that(
        lambda data: text in json.dumps(data.get(path)),
        f"probe {path} mentioning {text!r}",
        lambda data: json.dumps(data, indent=2)[:2000],
    )


def unconfigured(reason: str) -> Matcher[Record]:
    """A probed account with configured: false, for a reason naming the text."""
    return that(
        lambda account: account.get("configured") is False and reason in json.dumps(account),
        f"an account with configured: false and a reason naming {reason!r}",
        lambda account: json.dumps(account, indent=2),
    )
