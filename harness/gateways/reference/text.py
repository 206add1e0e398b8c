"""SMS output: markdown to plain text, then chunks no longer than the limit.

The guide: markdown stripped, fenced code blocks flattened, links kept
readable ("label (url)"), 3+ newlines collapsed to 2, long replies split into
chunks before sending. Chunks break at paragraphs, then lines, then words.
"""

from __future__ import annotations

import re

FENCE = re.compile(r"^\s*(```|~~~)")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
QUOTE = re.compile(r"^\s{0,3}>\s?")
RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
BULLET = re.compile(r"^(\s*)[*+-]\s+")
EMPHASIS = [
    re.compile(r"\*\*\*(.+?)\*\*\*"),
    re.compile(r"\*\*(.+?)\*\*"),
    re.compile(r"__(.+?)__"),
    re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"),
    re.compile(r"~~(.+?)~~"),
]
INLINE_CODE = re.compile(r"`([^`]+)`")


def link_text(label: str, url: str) -> str:
    return url if label.strip() == url else f"{label} ({url})"


def inline(line: str) -> str:
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\x00{len(codes) - 1}\x00"

    line = INLINE_CODE.sub(keep_code, line)
    line = IMAGE.sub(lambda m: link_text(m.group(1) or "image", m.group(2)), line)
    line = LINK.sub(lambda m: link_text(m.group(1), m.group(2)), line)
    line = AUTOLINK.sub(lambda m: m.group(1), line)
    for pattern in EMPHASIS:
        line = pattern.sub(lambda m: m.group(1), line)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], line)


def to_plain(markdown: str) -> str:
    """Plain text an SMS can carry."""
    out: list[str] = []
    in_fence = False
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line.rstrip())
            continue
        if RULE.match(line):
            out.append("")
            continue
        heading = HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = QUOTE.sub("", line)
        line = BULLET.sub(lambda m: f"{m.group(1)}- ", line)
        out.append(inline(line).rstrip())
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def chunk(text: str, limit: int) -> list[str]:
    """Split into pieces of at most `limit` characters, in order, breaking at the gentlest boundary."""
    if limit < 1:
        raise ValueError("chunk limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for boundary in ("\n\n", "\n", ". ", " "):
            at = window.rfind(boundary, 0, limit + (1 if boundary == " " else 0))
            if at > limit // 3:
                cut = at + (1 if boundary == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        piece = rest[:cut].rstrip()
        pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
