"""SMS segment counting as Twilio bills it: GSM-7 or UCS-2."""

from __future__ import annotations

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


def costs(body: str) -> list[int]:
    """Each character's cost: septets (GSM-7, 2 for the extension table) or UTF-16 units (UCS-2)."""
    if encoding(body) == "GSM-7":
        return [2 if ch in GSM7_EXTENSION else 1 for ch in body]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in body]


def units(body: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the body occupies."""
    return sum(costs(body))


def count(body: str) -> int:
    """Number of segments: 160/153 for GSM-7, 70/67 for UCS-2; at least 1.

    A character never straddles two segments: an escape pair or a surrogate pair that does not
    fit in what is left of a segment starts the next one.
    """
    single, part = (160, 153) if encoding(body) == "GSM-7" else (70, 67)
    each = costs(body)
    if sum(each) <= single:
        return 1
    segments, used = 1, 0
    for cost in each:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments
