"""SMS segment counting as Twilio bills it: GSM-7 or UCS-2."""

from __future__ import annotations

import math

# GSM 03.38 default alphabet (without ESC) and the extension table, whose
# characters cost two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def encoding(body: str) -> str:
    """'GSM-7' when every character fits the GSM alphabet, else 'UCS-2'."""
    ok = all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body)
    return "GSM-7" if ok else "UCS-2"


def units(body: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the body occupies."""
    if encoding(body) == "GSM-7":
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
    return len(body.encode("utf-16-le")) // 2


def count(body: str) -> int:
    """Number of segments: 160/153 for GSM-7, 70/67 for UCS-2; at least 1."""
    single, part = (160, 153) if encoding(body) == "GSM-7" else (70, 67)
    n = units(body)
    return 1 if n <= single else math.ceil(n / part)
