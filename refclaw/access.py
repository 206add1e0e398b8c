"""Who may talk to the agent: dmPolicy and allowFrom, plus pairing approvals."""

from __future__ import annotations

from refclaw.config import Account

ALLOW, PAIR, DENY = "allow", "pair", "deny"


def decide(account: Account, sender: str, approved: list[str]) -> str:
    """allow (agent turn), pair (pairing request) or deny (dropped silently)."""
    listed = sender in account.allow_from
    if account.dm_policy == "disabled":
        return DENY
    if account.dm_policy == "open":
        return ALLOW if "*" in account.allow_from or listed else DENY
    if account.dm_policy == "allowlist":
        return ALLOW if listed else DENY
    return ALLOW if listed or sender in approved else PAIR


def pairing_reply(sender: str, code: str) -> str:
    """The text an unknown sender gets: their number, the code, and the approve command (OpenClaw's wording)."""
    return (
        f"OpenClaw: access not configured.\n\nYour SMS phone number: {sender}\nPairing code:\n\n{code}\n\n"
        f"Ask the bot owner to approve with:\n\nopenclaw pairing approve sms {code}"
    )
