"""The scripted agent every gateway under test answers with, so replies are predictable.

The reference gateway's built-in agent and the emulator's scripted model
endpoint (for the real OpenClaw agent) both answer by these rules:
- "reply exactly X" -> X (the rest of that line, surrounding quotes removed);
- 'reply verbatim "…"' -> the JSON string that follows, decoded (any text: newlines, markdown, emoji);
- a request for "long markdown" -> LONG_MARKDOWN, which has headings, emphasis,
  links and fenced code, and is long enough to need several SMS chunks;
- anything else -> "Echo: <text>".
"""

from __future__ import annotations

import json
import re

EXACTLY = re.compile(r"reply exactly[:\s]+(.+)", re.IGNORECASE)
VERBATIM = re.compile(r"reply verbatim\s+(?=\")", re.IGNORECASE)
LONG = re.compile(r"long markdown", re.IGNORECASE)

_SECTION = """## Part {n}: checking the SMS channel

The **gateway** receives a signed webhook, checks the _sender_, and answers through
[Twilio's Messages API](https://www.twilio.com/docs/messaging/api/message-resource).
Keep `publicWebhookUrl` identical to what Twilio signs, byte for byte.

```bash
openclaw channels status --channel sms --probe --json
curl -s https://example.test/part/{n}
```

- step {n}.1: text the number
- step {n}.2: approve the pairing code
- step {n}.3: read the reply, see <https://example.test/docs/{n}>
"""

LONG_MARKDOWN = "# A long answer\n\n" + "\n\n\n".join(_SECTION.format(n=n) for n in range(1, 9))


def directive(text: str) -> str | None:
    """The scripted answer if `text` asks for one ("reply verbatim", "reply exactly", "long markdown"), else None."""
    verbatim = VERBATIM.search(text)
    if verbatim:
        try:
            value, _ = json.JSONDecoder().raw_decode(text, verbatim.end())
        except ValueError:
            value = None
        if isinstance(value, str):
            return value
    exact = EXACTLY.search(text)
    if exact:
        return exact.group(1).strip().splitlines()[0].strip().strip("\"'“”")
    if LONG.search(text):
        return LONG_MARKDOWN
    return None


def reply_for(text: str) -> str:
    """What the scripted agent answers to `text` (the user's message)."""
    answer = directive(text)
    return answer if answer is not None else f"Echo: {text.strip()}"


def reply_for_conversation(user_messages: list[str]) -> str:
    """The answer to the newest user message that carries a directive, else an echo of the newest.

    Gateways add context messages after the user's own and may share one session between
    senders (OpenClaw's main DM session), so older turns must not answer for newer ones.
    """
    for text in user_messages:
        answer = directive(text)
        if answer is not None:
            return answer
    return reply_for(user_messages[0] if user_messages else "")
