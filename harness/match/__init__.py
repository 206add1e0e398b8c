"""What matches, and what a failure shows: small matchers that compose (Complement's `match`).

A matcher takes what was seen and answers None when it matches, or a `Mismatch`: what was
expected and what was seen, in the words the failure prints. Matchers neither read the emulator
nor wait (`seen.py`, `waits.py`); `expect.must` applies one and fails the scenario. A new check
is a new matcher, not a flag on an old one. This module holds the parts and the combinators;
`texts` matches what a phone gets, `twilio` Twilio's record, `gateway` the gateway's own side.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Mismatch:
    expected: str
    seen: str


Matcher = Callable[[T], Mismatch | None]
Record = dict[str, Any]  # a record the emulator kept: a message, a REST call, a delivery


def that(test: Callable[[T], bool], expected: str, show: Callable[[T], str] = str) -> Matcher[T]:
    """A matcher from its parts: whether what was seen matches, what was expected, how the seen shows."""
    return lambda seen: None if test(seen) else Mismatch(expected, show(seen))


def all_of(*matchers: Matcher[T]) -> Matcher[T]:
    """Every matcher holds; the first that does not is the failure."""
    return lambda seen: next((m for m in (matcher(seen) for matcher in matchers) if m is not None), None)


def each(matcher: Matcher[T]) -> Matcher[list[T]]:
    """Every item matches; the first that does not is the failure."""
    return lambda items: next((m for m in map(matcher, items) if m is not None), None)


def on(view: Callable[[Any], Any], matcher: Matcher[Any]) -> Matcher[Any]:
    """The matcher holds for a view of what was seen (`joined` messages, say)."""
    return lambda seen: matcher(view(seen))


def some(expected: str, none: str) -> Matcher[Sized]:
    """At least one; `none` is what the failure shows for an empty list."""
    return that(lambda seen: len(seen) > 0, expected, lambda _: none)


def no(expected: str, show: Callable[[Any], str]) -> Matcher[Sized]:
    """Nothing at all; the failure shows what there was."""
    return that(lambda seen: len(seen) == 0, expected, show)


def at_least(count: int) -> Matcher[Sized]:
    return that(lambda seen: len(seen) >= count, f"at least {count}", lambda seen: str(len(seen)))


def exactly(count: int, what: str, show: Callable[[Any], str]) -> Matcher[Sized]:
    """`count` items of `what`; the failure shows how many and which."""
    return that(lambda seen: len(seen) == count, f"exactly {count} {what}", lambda seen: f"{len(seen)}: {show(seen)}")


def holds_all(
    words: list[str], says: str, *, fold_case: bool = False, show: Callable[[str], str] = str
) -> Matcher[str]:
    """The text holds every word; the failure names the missing ones (`says`: "the log to mention")."""

    def matcher(text: str) -> Mismatch | None:
        fold = str.lower if fold_case else str
        missing = [w for w in words if fold(w) not in fold(text)]
        return Mismatch(f"{says} {missing}", show(text)) if missing else None

    return matcher


def lacks(word: str, says: str) -> Matcher[str]:
    """The text does not hold `word` (case folded); the failure shows the lines that do."""

    def matcher(text: str) -> Mismatch | None:
        lines = [line for line in text.splitlines() if word.lower() in line.lower()]
        return Mismatch(f"{says} {word!r}", "\n".join(lines)[-3000:]) if lines else None

    return matcher
