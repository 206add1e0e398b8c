"""JavaScript's string rules where they differ from Python's, since the plugin is JavaScript.

`\\s` and `trim()` know a different set of spaces than `str.isspace()`; `.length` counts
UTF-16 code units, so an emoji is 2.
"""

from __future__ import annotations

SPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)


def trim_start(text: str) -> str:
    index = 0
    while index < len(text) and text[index] in SPACE:
        index += 1
    return text[index:]


def trim_end(text: str) -> str:
    index = len(text)
    while index > 0 and text[index - 1] in SPACE:
        index -= 1
    return text[:index]


def trim(text: str) -> str:
    return trim_start(trim_end(text))


def length(text: str) -> int:
    """`.length`: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
