"""Secrets the harness has seen (auth tokens), and redaction of them from anything shown.

Every token the harness creates or reads is registered here; reports, failure
messages and logs pass through `redact` before a person sees them.
"""

from __future__ import annotations

import threading

REDACTED = "[redacted]"
_known: set[str] = set()
_lock = threading.Lock()


def register(secret: str | None) -> None:
    if secret and len(secret) >= 6:
        with _lock:
            _known.add(secret)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
