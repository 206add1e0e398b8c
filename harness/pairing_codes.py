"""The pairing codes phones were sent in a scenario: a value the steps hand on to each other."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PairingCodes:
    """Passed between a scenario's steps as a pytest-bdd target fixture, not kept on the World."""

    by_phone: dict[str, str] = field(default_factory=dict)
    last: str = ""

    def with_code(self, phone: str, code: str) -> PairingCodes:
        return PairingCodes({**self.by_phone, phone: code}, code)
