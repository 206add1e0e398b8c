"""Matchers of what a phone gets: its messages, their text and files, a pairing code in them."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.match import Matcher, Mismatch, Record, that


def short(messages: list[Record]) -> str:
    return "; ".join(f"{m.get('to')}: {str(m.get('body'))[:120]!r}" for m in messages) if messages else ""


def squash(text: str) -> str:
    return " ".join(text.split())


def joined(messages: list[Record]) -> str:
    return squash(" ".join(m["body"] for m in sorted(messages, key=lambda m: m["seq"])))


def unbreakable(length: int) -> str:
    """A text with nowhere to break: digits with no spaces, so order is visible too."""
    return "".join(str(i % 10) for i in range(length))


def bodies(phone: str, want: list[str]) -> Matcher[list[Record]]:
    """Exactly these bodies, in order, and no more."""
    return that(
        lambda got: [m["body"] for m in got] == want,
        f"{len(want)} message(s) to phone {phone}, in order: {json.dumps(want, ensure_ascii=False)}",
        lambda got: f"{len(got)} message(s): {json.dumps([m['body'] for m in got], ensure_ascii=False)}",
    )


def only_bodies(want: list[str], expected: str) -> Matcher[list[Record]]:
    """These bodies and nothing else; the failure shows what came, or nothing."""
    return that(lambda got: [m.get("body") for m in got] == want, expected, lambda got: short(got) or "nothing")


def lengths(want: list[int]) -> Matcher[list[Record]]:
    """Messages of these lengths that join into the unbreakable text they were asked for."""
    return that(
        lambda got: [len(m["body"]) for m in got] == want and "".join(m["body"] for m in got) == unbreakable(sum(want)),
        f"messages of {want} characters that join into the requested text",
        lambda got: f"{[len(m['body']) for m in got]}: {short(got)}",
    )


def free_of(phone: str, tokens: list[str]) -> Matcher[Record]:
    """A message holds none of the tokens."""

    def matcher(message: Record) -> Mismatch | None:
        present = [t for t in tokens if t in message["body"]]
        return Mismatch(f"no {present} in messages to phone {phone}", message["body"][:600]) if present else None

    return matcher


def chunks(limit: int, least: int) -> Matcher[list[Record]]:
    """At least `least` messages, none longer than `limit` characters."""
    return that(
        lambda got: len(got) >= least and all(len(m["body"]) <= limit for m in got),
        f"at least {least} message(s) of at most {limit} characters",
        lambda got: f"{len(got)} message(s) of lengths {[len(m['body']) for m in got]}",
    )


LONG_LANDMARKS_TAIL = "step 8.3: read the reply"  # the long answer's last landmark: every chunk is in


def long_landmarks(markdown: str) -> list[str]:
    """Lines of the long answer that any faithful plain-text rendering keeps, in order."""
    marks = []
    for line in markdown.splitlines():
        heading = re.match(r"#+ (.*)", line)
        if heading:
            marks.append(heading.group(1))
        elif re.match(r"- step \d+\.\d+: [a-z ]+", line):
            marks.append(re.match(r"- (step \d+\.\d+: [a-z ]+)", line).group(1))
    return marks


def in_order(landmarks: list[str]) -> Matcher[str]:
    """The text holds every landmark, each after the one before (spaces squashed)."""

    def matcher(text: str) -> Mismatch | None:
        position = 0
        for landmark in landmarks:
            found = text.find(squash(landmark), position)
            if found < 0:
                return Mismatch(
                    f"the chunks, in order, to contain {landmark!r} after position {position}",
                    text[max(0, position - 200) : position + 400],
                )
            position = found + len(squash(landmark))
        return None

    return matcher


def contains(text: str) -> Matcher[str]:
    return that(lambda whole: squash(text) in whole, f"{text!r} in the reply", lambda whole: whole[:800])


def files(phone: str, body: str, want: list[dict[str, Any]]) -> Matcher[Record]:
    """The message carries exactly these files (content type, size, SHA-256)."""

    def listed(message: Record) -> list[dict[str, Any]]:
        return [{k: m[k] for k in ("content_type", "size", "sha256")} for m in message.get("media") or []]

    return that(
        lambda message: listed(message) == want,
        f"the message {body!r} to phone {phone} with the file {want}",
        lambda message: f"files {listed(message)}: {message}",
    )


def pairing_code(body: str) -> str | None:
    found = re.search(r"\b([A-Z0-9]{8})\b", body.split("Pairing code:")[-1])
    return found.group(1) if found else None


has_pairing_code: Matcher[str] = that(
    lambda body: pairing_code(body) is not None,
    "a pairing reply with an 8-character code of capital letters and digits",
)
