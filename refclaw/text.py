"""SMS output as the plugin makes it: visible text only, markdown projected to plain text, chunks.

The guide promises plain text (markdown stripped, code flattened, links kept as "label (url)",
3+ newlines collapsed) and chunks of at most textChunkLimit. What that means character for
character is the plugin's code (@openclaw/sms 2026.9.4; docs/specification.md#plain-text-and-chunks),
built on OpenClaw's markdown-it projection:
- CommonMark with GFM tables and strikethrough, no autolinks or linkify, raw HTML kept
  literally; emphasis and headings lose their markers; bullets become "• ", ordered items are
  renumbered "N. ", nested items indent by two spaces; a table becomes one label line per row
  plus "• header: value" lines; an image keeps its alt text; a link becomes "label (url)"
  unless the label is the url; code keeps its text; block spacing follows the source.
- Then CRLF -> LF, 3+ newlines -> 2, trim.
Chunks are measured in UTF-16 code units (JavaScript's `.length`), break at the last newline
outside parentheses, else the last whitespace, never inside a grapheme, and keep the
whitespace at their edges (the chunks join back into the text). An operator's text-only send is
first cut by OpenClaw's own outbound delivery (`outbound_pieces`), each piece then chunked as a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from refclaw import js

MAX_SMS_BODY = 1600
HTML_TAG = re.compile(
    r"""<[A-Za-z][A-Za-z0-9-]*(?:\s+[a-zA-Z_:][a-zA-Z0-9:._-]*(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?)*\s*/?>"""
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>|<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->|<\?[\s\S]*?\?>|<![A-Za-z][^>]*>"
    r"|<!\[CDATA\[[\s\S]*?\]\]>"
)
REASONING_BLOCK = re.compile(
    r"<\s*(antml:|mm:)?(think|thinking|thought|antthinking|reasoning)\b[^<>]*>.*?(?:<\s*/\s*\1?\2\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
FINAL_TAG = re.compile(r"<\s*/?\s*final\b[^<>]*>", re.IGNORECASE)
TOOL_CALL_BLOCK = re.compile(
    r"<\s*(tool_call|tool_result|function_calls?)\b[^<>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL
)
MEMORY_BLOCK = re.compile(
    r"<\s*relevant[-_]memories\b[^<>]*>.*?(?:<\s*/\s*relevant[-_]memories\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
SPECIAL_TOKEN = re.compile(r"<[|｜][^|｜]*[|｜]>")
INDENTED_CODE = re.compile(r"(?: {4}|\t| {0,3}\t)")


# -- what the assistant may show ---------------------------------------------------------------


def visible(text: str) -> str:
    """The assistant's visible text: reasoning, tool-call and memory blocks and control tokens dropped."""
    if "<" in text:
        for pattern in (SPECIAL_TOKEN, MEMORY_BLOCK, TOOL_CALL_BLOCK, REASONING_BLOCK, FINAL_TAG):
            text = pattern.sub("", text)
    return trim_keeping_code_indent(text)


def trim_keeping_code_indent(text: str) -> str:
    """Trim, except that a leading indented code block keeps its indentation (it is code)."""
    trimmed = js.trim_start(text)
    if trimmed and len(trimmed) != len(text):
        line_start = text.rfind("\n", 0, len(text) - len(trimmed)) + 1
        if INDENTED_CODE.match(text, line_start):
            trimmed = text[line_start:]
    return js.trim_end(trimmed)


# -- markdown to plain text --------------------------------------------------------------------------


def raw_html(state: StateInline, silent: bool) -> bool:
    """An HTML tag stays as literal text (OpenClaw's parser has html off and keeps tags verbatim)."""
    if state.src[state.pos] != "<":
        return False
    match = HTML_TAG.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("text", "", 0)
        token.content = match.group(0)
    state.pos = match.end()
    return True


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False, "breaks": False})
    md.disable(["autolink", "linkify"], ignoreInvalid=True)
    md.inline.ruler.before("html_inline", "raw_html_literal", raw_html)
    return md


@dataclass
class Target:
    """Text being built, with the link and code spans the final steps need."""

    text: str = ""
    links: list[tuple[int, int, str]] = field(default_factory=list)
    link_stack: list[tuple[str, int]] = field(default_factory=list)
    code_end: int = 0


@dataclass
class ListLevel:
    ordered: bool
    index: int
    open_level: int


@dataclass
class Render:
    out: Target = field(default_factory=Target)
    lists: list[ListLevel] = field(default_factory=list)
    item_ends: list[int | None] = field(default_factory=list)
    heading_line_end: int | None = None
    table: dict[str, Any] | None = None

    def target(self) -> Target:
        return self.table["cell"] if self.table and self.table["cell"] is not None else self.out


def next_block_starts(tokens: list[Token]) -> list[int | None]:
    """For each token, the first source line of the next token that has a source map."""
    starts: list[int | None] = [None] * len(tokens)
    following: int | None = None
    for index in range(len(tokens) - 1, -1, -1):
        starts[index] = following
        if tokens[index].map:
            following = tokens[index].map[0]
    return starts


def block_newlines(next_start: int | None, line_end: int | None) -> int | None:
    if line_end is None:
        return None
    return 0 if next_start is None else max(1, next_start - line_end + 1)


def paragraph_separator(state: Render, token: Token | None, next_start: int | None) -> None:
    if state.table:
        return
    if state.lists:
        direct_level = state.lists[-1].open_level + 2
        item_end = state.item_ends[-1] if state.item_ends else None
        more_in_item = next_start is not None and item_end is not None and next_start < item_end
        if not more_in_item and (
            token is None or token.type != "paragraph_close" or token.hidden or token.level != direct_level
        ):
            return
    state.out.text += "\n" if token is not None and token.hidden else "\n\n"


def render(tokens: list[Token], state: Render) -> None:
    starts = next_block_starts(tokens)
    for index, token in enumerate(tokens):
        kind, target = token.type, state.target()
        if kind == "inline":
            render(token.children or [], state)
        elif kind == "text":
            target.text += token.content
        elif kind == "code_inline":
            target.text += token.content
            target.code_end = len(target.text) if token.content else target.code_end
        elif kind == "link_open":
            target.link_stack.append((str(token.attrGet("href") or ""), len(target.text)))
        elif kind == "link_close":
            if target.link_stack:
                href, start = target.link_stack.pop()
                if href.strip():
                    target.links.append((start, len(target.text), href.strip()))
        elif kind == "image":
            target.text += token.content
        elif kind in ("softbreak", "hardbreak"):
            target.text += "\n"
        elif kind == "paragraph_close":
            paragraph_separator(state, token, starts[index])
        elif kind == "heading_open":
            state.heading_line_end = token.map[1] if token.map else None
        elif kind == "heading_close":
            count = block_newlines(starts[index], state.heading_line_end)
            if count is None:
                paragraph_separator(state, None, starts[index])
            else:
                state.out.text += "\n" * count
            state.heading_line_end = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            if state.lists and not state.out.text.endswith("\n"):
                state.out.text += "\n"
            ordered = kind == "ordered_list_open"
            first = int(token.attrGet("start") or 1) if ordered else 1
            state.lists.append(ListLevel(ordered, first - 1, token.level))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            state.lists.pop()
            if not state.lists and not state.out.text.endswith("\n\n"):
                state.out.text += "\n"
        elif kind == "list_item_open":
            level = state.lists[-1]
            level.index += 1
            indent = "  " * (len(state.lists) - 1)
            state.out.text += indent + (f"{level.index}. " if level.ordered else "• ")
            state.item_ends.append(token.map[1] if token.map else None)
        elif kind == "list_item_close":
            state.item_ends.pop()
            if not state.out.text.endswith("\n"):
                state.out.text += "\n"
        elif kind in ("code_block", "fence"):
            code = token.content if token.content.endswith("\n") else token.content + "\n"
            target.text += code
            target.code_end = len(target.text)
            if not state.lists:
                count = block_newlines(starts[index], token.map[1] if token.map else None)
                target.text += "\n" * (1 if count is None else max(0, count - 1))
        elif kind == "html_block":
            target.text += token.content
        elif kind == "table_open":
            state.table = {"head": [], "rows": [], "row": [], "cell": None, "in_head": False}
        elif kind == "table_close":
            table, state.table = state.table, None
            if table:
                table_bullets(state.out, table["head"], table["rows"])
        elif kind in ("thead_open", "thead_close") and state.table:
            state.table["in_head"] = kind == "thead_open"
        elif kind == "tr_open" and state.table:
            state.table["row"] = []
        elif kind == "tr_close" and state.table:
            if state.table["in_head"]:
                state.table["head"] = state.table["row"]
            else:
                state.table["rows"].append(state.table["row"])
        elif kind in ("th_open", "td_open") and state.table:
            state.table["cell"] = Target()
        elif kind in ("th_close", "td_close") and state.table and state.table["cell"] is not None:
            state.table["row"].append(trimmed_cell(state.table["cell"]))
            state.table["cell"] = None
        elif token.children:
            render(token.children, state)


def trimmed_cell(cell: Target) -> Target:
    """A cell without the whitespace around it (code keeps its spaces)."""
    start = len(cell.text) - len(js.trim_start(cell.text))
    end = len(js.trim_end(cell.text))
    start, end = min(start, end), max(end, min(cell.code_end, len(cell.text)) if cell.code_end else end)
    links = [(max(a, start) - start, min(b, end) - start, href) for a, b, href in cell.links if a < end and b > start]
    return Target(cell.text[start:end], links, [], max(0, cell.code_end - start) if cell.code_end else 0)


def table_bullets(out: Target, head: list[Target], rows: list[list[Target]]) -> None:
    labeled = len(head) > 1

    def write(cell: Target) -> None:
        offset = len(out.text)
        out.text += cell.text
        out.links += [(a + offset, b + offset, href) for a, b, href in cell.links]
        if cell.code_end:
            out.code_end = offset + cell.code_end

    for row in rows:
        if labeled and row and row[0].text:
            write(row[0])
            out.text += "\n"
        for column in range(1 if labeled else 0, len(row)):
            value = row[column]
            if not value.text:
                continue
            out.text += "• "
            header = head[column] if column < len(head) else None
            if header is not None and header.text:
                write(header)
                out.text += ": "
            elif labeled:
                out.text += f"Column {column}: "
            write(value)
            out.text += "\n"
        out.text += "\n"


def link_suffix(label: str, href: str) -> str:
    """A link reads "label (url)"; a label that is the url (or the mailto address) stands alone."""
    comparable = href[7:] if href.startswith("mailto:") else href
    return f" ({href})" if label and label not in (href, comparable) else ""


def strip_markdown(markdown: str) -> str:
    """Markdown projected to plain text, links as "label (url)"."""
    state = Render()
    render(parser().parse(markdown), state)
    out = state.out
    final_length = max(len(js.trim_end(out.text)), out.code_end)
    text = out.text[:final_length]
    insertions = []
    for start, end, href in out.links:
        label = js.trim(out.text[start:end])
        insertions.append((end, link_suffix(label, href)))
    result, cursor = "", 0
    for position, insert in sorted(insertions, key=lambda item: item[0]):
        position = max(cursor, min(position, len(text)))
        result += text[cursor:position] + insert
        cursor = position
    return js.trim(result + text[cursor:])


def to_plain(text: str) -> str:
    """What the plugin sends for an assistant text: visible, plain, newlines tidied, trimmed."""
    plain = strip_markdown(visible(text)).replace("\r\n", "\n")
    return js.trim(re.sub(r"\n{3,}", "\n\n", plain))


# -- chunks, in UTF-16 code units ----------------------------------------------------------------------


class Units:
    """A text as UTF-16 code units (lone surrogates allowed), with its grapheme starts."""

    def __init__(self, text: str) -> None:
        self.units: list[str] = []
        self.grapheme_start: list[int] = []
        for cluster in regex.findall(r"\X", text):
            first = len(self.units)
            for char in cluster:
                point = ord(char)
                if point > 0xFFFF:
                    point -= 0x10000
                    self.units += [chr(0xD800 + (point >> 10)), chr(0xDC00 + (point & 0x3FF))]
                else:
                    self.units.append(char)
            self.grapheme_start += [first] * (len(self.units) - first)

    def __len__(self) -> int:
        return len(self.units)

    def text(self, start: int, end: int) -> str:
        return "".join(self.units[start:end]).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")

    def space(self, index: int) -> bool:
        return 0 <= index < len(self.units) and self.units[index] in js.SPACE

    def cluster(self, index: int) -> tuple[int, int]:
        """The grapheme holding the unit at `index`: its start and end."""
        first = self.grapheme_start[index]
        end = index + 1
        while end < len(self.units) and self.grapheme_start[end] == first:
            end += 1
        return first, end

    def blank(self, start: int, end: int) -> bool:
        return all(self.space(index) for index in range(start, end))

    def trim_end_whitespace(self, start: int, end: int) -> int:
        """`end` moved back over whole whitespace graphemes, not past `start`."""
        while end > start:
            first, last = self.cluster(end - 1)
            if last > end or first < start or not self.blank(first, last):
                break
            end = first
        return end

    def skip_whitespace(self, start: int) -> int:
        """`start` moved on over whole whitespace graphemes (not a space that carries a mark)."""
        while start < len(self.units):
            first, last = self.cluster(start)
            if first != start or not self.blank(first, last):
                break
            start = last
        return start

    def cut(self, start: int, max_end: int, preferred: int | None = None, partial: bool = True) -> int:
        """A cut at a grapheme boundary within the budget, honouring a usable preference."""
        hard = min(max_end, len(self.units))
        if hard <= start:
            return start
        want = preferred if preferred is not None and start < preferred <= hard else hard
        if want == len(self.units):
            return want
        end = self.grapheme_start[want]
        if end <= start and want < hard:
            end = hard if hard == len(self.units) else self.grapheme_start[hard]
        if end > start:
            return end
        if not partial:
            return start
        high = 0xD800 <= ord(self.units[hard - 1]) <= 0xDBFF if hard < len(self.units) else False
        if not high:
            return hard
        return hard - 1 if hard - 1 > start else hard + 1


def preferred_break(units: Units, start: int, limit: int) -> int:
    """Last newline outside parentheses, else last whitespace outside them, else anywhere, else the limit."""
    max_end = min(len(units), start + limit)
    if max_end >= len(units):
        return len(units)
    newline_out = space_out = run_out = newline_any = space_any = run_any = -1
    depth, seen_text = 0, False
    for index in range(start, max_end):
        char = units.units[index]
        if char == "(":
            seen_text, depth = True, depth + 1
            continue
        if char == ")" and depth > 0:
            seen_text, depth = True, depth - 1
            continue
        if char not in js.SPACE:
            seen_text = True
            continue
        if not seen_text:
            continue
        if char == "\n":
            newline_any = index + 1
            newline_out = index + 1 if depth == 0 else newline_out
            continue
        run_start = index if index == start or not units.space(index - 1) else run_any
        space_any, run_any = index + 1, run_start
        if depth == 0:
            space_out, run_out = index + 1, run_start

    def at_space(break_at: int, run_start: int) -> int:
        if break_at <= start or run_start <= start:
            return break_at
        return run_start if units.space(break_at) else break_at

    if newline_out > start:
        return newline_out
    if space_out > start:
        return at_space(space_out, run_out)
    if newline_any > start:
        return newline_any
    if space_any > start:
        return at_space(space_any, run_any)
    return max_end


def chunk(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` UTF-16 units that join back into `text`."""
    if not text:
        return []
    limit = max(1, int(limit))
    units = Units(text)
    ranges: list[tuple[int, int]] = []
    if len(units) <= limit:
        ranges.append((0, len(units)))
    cursor = 0
    while not ranges or ranges[-1][1] < len(units):
        end = units.cut(cursor, min(len(units), cursor + limit), preferred_break(units, cursor, limit))
        ranges.append((cursor, end))
        cursor = end
    pieces = ["".join(units.text(a, b) for a, b in parts) for parts in coalesce_blank(units, ranges, limit)]
    return [piece for piece in pieces if piece]


Parts = list[tuple[int, int]]


def coalesce_blank(units: Units, ranges: list[tuple[int, int]], limit: int) -> list[Parts]:
    """A chunk of only whitespace joins its neighbour where it fits, else is split between them, else
    dropped. A chunk is the ranges it kept: one dropped between two blank ones leaves a gap, and a
    chunk's size is what it kept (as the plugin measures its rendered text)."""
    done: list[Parts] = []
    pending = list(ranges)

    def size(parts: Parts) -> int:
        return sum(b - a for a, b in parts)

    def joined(parts: Parts) -> Parts:
        out: Parts = []
        for a, b in parts:
            out = [*out[:-1], (out[-1][0], b)] if out and out[-1][1] == a else [*out, (a, b)]
        return out

    for index, (start, end) in enumerate(pending):
        if js.trim(units.text(start, end)):
            done.append([(start, end)])
            continue
        following = pending[index + 1] if index + 1 < len(pending) else None
        if done and size(done[-1]) + end - start <= limit:
            done[-1] = joined([*done[-1], (start, end)])
            continue
        if following and following[1] - start <= limit:
            pending[index + 1] = (start, following[1])
            continue
        if done and following:
            for prefix in range(end - start - 1, 0, -1):
                prefix = units.cut(start, start + prefix, start + prefix, partial=False) - start
                if prefix <= 0:
                    break
                if size(done[-1]) + prefix <= limit and following[1] - (start + prefix) <= limit:
                    done[-1] = joined([*done[-1], (start, start + prefix)])
                    pending[index + 1] = (start + prefix, following[1])
                    break
    return done


def sms_chunks(reply: str, chunk_limit: int) -> list[str]:
    """The messages one reply becomes: plain text, chunked at min(textChunkLimit, 1600)."""
    plain = to_plain(reply)
    return chunk(plain, min(chunk_limit, MAX_SMS_BODY)) if plain else []


def outbound_pieces(text: str, limit: int) -> list[str]:
    """What OpenClaw's own outbound delivery cuts a text-only send into before the channel sees it
    (its `chunkTextForOutbound`): at the window's last newline (not at its start), else its last
    space, else the limit, never inside a grapheme of what is left; each piece loses the
    whitespace at the cut on both sides, so the pieces do not join back into the text."""
    rest = Units(text)
    if not text or limit <= 0 or len(rest) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    while len(rest) > limit:
        window = "".join(rest.units[:limit])
        newline = window.rfind("\n")
        soft = newline if newline > 0 else window.rfind(" ")
        end = rest.cut(0, limit, soft if soft > 0 else None)
        kept = rest.trim_end_whitespace(0, end)
        if kept > 0:
            pieces.append(rest.text(0, kept))
        rest = Units(rest.text(rest.skip_whitespace(end), len(rest)))  # graphemes measured anew, as OpenClaw
    last = rest.trim_end_whitespace(0, len(rest))
    return [*pieces, rest.text(0, last)] if last > 0 else pieces


def send_chunks(message: str, chunk_limit: int) -> list[str]:
    """The messages an operator's text-only send becomes: OpenClaw's outbound pieces at the account's
    textChunkLimit (uncapped there), each then made plain text and chunked by the channel as a reply."""
    return [c for piece in outbound_pieces(message, chunk_limit) for c in sms_chunks(piece, chunk_limit)]
