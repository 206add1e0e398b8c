"""Twilio accounts: who they are, their credentials, and the check of HTTP Basic credentials."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from emulator.errors import ControlError, TwilioError
from emulator.models.numbering import is_e164
from emulator.models.state import State

ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    trial: bool = False
    verified_caller_ids: list[str] = field(default_factory=list)
    date_created: float = field(default_factory=time.time)


class Accounts(State):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.accounts: dict[str, Account] = {}

    def create_account(
        self,
        sid: str | None = None,
        auth_token: str | None = None,
        friendly_name: str | None = None,
        trial: bool = False,
        verified_caller_ids: Iterable[str] = (),
    ) -> Account:
        sid = sid or "AC" + self.hex()
        if not ACCOUNT_SID.fullmatch(sid):
            raise ControlError(f"account sid must be AC followed by 32 lowercase hex digits, got {sid!r}")
        if sid in self.accounts:
            raise ControlError(f"account {sid} exists already", 409)
        verified = list(verified_caller_ids)
        for number in verified:
            if not is_e164(number):
                raise ControlError(f"verified caller id {number!r} is not an E.164 number")
        account = Account(
            sid, auth_token or self.hex(), friendly_name or f"{self.fake.company()} account", bool(trial), verified
        )
        self.accounts[sid] = account
        self.changed()
        return account

    def account(self, sid: str) -> Account:
        try:
            return self.accounts[sid]
        except KeyError:
            raise ControlError(f"no account {sid}", 404) from None

    def authenticate(self, path_sid: str | None, username: str | None, password: str | None) -> Account:
        """HTTP Basic AccountSid:AuthToken; the path's account must be the caller's."""
        account = self.accounts.get(username or "")
        if account is None or password is None or not _same(account.auth_token, password):
            raise TwilioError(20003)
        if path_sid is not None and path_sid != account.sid:
            raise TwilioError(20003)
        return account


class Owned(Protocol):
    account_sid: str


T = TypeVar("T", bound=Owned)


def owned(item: T | None, account: Account, path: str) -> T:
    """A resource looked up for `account`: Twilio's 20404 for `path` when it is missing or another
    account's (numbers, services, messages alike)."""
    if item is None or item.account_sid != account.sid:
        raise TwilioError(20404, path=path)
    return item


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
