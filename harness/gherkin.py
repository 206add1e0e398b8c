"""Gherkin values read: placeholders filled in from the scenario's accounts and phones, phone
numbers spelt as people write them, JSON example cells."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.accounts import TwilioAccount

REPEAT = re.compile(r"<(\d+) x ([^<>\s]+)>")  # <N x text> in a Gherkin value: text N times over


def expand(value: Any, accounts: dict[str, TwilioAccount], phone: Callable[[str], str]) -> Any:
    """Placeholders in Gherkin values: <account sid>, <auth token>, <number>, <public url>, <service X>,
    <phone X> and its other spellings <phone X digits> (no +) and <phone X dashed> (+1 (555) 123-4567),
    and <N x text> (text N times over)."""
    if isinstance(value, list):
        return [expand(v, accounts, phone) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, accounts, phone) for k, v in value.items()}
    if not isinstance(value, str) or "<" not in value:
        return value
    out = REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), value)
    for name, acct in accounts.items():
        suffix = "" if name == "main" else f" {name}"
        out = (
            out.replace(f"<account sid{suffix}>", acct.sid)
            .replace(f"<auth token{suffix}>", acct.token)
            .replace(f"<number{suffix}>", acct.number or "")
            .replace(f"<public url{suffix}>", acct.public_url)
        )
        for service, sid in acct.services.items():
            out = out.replace(f"<service {service}>", sid)
    while "<phone " in out:
        start = out.index("<phone ")
        end = out.index(">", start)
        name, _, spelling = out[start + 7 : end].partition(" ")
        out = out[:start] + spell(phone(name), spelling) + out[end + 1 :]
    return out


def spell(number: str, spelling: str) -> str:
    """A +1… number as people write it: as is, digits only, or dashed with the area code in brackets."""
    if spelling == "digits":
        return number.lstrip("+")
    if spelling == "dashed":
        return f"{number[:2]} ({number[2:5]}) {number[5:8]}-{number[8:]}"
    if spelling:
        raise AssertionError(f"unknown phone spelling {spelling!r} (known: digits, dashed)")
    return number


def json_cell(cell: str) -> Any:
    """An example cell holding JSON (Gherkin has already turned its \\n into newlines)."""
    try:
        return json.loads(cell, strict=False)
    except ValueError as exc:
        raise AssertionError(f"the example cell {cell!r} is not JSON: {exc}") from None
