"""Twilio accounts for scenarios, handed out by shape and taken back when a scenario left them clean.

A scenario that gets the same account, number and token as the one before it gives the
gateway the same channel config, so a real gateway need not reload between them (a reload
costs OpenClaw about two seconds). An account goes back to the pool only if nothing the
next scenario could see is left on it: the scenario's faults are removed when it ends, its
number and services must not have been changed, and the inbound messages to its number that
carry an error code are deleted (the probe reports recent ones). Phones are new in every
scenario, so nothing else carries over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.client import EmulatorClient, Provisioned
from harness.forged import PUBLIC_BASE


@dataclass(frozen=True)
class Shape:
    """What an account must be like (the same shape gives the same gateway config)."""

    sms_url: str
    sms_method: str = "POST"
    trial: bool = False
    verified: tuple[str, ...] = ()
    number: bool = True


@dataclass
class AccountPool:
    emu: EmulatorClient
    free: dict[Shape, list[Provisioned]] = field(default_factory=dict)
    created: int = 0
    reused: int = 0

    def take(self, shape: Shape, new_number: str) -> Provisioned:
        """A free account of this shape, or a new one (with `new_number`)."""
        waiting = self.free.get(shape)
        if waiting:
            self.reused += 1
            return waiting.pop()
        self.created += 1
        numbers = [{"phone_number": new_number, "sms_url": shape.sms_url, "sms_method": shape.sms_method}]
        return self.emu.create_account(
            numbers=numbers if shape.number else [], trial=shape.trial, verified_caller_ids=list(shape.verified)
        )

    def give_back(self, shape: Shape, account: Provisioned, since: int) -> None:
        """Keep the account for a later scenario, with the inbound messages since `since` that carry
        an error code deleted (as Twilio's API deletes a Message): the probe reports the recent ones."""
        failed = [
            message["sid"]
            for number in account.numbers
            for message in self.emu.messages(after=since, to=number, direction="inbound")
            if message.get("error_code")
        ]
        if failed:
            with self.emu.twilio(account.sid, account.auth_token) as http:
                for sid in failed:
                    if http.delete(f"/2010-04-01/Accounts/{account.sid}/Messages/{sid}.json").status_code != 204:
                        return  # not clean: a later scenario gets a new account instead
        self.free.setdefault(shape, []).append(account)


@dataclass
class TwilioAccount:
    """One of a scenario's accounts, by the name its Gherkin gives it, with its gateway's webhook path."""

    name: str
    sid: str
    token: str
    number: str | None
    path: str
    services: dict[str, str] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return PUBLIC_BASE + self.path

    @property
    def env(self) -> dict[str, str]:
        """The account in the environment variables the guide names: SID, auth token, public webhook URL."""
        return {
            "TWILIO_ACCOUNT_SID": self.sid,
            "TWILIO_AUTH_TOKEN": self.token,
            "SMS_PUBLIC_WEBHOOK_URL": self.public_url,
        }
